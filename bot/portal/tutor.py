"""Tutors' pages: their cohorts, a cohort's invites and participants, setting practice, and
the completion board.

A tutor sees only their own cohorts (anyone else's, like a missing one, is a 404) and only
practice-dialogue outcomes: completion and cohort-level first-try rates, never flags, goals
or measures. Every page that shows participants writes an audit entry for each of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import yaml
from aiohttp import web
from sqlalchemy.orm import Session

from bot.cohorts import board
from bot.cohorts.messages import START_INTENTS
from bot.config import ROOT
from bot.content.teachback import load_modules
from bot.portal.auth import current_staff, require_role
from bot.portal.ids import parse_id, path_id
from bot.portal.invites_view import WEB_LINK_UNAVAILABLE, base_url, invite_links, qr_png
from bot.portal.pages import audit, render, run_db, see_other, settings_of
from bot.scheduling import times
from bot.store import cohorts, invites
from bot.store.models import Assignment, Cohort, Invite, utcnow
from bot.store.staff import Staff

MAX_INVITES_AT_ONCE = 30
# A due date means the end of that day, local time.
DUE_TIME = time(23, 59)


@dataclass(frozen=True)
class Choice:
    """One practice dialogue a tutor can set: the form's value and what the tutor reads."""

    value: str
    label: str


@functools.cache
def _domain_intents() -> frozenset[str]:
    with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
        domain: dict[str, Any] = yaml.safe_load(handle)
    return frozenset(i if isinstance(i, str) else next(iter(i)) for i in domain["intents"])


def choices() -> list[Choice]:
    """Every teach-back module, an action-plan week, and an Ask 3 rehearsal (when the
    engine's domain has a way to start each)."""
    found = [
        Choice(f"{cohorts.TEACHBACK}:{m.id}", f"Teach-back: {m.title.en}")
        for m in sorted(load_modules().values(), key=lambda m: m.title.en)
    ]
    found.append(Choice(cohorts.ACTION_PLAN, "Action plan for the week"))
    found.append(Choice(cohorts.ASK3_REHEARSAL, "Ask 3 Questions rehearsal"))
    intents = _domain_intents()
    return [c for c in found if START_INTENTS[c.value.split(":")[0]] in intents]


def _cohort_id(request: web.Request) -> int:
    return path_id(request, "cohort_id")


def _own(session: Session, staff: Staff, cohort_id: int) -> Cohort:
    try:
        return cohorts.cohort_for(session, staff.id, cohort_id)
    except cohorts.NotAllowed as exc:
        raise web.HTTPNotFound(text="no such cohort of yours") from exc


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@require_role("tutor")
async def cohorts_page(request: web.Request) -> web.Response:
    """GET /portal/cohorts: the tutor's cohorts and the form for a new one."""
    staff = current_staff(request)

    def load(session: Session) -> list[tuple[Cohort, int]]:
        audit(session, staff, "read", None, "tutor_cohorts")
        return [
            (c, len(cohorts.member_ids(session, c.id)))
            for c in cohorts.cohorts_of(session, staff.id)
        ]

    rows = await run_db(request, load)
    return render(request, "tutor_cohorts.html", {"rows": rows, "error": None})


@require_role("tutor")
async def create_cohort(request: web.Request) -> web.Response:
    """POST /portal/cohorts: name, starts, ends."""
    staff = current_staff(request)
    form = await request.post()
    name = str(form.get("name", "")).strip()
    starts, ends = _day(form.get("starts_on")), _day(form.get("ends_on"))
    if not name or starts is None or ends is None or ends < starts:
        rows = await run_db(
            request,
            lambda s: [
                (c, len(cohorts.member_ids(s, c.id))) for c in cohorts.cohorts_of(s, staff.id)
            ],
        )
        error = "A cohort needs a name, a start date and an end date on or after the start."
        return render(request, "tutor_cohorts.html", {"rows": rows, "error": error}, status=400)
    assert starts is not None and ends is not None
    cohort_id = await run_db(
        request, lambda s: cohorts.create_cohort(s, staff.id, name, starts, ends).id
    )
    return see_other(f"/portal/cohorts/{cohort_id}")


@dataclass(frozen=True)
class CohortView:
    """What the cohort page shows."""

    cohort: Cohort
    participants: list[cohorts.Participant]
    invites: list[tuple[Invite, str]]
    assignments: list[tuple[Assignment, str]]


def _cohort_view(session: Session, staff: Staff, cohort_id: int) -> CohortView:
    cohort = _own(session, staff, cohort_id)
    shown = cohorts.participants(session, cohort_id)
    for participant in shown:
        audit(session, staff, "read", participant.person_id, f"tutor_cohort:cohort={cohort_id}")
    if not shown:
        audit(session, staff, "read", None, f"tutor_cohort:cohort={cohort_id}")
    labels = {p.person_id: p.label for p in shown}
    listed = [(i, invites.status_of(i)) for i in invites.invites_for_cohort(session, cohort_id)]
    titles = {c.value: c.label for c in choices()}
    assignments = []
    for a in cohorts.assignments_of(session, cohort_id):
        key = f"{a.kind}:{a.item}" if a.item else a.kind
        who = labels.get(a.person_id, "") if a.person_id else "Whole cohort"
        assignments.append((a, f"{titles.get(key, key)} · {who}"))
    return CohortView(cohort, shown, listed, assignments)


