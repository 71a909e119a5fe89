"""The Ask 3 actions with a real SQLite store and no engine: the form's answers, the list
saved and shown, the follow-up, and the rehearsal."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select

from actions import ask3 as actions
from bot.decisions import content
from bot.store import people
from bot.store.db import unit_of_work
from bot.store.models import Ask3FollowUp, Ask3List, Ask3Rehearsal
from tests.actions.conftest import TrackerFactory

SENDER = "sender-1"
DomainDict = dict[str, Any]


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


def said(dispatcher: CollectingDispatcher, key: str, language: str = "en", **values: Any) -> bool:
    return content.reply(key, language, **values)["text"] in texts(dispatcher)


def consenting(store: Engine) -> None:
    with unit_of_work(str(store.url)) as session:
        people.ensure_person(session, SENDER, channel="web")
        people.record_consent(session, SENDER, given=True, notice_version="1")


FILLED = {
    "ask3_decision": "whether to have a knee replacement for osteoarthritis",
    "ask3_options": "physio, an injection or a new knee",
    "ask3_date": "-",
    "ask3_q_options": "What else could I try?",
    "ask3_q_benefits": "What are the possible benefits and risks of those options?",
    "ask3_q_likelihood": "How likely is it to work?",
    "ask3_own": "How long until I can drive?\nWill I need help at home?",
    "ask3_matters": "walking the dog again",
}


async def test_start_explains_ask_3_and_clears_an_old_list(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    events = await actions.ActionAsk3Start().run(dispatcher, make_tracker(slots=FILLED), {})
    assert said(dispatcher, "intro")
    assert SlotSet("ask3_decision", None) in events and SlotSet("ask3_grid", None) in events


@pytest.mark.parametrize(
    ("slot", "typed", "kept"),
    [
        ("ask3_q_options", "/affirm", "What are my options?"),  # "Use these words"
        ("ask3_q_options", "what else could i do", "what else could i do"),
        ("ask3_options", "/deny", "Not sure yet"),
        ("ask3_own", "/deny", "-"),
        ("ask3_matters", "  getting back to work  ", "getting back to work"),
        ("ask3_date", "/deny", "-"),
    ],
)
async def test_form_answers_are_kept_in_the_patients_words(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory, slot: str, typed: str, kept: str
) -> None:
    form = actions.ValidateAsk3Form()
    result = getattr(form, f"validate_{slot}")(typed, dispatcher, make_tracker(), {})
    assert result == {slot: kept}


async def test_a_date_is_read_back_in_words_and_an_unreadable_one_asked_again(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    form = actions.ValidateAsk3Form()
    result = form.validate_ask3_date("14 March", dispatcher, make_tracker(), {})
    assert result["ask3_date"] is not None and result["ask3_date"].endswith("-03-14")
    assert any("14 March" in t for t in texts(dispatcher))
    assert form.validate_ask3_date("whenever", dispatcher, make_tracker(), {}) == {
        "ask3_date": None
    }
    assert said(dispatcher, "date_unclear")


async def test_finishing_saves_shows_and_offers_the_matching_grid(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    events = await actions.ActionAsk3Finish().run(
        dispatcher, make_tracker(SENDER, slots=FILLED), {}
    )
    with unit_of_work(str(store.url)) as session:
        [row] = session.scalars(select(Ask3List)).all()
        assert row.own_questions == ["How long until I can drive?", "Will I need help at home?"]
        assert row.q_options == "What else could I try?" and row.appointment_on is None
    assert any("walking the dog again" in t for t in texts(dispatcher))
    assert said(dispatcher, "summary_saved")
    offer = next(m for m in dispatcher.messages if m.get("buttons"))
    assert offer["buttons"][0]["payload"].startswith("/show_option_grid")
    assert SlotSet("ask3_grid", "knee-osteoarthritis") in events


async def test_finishing_a_form_left_without_a_decision_keeps_nothing(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    await actions.ActionAsk3Finish().run(
        dispatcher, make_tracker(SENDER, slots={**FILLED, "ask3_decision": "-"}), {}
    )
    assert texts(dispatcher) == ["utter_form_cancelled"]
    with unit_of_work(str(store.url)) as session:
        assert session.scalars(select(Ask3List)).all() == []


async def test_the_follow_up_keeps_the_answers_with_the_list(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    await actions.ActionAsk3Finish().run(
        dispatcher, make_tracker(SENDER, slots={**FILLED, "ask3_date": "2099-03-14"}), {}
    )
    form = actions.ValidateAsk3FollowUpForm()
    assert form.validate_ask3_fu_answers("some of them", dispatcher, make_tracker(), {}) == {
        "ask3_fu_answers": "partly"
    }
    assert form.validate_ask3_fu_involvement("eight", dispatcher, make_tracker(), {}) == {
        "ask3_fu_involvement": "8"
    }
    answered = {"ask3_fu_answers": "partly", "ask3_fu_decision": "physio first", "ask3_fu_involvement": "8"}  # fmt: skip
    await actions.ActionAsk3SaveFollowUp().run(dispatcher, make_tracker(SENDER, slots=answered), {})
    assert said(dispatcher, "followup_thanks")
    with unit_of_work(str(store.url)) as session:
        [row] = session.scalars(select(Ask3FollowUp)).all()
        assert (row.got_answers, row.decided, row.involvement) == ("partly", "physio first", 8)


async def test_a_rehearsal_answers_each_question_and_saves_what_was_asked(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    started = await actions.ActionAsk3RehearsalStart().run(
        dispatcher,
        make_tracker(SENDER, entities=[{"entity": "ask3_scenario", "value": "knee"}]),
        {},
    )
    assert SlotSet("ask3_scenario", "knee") in started
    form = actions.ValidateAsk3RehearsalForm()
    turn = form.validate_ask3_practice(
        "what are the risks?", dispatcher, make_tracker(slots={"ask3_scenario": "knee"}), {}
    )
    knee = content.find_scenario("knee")
    assert knee.answers["benefits_risks"].en in texts(dispatcher)
    assert turn["ask3_practice"] is None and turn["ask3_practice_asked"] == ["benefits_risks"]
    assert form.validate_ask3_practice("I've finished", dispatcher, make_tracker(), {}) == {
        "ask3_practice": "done"
    }
    slots = {
        "ask3_scenario": "knee",
        "ask3_practice_asked": turn["ask3_practice_asked"],
        "ask3_practice_evidence": turn["ask3_practice_evidence"],
    }
    events = await actions.ActionAsk3RehearsalFinish().run(
        dispatcher, make_tracker(SENDER, slots=slots), {}
    )
    assert SlotSet("ask3_practice_asked", None) in events
    with unit_of_work(str(store.url)) as session:
        [row] = session.scalars(select(Ask3Rehearsal)).all()
        assert row.asked == ["benefits_risks"] and row.turns == 1
