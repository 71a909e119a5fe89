"""The scheduler: due rows, quiet hours, restarts, consent and pauses, channels, and races."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.push import PushHub
from bot.scheduling.scheduler import HubDelivery, Scheduler
from bot.store import goals, people
from bot.store.db import unit_of_work
from bot.store.messages import take_held_replies
from bot.store.models import ScheduledMessage
from tests.goals.conftest import Clock, FakeDelivery, at, enrol_in

MONDAY_9 = at(2026, 1, 5, 9)  # GMT: local == UTC in January


def plan_for(url: str, sender: str, local_time: time = time(14), **extra: Any) -> goals.PlanView:
    with unit_of_work(url) as session:
        return goals.create_plan(
            session,
            sender,
            activity="walk",
            amount="10 minutes",
            timing="after lunch",
            days_per_week=3,
            ratings=[(8, None)],
            weekdays=frozenset({1, 3, 5}),
            local_time=local_time,
            now=MONDAY_9,
            **extra,
        )


def scheduler(url: str, clock: Clock, delivery: FakeDelivery, name: str = "s1") -> Scheduler:
    return Scheduler(url, {}, default_delivery=delivery, clock=clock, worker_id=name)


def statuses(url: str, kind: str = "checkin") -> list[tuple[str, str | None]]:
    with unit_of_work(url) as session:
        rows = session.execute(
            select(ScheduledMessage.status, ScheduledMessage.skip_reason)
            .where(ScheduledMessage.kind == kind)
            .order_by(ScheduledMessage.due_at)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_due_check_in_is_sent_once_with_answer_buttons_and_the_next_one_planned(
    db: str,
) -> None:
    sender = enrol_in(db, "web-1")
    plan_for(db, sender)
    clock, delivery = Clock(MONDAY_9), FakeDelivery()
    assert await scheduler(db, clock, delivery).run_once() == 0
    clock.now = at(2026, 1, 5, 14, 0, 30)
    assert await scheduler(db, clock, delivery).run_once() == 1
    assert await scheduler(db, clock, delivery).run_once() == 0
    [(to, messages)] = delivery.sent
    assert to == sender
    assert messages[0]["text"] == "Check-in time. Did you walk 10 minutes after lunch today?"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0].startswith('/checkin_done{"checkin_id":"')
    assert statuses(db) == [("sent", None), ("pending", None)]
    with unit_of_work(db) as session:
        nxt = session.scalars(
            select(ScheduledMessage.due_at).where(
                ScheduledMessage.status == "pending", ScheduledMessage.kind == "checkin"
            )
        ).one()
    assert nxt.replace(tzinfo=None) == at(2026, 1, 7, 14).replace(tzinfo=None)


async def test_welsh_speakers_get_welsh_check_ins(db: str) -> None:
    sender = enrol_in(db, "web-cy", language="cy")
    plan_for(db, sender)
    delivery = FakeDelivery()
    await scheduler(db, Clock(at(2026, 1, 5, 14, 1)), delivery).run_once()
    assert delivery.sent[0][1][0]["text"].startswith("Amser gwirio.")


@pytest.mark.parametrize(
    ("restart", "expected"),
    [(at(2026, 1, 5, 16, 59), ("sent", None)), (at(2026, 1, 5, 17, 1), ("skipped", "stale"))],
)
async def test_after_a_restart_a_missed_check_in_goes_within_three_hours_else_is_skipped(
    db: str, restart: Any, expected: tuple[str, str | None], caplog: pytest.LogCaptureFixture
) -> None:
    sender = enrol_in(db, "web-2")
    plan_for(db, sender)
    delivery = FakeDelivery()
    caplog.set_level("INFO")
    await scheduler(db, Clock(restart), delivery).run_once()
    assert statuses(db)[0] == expected
    assert len(delivery.sent) == (1 if expected[0] == "sent" else 0)
    if expected[0] == "skipped":
        assert "skipped: stale" in caplog.text


async def test_no_contact_without_consent_or_while_paused(db: str) -> None:
    withdrawn, paused = enrol_in(db, "web-3"), enrol_in(db, "web-4")
    plan_for(db, withdrawn)
    plan_for(db, paused)
    with unit_of_work(db) as session:
        person = people.find_person(session, withdrawn)
        assert person is not None
        person.consent = "withdrawn"
        goals.set_reminders_paused(session, paused, True)
    delivery = FakeDelivery()
    await scheduler(db, Clock(at(2026, 1, 5, 14, 1)), delivery).run_once()
    assert delivery.sent == []
    with unit_of_work(db) as session:
        reasons = set(
            session.scalars(
                select(ScheduledMessage.skip_reason).where(ScheduledMessage.status == "skipped")
            )
        )
    assert reasons == {"no_contact"}
    with unit_of_work(db) as session:
        goals.set_reminders_paused(session, paused, False)
    await scheduler(db, Clock(at(2026, 1, 7, 14, 1)), delivery).run_once()
    assert [to for to, _ in delivery.sent] == [paused]


async def test_quiet_hours_hold_system_messages_but_not_a_chosen_time(db: str) -> None:
    late = enrol_in(db, "web-5")
    plan_for(db, late, local_time=time(21, 30))
    delivery = FakeDelivery()
    # The check-in at 21:30 was the person's choice: it goes.
    await scheduler(db, Clock(at(2026, 1, 5, 21, 31)), delivery).run_once()
    assert len(delivery.sent) == 1
    # The weekly review (made for 18:00, since 21:30 is quiet) found late waits until 08:00.
    await scheduler(db, Clock(at(2026, 1, 12, 20, 59, 59)), delivery).run_once()
    review = [m for _, m in delivery.sent if "been a week" in m[0]["text"]]
    assert len(review) == 1
    with unit_of_work(db) as session:
        row = session.scalars(
            select(ScheduledMessage).where(
                ScheduledMessage.kind == "measures", ScheduledMessage.status == "pending"
            )
        ).first()
        assert row is not None
        row.due_at = at(2026, 1, 12, 21, 30)
    await scheduler(db, Clock(at(2026, 1, 12, 22)), delivery).run_once()
    with unit_of_work(db) as session:
        moved = session.scalars(
            select(ScheduledMessage.due_at).where(
                ScheduledMessage.kind == "measures", ScheduledMessage.status == "pending"
            )
        ).one()
    assert moved is not None and moved.replace(tzinfo=None) == at(2026, 1, 13, 8).replace(
        tzinfo=None
    )


async def test_a_stopped_plan_gets_no_more_check_ins(db: str) -> None:
    sender = enrol_in(db, "web-6")
    plan = plan_for(db, sender)
    with unit_of_work(db) as session:
        goals.stop_plan(session, sender, plan.id)
    delivery = FakeDelivery()
    await scheduler(db, Clock(at(2026, 1, 5, 14, 1)), delivery).run_once()
    assert delivery.sent == []


async def test_web_delivery_pushes_to_a_connected_widget_else_holds_for_the_next_visit(
    sqlite_db: str,
) -> None:
    hub = PushHub()
    received: list[list[dict[str, Any]]] = []

    async def pusher(messages: list[dict[str, Any]]) -> None:
        received.append(messages)

    hub.connect("web-on", pusher)
    web = HubDelivery(hub, sqlite_db)
    message = [{"text": "hi", "buttons": []}]
    assert await web.deliver("web-on", message) == "pushed"
    assert await web.deliver("web-off", message) == "held"
    assert received == [message]
    with unit_of_work(sqlite_db) as session:
        assert take_held_replies(session, "web-off") == message


async def test_delivery_goes_through_the_persons_channel(sqlite_db: str) -> None:
    sender = enrol_in(sqlite_db, "tg-1")
    with unit_of_work(sqlite_db) as session:
        person = people.find_person(session, sender)
        assert person is not None
        from bot.store.models import ChannelIdentity

        session.execute(
            ChannelIdentity.__table__.update().values(channel="telegram")  # type: ignore[attr-defined]
        )
    plan_for(sqlite_db, sender)
    web, telegram = FakeDelivery(), FakeDelivery()
    s = Scheduler(
        sqlite_db, {"telegram": telegram}, default_delivery=web, clock=Clock(at(2026, 1, 5, 14, 1))
    )
    await s.run_once()
    assert (len(web.sent), len(telegram.sent)) == (0, 1)


def _race(url: str, people_count: int) -> Counter[int]:
    """Two schedulers claim the same due rows at once, in threads; count who got each row."""
    for n in range(people_count):
        plan_for(url, enrol_in(url, f"web-race-{n}"))
    clock = Clock(at(2026, 1, 5, 14, 1))
    claimed: Counter[int] = Counter()
    barrier = threading.Barrier(2)
    lock = threading.Lock()

    def work(name: str) -> None:
        s = scheduler(url, clock, FakeDelivery(), name)
        s.batch = 7
        barrier.wait()
        while True:
            taken, out = s.claim()
            with lock:
                claimed.update(o.message_id for o in out)
            if taken == 0:
                return

    threads = [threading.Thread(target=work, args=(f"s{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return claimed


def test_two_schedulers_racing_on_postgresql_never_claim_a_row_twice(pg_db: str) -> None:
    claimed = _race(pg_db, 60)
    assert len(claimed) == 60
    assert max(claimed.values()) == 1
    with unit_of_work(pg_db) as session:
        owners = set(
            session.scalars(
                select(ScheduledMessage.claimed_by).where(ScheduledMessage.status == "claimed")
            )
        )
    assert owners == {"s1", "s2"}  # both took part


async def test_a_channel_that_cannot_reach_them_marks_the_check_in_failed(sqlite_db: str) -> None:
    sender = enrol_in(sqlite_db, "web-away")
    plan_for(sqlite_db, sender)
    routed = HubDelivery(PushHub(), sqlite_db, hold_when_away=False)
    s = Scheduler(sqlite_db, {}, default_delivery=routed, clock=Clock(at(2026, 1, 5, 14, 1)))
    assert await s.run_once() == 0
    assert statuses(sqlite_db)[0] == ("failed", None)
    with unit_of_work(sqlite_db) as session:
        assert take_held_replies(session, sender) == []
