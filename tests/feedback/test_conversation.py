"""Feedback through the real trained engine, the action server and the gateway: a clarity
rating and suggestion after a teach-back module, a rating after an option grid (Welsh),
stories shared and declined, and nudges turned off and on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.content.option_grids import find_grid
from bot.content.teachback import find_module, load_dialogue
from bot.feedback import content
from bot.stack import LocalStack
from bot.store import people
from bot.store.db import unit_of_work
from bot.store.models import ContentFeedback, NudgeState, PatientStory, Person
from tests.support import WebChat, payloads, said, texts

pytestmark = pytest.mark.engine

DIALOGUE = load_dialogue()


def consented(stack: LocalStack, language: str = "en") -> WebChat:
    chat = WebChat(stack.gateway_url, language=language).start()
    chat.say("hello")
    chat.say("/affirm")
    return chat


def has(reply: list[dict[str, Any]], key: str, language: str = "en") -> bool:
    wanted = content.text(key, language)
    return any(" ".join(m["text"].split()) == wanted for m in reply)


def tap(reply: list[dict[str, Any]], title: str) -> str:
    return str(
        next(b["payload"] for m in reply for b in m.get("buttons", []) if b["title"] == title)
    )


def feedback_of(stack: LocalStack, sender_id: str) -> list[ContentFeedback]:
    with unit_of_work(stack.database_url) as session:
        return list(
            session.scalars(
                select(ContentFeedback)
                .join(Person, Person.id == ContentFeedback.person_id)
                .where(Person.sender_id == sender_id)
            )
        )


def stories_of(stack: LocalStack, sender_id: str) -> list[PatientStory]:
    with unit_of_work(stack.database_url) as session:
        return list(
            session.scalars(
                select(PatientStory)
                .join(Person, Person.id == PatientStory.person_id)
                .where(Person.sender_id == sender_id)
            )
        )


def test_a_finished_module_asks_how_clear_it_was_then_takes_a_suggestion(
    live_stack: LocalStack,
) -> None:
    module = find_module("inhaler")
    assert module is not None
    chat = consented(live_stack)
    chat.say("teach me about my inhaler")
    chat.say("/deny")  # their answers' words are not kept for the care team
    for _ in range(3 * len(module.chunks) - 1):
        reply = chat.say("I don't know")
        assert not has(reply, "clarity_module")  # never mid-module
    reply = chat.say("I don't know")
    # Nothing was explained back, so the summary says the care team will go over it.
    assert any(m["text"] == DIALOGUE.say("summary_nothing", "en") for m in reply)
    assert has(reply, "clarity_module")
    assert not said(reply, "utter_what_next")
    rating = tap(reply, "Mostly clear")
    assert f"module:inhaler:{module.version}" in rating

    reply = chat.say(rating)
    assert has(reply, "ask_suggestion")
    assert payloads(reply) == ["/deny"]  # "No thanks" is one tap away
    words = "A picture of how to hold the inhaler would help me"
    reply = chat.say(words)
    assert has(reply, "suggestion_thanks")

    [row] = feedback_of(live_stack, chat.sender_id)
    assert (row.item_kind, row.item_id, row.content_version) == (
        "module",
        "inhaler",
        module.version,
    )
    assert (row.clarity, row.language, row.channel, row.suggestion) == (3, "en", "web", words)


def test_a_paused_module_asks_what_next_not_for_a_rating(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    chat.say("teach me about my inhaler")
    chat.say("/deny")
    reply = chat.say("stop")
    assert said(reply, "utter_what_next")
    assert not has(reply, "clarity_module")
    assert feedback_of(live_stack, chat.sender_id) == []


def test_welsh_option_grid_rating_with_no_thanks_keeps_just_the_rating(
    live_stack: LocalStack,
) -> None:
    grid = find_grid("knee-osteoarthritis")
    assert grid is not None
    chat = consented(live_stack, "cy")
    reply = chat.say('/show_option_grid{"option_grid":"knee-osteoarthritis"}')
    assert any("option_grid" in m for m in reply)
    assert has(reply, "clarity_grid", "cy")
    reply = chat.say(tap(reply, "Clir iawn"))
    assert has(reply, "ask_suggestion", "cy")
    reply = chat.say(tap(reply, "Dim diolch"))
    assert has(reply, "suggestion_skipped", "cy")
    [row] = feedback_of(live_stack, chat.sender_id)
    assert (row.item_kind, row.item_id, row.content_version) == ("grid", grid.id, 1)
    assert (row.clarity, row.language, row.suggestion) == (5, "cy", None)


def test_a_typed_rating_counts_and_a_rating_with_nothing_offered_is_explained(
    live_stack: LocalStack,
) -> None:
    chat = consented(live_stack)
    reply = chat.say("very clear")
    assert has(reply, "nothing_to_rate")
    reply = chat.say('/show_option_grid{"option_grid":"carpal-tunnel"}')
    assert has(reply, "clarity_grid")
    reply = chat.say("it was confusing")
    assert has(reply, "ask_suggestion")
    chat.say("no thanks")
    [row] = feedback_of(live_stack, chat.sender_id)
    assert (row.item_id, row.clarity, row.suggestion) == ("carpal-tunnel", 1, None)


def test_a_story_shared_with_consent_is_kept_for_the_improvement_team(
    live_stack: LocalStack,
) -> None:
    chat = consented(live_stack)
    reply = chat.say("I'd like to share my story")
    assert has(reply, "story_intro") and has(reply, "ask_story_consent")
    assert payloads(reply)[-2:] == ["/affirm", "/deny"]
    reply = chat.say("/affirm")
    assert has(reply, "ask_story_text")
    story = "The check-ins helped me keep walking after my knee operation, thank you."
    reply = chat.say(story)
    assert has(reply, "story_thanks")
    [kept] = stories_of(live_stack, chat.sender_id)
    assert (kept.text, kept.share_consent, kept.language) == (story, True, "en")


def test_a_declined_story_in_welsh_keeps_nothing(live_stack: LocalStack) -> None:
    chat = consented(live_stack, "cy")
    reply = chat.say("hoffwn i rannu fy stori")
    assert has(reply, "story_intro", "cy") and has(reply, "ask_story_consent", "cy")
    reply = chat.say("na")
    assert has(reply, "story_declined", "cy")
    assert stories_of(live_stack, chat.sender_id) == []
    assert "Dangos y ddewislen" in texts(
        [{"text": b["title"]} for m in reply for b in m["buttons"]]
    )


def test_nudges_turned_off_and_on_in_english_and_welsh(live_stack: LocalStack) -> None:
    def nudges_off(sender_id: str) -> bool | None:
        with unit_of_work(live_stack.database_url) as session:
            person = people.find_person(session, sender_id)
            assert person is not None
            state = session.get(NudgeState, person.id)
            return None if state is None else state.nudges_off

    chat = consented(live_stack)
    assert said(chat.say("/help"), "utter_help")
    assert "/share_story" in payloads(chat.transcript[-1][1])
    assert has(chat.say("stop nudges"), "nudges_off")
    assert nudges_off(chat.sender_id) is True
    assert has(chat.say("turn nudges back on"), "nudges_on")
    assert nudges_off(chat.sender_id) is False

    welsh = consented(live_stack, "cy")
    assert has(welsh.say("dim negeseuon i ddod yn ôl"), "nudges_off", "cy")
    assert nudges_off(welsh.sender_id) is True
