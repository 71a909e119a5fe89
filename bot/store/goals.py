"""Repository functions for action plans, confidence, check-ins, problem-solving and measures.

Every function takes a session inside a unit of work (`bot.store.db.unit_of_work`) and a
sender id; plans belong to the person behind it, and ids from button payloads are only
ever used together with that person, never trusted alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.scheduling import times
from bot.scheduling.messages import checkin_version
from bot.store import people
from bot.store.models import (
    ActionPlan,
    ChannelIdentity,
    CheckinResult,
    CheckinSchedule,
    ConfidenceRating,
    Measure,
    Person,
    ProblemSolvingChoice,
    ScheduledMessage,
    utcnow,
)

MAX_ACTIVE_PLANS = 3
ACTIVE, STOPPED, REPLACED = "active", "stopped", "replaced"
OUTCOMES = ("done", "partly", "not_today")
CHECKIN, REVIEW, MEASURES, PREM = "checkin", "review", "measures", "prem"
PENDING = "pending"
# Missed check-ins in a row after which problem-solving is offered.
MISSED_IN_A_ROW = 2
REVIEW_EVERY = 7
MEASURES_EVERY = 7
PREM_EVERY = 30
# An answer without a check-in id belongs to a check-in sent this recently.
ANSWER_WINDOW = timedelta(hours=24)


class PlanLimitReached(Exception):
    """The person already has the maximum number of active plans."""


@dataclass(frozen=True)
class PlanView:
    """An action plan as the dialogue shows it."""

    id: int
    activity: str
    amount: str
    timing: str
    days_per_week: int
    status: str
    weekdays: frozenset[int]
    local_time: str | None

    @property
    def summary(self) -> str:
        """ "walk 10 minutes after lunch": the words the person used, in order."""
        return describe(self.activity, self.amount, self.timing)


@dataclass(frozen=True)
class CheckinAnswer:
    """What recording a check-in answer found out, for the reply."""

    plan: PlanView
    outcome: str
    missed_in_a_row: int
    # The problem-solving idea being tried for this plan, and whether it now seems to work.
    tried_idea: str | None
    idea_outcome: str | None


@dataclass(frozen=True)
class WeekSummary:
    """The last seven days of one plan."""

    plan: PlanView
    done: int
    partly: int
    not_today: int
    planned: int


def describe(activity: str, amount: str, timing: str) -> str:
    """The plan in the person's own words."""
    return " ".join(part.strip() for part in (activity, amount, timing) if part and part.strip())


def _person(session: Session, sender_id: str) -> Person:
    return people.ensure_person(session, sender_id, channel="rest")


def _view(plan: ActionPlan, schedule: CheckinSchedule | None) -> PlanView:
    return PlanView(
        id=plan.id,
        activity=plan.activity,
        amount=plan.amount,
        timing=plan.timing,
        days_per_week=plan.days_per_week,
        status=plan.status,
        weekdays=times.weekday_set(schedule.weekdays) if schedule else frozenset(),
        local_time=schedule.local_time if schedule else None,
    )


def _schedule_of(session: Session, plan_id: int) -> CheckinSchedule | None:
    return session.scalars(
        select(CheckinSchedule)
        .where(CheckinSchedule.plan_id == plan_id)
        .order_by(CheckinSchedule.id.desc())
        .limit(1)
    ).one_or_none()


def _own_plan(session: Session, person_id: int, plan_id: int) -> ActionPlan | None:
    return session.scalars(
        select(ActionPlan).where(ActionPlan.id == plan_id, ActionPlan.person_id == person_id)
    ).one_or_none()


def active_plans(session: Session, sender_id: str) -> list[PlanView]:
    """The person's active plans, oldest first."""
    person = people.find_person(session, sender_id)
    if person is None:
        return []
    plans = session.scalars(
        select(ActionPlan)
        .where(ActionPlan.person_id == person.id, ActionPlan.status == ACTIVE)
        .order_by(ActionPlan.id)
    )
    return [_view(plan, _schedule_of(session, plan.id)) for plan in plans]


def insert_due(
    session: Session,
    *,
    person_id: int,
    kind: str,
    ref_id: int,
    due_at: datetime,
    plan_id: int | None = None,
    quiet_ok: bool = False,
) -> None:
    """Add a due message unless the same (kind, ref, instant) exists, even under a race."""
    values = {
        "person_id": person_id,
        "plan_id": plan_id,
        "kind": kind,
        "ref_id": ref_id,
        "due_at": due_at,
        "quiet_ok": quiet_ok,
        "status": PENDING,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ScheduledMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "ref_id", "due_at"])
    )


def _system_time(schedule: CheckinSchedule | None) -> time:
    """Reviews and measures go at the person's check-in time unless that is in quiet hours."""
    if schedule is not None:
        chosen = times.parse_hhmm(schedule.local_time)
        if not (chosen >= times.QUIET_START or chosen < times.QUIET_END):
            return chosen
    return times.DEFAULT_LOCAL_TIME


