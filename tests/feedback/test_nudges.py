"""Re-engagement nudges through the real scheduler, on SQLite and PostgreSQL, with its clock
injected: 7 days of silence, one a week, 3 unanswered then none, reset by a reply, off and
on, quiet hours, paused reminders, Welsh, and two schedulers racing."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.scheduling import nudges
from bot.scheduling.scheduler import Scheduler
from bot.store import goals, improvement, people
from bot.store.db import unit_of_work
from bot.store.models import ScheduledMessage
from tests.feedback.conftest import spoke
from tests.goals.conftest import Clock, FakeDelivery, at, enrol_in

LAST_SEEN = at(2026, 1, 5, 10)  # a Monday in January: London time is UTC
WEEK = timedelta(days=7)


def nudges_sent(delivery: FakeDelivery) -> list[dict[str, Any]]:
    """The nudges among everything delivered (they offer to turn themselves off)."""
    return [
        message
        for _, messages in delivery.sent
        for message in messages
        if any(b["payload"] == "/nudges_off" for b in message.get("buttons", []))
    ]


async def run_at(url: str, when: datetime, delivery: FakeDelivery) -> int:
    """One scheduler round at `when`; how many nudges it sent."""
    before = len(nudges_sent(delivery))
    await Scheduler(url, {}, default_delivery=delivery, clock=Clock(when)).run_once()
    return len(nudges_sent(delivery)) - before


def silent_person(url: str, sender: str = "web-quiet", language: str = "en") -> str:
    enrol_in(url, sender, language=language)
    spoke(url, sender, LAST_SEEN)
    return sender


def unanswered(url: str, sender: str) -> int:
    with unit_of_work(url) as session:
        person = people.find_person(session, sender)
        assert person is not None
        return nudges.unanswered(session, person.id)


async def test_seven_days_of_silence_bring_one_gentle_nudge_offering_the_menu(db: str) -> None:
    sender = silent_person(db)
    delivery = FakeDelivery()
    assert await run_at(db, LAST_SEEN + WEEK - timedelta(minutes=1), delivery) == 0
    assert await run_at(db, LAST_SEEN + WEEK, delivery) == 1
    assert await run_at(db, LAST_SEEN + WEEK + timedelta(minutes=1), delivery) == 0
    [(to, [nudge])] = delivery.sent
    assert to == sender
    assert nudge["text"].startswith("Hello again. It's been a little while since we talked.")
    assert [b["payload"] for b in nudge["buttons"]] == ["/help", "/nudges_off"]
    assert unanswered(db, sender) == 1


async def test_a_nudge_offers_the_current_goal_when_there_is_one(db: str) -> None:
    sender = silent_person(db, "web-planner")
    with unit_of_work(db) as session:
        goals.create_plan(
            session,
            sender,
            activity="walk",
            amount="10 minutes",
            timing="after lunch",
            days_per_week=3,
            ratings=[(8, None)],
            weekdays=frozenset({1, 3, 5}),
            local_time=time(14),
            now=LAST_SEEN,
        )
    delivery = FakeDelivery()
    assert await run_at(db, LAST_SEEN + WEEK + timedelta(hours=1), delivery) == 1
    [nudge] = nudges_sent(delivery)
    assert "How is your plan going: walk 10 minutes after lunch?" in nudge["text"]
    assert [b["payload"] for b in nudge["buttons"]] == ["/my_goals", "/help", "/nudges_off"]


async def test_welsh_speakers_get_a_welsh_nudge(db: str) -> None:
    silent_person(db, "web-cymraeg", language="cy")
    delivery = FakeDelivery()
    assert await run_at(db, LAST_SEEN + WEEK, delivery) == 1
    [nudge] = nudges_sent(delivery)
    assert nudge["text"].startswith("Shwmae eto.")
    assert [b["title"] for b in nudge["buttons"]] == ["Dangos y ddewislen", "Dim mwy o'r rhain"]


async def test_no_second_nudge_within_a_week_and_three_unanswered_then_none(db: str) -> None:
    sender = silent_person(db)
    delivery = FakeDelivery()
    first = LAST_SEEN + WEEK
    assert await run_at(db, first, delivery) == 1
    for days in (1, 3, 6):
        assert await run_at(db, first + timedelta(days=days), delivery) == 0
    assert await run_at(db, first + WEEK, delivery) == 1
    assert await run_at(db, first + 2 * WEEK, delivery) == 1
    assert unanswered(db, sender) == 3
    for weeks in (3, 4, 8):
        assert await run_at(db, first + weeks * WEEK, delivery) == 0
    assert len(nudges_sent(delivery)) == 3


async def test_a_reply_resets_the_unanswered_count(db: str) -> None:
    sender = silent_person(db)
    delivery = FakeDelivery()
    first = LAST_SEEN + WEEK
    for week in range(3):
        assert await run_at(db, first + week * WEEK, delivery) == 1
    assert await run_at(db, first + 3 * WEEK, delivery) == 0  # three unanswered: stopped
    replied = first + 3 * WEEK + timedelta(hours=2)
    spoke(db, sender, replied)
    assert unanswered(db, sender) == 0
    assert await run_at(db, replied + WEEK - timedelta(hours=1), delivery) == 0  # not silent yet
    assert await run_at(db, replied + WEEK, delivery) == 1
    assert unanswered(db, sender) == 1
    # A reply after one nudge: the count starts again, and silence is counted from the reply.
    spoke(db, sender, replied + WEEK + timedelta(days=1))
    assert await run_at(db, replied + 2 * WEEK, delivery) == 0
    assert await run_at(db, replied + 2 * WEEK + timedelta(days=1), delivery) == 1
    assert unanswered(db, sender) == 1


async def test_nudges_turned_off_send_none_until_turned_on_again(db: str) -> None:
    sender = silent_person(db)
    with unit_of_work(db) as session:
        improvement.set_nudges_off(session, sender, True)
    delivery = FakeDelivery()
    for weeks in (1, 2, 5):
        assert await run_at(db, LAST_SEEN + weeks * WEEK, delivery) == 0
    turned_on = LAST_SEEN + 5 * WEEK + timedelta(hours=1)
    spoke(db, sender, turned_on)  # saying "nudges on" is itself a turn
    with unit_of_work(db) as session:
        improvement.set_nudges_off(session, sender, False)
    assert await run_at(db, turned_on + WEEK, delivery) == 1


async def test_quiet_hours_hold_a_nudge_until_the_morning(db: str) -> None:
    sender = "web-night"
    enrol_in(db, sender)
    spoke(db, sender, at(2026, 1, 5, 22, 30))
    delivery = FakeDelivery()
    for hour in (22, 23):
        assert await run_at(db, at(2026, 1, 12, hour, 45), delivery) == 0
    assert await run_at(db, at(2026, 1, 13, 3), delivery) == 0
    assert await run_at(db, at(2026, 1, 13, 7, 59), delivery) == 0
    assert await run_at(db, at(2026, 1, 13, 8, 0, 30), delivery) == 1


async def test_quiet_hours_follow_british_summer_time(db: str) -> None:
    sender = "web-summer"
    enrol_in(db, sender)
    spoke(db, sender, at(2026, 6, 1, 6))
    delivery = FakeDelivery()
    # 06:30 UTC is 07:30 in London in June: still quiet. 07:05 UTC is 08:05 BST.
    assert await run_at(db, at(2026, 6, 8, 6, 30), delivery) == 0
    assert await run_at(db, at(2026, 6, 8, 7, 5), delivery) == 1


async def test_paused_reminders_or_withdrawn_consent_mean_no_nudge(db: str) -> None:
    paused = silent_person(db, "web-paused")
    withdrawn = silent_person(db, "web-withdrawn")
    with unit_of_work(db) as session:
        goals.set_reminders_paused(session, paused, True)
        person = people.find_person(session, withdrawn)
        assert person is not None
        person.consent = people.CONSENT_WITHDRAWN
    delivery = FakeDelivery()
    for hours in (0, 1, 30):
        assert await run_at(db, LAST_SEEN + WEEK + timedelta(hours=hours), delivery) == 0
    with unit_of_work(db) as session:
        rows = session.execute(
            select(ScheduledMessage.status, ScheduledMessage.skip_reason).where(
                ScheduledMessage.kind == nudges.NUDGE
            )
        ).all()
    # Held back once for the paused person, not re-planned every round; none for the other.
    assert [tuple(r) for r in rows] == [("skipped", "no_contact")]


def test_two_schedulers_racing_on_postgresql_send_each_person_one_nudge(pg_db: str) -> None:
    count = 30
    for n in range(count):
        silent_person(pg_db, f"web-race-{n}")
    barrier = threading.Barrier(2)
    lock = threading.Lock()
    sent: list[str] = []

    def work(offset: int) -> None:
        clock = Clock(LAST_SEEN + WEEK + timedelta(seconds=offset))
        scheduler = Scheduler(pg_db, {}, default_delivery=FakeDelivery(), clock=clock)
        scheduler.batch = 7
        barrier.wait()
        while True:
            taken, out = scheduler.claim()
            with lock:
                sent.extend(o.sender_id for o in out if o.kind == nudges.NUDGE)
            if taken == 0:
                return

    threads = [threading.Thread(target=work, args=(offset,)) for offset in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == sorted(f"web-race-{n}" for n in range(count))
