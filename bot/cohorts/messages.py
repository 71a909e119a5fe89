"""Assignment messages and reminders, rendered from data/content/assignments.yml.

The scheduler calls `prepare` for its "assignment" and "assign_reminder" rows: the messages
in the person's language with one button whose payload starts the dialogue through the
engine, or the reason to skip (the task is gone, or it is already done).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cohorts import completion
from bot.content.system import CONTENT_DIR
from bot.content.teachback import find_module
from bot.scheduling import times
from bot.store import cohorts
from bot.store.models import Assignment, CheckinSchedule, ScheduledMessage

ASSIGNMENT, REMINDER = cohorts.MESSAGE, cohorts.REMINDER
KINDS = (ASSIGNMENT, REMINDER)
# The intent each kind of assignment starts, and the entity that names its item.
START_INTENTS = {
    cohorts.TEACHBACK: "start_teach_back",
    cohorts.ACTION_PLAN: "start_action_plan",
    cohorts.ASK3_REHEARSAL: "start_ask3_rehearsal",
}
ITEM_ENTITY = {cohorts.TEACHBACK: "teachback_module"}
GONE, DONE, PAST_DUE = "task_gone", "done", "past_due"
RETRY_AFTER = timedelta(minutes=15)


@functools.cache
def _content() -> dict[str, Any]:
    with (CONTENT_DIR / "assignments.yml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _text(entry: dict[str, Any], language: str) -> Any:
    return entry.get(language) or entry["en"]


def due_date(instant: datetime, language: str, zone: str = times.DEFAULT_TIMEZONE) -> str:
    """ "Friday 4 December" (or "Dydd Gwener 4 Rhagfyr"), in local time."""
    content = _content()
    local = times.aware(instant).astimezone(ZoneInfo(zone))
    weekday = _text(content["weekdays"], language)[local.weekday()]
    month = _text(content["months"], language)[local.month - 1]
    return f"{weekday} {local.day} {month}"


def start_payload(assignment: Assignment) -> str:
    """The button's payload: `/start_teach_back{"teachback_module":"inhaler"}` and the like."""
    intent = START_INTENTS[assignment.kind]
    entity = ITEM_ENTITY.get(assignment.kind)
    if entity and assignment.item:
        return f"/{intent}{json.dumps({entity: assignment.item}, separators=(',', ':'))}"
    return f"/{intent}"


def render(message_kind: str, assignment: Assignment, language: str) -> list[dict[str, Any]]:
    """The assignment message (or its reminder) in `language`, with its start button."""
    content = _content()
    section = "reminder" if message_kind == cohorts.REMINDER else "assignment"
    module = find_module(assignment.item) if assignment.item else None
    title = module.title.in_language(language) if module else ""
    text = _text(content[section][assignment.kind], language).format(
        title=title, due=due_date(assignment.due_at, language)
    )
    button = _text(content["buttons"][assignment.kind], language)
    return [{"text": text, "buttons": [{"title": button, "payload": start_payload(assignment)}]}]


def zone_of(session: Session, person_id: int) -> str:
    """The person's timezone, for quiet hours: their newest active check-in schedule's."""
    zone = session.scalar(
        select(CheckinSchedule.timezone)
        .where(CheckinSchedule.person_id == person_id, CheckinSchedule.active.is_(True))
        .order_by(CheckinSchedule.id.desc())
        .limit(1)
    )
    return zone or times.DEFAULT_TIMEZONE


def retry_at(session: Session, row: ScheduledMessage, now: datetime) -> datetime | None:
    """When to try an assignment message again for someone who may not be contacted yet (no
    consent given yet, reminders paused); None once its due date has passed or it is gone."""
    found = cohorts.task_with_assignment(session, row.ref_id)
    if found is None or times.aware(found[1].due_at) <= now + RETRY_AFTER:
        return None
    return now + RETRY_AFTER


def prepare(
    session: Session, row: ScheduledMessage, language: str, now: datetime
) -> list[dict[str, Any]] | str:
    """What to send for a due assignment row, or why to skip it."""
    found = cohorts.task_with_assignment(session, row.ref_id)
    if found is None:
        return GONE
    task, assignment = found
    if times.aware(assignment.due_at) <= now:
        return PAST_DUE
    completion.refresh(session, [(assignment, task)])
    if task.completed_at is not None:
        return DONE
    return render(row.kind, assignment, language)
