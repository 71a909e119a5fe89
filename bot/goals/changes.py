"""Changing one detail of a saved plan ("change the time", "can we do different days").

A changed plan replaces the old one (bot.store.goals.create_plan with `replaces`), so the
history keeps both; the check-in schedule starts again from the new one. Changing only when
the coach checks in keeps the last confidence rating: the plan itself is the same.
"""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.goals import confidence
from bot.store import goals, people
from bot.store.models import ConfidenceRating


def last_rating(session: Session, sender_id: str, plan_id: int) -> int | None:
    """The plan's last confidence rating, if it has one."""
    person = people.find_person(session, sender_id)
    if person is None:
        return None
    rating: int | None = session.scalar(
        select(ConfidenceRating.rating)
        .where(ConfidenceRating.person_id == person.id, ConfidenceRating.plan_id == plan_id)
        .order_by(ConfidenceRating.id.desc())
        .limit(1)
    )
    return rating


def change_schedule(
    session: Session,
    sender_id: str,
    plan_id: int,
    *,
    weekdays: frozenset[int] | None = None,
    local_time: time | None = None,
) -> goals.PlanView | None:
    """The plan with new check-in days or time, replacing the old one; None if it is not one
    of the person's active plans."""
    plan = goals.find_active_plan(session, sender_id, plan_id)
    if plan is None:
        return None
    rating = last_rating(session, sender_id, plan_id)
    at = local_time or _clock(plan.local_time)
    return goals.create_plan(
        session,
        sender_id,
        activity=plan.activity,
        amount=plan.amount,
        timing=plan.timing,
        days_per_week=plan.days_per_week,
        ratings=[] if rating is None else [(rating, None)],
        weekdays=weekdays or plan.weekdays,
        local_time=at,
        replaces=plan.id,
    )


def form_slots(plan: goals.PlanView, rating: int | None, keep_rating: bool) -> dict[str, object]:
    """The plan form's slots filled from a saved plan, for changing one detail of it."""
    slots: dict[str, object] = {
        "plan_activity": plan.activity,
        "plan_amount": plan.amount,
        "plan_timing": plan.timing,
        "plan_days": str(plan.days_per_week),
        "checkin_days": ",".join(str(d) for d in sorted(plan.weekdays)) or None,
        "checkin_time": plan.local_time,
        "plan_ratings": [],
        "plan_confidence": None,
    }
    if keep_rating and rating is not None:
        slots["plan_ratings"] = confidence.kept(rating)
        slots["plan_confidence"] = str(rating)
    return slots


def _clock(value: str | None) -> time:
    hours, _, minutes = (value or "18:00").partition(":")
    return time(int(hours), int(minutes or 0))
