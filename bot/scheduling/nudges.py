"""Re-engagement nudges (issue 10): after 7 days of silence, one gentle message offering
the menu or the person's current goal.

Rules: at most one nudge a week; after 3 unanswered nudges, none until the person writes
again; any inbound message resets the unanswered count; the person can turn nudges off
(and on); quiet hours are respected; and the scheduler's own checks apply (consent, an
active channel, reminders not paused).

"Silence" is measured from the person's last inbound turn: every turn through the gateway
moves `conversations.last_activity_at` (bot.store.people.touch_conversation). So the count
of unanswered nudges needs no hook in the turn path: a nudge is answered when the person
has written since it was sent (`last_activity_at > nudge_states.last_nudged_at`).

Each scheduler round, `plan_due` adds a `nudge` row (ref_id: the person), due now, for each
person who qualifies and whose local time is outside quiet hours, in a short transaction of
its own (one planner at a time on PostgreSQL), so every replica can then claim the rows; the
scheduler claims them like any other row and `prepare` re-checks the rules under a row lock
on the person's nudge state, so two gateway replicas never send two nudges.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.cohorts import messages as assignment_messages
from bot.feedback import content
from bot.scheduling import times
from bot.store import goals, people
from bot.store.models import ActionPlan, Conversation, NudgeState, Person, ScheduledMessage

NUDGE = "nudge"
SILENCE = timedelta(days=7)
EVERY = timedelta(days=7)
MAX_UNANSWERED = 3
# Skip reasons (scheduled_messages.skip_reason) for a nudge that is no longer due.
OFF, ACTIVE, LIMIT, TOO_SOON = "nudges_off", "active_again", "nudge_limit", "nudged_recently"
BATCH = 200
PLANNING_LOCK = 0x6E75646765  # "nudge": the advisory lock key of the planner


def _last_inbound() -> Any:
    """Each person's last inbound turn, as a subquery (person_id, at)."""
    return (
        select(Conversation.person_id, func.max(Conversation.last_activity_at).label("at"))
        .group_by(Conversation.person_id)
        .subquery()
    )


def last_inbound(session: Session, person: Person) -> datetime:
    """When the person last wrote (their enrolment if never)."""
    at = session.scalar(
        select(func.max(Conversation.last_activity_at)).where(Conversation.person_id == person.id)
    )
    return times.aware(at if at is not None else person.created_at)


def candidates(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """People who qualify for a nudge now, before quiet hours: consented, silent for 7
    days, nudges on, under the unanswered limit (or answered since), none in the last
    week, and no nudge already waiting or held back for this silence."""
    last = _last_inbound()
    silent_since = func.coalesce(last.c.at, Person.created_at)
    waiting = exists().where(
        ScheduledMessage.kind == NUDGE,
        ScheduledMessage.ref_id == Person.id,
        ScheduledMessage.created_at > silent_since,
        or_(
            NudgeState.last_nudged_at.is_(None),
            ScheduledMessage.created_at > NudgeState.last_nudged_at,
        ),
        or_(
            ScheduledMessage.status == goals.PENDING,
            ScheduledMessage.skip_reason == "no_contact",
        ),
    )
    query = (
        select(Person.id)
        .outerjoin(last, last.c.person_id == Person.id)
        .outerjoin(NudgeState, NudgeState.person_id == Person.id)
        .where(
            Person.consent == people.CONSENT_GIVEN,
            silent_since <= now - SILENCE,
            or_(NudgeState.nudges_off.is_(None), NudgeState.nudges_off.is_(False)),
            or_(NudgeState.last_nudged_at.is_(None), NudgeState.last_nudged_at <= now - EVERY),
            or_(
                NudgeState.unanswered.is_(None),
                NudgeState.unanswered < MAX_UNANSWERED,
                silent_since > NudgeState.last_nudged_at,
            ),
            ~waiting,
        )
        .order_by(Person.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _planning_lock(session: Session) -> bool:
    """On PostgreSQL, one planner at a time (a transaction-scoped advisory lock); the
    others skip planning for the round instead of planning the same people twice."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(PLANNING_LOCK))))


def plan_due(session: Session, now: datetime) -> int:
    """Add a nudge row, due now, for each person who qualifies and is not in quiet hours.

    Returns how many were added."""
    if not _planning_lock(session):
        return 0  # another scheduler is planning this round
    added = 0
    insert = _insert(session)
    for person_id in candidates(session, now):
        if times.in_quiet_hours(now, assignment_messages.zone_of(session, person_id)):
            continue  # planned on the first round after 08:00 local
        session.execute(
            insert(ScheduledMessage)
            .values(
                person_id=person_id,
                plan_id=None,
                kind=NUDGE,
                ref_id=person_id,
                due_at=now,
                quiet_ok=False,
                status=goals.PENDING,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["kind", "ref_id", "due_at"])
        )
        added += 1
    if added:
        session.flush()
    return added


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _locked_state(session: Session, person_id: int) -> NudgeState:
    """The person's nudge state, created if new, and locked until the transaction ends
    (PostgreSQL), so a second scheduler waits and then sees this one's nudge."""
    session.execute(
        _insert(session)(NudgeState)
        .values(person_id=person_id, nudges_off=False, unanswered=0)
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    return session.scalars(
        select(NudgeState)
        .where(NudgeState.person_id == person_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _current_plan(session: Session, person_id: int) -> str | None:
    plan = session.scalars(
        select(ActionPlan)
        .where(ActionPlan.person_id == person_id, ActionPlan.status == goals.ACTIVE)
        .order_by(ActionPlan.id.desc())
        .limit(1)
    ).one_or_none()
    return None if plan is None else goals.describe(plan.activity, plan.amount, plan.timing)


def prepare(
    session: Session, row: ScheduledMessage, person: Person, now: datetime
) -> list[dict[str, Any]] | str:
    """The nudge to send for a due row, counted as sent; or why to skip it."""
    state = _locked_state(session, person.id)
    heard = last_inbound(session, person)
    last_nudged = times.aware(state.last_nudged_at) if state.last_nudged_at else None
    if last_nudged is not None and heard > last_nudged:
        state.unanswered = 0  # they have written since the last nudge
    if state.nudges_off:
        return OFF
    if now - heard < SILENCE:
        return ACTIVE
    if last_nudged is not None and now - last_nudged < EVERY:
        return TOO_SOON
    if state.unanswered >= MAX_UNANSWERED:
        return LIMIT
    state.unanswered += 1
    state.last_nudged_at = now
    return content.nudge(person.language, _current_plan(session, person.id))


def unanswered(session: Session, person_id: int) -> int:
    """How many nudges in a row the person has not answered (0 once they have written)."""
    state = session.get(NudgeState, person_id)
    if state is None or state.last_nudged_at is None:
        return 0
    person = session.get(Person, person_id)
    assert person is not None
    heard = last_inbound(session, person)
    return 0 if heard > times.aware(state.last_nudged_at) else state.unanswered