def schedule_next_checkin(session: Session, schedule: CheckinSchedule, after: datetime) -> None:
    """The schedule's next check-in after `after` (a time the person chose: quiet hours ok)."""
    due = times.next_weekly(
        after,
        times.weekday_set(schedule.weekdays),
        times.parse_hhmm(schedule.local_time),
        schedule.timezone,
    )
    insert_due(
        session,
        person_id=schedule.person_id,
        kind=CHECKIN,
        ref_id=schedule.id,
        plan_id=schedule.plan_id,
        due_at=due,
        quiet_ok=True,
    )


def _has_pending(session: Session, person_id: int, kind: str) -> bool:
    found = session.scalar(
        select(ScheduledMessage.id)
        .where(
            ScheduledMessage.person_id == person_id,
            ScheduledMessage.kind == kind,
            ScheduledMessage.status == PENDING,
        )
        .limit(1)
    )
    return found is not None


def schedule_follow_up(
    session: Session, kind: str, person_id: int, plan_id: int | None, after: datetime
) -> None:
    """The next review (per plan), weekly measures or monthly PREM (per person)."""
    schedule = _schedule_of(session, plan_id) if plan_id is not None else None
    if schedule is None:
        schedule = session.scalars(
            select(CheckinSchedule)
            .where(CheckinSchedule.person_id == person_id, CheckinSchedule.active.is_(True))
            .order_by(CheckinSchedule.id.desc())
            .limit(1)
        ).one_or_none()
    zone = schedule.timezone if schedule else times.DEFAULT_TIMEZONE
    at = _system_time(schedule)
    if kind == REVIEW and plan_id is not None:
        due = times.local_day_plus(after, REVIEW_EVERY, at, zone)
        insert_due(
            session, person_id=person_id, kind=REVIEW, ref_id=plan_id, plan_id=plan_id, due_at=due
        )
    elif kind in (MEASURES, PREM) and not _has_pending(session, person_id, kind):
        every = MEASURES_EVERY if kind == MEASURES else PREM_EVERY
        due = times.local_day_plus(after, every, at, zone)
        insert_due(session, person_id=person_id, kind=kind, ref_id=person_id, due_at=due)


def _end_plan(session: Session, plan: ActionPlan, status: str, now: datetime) -> None:
    plan.status = status
    plan.ended_at = now
    session.execute(
        update(CheckinSchedule).where(CheckinSchedule.plan_id == plan.id).values(active=False)
    )
    session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.plan_id == plan.id, ScheduledMessage.status == PENDING)
        .values(status="cancelled")
    )


def create_plan(
    session: Session,
    sender_id: str,
    *,
    activity: str,
    amount: str,
    timing: str,
    days_per_week: int,
    ratings: Iterable[tuple[int, str | None]],
    weekdays: frozenset[int],
    local_time: time,
    timezone: str = times.DEFAULT_TIMEZONE,
    replaces: int | None = None,
    now: datetime | None = None,
) -> PlanView:
    """Save a plan, every confidence rating given for it, its check-in schedule and the
    first check-in, review and measures. Raises PlanLimitReached at three active plans
    (a plan that replaces another does not count against the limit)."""
    now = now or utcnow()
    person = _person(session, sender_id)
    old = _own_plan(session, person.id, replaces) if replaces is not None else None
    if old is not None and old.status != ACTIVE:
        old = None
    active = session.scalar(
        select(func.count(ActionPlan.id)).where(
            ActionPlan.person_id == person.id, ActionPlan.status == ACTIVE
        )
    )
    if (active or 0) - (1 if old else 0) >= MAX_ACTIVE_PLANS:
        raise PlanLimitReached(sender_id)
    if old is not None:
        _end_plan(session, old, REPLACED, now)
    plan = ActionPlan(
        person_id=person.id,
        activity=activity.strip()[:200],
        amount=amount.strip()[:120],
        timing=timing.strip()[:120],
        days_per_week=days_per_week,
        status=ACTIVE,
        replaces_id=old.id if old else None,
        created_at=now,
        renewed_at=now,
    )
    session.add(plan)
    session.flush()
    for number, (rating, barrier) in enumerate(ratings, start=1):
        session.add(
            ConfidenceRating(
                person_id=person.id,
                plan_id=plan.id,
                rating=rating,
                round=number,
                barrier=barrier,
                rated_at=now,
            )
        )
    schedule = CheckinSchedule(
        person_id=person.id,
        plan_id=plan.id,
        weekdays=",".join(str(d) for d in sorted(weekdays)),
        local_time=local_time.strftime("%H:%M"),
        timezone=timezone,
        active=True,
        created_at=now,
    )
    session.add(schedule)
    session.flush()
    schedule_next_checkin(session, schedule, now)
    schedule_follow_up(session, REVIEW, person.id, plan.id, now)
    schedule_follow_up(session, MEASURES, person.id, plan.id, now)
    schedule_follow_up(session, PREM, person.id, plan.id, now)
    return _view(plan, schedule)


