"""Action plans through the real engine, action server and gateway (and its scheduler)."""

from __future__ import annotations

import time as clock
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.goals import replies
from bot.stack import LocalStack
from bot.store import goals, people
from bot.store.db import unit_of_work
from bot.store.models import (
    CheckinResult,
    CheckinSchedule,
    ConfidenceRating,
    Measure,
    ScheduledMessage,
    utcnow,
)
from tests.support import WebChat, payloads, texts

pytestmark = pytest.mark.engine


def has(messages: list[dict[str, Any]], key: str, language: str = "en", **values: object) -> bool:
    """Whether the reply holds the goals reply `key` (its first sentence, values filled)."""
    wanted = replies.reply(key, language, **values)["text"]
    return any(str(m["text"]) == wanted for m in messages)


def consented(stack: LocalStack, language: str = "en") -> WebChat:
    chat = WebChat(stack.gateway_url, language=language).start()
    chat.say("hello" if language == "en" else "shwmae")
    chat.say("/affirm")
    return chat


def person_id(stack: LocalStack, sender_id: str) -> int:
    with unit_of_work(stack.database_url) as session:
        person = people.find_person(session, sender_id)
        assert person is not None
        return person.id


def test_a_plan_is_coached_rated_below_7_made_smaller_and_scheduled(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    assert has(chat.say("/start_action_plan"), "ask_plan_activity")
    reply = chat.say("lose weight")
    assert has(reply, "plan_not_behaviour") and has(reply, "ask_plan_activity")
    assert has(chat.say("exercise more"), "plan_vague")
    assert has(chat.say("walk"), "ask_plan_amount")
    assert has(chat.say("a bit"), "plan_amount_vague")
    assert has(chat.say("10 minutes"), "ask_plan_timing")
    assert has(chat.say("after lunch"), "ask_plan_days")
    assert has(chat.say("4"), "ask_plan_confidence")
    assert has(chat.say("5"), "ask_plan_barrier")
    reply = chat.say("if it isn't raining")
    assert has(reply, "smaller_step", days=4, fewer_days=3) and has(reply, "ask_plan_amount")
    assert has(chat.say("5 minutes"), "ask_plan_days")
    assert has(chat.say("3"), "ask_plan_confidence")
    assert has(chat.say("8"), "ask_checkin_days")
    assert has(chat.say("mon, wed and fri"), "ask_checkin_time")
    saved = chat.say("6pm")
    assert "walk 5 minutes after lunch, 3 days a week" in texts(saved)
    assert "/my_goals" in payloads(saved)
    with unit_of_work(live_stack.database_url) as session:
        [plan] = goals.active_plans(session, chat.sender_id)
        ratings = session.execute(
            select(ConfidenceRating.rating, ConfidenceRating.barrier).order_by(ConfidenceRating.id)
        ).all()
        schedule = session.scalars(
            select(CheckinSchedule).where(CheckinSchedule.plan_id == plan.id)
        ).one()
    assert [tuple(r) for r in ratings][-2:] == [(5, "if it isn't raining"), (8, None)]
    assert (schedule.weekdays, schedule.local_time, schedule.timezone) == (
        "1,3,5",
        "18:00",
        "Europe/London",
    )
    listed = chat.say("my goals")
    assert has(listed, "plans_header")
    assert f'/stop_plan{{"plan_id":"{plan.id}"}}' in payloads(listed)
    stopped = chat.say(f'/stop_plan{{"plan_id":"{plan.id}"}}')
    assert has(stopped, "plan_stopped", plan="walk 5 minutes after lunch")
    assert has(chat.say("my goals"), "no_plans")


def test_welsh_plan_goals_pause_and_resume(live_stack: LocalStack) -> None:
    chat = consented(live_stack, "cy")
    assert has(chat.say("/start_action_plan"), "ask_plan_activity", "cy")
    assert has(chat.say("bwyta'n well"), "plan_vague", "cy")
    for typed in ("bwyta ffrwyth", "1 darn", "amser brecwast", "bob dydd", "9", "bob dydd"):
        chat.say(typed)
    saved = chat.say("8yb")
    assert "bwyta ffrwyth 1 darn amser brecwast, 7 diwrnod yr wythnos" in texts(saved)
    assert has(chat.say("dangos fy nodau"), "plans_header", "cy")
    assert has(chat.say("oedi fy nodiadau atgoffa"), "reminders_paused", "cy")
    with unit_of_work(live_stack.database_url) as session:
        assert goals.reminders_paused(session, person_id(live_stack, chat.sender_id))
    assert has(chat.say("ailddechrau"), "reminders_resumed", "cy")


def test_a_due_check_in_reaches_an_absent_web_user_on_their_next_visit_and_is_answered(
    live_stack: LocalStack,
) -> None:
    chat = consented(live_stack)
    for typed in (
        "/start_action_plan",
        "walk",
        "10 minutes",
        "after lunch",
        "3",
        "8",
        "every day",
    ):
        chat.say(typed)
    chat.say("18:00")
    with unit_of_work(live_stack.database_url) as session:
        session.execute(
            update(ScheduledMessage)
            .where(
                ScheduledMessage.person_id == person_id(live_stack, chat.sender_id),
                ScheduledMessage.kind == "checkin",
            )
            .values(due_at=utcnow() - timedelta(minutes=1))
        )
    deadline = clock.monotonic() + 90  # the gateway's scheduler runs every 30 s
    status = "pending"
    while status == "pending" and clock.monotonic() < deadline:
        clock.sleep(1)
        with unit_of_work(live_stack.database_url) as session:
            status = session.scalars(
                select(ScheduledMessage.status)
                .where(
                    ScheduledMessage.person_id == person_id(live_stack, chat.sender_id),
                    ScheduledMessage.kind == "checkin",
                )
                .order_by(ScheduledMessage.id)
                .limit(1)
            ).one()
    assert status == "sent"
    visit = chat.say("my goals")
    question = next(m for m in visit if "Did you walk 10 minutes after lunch today?" in m["text"])
    done = next(
        b["payload"] for b in question["buttons"] if b["payload"].startswith("/checkin_done")
    )
    answer = chat.say(done)
    assert has(answer, "checkin_done", plan="walk 10 minutes after lunch")
    assert "/add_note" in payloads(answer)
    assert has(chat.say("/add_note"), "ask_checkin_note")
    assert has(chat.say("it was sunny"), "checkin_note_saved")
    with unit_of_work(live_stack.database_url) as session:
        result = session.scalars(select(CheckinResult)).all()
        mine = [r for r in result if r.person_id == person_id(live_stack, chat.sender_id)]
    assert [(r.outcome, r.note) for r in mine] == [("done", "it was sunny")]


def make_plan(chat: WebChat) -> None:
    for typed in ("/start_action_plan", "walk", "10 minutes", "after lunch", "3", "8", "weekdays"):
        chat.say(typed)
    chat.say("12:30")


def test_two_missed_check_ins_offer_problem_solving_and_the_idea_is_checked_next_time(
    live_stack: LocalStack,
) -> None:
    chat = consented(live_stack)
    make_plan(chat)
    first = chat.say("not today")
    assert has(first, "checkin_not_today", plan="walk 10 minutes after lunch")
    assert not has(first, "offer_problem_solving")
    second = chat.say("I didn't do it")
    assert has(second, "offer_problem_solving")
    assert has(chat.say("/start_problem_solving"), "ask_ps_problem")
    assert has(chat.say("too tired after work"), "ask_ps_ideas")
    assert has(chat.say("walk at lunch, or walk with my neighbour"), "ask_ps_choice")
    assert has(chat.say("walk at lunch"), "ps_saved", choice="walk at lunch")
    reply = chat.say("done")
    assert has(reply, "checkin_done", plan="walk 10 minutes after lunch")
    assert has(reply, "idea_worked", idea="walk at lunch")


def test_weekly_measures_and_the_monthly_experience_check_are_stored_with_versions(
    live_stack: LocalStack,
) -> None:
    chat = consented(live_stack)
    assert has(chat.say("/start_measures"), "ask_measure_health")
    assert has(chat.say("about eleven"), "measure_invalid")
    assert has(chat.say("6"), "ask_measure_confidence")
    assert has(chat.say("7"), "measures_thanks")
    assert has(chat.say("/start_prem"), "ask_prem_welcomed")
    for item in ("timely", "dignity", "information", "involvement"):
        assert has(chat.say("4"), f"ask_prem_{item}")
    assert has(chat.say("5"), "prem_thanks")
    with unit_of_work(live_stack.database_url) as session:
        rows = session.execute(
            select(Measure.instrument, Measure.item, Measure.value, Measure.item_version).where(
                Measure.person_id == person_id(live_stack, chat.sender_id)
            )
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        ("prem", "dignity", 4, "1"),
        ("prem", "information", 4, "1"),
        ("prem", "involvement", 5, "1"),
        ("prem", "timely", 4, "1"),
        ("prem", "welcomed", 4, "1"),
        ("weekly", "confidence", 7, "1"),
        ("weekly", "health", 6, "1"),
    ]


def test_plans_and_check_ins_on_postgresql(postgres_stack: LocalStack) -> None:
    chat = consented(postgres_stack)
    make_plan(chat)
    with unit_of_work(postgres_stack.database_url) as session:
        [plan] = goals.active_plans(session, chat.sender_id)
        kinds = set(
            session.scalars(
                select(ScheduledMessage.kind).where(ScheduledMessage.plan_id == plan.id)
            )
        )
    assert plan.weekdays == frozenset(range(1, 6)) and plan.local_time == "12:30"
    assert kinds == {"checkin", "review"}
    assert has(chat.say("partly"), "checkin_partly")
    changing = chat.say("/change_plan")  # issue 17: asks what to change
    assert has(changing, "change_plan", plan="walk 10 minutes after lunch", plan_id=str(plan.id))
    assert not has(chat.say("/cancel"), "ask_plan_activity")
    with unit_of_work(postgres_stack.database_url) as session:
        assert [p.id for p in goals.active_plans(session, chat.sender_id)] == [plan.id]
