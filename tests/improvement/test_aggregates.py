"""Service-level aggregates on SQLite and PostgreSQL: goals, measures, Ask 3, engagement,
each with small numbers suppressed, and run-chart signals over weekly points."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.content import versions
from bot.improvement import aggregates
from bot.improvement.aggregates import Metric, week_of
from bot.store.db import unit_of_work
from bot.store.models import (
    ActionPlan,
    Ask3FollowUp,
    Ask3List,
    CheckinResult,
    ConfidenceRating,
    Measure,
    Person,
    ScheduledMessage,
    utcnow,
)

NOW = utcnow()


def person(session: Session, name: str, enrolled: datetime = NOW) -> int:
    row = Person(sender_id=f"agg-{name}", consent="given", created_at=enrolled)
    session.add(row)
    session.flush()
    return row.id


def follow_up(session: Session, person_id: int, got: str, involvement: int, at: datetime) -> None:
    listed = Ask3List(person_id=person_id, language="en", decision="knee", options="a, b",
                      q_options="", q_benefits_risks="", q_likelihood="", created_at=at)  # fmt: skip
    session.add(listed)
    session.flush()
    session.add(Ask3FollowUp(person_id=person_id, list_id=listed.id, got_answers=got,
                             decided="not yet", involvement=involvement, answered_at=at))  # fmt: skip


def metric(url: str, key: str) -> Metric:
    with unit_of_work(url) as session:
        [found] = [m for m in aggregates.metrics(session, NOW) if m.key == key]
    return found


def shown(found: Metric) -> list[tuple[str, int, str]]:
    return [(p.week.isoformat(), p.patients, p.shown(found.unit)) for p in found.points]


def test_ask3_answers_and_involvement_with_a_week_too_small_to_show(db: str) -> None:
    last_week, this_week = NOW - timedelta(days=7), NOW
    with unit_of_work(db) as session:
        for i, (got, score) in enumerate([("yes", 8), ("yes", 6), ("yes", 9), ("partly", 4),
                                          ("no", 3)]):  # fmt: skip
            follow_up(session, person(session, f"a{i}"), got, score, last_week)
        for i in range(4):
            follow_up(session, person(session, f"b{i}"), "yes", 10, this_week)
    weeks = (week_of(last_week).isoformat(), week_of(this_week).isoformat())
    assert shown(metric(db, "ask3:answers")) == [(weeks[0], 5, "60%"), (weeks[1], 4, "<5")]
    assert shown(metric(db, "ask3:involvement")) == [(weeks[0], 5, "6.0"), (weeks[1], 4, "<5")]
    # A suppressed week is a gap on the run chart, not a point.
    assert metric(db, "ask3:answers").chart.values == (0.6, None)


def test_confidence_counts_each_plans_last_rating_and_checkins_answered(db: str) -> None:
    at = NOW - timedelta(days=1)
    with unit_of_work(db) as session:
        finals = []
        for i, ratings in enumerate([[8], [7], [5, 7], [3], [9]]):
            who = person(session, f"c{i}")
            plan = ActionPlan(person_id=who, activity="walk", amount="10 min", timing="lunch",
                              days_per_week=3)  # fmt: skip
            session.add(plan)
            session.flush()
            for round_, rating in enumerate(ratings, start=1):
                session.add(ConfidenceRating(person_id=who, plan_id=plan.id, rating=rating,
                                             round=round_, rated_at=at + timedelta(minutes=round_)))  # fmt: skip
            finals.append(ratings[-1])
            # Two check-ins sent to each of the first three, one to the others; three answered.
            for n in range(2 if i < 3 else 1):
                sent = ScheduledMessage(person_id=who, plan_id=plan.id, kind="checkin",
                                        ref_id=plan.id * 10 + n, due_at=at, status="sent",
                                        sent_at=at)  # fmt: skip
                session.add(sent)
                session.flush()
                if n == 0 and i < 3:
                    session.add(CheckinResult(person_id=who, plan_id=plan.id, outcome="done",
                                              scheduled_message_id=sent.id, answered_at=at,
                                              content_version=1))  # fmt: skip
    week = week_of(at).isoformat()
    assert shown(metric(db, "goals:confident"))[0] == (week, 5, "80%")
    # 8 sent, 3 answered.
    assert shown(metric(db, "goals:checkins"))[0] == (week, 5, "38%")


def test_prem_by_domain_and_self_rated_health(db: str) -> None:
    at = NOW - timedelta(days=2)
    with unit_of_work(db) as session:
        for i, (welcomed, health) in enumerate([(5, 7), (4, 6), (4, 5), (3, 8), (4, 4)]):
            who = person(session, f"m{i}")
            session.add(Measure(person_id=who, instrument="prem", item="welcomed",
                                item_version="1", value=welcomed, recorded_at=at))  # fmt: skip
            session.add(Measure(person_id=who, instrument="weekly", item="health",
                                item_version="1", value=health, recorded_at=at))  # fmt: skip
        # Only two answered "timely": too few to show.
        for i in range(2):
            session.add(Measure(person_id=person(session, f"t{i}"), instrument="prem",
                                item="timely", item_version="1", value=5, recorded_at=at))  # fmt: skip
    week = week_of(at).isoformat()
    assert shown(metric(db, "prem:welcomed"))[0] == (week, 5, "4.0")
    assert shown(metric(db, "measures:health"))[0] == (week, 5, "6.0")
    assert shown(metric(db, "prem:timely"))[0] == (week, 2, "<5")


def test_engagement_shows_active_patients_and_the_drop_off_after_enrolling(db: str) -> None:
    enrolled = NOW - timedelta(days=7 * 3 + 1)
    with unit_of_work(db) as session:
        for i in range(6):
            who = person(session, f"e{i}", enrolled)
            weeks_active = [0, 1, 2] if i < 3 else [0]
            for k in weeks_active:
                session.add(Measure(person_id=who, instrument="weekly", item="confidence",
                                    item_version="1", value=5,
                                    recorded_at=enrolled + timedelta(days=7 * k + 1)))  # fmt: skip
        # Someone enrolled yesterday is not yet counted in any week's drop-off.
        person(session, "new", NOW - timedelta(days=1))
    decay = metric(db, "engagement:drop_off")
    assert [(p.patients, p.shown("%")) for p in decay.points] == [
        (6, "100%"), (6, "50%"), (6, "50%")
    ]  # fmt: skip
    active = metric(db, "engagement:active")
    counts = [p.shown("count") for p in active.points]
    assert counts[:3] == ["6", "<5", "<5"]


def test_a_new_version_of_the_check_in_texts_is_marked_where_first_answered(db: str) -> None:
    lock = versions.read_lock()
    first = lock[versions.CHECKINS_KEY][1]
    lock[versions.CHECKINS_KEY][2] = versions.Snapshot(
        2, "0" * 64, {**first.chunks, "checkin": "1" * 64}
    )
    with unit_of_work(db) as session:
        who = person(session, "ck")
        plan = ActionPlan(person_id=who, activity="walk", amount="10 min", timing="lunch",
                          days_per_week=3)  # fmt: skip
        session.add(plan)
        session.flush()
        for days, version in ((14, 1), (7, 2), (1, 2)):
            at = NOW - timedelta(days=days)
            sent = ScheduledMessage(person_id=who, plan_id=plan.id, kind="checkin",
                                    ref_id=days, due_at=at, status="sent", sent_at=at)  # fmt: skip
            session.add(sent)
            session.flush()
            session.add(CheckinResult(person_id=who, plan_id=plan.id, outcome="done",
                                      scheduled_message_id=sent.id, answered_at=at,
                                      content_version=version))  # fmt: skip
    with unit_of_work(db) as session:
        [found] = [m for m in aggregates.metrics(session, NOW, lock) if m.key == "goals:checkins"]
    assert [(m.week, m.label) for m in found.marks] == [
        (week_of(NOW - timedelta(days=7)), "v2: checkin")
    ]
