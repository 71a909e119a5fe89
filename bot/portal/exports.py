"""A patient's record as CSV and as a FHIR R4 Bundle (pseudonymous: an id, never a name)."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from bot.store.models import Measure
from bot.store.patients import PatientRecord, PatientRow

SYSTEM = "urn:cocreate-coach"
PERSON_SYSTEM = f"{SYSTEM}:person"
GOAL_STATUS = {"active": "active", "stopped": "cancelled", "replaced": "cancelled"}
PREM = "prem"


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else _cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = _iso(value) if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


PATIENT_HEADER = ["person_id", "record", "at", "what", "value", "detail"]


def patient_csv(record: PatientRecord) -> str:
    """One row per plan, check-in, confidence rating, teach-back point, measure and flag."""
    pid = record.person.id
    rows: list[list[Any]] = []
    for plan in record.plans:
        what = " ".join(p for p in (plan.activity, plan.amount, plan.timing) if p)
        rows.append([pid, "plan", plan.created_at, what, plan.days_per_week, plan.status])
    for checkin in record.checkins:
        rows.append(
            [
                pid,
                "checkin",
                checkin.answered_at,
                f"plan {checkin.plan_id}",
                checkin.outcome,
                checkin.note or "",
            ]
        )
    for rating in record.confidence:
        rows.append(
            [
                pid,
                "confidence",
                rating.rated_at,
                f"plan {rating.plan_id}",
                rating.rating,
                rating.barrier or "",
            ]
        )
    for point in record.points:
        rows.append(
            [
                pid,
                "teachback",
                point.at,
                f"{point.module_id}/{point.chunk_id}/{point.key_point_id}#{point.attempt}",
                "covered" if point.covered else "missed",
                point.answer_text or "",  # their words, only where they agreed
            ]
        )
    for follow_up in record.follow_ups:
        rows.append(
            [
                pid,
                "follow_up",
                follow_up.created_at,
                f"{follow_up.module_id}/{follow_up.chunk_id}",
                ",".join(follow_up.missed_key_points),
                "resolved" if follow_up.resolved_at else "open",
            ]
        )
    for measure in record.measures:
        rows.append(
            [
                pid,
                "measure",
                measure.recorded_at,
                f"{measure.instrument}:{measure.item}",
                measure.value,
                f"v{measure.item_version}",
            ]
        )
    for flag in record.flags:
        rows.append(
            [
                pid,
                "flag",
                flag.raised_at,
                f"{flag.category}:{flag.sign}",
                "acknowledged" if flag.acknowledged_at else "open",
                flag.acknowledged_by or "",
            ]
        )
    return _csv(PATIENT_HEADER, rows)


def patients_csv(rows: list[PatientRow]) -> str:
    """A clinician's patient list."""
    return _csv(
        ["person_id", "label", "joined", "open_flags", "last_activity", "active_goals"],
        ([r.id, r.label, r.joined, r.flags, r.last_activity, r.goals] for r in rows),
    )


def _coding(kind: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"{SYSTEM}:{kind}", "code": code}], "text": code}


def _prem_groups(measures: list[Measure]) -> list[list[Measure]]:
    """PREM answers grouped into one questionnaire response per day answered."""
    groups: dict[str, list[Measure]] = defaultdict(list)
    for measure in measures:
        if measure.instrument == PREM:
            groups[_iso(measure.recorded_at)[:10]].append(measure)
    return [groups[day] for day in sorted(groups)]


def patient_bundle(record: PatientRecord) -> dict[str, Any]:
    """A FHIR R4 collection Bundle: Patient, Goals, Observations, QuestionnaireResponses."""
    person = record.person
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    subject = {"reference": patient_url}
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient_url,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": PERSON_SYSTEM, "value": str(person.id)}],
                "communication": [{"language": _coding("language", person.language)}],
            },
        }
    ]
    goal_urls: dict[int, str] = {}
    for plan in record.plans:
        goal_urls[plan.id] = url = f"urn:uuid:{uuid.uuid4()}"
        what = " ".join(p for p in (plan.activity, plan.amount, plan.timing) if p)
        entries.append(
            {
                "fullUrl": url,
                "resource": {
                    "resourceType": "Goal",
                    "identifier": [{"system": f"{SYSTEM}:action-plan", "value": str(plan.id)}],
                    "lifecycleStatus": GOAL_STATUS.get(plan.status, "active"),
                    "description": {"text": f"{what} ({plan.days_per_week} days a week)"},
                    "subject": subject,
                    "startDate": _iso(plan.created_at)[:10],
                },
            }
        )

    def observation(
        code: dict[str, Any], at: datetime, value: dict[str, Any], **extra: Any
    ) -> None:
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": code,
                    "subject": subject,
                    "effectiveDateTime": _iso(at),
                    **value,
                    **extra,
                },
            }
        )

    for checkin in record.checkins:
        extra: dict[str, Any] = {}
        if checkin.plan_id in goal_urls:
            extra["focus"] = [{"reference": goal_urls[checkin.plan_id]}]
        if checkin.note:
            extra["note"] = [{"text": checkin.note}]
        observation(
            _coding("observation", "action-plan-checkin"),
            checkin.answered_at,
            {"valueCodeableConcept": _coding("checkin-outcome", checkin.outcome)},
            **extra,
        )
    for rating in record.confidence:
        observation(
            _coding("observation", "action-plan-confidence"),
            rating.rated_at,
            {"valueInteger": rating.rating},
        )
    for measure in record.measures:
        if measure.instrument == PREM:
            continue
        observation(
            _coding("measure", f"{measure.instrument}:{measure.item}"),
            measure.recorded_at,
            {"valueInteger": measure.value},
        )
    for point in record.points:
        note = [{"text": point.answer_text}] if point.answer_text else []  # with consent only
        observation(
            _coding("teachback", f"{point.module_id}/{point.chunk_id}/{point.key_point_id}"),
            point.at,
            {"valueBoolean": point.covered},
            component=[{"code": _coding("teachback", "attempt"), "valueInteger": point.attempt}],
            **({"note": note} if note else {}),
        )
    for group in _prem_groups(record.measures):
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "questionnaire": f"{SYSTEM}:questionnaire:prem",
                    "status": "completed",
                    "subject": subject,
                    "authored": _iso(max(m.recorded_at for m in group)),
                    "item": [
                        {
                            "linkId": f"{m.item}:v{m.item_version}",
                            "answer": [{"valueInteger": m.value}],
                        }
                        for m in group
                    ],
                },
            }
        )
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _iso(datetime.now(UTC)),
        "entry": entries,
    }
    Bundle.model_validate(bundle)  # refuse to hand out anything that is not valid R4
    return bundle