async def _cohort_page(request: web.Request, error: str | None, status: int) -> web.Response:
    staff = current_staff(request)
    cohort_id = _cohort_id(request)
    view = await run_db(request, lambda s: _cohort_view(s, staff, cohort_id))
    base = base_url(request)
    links = {
        invite.code: invite_links(settings_of(request), invite.code, base)
        for invite, status_ in view.invites
        if status_ == "open"
    }
    context = {
        "view": view,
        "links": links,
        "web_link_unavailable": WEB_LINK_UNAVAILABLE if base is None and links else None,
        "choices": choices(),
        "error": error,
        "today": times.aware(utcnow()).date().isoformat(),
    }
    return render(request, "tutor_cohort.html", context, status=status)


@require_role("tutor")
async def cohort_page(request: web.Request) -> web.Response:
    """GET /portal/cohorts/{id}: invites, participants, set practice, assignments."""
    return await _cohort_page(request, None, 200)


@require_role("tutor")
async def create_invites(request: web.Request) -> web.Response:
    """POST /portal/cohorts/{id}/invites: `count` single-use codes that join this cohort."""
    staff, cohort_id = current_staff(request), _cohort_id(request)
    form = await request.post()
    try:
        count = int(str(form.get("count", "1")))
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_INVITES_AT_ONCE:
        return await _cohort_page(
            request, f"Create between 1 and {MAX_INVITES_AT_ONCE} invites at a time.", 400
        )

    def make(session: Session) -> None:
        _own(session, staff, cohort_id)
        for _ in range(count):
            invites.create_invite(session, created_by=staff.id, cohort_id=cohort_id)

    await run_db(request, make)
    return see_other(f"/portal/cohorts/{cohort_id}#invites")


@require_role("tutor")
async def invite_qr(request: web.Request) -> web.Response:
    """GET /portal/cohorts/{id}/invites/{code}/qr.png: the invite's web link as a QR code."""
    staff, cohort_id, code = current_staff(request), _cohort_id(request), request.match_info["code"]

    def find(session: Session) -> Invite | None:
        _own(session, staff, cohort_id)
        invite = invites.find_invite(session, code)
        return invite if invite is not None and invite.cohort_id == cohort_id else None

    invite = await run_db(request, find)
    if invite is None:
        raise web.HTTPNotFound(text="no such invite in this cohort")
    return qr_png(invite_links(settings_of(request), invite.code, base_url(request)))


def _parse_assignment(form: Any) -> tuple[str, str | None, datetime, int | None] | str:
    """(kind, item, due instant, person id or None) from the form, or what is wrong."""
    practice = str(form.get("practice", ""))
    if practice not in {c.value for c in choices()}:
        return "Choose a practice dialogue from the list."
    kind, _, item = practice.partition(":")
    due = _day(form.get("due_on"))
    if due is None:
        return "Give a due date."
    due_at = times.local_instant(due, DUE_TIME, times.DEFAULT_TIMEZONE)
    if due_at <= utcnow():
        return "The due date has passed; choose today or a later day."
    target = str(form.get("target", "cohort"))
    if target == "cohort":
        return kind, item or None, due_at, None
    person_id = parse_id(target)
    if person_id is None:
        return "Choose the whole cohort or one participant."
    return kind, item or None, due_at, person_id


@require_role("tutor")
async def create_assignment(request: web.Request) -> web.Response:
    """POST /portal/cohorts/{id}/assignments: practice, target, due date."""
    staff, cohort_id = current_staff(request), _cohort_id(request)
    parsed = _parse_assignment(await request.post())
    if isinstance(parsed, str):
        return await _cohort_page(request, parsed, 400)
    kind, item, due_at, person_id = parsed

    def make(session: Session) -> bool:
        _own(session, staff, cohort_id)
        try:
            cohorts.assign(
                session,
                staff.id,
                cohort_id,
                kind=kind,
                item=item,
                due_at=due_at,
                person_id=person_id,
            )
        except cohorts.NotAllowed:
            return False
        return True

    if not await run_db(request, make):
        return await _cohort_page(request, "That participant is not in this cohort.", 400)
    return see_other(f"/portal/cohorts/{cohort_id}/board")


@require_role("tutor")
async def board_page(request: web.Request) -> web.Response:
    """GET /portal/cohorts/{id}/board: who did what and when, and first-try rates."""
    staff, cohort_id = current_staff(request), _cohort_id(request)

    def load(session: Session) -> tuple[Cohort, board.Board]:
        cohort = _own(session, staff, cohort_id)
        shown = board.build(session, cohort_id, utcnow())
        for row in shown.rows:
            audit(session, staff, "read", row.person_id, f"tutor_board:cohort={cohort_id}")
        if not shown.rows:
            audit(session, staff, "read", None, f"tutor_board:cohort={cohort_id}")
        return cohort, shown

    cohort, shown = await run_db(request, load)
    titles = {c.value: c.label for c in choices()}
    columns = [
        titles.get(f"{a.kind}:{a.item}" if a.item else a.kind, a.kind) for a in shown.assignments
    ]
    context = {
        "cohort": cohort,
        "board": shown,
        "columns": columns,
        "min_group": board.MIN_GROUP,
    }
    return render(request, "tutor_board.html", context)


def add_routes(portal: web.Application) -> None:
    """The tutors' routes, under /portal."""
    portal.router.add_get("/cohorts", cohorts_page)
    portal.router.add_post("/cohorts", create_cohort)
    portal.router.add_get("/cohorts/{cohort_id}", cohort_page)
    portal.router.add_post("/cohorts/{cohort_id}/invites", create_invites)
    portal.router.add_get("/cohorts/{cohort_id}/invites/{code}/qr.png", invite_qr)
    portal.router.add_post("/cohorts/{cohort_id}/assignments", create_assignment)
    portal.router.add_get("/cohorts/{cohort_id}/board", board_page)