def stop_plan(session: Session, sender_id: str, plan_id: int, now: datetime | None = None) -> bool:
    """Stop one of the person's active plans and its check-ins; False if there is none."""
    person = people.find_person(session, sender_id)
    plan = _own_plan(session, person.id, plan_id) if person else None
    if plan is None or plan.status != ACTIVE:
        return False
    _end_plan(session, plan, STOPPED, now or utcnow())
    return True


def find_active_plan(session: Session, sender_id: str, plan_id: int) -> PlanView | None:
    """One of the person's active plans by id."""
    person = people.find_person(session, sender_id)
    plan = _own_plan(session, person.id, plan_id) if person else None
    if plan is None or plan.status != ACTIVE:
        return None
    return _view(plan, _schedule_of(session, plan.id))


def renew_plan(session: Session, sender_id: str, plan_id: int, now: datetime | None = None) -> bool:
    """Keep the plan for another week; the next review comes in seven days."""
    now = now or utcnow()
    person = people.find_person(session, sender_id)
    plan = _own_plan(session, person.id, plan_id) if person else None
    if plan is None or plan.status != ACTIVE:
        return False
    plan.renewed_at = now
    session.execute(
        update(ScheduledMessage)
        .where(
            ScheduledMessage.plan_id == plan.id,
            ScheduledMessage.kind == REVIEW,
            ScheduledMessage.status == PENDING,
        )
        .values(status="cancelled")
    )
    schedule_follow_up(session, REVIEW, plan.person_id, plan.id, now)
    return True


def _checkin_row(
    session: Session, person_id: int, checkin_id: int | None, now: datetime
) -> ScheduledMessage | None:
    query = select(ScheduledMessage).where(
        ScheduledMessage.person_id == person_id,
        ScheduledMessage.kind == CHECKIN,
        ScheduledMessage.status.in_(("claimed", "sent")),
    )
    if checkin_id is not None:
        return session.scalars(query.where(ScheduledMessage.id == checkin_id)).one_or_none()
    return session.scalars(
        query.where(ScheduledMessage.due_at >= now - ANSWER_WINDOW)
        .order_by(ScheduledMessage.due_at.desc())
        .limit(1)
    ).one_or_none()


