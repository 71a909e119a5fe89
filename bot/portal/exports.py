"""A patient's record as CSV and as a FHIR Bundle (pseudonymous: an id, never a name).

FHIR version: R4B (4.3.0). Every Bundle is validated with fhir.resources' R4B models before
it is handed out, and the download says so (`application/fhir+json; fhirVersion=4.3`). The
resources used (Patient, Goal, Observation, QuestionnaireResponse, Flag) have the same
elements in R4 (4.0.1), so an R4 system reads them too.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from bot.portal.pages import flag_words
from bot.store.models import Measure, SafetyFlag
from bot.store.patients import PatientRecord, PatientRow

SYSTEM = "urn:cocreate-coach"
PERSON_SYSTEM = f"{SYSTEM}:person"
GOAL_STATUS = {"active": "active", "stopped": "cancelled", "replaced": "cancelled"}
PREM = "prem"
FHIR_VERSION = "4.3"  # R4B: what Bundle.model_validate below checks
FHIR_CONTENT_TYPE = f"application/fhir+json; fhirVersion={FHIR_VERSION}"
BCP47 = "urn:ietf:bcp:47"
# The person's language (en or cy) as a BCP-47 tag: English and Welsh as used in the UK.
LANGUAGES = {"en": ("en-GB", "English"), "cy": ("cy-GB", "Welsh")}
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
# A formula starts a cell or follows a separator a spreadsheet may split on (comma, the
# semicolon of many European locales, tab), after any white space.
FORMULA = re.compile(r"(^|[,;\t])([ \t\r\n]*)([=+\-@])")


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula, in any locale: an apostrophe goes
    before each `=`, `+`, `-` or `@` that starts the cell or follows a `,`, `;` or tab."""
    neutral = FORMULA.sub(r"\1\2'\3", text)
    return "'" + neutral if text[:1] in ("\t", "\r") else neutral


def csv_text(header: list[str] | None, rows: Iterable[Iterable[Any]]) -> str:
    """CSV with every cell quoted (so `a;b` stays one cell where `;` separates) and
    neutralised (see `safe_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else _cell(value) for value in row])
    return buffer.getvalue()


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    return csv_text(header, rows)


def _cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return safe_cell(_iso(value) if isinstance(value, datetime) else str(value))


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
        seen = f"acknowledged {_iso(flag.acknowledged_at)} by staff {flag.acknowledged_by}"
        rows.append(
            [
                pid,
                "flag",
                flag.raised_at,
                f"{flag.category}:{flag.sign}",
                "acknowledged" if flag.acknowledged_at else "open",
                flag_words(flag.category, flag.sign)
                + (f"; {seen}" if flag.acknowledged_at else ""),
            ]
        )
    rows.extend(_ask3_rows(pid, record.ask3_lists or []))
    return _csv(PATIENT_HEADER, rows)


ASK3_QUESTIONS = (
    ("options", "What are my options?"),
    ("benefits_risks", "What are the possible benefits and risks?"),
    ("likelihood", "How likely are the benefits and risks?"),
)


def _ask3_rows(pid: int, lists: list[Any]) -> list[list[Any]]:
    """Each Ask 3 question list (bot.store.ask3.ListView) in the patient's own words: the
    list, each question, what matters to them, and the follow-up after the appointment."""
    rows: list[list[Any]] = []
    for item in lists:
        s = item.summary
        at = item.created_at
        ref = f"list {item.id}"
        rows.append([pid, "ask3_list", at, ref, s.appointment_on or "", s.decision])
        if s.options:
            rows.append([pid, "ask3_options_known", at, ref, "", s.options])
        for key, question in ASK3_QUESTIONS:
            if s.questions.get(key):
                rows.append([pid, "ask3_question", at, ref, question, s.questions[key]])
        for own in s.own_questions:
            rows.append([pid, "ask3_question", at, ref, "their own question", own])
        if s.matters:
            rows.append([pid, "ask3_matters", at, ref, "", s.matters])
        for f in item.follow_ups:
            rows.append(
                [
                    pid,
                    "ask3_follow_up",
                    f.answered_at,
                    ref,
                    f"got answers: {f.got_answers}",
                    f"decided: {f.decided}; involvement {f.involvement}/10",
                ]
            )
    return rows


def patients_csv(rows: list[PatientRow]) -> str:
    """A clinician's patient list."""
    return _csv(
        ["person_id", "label", "joined", "open_flags", "last_activity", "active_goals"],
        ([r.id, r.label, r.joined, r.flags, r.last_activity, r.goals] for r in rows),
    )


