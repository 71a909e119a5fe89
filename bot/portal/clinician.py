"""Clinicians' pages: my patients, one patient's record, flags, and the exports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from bot.content.teachback import find_module
from bot.portal.auth import current_staff, require_role
from bot.portal.charts import Chart, line_chart
from bot.portal.exports import FHIR_CONTENT_TYPE, patient_bundle, patient_csv, patients_csv
from bot.portal.ids import path_id
from bot.portal.pages import audit, render, run_db, see_other, severity, uk_time
from bot.store import patients, safety
from bot.store.models import SafetyFlag
from bot.store.patients import PatientRecord, PatientRow
from bot.store.staff import Staff

OUTCOME_VALUE = {"not_today": 0, "partly": 1, "done": 2}


def _person_id(request: web.Request) -> int:
    return path_id(request, "person_id")


@dataclass(frozen=True)
class WorkRow:
    """A line of the list: the patient, their most severe open flag, the oldest's time."""

    row: PatientRow
    worst: SafetyFlag | None
    oldest: datetime | None


def worklist(session: Session, clinician_id: int, rows: list[PatientRow]) -> list[WorkRow]:
    """Patients with open flags first, the most severe (emergency, distress, urgent) then
    the longest waiting at the top; then everyone else in the order given."""
    open_by_person: dict[int, list[SafetyFlag]] = {}
    for flag in safety.open_flags(session, clinician_id):
        if flag.person_id is not None:
            open_by_person.setdefault(flag.person_id, []).append(flag)
    found = []
    for row in rows:
        flags = open_by_person.get(row.id, [])
        worst = min(flags, key=lambda f: (severity(f.category), uk_time(f.raised_at)), default=None)
        oldest = min((uk_time(f.raised_at) for f in flags), default=None)
        found.append(WorkRow(row, worst, oldest))
    return found


def triage_key(item: WorkRow) -> tuple[int, int, datetime]:
    """Sort key: flagged first, then severity, then the oldest open flag first."""
    if item.worst is None or item.oldest is None:
        return (1, 0, datetime.max.replace(tzinfo=uk_time(datetime.now()).tzinfo))
    worst_rank = severity(item.worst.category)
    return (0, worst_rank, uk_time(item.worst.raised_at))


def _list(session: Session, staff: Staff, sort: str, desc: bool, detail: str) -> list[PatientRow]:
    rows = patients.patients_of(session, staff.id, sort, desc)
    for row in rows:
        audit(session, staff, "exported" if detail.endswith("csv") else "read", row.id, detail)
    return rows


@require_role("clinician")
async def my_patients(request: web.Request) -> web.Response:
    """GET /portal/patients?sort=flags&dir=desc. By default, and sorted by open flags, the
    list is a worklist: see `worklist` (dir=asc turns it upside down)."""
    staff = current_staff(request)
    sort = request.query.get("sort", "flags")
    sort = sort if sort in patients.SORT_KEYS else "flags"
    desc = request.query.get("dir", "desc" if "sort" not in request.query else "") == "desc"

    def load(session: Session) -> list[WorkRow]:
        found = worklist(session, staff.id, _list(session, staff, sort, desc, "patient_list"))
        if sort == "flags":
            found.sort(key=triage_key, reverse=not desc)
        return found

    rows = await run_db(request, load)
    kept = await run_db(request, lambda s: safety.kept_flags_of_people_gone(s, staff.id))
    return render(
        request, "patients.html", {"rows": rows, "sort": sort, "desc": desc, "kept_flags": kept}
    )


@require_role("clinician")
async def my_patients_csv(request: web.Request) -> web.Response:
    """GET /portal/patients.csv."""
    staff = current_staff(request)
    rows = await run_db(request, lambda s: _list(s, staff, "id", False, "patient_list_csv"))
    return _download(patients_csv(rows), "text/csv", "patients.csv")


