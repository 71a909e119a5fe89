"""Plans, ratings, check-ins, problem-solving and measures in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from bot.scheduling import times
from bot.store import data_rights, goals
from bot.store.db import unit_of_work
from bot.store.models import (
    CheckinResult,
    ConfidenceRating,
    Measure,
    ProblemSolvingChoice,
    ScheduledMessage,
)
from tests.goals.conftest import at, enrol_in

NOW = at(2026, 1, 5, 9)  # Monday 09:00 GMT


def make_plan(url: str, sender: str, **overrides: object) -> goals.PlanView:
    args: dict[str, object] = {
        "activity": "walk",
        "amount": "10 minutes",
        "timing": "after lunch",
        "days_per_week": 4,
        "ratings": [(5, "if it rains"), (8, None)],
        "weekdays": frozenset({1, 3, 5}),
        "local_time": time(14, 0),
        "now": NOW,
    }
    args.update(overrides)
    with unit_of_work(url) as session:
        return goals.create_plan(session, sender, **args)  # type: ignore[arg-type]


def test_a_plan_keeps_every_rating_and_schedules_its_first_check_in_review_and_measures(
    db: str,
) -> None:
    sender = enrol_in(db, "web-a")
    plan = make_plan(db, sender)
    assert plan.summary == "walk 10 minutes after lunch"
    with unit_of_work(db) as session:
        ratings = session.execute(
            select(ConfidenceRating.rating, ConfidenceRating.round, ConfidenceRating.barrier)
            .where(ConfidenceRating.plan_id == plan.id)
            .order_by(ConfidenceRating.round)
        ).all()
        assert [tuple(r) for r in ratings] == [(5, 1, "if it rains"), (8, 2, None)]
        due = {
            (row.kind, times.aware(row.due_at))
            for row in session.scalars(
                select(ScheduledMessage).where(ScheduledMessage.status == "pending")
            )
        }
    assert due == {
        ("checkin", at(2026, 1, 5, 14)),
        ("review", at(2026, 1, 12, 14)),
        ("measures", at(2026, 1, 12, 14)),
        ("prem", at(2026, 2, 4, 14)),
    }


def test_three_active_plans_at_most_but_a_change_replaces_one(db: str) -> None:
    sender = enrol_in(db, "web-b")
    first = make_plan(db, sender)
    make_plan(db, sender, activity="swim")
    make_plan(db, sender, activity="stretch")
    with pytest.raises(goals.PlanLimitReached):
        make_plan(db, sender, activity="cycle")
    changed = make_plan(db, sender, activity="walk", amount="5 minutes", replaces=first.id)
    with unit_of_work(db) as session:
        plans = goals.active_plans(session, sender)
        assert [p.activity for p in plans] == ["swim", "stretch", "walk"]
        assert plans[-1].id == changed.id
        cancelled = session.scalar(
            select(func.count()).where(
                ScheduledMessage.plan_id == first.id, ScheduledMessage.status == "pending"
            )
        )
        assert cancelled == 0


def test_stop_plan_only_for_its_owner(db: str) -> None:
    owner, other = enrol_in(db, "web-c"), enrol_in(db, "web-d")
    plan = make_plan(db, owner)
    with unit_of_work(db) as session:
        assert not goals.stop_plan(session, other, plan.id)
        assert goals.stop_plan(session, owner, plan.id)
        assert goals.active_plans(session, owner) == []


def test_check_in_answers_count_missed_in_a_row_and_review_an_idea(db: str) -> None:
    sender = enrol_in(db, "web-e")
    plan = make_plan(db, sender)
    with unit_of_work(db) as session:
        first = goals.record_checkin(session, sender, "not_today", now=NOW)
        assert first is not None and first.missed_in_a_row == 1
        second = goals.record_checkin(session, sender, "not_today", now=NOW + timedelta(days=2))
        assert second is not None and second.missed_in_a_row == 2
        goals.save_problem_solving(
            session,
            sender,
            problem="too tired after work",
            ideas="walk at lunch; walk with a friend",
            chosen="walk at lunch",
            plan_id=plan.id,
            now=NOW + timedelta(days=2),
        )
    with unit_of_work(db) as session:
        third = goals.record_checkin(session, sender, "done", now=NOW + timedelta(days=4))
        assert third is not None
        assert (third.missed_in_a_row, third.tried_idea, third.idea_outcome) == (
            0,
            "walk at lunch",
            "worked",
        )
        assert goals.add_checkin_note(session, sender, "felt good")
        summary = goals.week_summary(session, sender, plan.id, now=NOW + timedelta(days=5))
        assert summary is not None
        assert (summary.done, summary.not_today, summary.planned) == (1, 2, 4)
        choice = session.scalars(select(ProblemSolvingChoice)).one()
        assert choice.outcome == "worked"
        assert session.scalar(select(func.count()).select_from(CheckinResult)) == 3


def test_an_answer_to_someone_elses_check_in_is_not_recorded_against_their_plan(db: str) -> None:
    owner, other = enrol_in(db, "web-f"), enrol_in(db, "web-g")
    make_plan(db, owner)
    with unit_of_work(db) as session:
        row_id = session.scalar(
            select(ScheduledMessage.id).where(ScheduledMessage.kind == "checkin")
        )
        assert goals.record_checkin(session, other, "done", checkin_id=row_id) is None


def test_measures_keep_item_versions_and_erasure_removes_everything(db: str) -> None:
    sender = enrol_in(db, "web-h")
    make_plan(db, sender)
    with unit_of_work(db) as session:
        goals.record_measures(
            session,
            sender,
            "weekly",
            {"health": 6, "confidence": 7},
            {"health": "1", "confidence": "1"},
        )
        goals.record_checkin(session, sender, "done")
    with unit_of_work(db) as session:
        rows = session.execute(select(Measure.item, Measure.item_version, Measure.value)).all()
        assert sorted(tuple(r) for r in rows) == [("confidence", "1", 7), ("health", "1", 6)]
        data_rights.erase_person(session, sender)
    with unit_of_work(db) as session:
        for model in (Measure, ScheduledMessage, CheckinResult, ConfidenceRating):
            assert session.scalar(select(func.count()).select_from(model)) == 0