def record_checkin(
    session: Session,
    sender_id: str,
    outcome: str,
    *,
    checkin_id: int | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> CheckinAnswer | None:
    """Record Done / Partly / Not today for a check-in (the id from its button, else the
    latest check-in of the last day, else the person's only plan). Answering the same
    check-in twice keeps the later answer. None when there is no plan to record against."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    now = now or utcnow()
    person = people.find_person(session, sender_id)
    if person is None:
        return None
    row = _checkin_row(session, person.id, checkin_id, now)
    plan: ActionPlan | None = None
    if row is not None and row.plan_id is not None:
        plan = _own_plan(session, person.id, row.plan_id)
    if plan is None:
        plans = list(
            session.scalars(
                select(ActionPlan).where(
                    ActionPlan.person_id == person.id, ActionPlan.status == ACTIVE
                )
            )
        )
        if len(plans) != 1:
            return None
        plan, row = plans[0], None
    result = None
    if row is not None:
        result = session.scalars(
            select(CheckinResult).where(CheckinResult.scheduled_message_id == row.id)
        ).one_or_none()
    if result is None:
        result = CheckinResult(
            person_id=person.id,
            plan_id=plan.id,
            scheduled_message_id=row.id if row else None,
            outcome=outcome,
            note=note,
            answered_at=now,
            content_version=checkin_version(),
        )
        session.add(result)
    else:
        result.outcome, result.answered_at = outcome, now
        if note:
            result.note = note
    session.flush()
    recent = list(
        session.scalars(
            select(CheckinResult.outcome)
            .where(CheckinResult.plan_id == plan.id)
            .order_by(CheckinResult.answered_at.desc(), CheckinResult.id.desc())
            .limit(MISSED_IN_A_ROW)
        )
    )
    missed = 0
    for earlier in recent:
        if earlier != "not_today":
            break
        missed += 1
    tried = session.scalars(
        select(ProblemSolvingChoice)
        .where(
            ProblemSolvingChoice.plan_id == plan.id,
            ProblemSolvingChoice.outcome.is_(None),
            ProblemSolvingChoice.created_at <= now,
        )
        .order_by(ProblemSolvingChoice.id.desc())
        .limit(1)
    ).one_or_none()
    idea_outcome = None
    if tried is not None:
        idea_outcome = "not_worked" if outcome == "not_today" else "worked"
        tried.outcome, tried.reviewed_at = idea_outcome, now
    return CheckinAnswer(
        plan=_view(plan, _schedule_of(session, plan.id)),
        outcome=outcome,
        missed_in_a_row=missed,
        tried_idea=tried.chosen if tried else None,
        idea_outcome=idea_outcome,
    )


def add_checkin_note(session: Session, sender_id: str, note: str) -> bool:
    """Attach a note to the person's latest check-in answer."""
    person = people.find_person(session, sender_id)
    if person is None:
        return False
    result = session.scalars(
        select(CheckinResult)
        .where(CheckinResult.person_id == person.id)
        .order_by(CheckinResult.id.desc())
        .limit(1)
    ).one_or_none()
    if result is None:
        return False
    result.note = note.strip()[:1000]
    return True


def week_summary(
    session: Session, sender_id: str, plan_id: int, now: datetime | None = None
) -> WeekSummary | None:
    """How many of the planned days in the last seven were done, partly done or not."""
    now = now or utcnow()
    plan = find_active_plan(session, sender_id, plan_id)
    if plan is None:
        return None
    rows = session.scalars(
        select(CheckinResult.outcome).where(
            CheckinResult.plan_id == plan_id, CheckinResult.answered_at > now - timedelta(days=7)
        )
    )
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in rows:
        counts[outcome] = counts.get(outcome, 0) + 1
    return WeekSummary(
        plan=plan,
        done=counts["done"],
        partly=counts["partly"],
        not_today=counts["not_today"],
        planned=plan.days_per_week,
    )


def latest_plan_needing_help(session: Session, sender_id: str) -> PlanView | None:
    """The plan whose latest check-in was missed, else the newest active plan."""
    person = people.find_person(session, sender_id)
    if person is None:
        return None
    latest = session.scalars(
        select(CheckinResult)
        .join(ActionPlan, ActionPlan.id == CheckinResult.plan_id)
        .where(CheckinResult.person_id == person.id, ActionPlan.status == ACTIVE)
        .order_by(CheckinResult.id.desc())
        .limit(1)
    ).one_or_none()
    plans = active_plans(session, sender_id)
    if latest is not None:
        for plan in plans:
            if plan.id == latest.plan_id:
                return plan
    return plans[-1] if plans else None


def save_problem_solving(
    session: Session,
    sender_id: str,
    *,
    problem: str,
    ideas: str,
    chosen: str,
    plan_id: int | None,
    now: datetime | None = None,
) -> None:
    """Keep the problem, the ideas listed and the one picked, to check at the next check-in."""
    person = _person(session, sender_id)
    if plan_id is not None and _own_plan(session, person.id, plan_id) is None:
        plan_id = None
    session.add(
        ProblemSolvingChoice(
            person_id=person.id,
            plan_id=plan_id,
            problem=problem.strip()[:1000],
            ideas=ideas.strip()[:2000],
            chosen=chosen.strip()[:1000],
            created_at=now or utcnow(),
        )
    )


def accept_unsolved(session: Session, sender_id: str, now: datetime | None = None) -> bool:
    """The person accepts that the latest problem may not be solvable now."""
    person = people.find_person(session, sender_id)
    if person is None:
        return False
    choice = session.scalars(
        select(ProblemSolvingChoice)
        .where(ProblemSolvingChoice.person_id == person.id)
        .order_by(ProblemSolvingChoice.id.desc())
        .limit(1)
    ).one_or_none()
    if choice is None:
        return False
    choice.outcome, choice.reviewed_at = "accepted", now or utcnow()
    return True


def record_measures(
    session: Session,
    sender_id: str,
    instrument: str,
    values: Mapping[str, int],
    versions: Mapping[str, str],
    now: datetime | None = None,
) -> None:
    """Keep one measure row per item, with the version of the item's wording."""
    person = _person(session, sender_id)
    at = now or utcnow()
    for item, value in values.items():
        session.add(
            Measure(
                person_id=person.id,
                instrument=instrument,
                item=item,
                item_version=versions[item],
                value=value,
                recorded_at=at,
            )
        )


def set_reminders_paused(session: Session, sender_id: str, paused: bool) -> None:
    """Pause or resume proactive messages on every channel the person uses."""
    person = _person(session, sender_id)
    session.execute(
        update(ChannelIdentity).where(ChannelIdentity.person_id == person.id).values(paused=paused)
    )


def reminders_paused(session: Session, person_id: int) -> bool:
    """Whether the person paused reminders (on any of their channels)."""
    found = session.scalar(
        select(ChannelIdentity.id)
        .where(ChannelIdentity.person_id == person_id, ChannelIdentity.paused.is_(True))
        .limit(1)
    )
    return found is not None