def _download(body: str, content_type: str, filename: str) -> web.Response:
    return web.Response(
        body=body.encode("utf-8"),
        headers={
            "Content-Type": f"{content_type}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


async def _record(request: web.Request, action: str, detail: str) -> PatientRecord:
    """The patient's record, audited; 404 for anyone who is not their clinician."""
    staff, person_id = current_staff(request), _person_id(request)

    def load(session: Session) -> PatientRecord | None:
        record = patients.record_of(session, staff.id, person_id)
        if record is not None:
            audit(session, staff, action, person_id, detail)
        return record

    record = await run_db(request, load)
    if record is None:
        raise web.HTTPNotFound(text="no such patient of yours")
    return record


def checkin_chart(record: PatientRecord) -> Chart:
    """Each plan's check-in outcomes over time (not today 0, partly 1, done 2)."""
    series = [
        (
            f"plan {plan.id}: {plan.activity}",
            [
                (c.answered_at, OUTCOME_VALUE.get(c.outcome, 0))
                for c in record.checkins
                if c.plan_id == plan.id
            ],
        )
        for plan in record.plans
    ]
    return line_chart([s for s in series if s[1]], 0, 2)


def measure_chart(record: PatientRecord, instrument: str, low: int, high: int) -> Chart:
    """One line per item of an instrument."""
    items: dict[str, list[Any]] = {}
    for measure in record.measures:
        if measure.instrument == instrument:
            items.setdefault(measure.item, []).append((measure.recorded_at, measure.value))
    return line_chart(sorted(items.items()), low, high, 1 if high <= 5 else 2)


@dataclass
class AttemptView:
    """One teach-back answer: their words (when they agreed to keep them) and each point's
    result. Never the grader's matched keywords: a clinician reads what the patient said."""

    number: int
    at: datetime
    words: str | None
    points: list[tuple[str, bool]] = field(default_factory=list)  # (key point id, explained)


def teachback_view(record: PatientRecord) -> dict[str, dict[str, list[AttemptView]]]:
    """Attempts grouped by module, then chunk, in the order they were answered."""
    grouped: dict[str, dict[str, list[AttemptView]]] = {}
    for point in record.points:
        attempts = grouped.setdefault(point.module_id, {}).setdefault(point.chunk_id, [])
        if not attempts or attempts[-1].number != point.attempt:
            attempts.append(AttemptView(point.attempt, point.at, point.answer_text))
        attempts[-1].points.append((point.key_point_id, point.covered))
    return grouped


def key_point_texts(record: PatientRecord) -> dict[tuple[str, str], str]:
    """(module, key point) → the key point's English wording, for modules still in content."""
    texts: dict[tuple[str, str], str] = {}
    for module_id in {point.module_id for point in record.points}:
        module = find_module(module_id)
        for chunk in module.chunks if module is not None else ():
            for point in chunk.key_points:
                texts[(module_id, point.id)] = point.text.en
    return texts


@require_role("clinician")
async def patient_page(request: web.Request) -> web.Response:
    """GET /portal/patients/{id}."""
    record = await _record(request, "read", "patient_page")
    follow = {(f.module_id, f.chunk_id) for f in record.follow_ups if f.resolved_at is None}
    return render(
        request,
        "patient.html",
        {
            "record": record,
            "checkins": checkin_chart(record),
            "weekly": measure_chart(record, "weekly", 0, 10),
            "prem": measure_chart(record, "prem", 1, 5),
            "teachback": teachback_view(record),
            "follow": follow,
            "point_texts": key_point_texts(record),
        },
    )


@require_role("clinician")
async def patient_csv_export(request: web.Request) -> web.Response:
    """GET /portal/patients/{id}/export.csv."""
    record = await _record(request, "exported", "csv")
    return _download(patient_csv(record), "text/csv", f"patient-{record.person.id}.csv")


@require_role("clinician")
async def patient_fhir_export(request: web.Request) -> web.Response:
    """GET /portal/patients/{id}/fhir.json: a FHIR R4B (4.3.0) Bundle."""
    record = await _record(request, "exported", "fhir_r4b")
    body = json.dumps(patient_bundle(record), indent=2)
    return _download(body, FHIR_CONTENT_TYPE, f"patient-{record.person.id}-fhir.json")


@require_role("clinician", "admin")
async def acknowledge(request: web.Request) -> web.Response:
    """POST /portal/flags/{flag_id}/acknowledge: who and when are recorded."""
    staff = current_staff(request)
    flag_id = path_id(request, "flag_id")
    owner = staff.id if staff.role == "clinician" else None

    def ack(session: Session) -> tuple[int | None] | None:
        flag = patients.acknowledge_flag(session, flag_id, staff.id, owner)
        if flag is None:
            return None
        audit(session, staff, "read", flag.person_id, f"flag_ack:{flag.id}")
        return (flag.person_id,)

    found = await run_db(request, ack)
    if found is None:
        raise web.HTTPNotFound(text="no such flag for you")
    [person_id] = found
    if owner is None:
        return see_other("/portal/admin/flags")
    return see_other(
        f"/portal/patients/{person_id}#flags" if person_id else "/portal/patients#kept"
    )


def add_routes(portal: web.Application) -> None:
    """The clinicians' routes."""
    portal.router.add_get("/patients", my_patients)
    portal.router.add_get("/patients.csv", my_patients_csv)
    portal.router.add_get("/patients/{person_id}", patient_page)
    portal.router.add_get("/patients/{person_id}/export.csv", patient_csv_export)
    portal.router.add_get("/patients/{person_id}/fhir.json", patient_fhir_export)
    portal.router.add_post("/flags/{flag_id}/acknowledge", acknowledge)
