"""The action-plan actions, with a real SQLite store and no engine."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select

from actions import goals as actions
from bot.goals import replies
from bot.store import goals, people
from bot.store.db import unit_of_work
from bot.store.models import CheckinResult, ConfidenceRating, Measure
from tests.actions.conftest import TrackerFactory

SENDER = "sender-1"


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages]


def said(dispatcher: CollectingDispatcher, key: str, language: str = "en", **values: Any) -> bool:
    wanted = replies.reply(key, language, **values)["text"]
    return wanted in texts(dispatcher)


def events(result: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result if e.get("event") == "slot"}


def consenting(store: Engine) -> None:
    with unit_of_work(str(store.url)) as session:
        people.ensure_person(session, SENDER, channel="web")
        people.record_consent(session, SENDER, given=True, notice_version="1")


def test_vague_and_outcome_plans_are_coached_kindly(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    form = actions.ValidateActionPlanForm()
    tracker = make_tracker(slots={"language": "cy"})
    assert (
        form.validate_plan_activity("colli pwysau", dispatcher, tracker, {})["plan_activity"]
        is None
    )
    assert said(dispatcher, "plan_not_behaviour", "cy")
    assert (
        form.validate_plan_activity("exercise more", dispatcher, tracker, {})["plan_activity"]
        is None
    )
    assert form.validate_plan_activity("walk", dispatcher, tracker, {})["plan_activity"] == "walk"
    assert form.validate_plan_amount("a bit", dispatcher, tracker, {}) == {"plan_amount": None}
    assert form.validate_plan_timing("whenever", dispatcher, tracker, {}) == {"plan_timing": None}
    assert form.validate_plan_days("/my_goals", dispatcher, tracker, {}) == {"plan_days": None}


async def test_low_confidence_asks_what_would_make_it_a_7_and_suggests_a_smaller_step(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    form = actions.ValidateActionPlanForm()
    first = form.validate_plan_confidence("5", dispatcher, make_tracker(), {})
    assert first["plan_ratings"] == [{"rating": 5, "barrier": None}]
    low = make_tracker(slots={"plan_ratings": first["plan_ratings"], "plan_days": "4"})
    required = await form.required_slots(list(actions.PLAN_FORM_SLOTS), dispatcher, low, {})
    assert "plan_barrier" in required
    after = form.validate_plan_barrier("if it's dry", dispatcher, low, {})
    assert said(dispatcher, "smaller_step", days=4, fewer_days=3)
    assert after["plan_days"] is None and after["plan_confidence"] is None
    assert after["plan_ratings"] == [{"rating": 5, "barrier": "if it's dry"}]
    rerated = make_tracker(slots={"plan_ratings": after["plan_ratings"]})
    second = form.validate_plan_confidence("8", dispatcher, rerated, {})
    confident = make_tracker(slots={"plan_ratings": second["plan_ratings"]})
    required = await form.required_slots(list(actions.PLAN_FORM_SLOTS), dispatcher, confident, {})
    assert "plan_barrier" not in required


async def test_saving_a_plan_keeps_every_rating_and_answers_with_the_summary(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    slots = {
        "consent": "given",
        "plan_activity": "walk",
        "plan_amount": "10 minutes",
        "plan_timing": "after lunch",
        "plan_days": "4",
        "plan_confidence": "8",
        "plan_ratings": [{"rating": 5, "barrier": "rain"}, {"rating": 8, "barrier": None}],
        "checkin_days": "1,3,5",
        "checkin_time": "18:00",
    }
    result = await actions.ActionSavePlan().run(dispatcher, make_tracker(slots=slots), {})
    assert events(result)["plan_activity"] is None
    assert "walk 10 minutes after lunch, 4 days a week" in texts(dispatcher)[0]
    with unit_of_work(str(store.url)) as session:
        assert [r for (r,) in session.execute(select(ConfidenceRating.rating))] == [5, 8]
        [plan] = goals.active_plans(session, SENDER)
    listing = CollectingDispatcher()
    await actions.ActionListPlans().run(listing, make_tracker(), {})
    assert said(listing, "plans_header")
    assert listing.messages[1]["buttons"][1]["payload"] == f'/stop_plan{{"plan_id":"{plan.id}"}}'


async def test_check_in_answers_are_recorded_and_two_misses_offer_problem_solving(
    store: Engine, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    with unit_of_work(str(store.url)) as session:
        from datetime import time

        goals.create_plan(
            session,
            SENDER,
            activity="walk",
            amount="10 minutes",
            timing="after lunch",
            days_per_week=3,
            ratings=[(8, None)],
            weekdays=frozenset({1, 3, 5}),
            local_time=time(18),
        )
    replies_seen = []
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        await actions.ActionRecordCheckin().run(
            dispatcher, make_tracker(intent="checkin_not_today"), {}
        )
        replies_seen.append(dispatcher)
    assert said(replies_seen[0], "checkin_not_today", plan="walk 10 minutes after lunch")
    assert not said(replies_seen[0], "offer_problem_solving")
    assert said(replies_seen[1], "offer_problem_solving")
    with unit_of_work(str(store.url)) as session:
        assert len(list(session.scalars(select(CheckinResult)))) == 2


async def test_measures_are_checked_on_their_scale_and_stored_with_versions(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    validate = actions.ValidateMeasuresForm()
    bad = make_tracker(slots={"requested_slot": "measure_health", "measure_health": "eleven"})
    assert events(await validate.get_validation_events(dispatcher, bad, {})) == {
        "measure_health": None
    }
    assert said(dispatcher, "measure_invalid")
    slots = {"measure_health": "6", "measure_confidence": "7"}
    await actions.ActionSaveMeasures().run(dispatcher, make_tracker(slots=slots), {})
    with unit_of_work(str(store.url)) as session:
        rows = session.execute(select(Measure.item, Measure.value, Measure.item_version)).all()
    assert sorted(tuple(r) for r in rows) == [("confidence", 7, "1"), ("health", 6, "1")]


async def test_pause_and_resume(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    await actions.ActionPauseReminders().run(dispatcher, make_tracker(), {})
    with unit_of_work(str(store.url)) as session:
        person = people.find_person(session, SENDER)
        assert person is not None and goals.reminders_paused(session, person.id)
    await actions.ActionResumeReminders().run(dispatcher, make_tracker(), {})
    with unit_of_work(str(store.url)) as session:
        assert person is not None and not goals.reminders_paused(session, person.id)
    assert said(dispatcher, "reminders_paused") and said(dispatcher, "reminders_resumed")


def test_a_question_to_a_free_text_plan_question_is_told_from_an_unsure_answer() -> None:
    from actions.base import asks_instead_of_answering

    for asked in (
        "wait what does confidence mean?",
        "sorry, how long should I walk for?",
        "what if it rains?",
        "beth yw hyder?",
        "aros, be di hynny?",
        "can i do it twice?",
    ):
        assert asks_instead_of_answering(asked), asked
    for answered in (
        "after lunch?",
        "when I wake up?",
        "how about after tea?",
        "after lunch",
        "what i usually do is walk after tea",  # no question mark: an answer
        "ar ôl swper?",
    ):
        assert not asks_instead_of_answering(answered), answered
