"""Admins' pages: staff users, which clinician each patient has, unassigned flags, audit log."""

from __future__ import annotations

import re

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.portal.auth import current_staff, require_role
from bot.portal.ids import given_id, parse_id, path_id
from bot.portal.pages import audit, render, run_db, see_other, severity, uk_time
from bot.store import people_list, safety
from bot.store import staff as staff_store
from bot.store.models import AuditEntry, Person, SafetyFlag, StaffUser
from bot.store.people_list import PeoplePage, PeopleSearch

AUDIT_PAGE = 100
PEOPLE_PAGE = 50
MAX_QUERY = 100  # characters of a search; longer is not a search anyone typed
# A patient number as staff write it: '42', 'P-00042' (the pseudonymous label), 'Patient 42'.
PATIENT_NUMBER = re.compile(r"(?:p-?|patient\s*)?0*([0-9]+)", re.IGNORECASE)


def page_number(request: web.Request, name: str) -> int:
    """A page number from the query string (1 when absent); 400 when it is not one."""
    raw = request.query.get(name, "")
    if not raw:
        return 1
    value = parse_id(raw)
    if value is None:
        raise web.HTTPBadRequest()
    return value


def people_search(raw: str) -> PeopleSearch | None:
    """What the admin typed: None for no search; 400 for what no one types (control
    characters, such as NUL, which PostgreSQL refuses, or a search past MAX_QUERY)."""
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_QUERY or not text.isprintable():
        raise web.HTTPBadRequest()
    number = PATIENT_NUMBER.fullmatch(text)
    person_id = parse_id(number.group(1)) if number else None
    if person_id is not None:
        return PeopleSearch(person_id=person_id)
    return PeopleSearch(text=text)


@require_role("admin")
async def overview(request: web.Request) -> web.Response:
    """GET /portal/admin?q=TEXT&page=N&npage=N: users, the form for a new one, and people
    with their clinicians, searched and paged; those who never consented in a list apart
    (`npage` pages that one)."""
    q = request.query.get("q", "")
    search = people_search(q)
    page, npage = page_number(request, "page"), page_number(request, "npage")

    def load(session: Session) -> tuple[list[StaffUser], PeoplePage, PeoplePage]:
        users = staff_store.list_staff(session)
        consented = people_list.people_page(
            session, consented=True, search=search, page=page, per_page=PEOPLE_PAGE
        )
        never = people_list.people_page(
            session, consented=False, search=search, page=npage, per_page=PEOPLE_PAGE
        )
        return users, consented, never

    users, consented, never = await run_db(request, load)
    clinicians = [u for u in users if u.role == "clinician" and u.active]
    return render(
        request,
        "admin.html",
        {
            "users": users,
            "consented": consented,
            "never": never,
            "q": q.strip() if search is not None else "",
            "searched": search is not None,
            "clinicians": clinicians,
            "roles": staff_store.ROLES,
            "error": request.query.get("error"),
        },
    )


@require_role("admin")
async def create_user(request: web.Request) -> web.Response:
    """POST /portal/admin/users."""
    form = await request.post()
    email, role = str(form.get("email", "")), str(form.get("role", ""))
    password = str(form.get("password", ""))

    def create(session: Session) -> str | None:
        try:
            staff_store.create_staff(session, email, role, password)
        except staff_store.StaffRefused as refused:
            return refused.reason  # admin.html says what each reason means
        return None

    error = await run_db(request, create)
    return see_other("/portal/admin" + (f"?error={error}" if error else ""))


@require_role("admin")
async def set_active(request: web.Request) -> web.Response:
    """POST /portal/admin/users/{staff_id}/active: deactivate (their sessions stop working
    at once) or reactivate, which also lifts a lockout. Staff users are never deleted."""
    form = await request.post()
    active = form.get("active") == "1"
    me = current_staff(request)
    staff_id = path_id(request, "staff_id")
    if staff_id == me.id and not active:
        raise web.HTTPBadRequest(text="you cannot deactivate yourself")

    def change(session: Session) -> bool:
        return staff_store.set_active(session, staff_id, active)

    if not await run_db(request, change):
        raise web.HTTPNotFound(text="no such user")
    return see_other("/portal/admin")


@require_role("admin")
async def assign(request: web.Request) -> web.Response:
    """POST /portal/admin/patients/{person_id}/clinician: link (or unlink) a clinician."""
    form = await request.post()
    raw = str(form.get("clinician_id", ""))
    person_id = given_id(request.match_info["person_id"])
    clinician_id = given_id(raw) if raw else None

    def link(session: Session) -> bool:
        person = session.get(Person, person_id)
        if person is None:
            return False
        if clinician_id is not None:
            user = session.get(StaffUser, clinician_id)
            if user is None or user.role != "clinician" or not user.active:
                return False
        person.clinician_id = clinician_id
        # Their open flags move to the new clinician's queue (or back to the unassigned one).
        session.execute(
            update(SafetyFlag)
            .where(SafetyFlag.person_id == person_id, SafetyFlag.acknowledged_at.is_(None))
            .values(clinician_id=clinician_id)
        )
        return True

    if not await run_db(request, link):
        raise web.HTTPNotFound(text="no such patient or clinician")
    # Back to the patient's row, wherever it is in the lists.
    return see_other(f"/portal/admin?q={person_id}#patient-{person_id}")


@require_role("admin")
async def unassigned_flags(request: web.Request) -> web.Response:
    """GET /portal/admin/flags: open flags of patients who have no clinician yet."""
    staff = current_staff(request)

    def load(session: Session) -> list[SafetyFlag]:
        # Most severe first, then the longest waiting (open_flags gives newest first).
        flags = sorted(
            safety.open_flags(session, None),
            key=lambda f: (severity(f.category), uk_time(f.raised_at)),
        )
        for flag in flags:
            audit(session, staff, "read", flag.person_id, "unassigned_flags")
        return flags

    flags = await run_db(request, load)
    return render(request, "admin_flags.html", {"flags": flags})


@require_role("admin")
async def audit_page(request: web.Request) -> web.Response:
    """GET /portal/audit?before=ID: the audit log, newest first, a page at a time."""
    raw = request.query.get("before", "")
    before = given_id(raw) if raw else None

    def load(session: Session) -> tuple[list[AuditEntry], dict[int, str]]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        entries = list(session.scalars(query))
        # Staff entries name the user by their id; the page shows their email.
        staff_ids = {parse_id(e.actor_id) for e in entries if e.actor_kind != "system"}
        emails = people_list.staff_emails(session, {i for i in staff_ids if i is not None})
        return entries, emails

    entries, emails = await run_db(request, load)
    older = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return render(
        request,
        "audit.html",
        {"entries": entries, "emails": {str(k): v for k, v in emails.items()}, "older": older},
    )


def add_routes(portal: web.Application) -> None:
    """The admins' routes."""
    portal.router.add_get("/admin", overview)
    portal.router.add_post("/admin/users", create_user)
    portal.router.add_post("/admin/users/{staff_id}/active", set_active)
    portal.router.add_post("/admin/patients/{person_id}/clinician", assign)
    portal.router.add_get("/admin/flags", unassigned_flags)
    portal.router.add_get("/audit", audit_page)