def language_coding(language: str) -> dict[str, Any]:
    """Patient.communication.language: a BCP-47 tag (en-GB, cy-GB)."""
    code, display = LANGUAGES.get(language, (language, language))
    return {"coding": [{"system": BCP47, "code": code, "display": display}], "text": display}


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
    """A FHIR R4B collection Bundle: Patient, Goals, Observations, QuestionnaireResponses
    (experience checks and Ask 3 question lists) and Flags."""
    person = record.person
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    subject = {"reference": patient_url}
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient_url,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": PERSON_SYSTEM, "value": str(person.id)}],
                "communication": [{"language": language_coding(person.language)}],
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
    entries.extend(_flag_entry(flag, subject) for flag in record.flags)
    for item in record.ask3_lists or []:
        entries.extend(_ask3_entries(item, subject))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _iso(datetime.now(UTC)),
        "entry": entries,
    }
    Bundle.model_validate(bundle)  # refuse to hand out anything that is not valid R4B
    return bundle


def _flag_entry(flag: SafetyFlag, subject: dict[str, Any]) -> dict[str, Any]:
    """A red flag as a FHIR Flag: active until a clinician acknowledged it."""
    period = {"start": _iso(flag.raised_at)}
    if flag.acknowledged_at:
        period["end"] = _iso(flag.acknowledged_at)
    return {
        "fullUrl": f"urn:uuid:{uuid.uuid4()}",
        "resource": {
            "resourceType": "Flag",
            "identifier": [{"system": f"{SYSTEM}:flag", "value": str(flag.id)}],
            "status": "inactive" if flag.acknowledged_at else "active",
            "category": [
                {"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}
            ],
            "code": {
                "coding": [
                    {"system": f"{SYSTEM}:flag-sign", "code": flag.sign},
                    {"system": f"{SYSTEM}:flag-category", "code": flag.category},
                ],
                "text": flag_words(flag.category, flag.sign),
            },
            "subject": subject,
            "period": period,
        },
    }


def _answer_item(link_id: str, text: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "text": text, "answer": [answer]}


def _ask3_entries(item: Any, subject: dict[str, Any]) -> list[dict[str, Any]]:
    """An Ask 3 question list as a QuestionnaireResponse in the patient's own words, and
    each follow-up after the appointment as another."""
    s = item.summary
    answers: list[dict[str, Any]] = [
        _answer_item("decision", "Decision", {"valueString": s.decision})
    ]
    if s.options:
        answers.append(
            _answer_item("options-known", "Options they know of", {"valueString": s.options})
        )
    for key, question in ASK3_QUESTIONS:
        if s.questions.get(key):
            answers.append(_answer_item(key, question, {"valueString": s.questions[key]}))
    for number, own in enumerate(s.own_questions, start=1):
        answers.append(
            _answer_item(f"own-question-{number}", "Their own question", {"valueString": own})
        )
    if s.matters:
        answers.append(
            _answer_item("matters", "What matters most to them", {"valueString": s.matters})
        )
    if s.appointment_on:
        answers.append(
            _answer_item("appointment", "Appointment", {"valueDate": s.appointment_on.isoformat()})
        )
    entries = [
        {
            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
            "resource": {
                "resourceType": "QuestionnaireResponse",
                "identifier": {"system": f"{SYSTEM}:ask3-list", "value": str(item.id)},
                "questionnaire": f"{SYSTEM}:questionnaire:ask3",
                "status": "completed",
                "subject": subject,
                "authored": _iso(item.created_at),
                "item": answers,
            },
        }
    ]
    for f in item.follow_ups:
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "identifier": {"system": f"{SYSTEM}:ask3-list", "value": str(item.id)},
                    "questionnaire": f"{SYSTEM}:questionnaire:ask3-follow-up",
                    "status": "completed",
                    "subject": subject,
                    "authored": _iso(f.answered_at),
                    "item": [
                        _answer_item(
                            "got-answers", "Got their answers", {"valueString": f.got_answers}
                        ),
                        _answer_item("decided", "Decided", {"valueString": f.decided}),
                        _answer_item(
                            "involvement", "Involvement (0-10)", {"valueInteger": f.involvement}
                        ),
                    ],
                },
            }
        )
    return entries
