"""The feedback actions with a real SQLite store and no engine: clarity ratings tapped or
typed, the optional suggestion, stories taken only with consent, and nudges off and on."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select

from actions import feedback as actions
from bot.feedback import content
from bot.store import people
from bot.store.db import unit_of_work
from bot.store.models import ContentFeedback, NudgeState, PatientStory
from tests.actions.conftest import TrackerFactory, asked, domain, form_turn

SENDER = "sender-1"
ITEM = "grid:carpal-tunnel:1"
DOMAIN = domain()


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


def said(dispatcher: CollectingDispatcher, key: str, language: str = "en") -> bool:
    return content.text(key, language) in texts(dispatcher)


def consenting(store: Engine) -> None:
    with unit_of_work(str(store.url)) as session:
        people.ensure_person(session, SENDER, channel="web")
        people.record_consent(session, SENDER, given=True, notice_version="1")


@pytest.mark.parametrize(
    ("entities", "text", "clarity"),
    [
        ([{"entity": "clarity", "value": "5"}], "/rate_clarity", 5),
        ([], "mostly clear", 3),
        ([], "it was confusing", 1),
        ([], "clir iawn", 5),
    ],
)
async def test_a_clarity_rating_tapped_or_typed_is_kept_with_its_item(
    store: Engine,
    dispatcher: CollectingDispatcher,
    make_tracker: TrackerFactory,
    entities: list[dict[str, Any]],
    text: str,
    clarity: int,
) -> None:
    consenting(store)
    tracker = make_tracker(
        SENDER, slots={"feedback_item": ITEM}, intent="rate_clarity", entities=entities, text=text
    )
    events = await actions.ActionRecordClarity().run(dispatcher, tracker, {})
    assert SlotSet("feedback_next", "suggest") in events
    with unit_of_work(str(store.url)) as session:
        [row] = session.scalars(select(ContentFeedback)).all()
        assert (row.item_kind, row.item_id, row.clarity) == ("grid", "carpal-tunnel", clarity)


async def test_an_unclear_rating_asks_again_and_keeps_nothing(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    tracker = make_tracker(SENDER, slots={"feedback_item": ITEM}, text="banana")
    assert await actions.ActionRecordClarity().run(dispatcher, tracker, {}) == [
        SlotSet("feedback_next", "done")
    ]
    assert said(dispatcher, "clarity_unclear")
    with unit_of_work(str(store.url)) as session:
        assert session.scalars(select(ContentFeedback)).all() == []


async def test_no_thanks_typed_to_the_suggestion_keeps_nothing(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    question = asked("Is there anything we could explain better?", ("No thanks", "/deny"))
    tracker = make_tracker(
        SENDER,
        slots={"requested_slot": "feedback_suggestion", "feedback_suggestion": "no thanks"},
        intent="deny",
        text="no thanks",
        active_loop="feedback_suggestion_form",
        events=form_turn(
            "feedback_suggestion_form", "feedback_suggestion", "no thanks", "deny",
            extracted=True, question=question,
        ),
    )  # fmt: skip
    events = await actions.ValidateFeedbackSuggestionForm().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("feedback_suggestion", "-") in events


async def test_a_story_is_kept_only_after_a_yes_typed_in_everyday_words(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    form = actions.ValidateStoryForm()
    yes = make_tracker(SENDER, intent="affirm", text="yeah go on")
    assert form.validate_story_consent("yeah go on", dispatcher, yes, {}) == {
        "story_consent": "yes"
    }
    welsh_no = make_tracker(SENDER, intent="deny", text="dim diolch")
    assert form.validate_story_consent("dim diolch", dispatcher, welsh_no, {}) == {
        "story_consent": "no",
        "story_text": "-",
    }
    told = {"story_consent": "yes", "story_text": "The walks helped me a lot"}
    await actions.ActionSaveStory().run(dispatcher, make_tracker(SENDER, slots=told), {})
    assert said(dispatcher, "story_thanks")
    declined = {"story_consent": "no", "story_text": "-"}
    await actions.ActionSaveStory().run(dispatcher, make_tracker(SENDER, slots=declined), {})
    assert said(dispatcher, "story_declined")
    with unit_of_work(str(store.url)) as session:
        [story] = session.scalars(select(PatientStory)).all()
        assert story.text == "The walks helped me a lot" and story.share_consent


async def test_nudges_off_and_on(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    await actions.ActionNudgesOff().run(
        dispatcher, make_tracker(SENDER, slots={"language": "cy"}), {}
    )
    assert said(dispatcher, "nudges_off", "cy")
    with unit_of_work(str(store.url)) as session:
        assert session.scalars(select(NudgeState.nudges_off)).one() is True
    await actions.ActionNudgesOn().run(dispatcher, make_tracker(SENDER), {})
    with unit_of_work(str(store.url)) as session:
        assert session.scalars(select(NudgeState.nudges_off)).one() is False
