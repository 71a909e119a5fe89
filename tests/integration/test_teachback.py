"""Teach-back through the real trained engine, the action server and the gateway."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.content.teachback import Module, find_module, load_dialogue
from bot.stack import LocalStack
from bot.store.db import unit_of_work
from bot.store.models import (
    Person,
    TeachbackAttempt,
    TeachbackPointResult,
    TeachbackSession,
)
from tests.support import WebChat, payloads, said, texts

pytestmark = pytest.mark.engine


def _inhaler() -> Module:
    module = find_module("inhaler")
    assert module is not None
    return module


INHALER = _inhaler()
DIALOGUE = load_dialogue()


def consented(stack: LocalStack, language: str = "en") -> WebChat:
    chat = WebChat(stack.gateway_url, language=language).start()
    chat.say("hello")
    chat.say("/affirm")
    return chat


def has(reply: list[dict[str, Any]], text: str) -> bool:
    return any(" ".join(m["text"].split()) == " ".join(text.split()) for m in reply)


def never_shaming(chat: WebChat) -> None:
    for _, reply in chat.transcript:
        lowered = texts(reply).lower()
        assert " wrong" not in lowered and "fail" not in lowered


def session_row(stack: LocalStack, sender_id: str) -> TeachbackSession:
    with unit_of_work(stack.database_url) as session:
        return session.scalars(
            select(TeachbackSession)
            .join(Person, Person.id == TeachbackSession.person_id)
            .where(Person.sender_id == sender_id)
        ).one()


def test_help_menu_offers_modules_then_one_starts(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    menu = chat.say("/start_teach_back")
    assert said(menu, "utter_teachback_choose_module")
    inhaler = '/start_teach_back{"teachback_module":"inhaler"}'
    assert inhaler in payloads(menu)
    reply = chat.say(inhaler)
    assert has(reply, INHALER.title.en)
    assert has(reply, INHALER.review_notice.en)
    # Before the first answer, once: may the care team read their words?
    assert has(reply, DIALOGUE.say("keep_text_question", "en"))
    assert payloads(reply)[-2:] == ["/affirm", "/deny"]
    reply = chat.say("/affirm")
    assert has(reply, DIALOGUE.say("keep_text_saved_yes", "en"))
    assert has(reply, INHALER.chunks[0].text.en)
    assert has(reply, INHALER.chunks[0].ask.en)
    answer = "I shake it and breathe out first"
    chat.say(answer)
    with unit_of_work(live_stack.database_url) as session:
        kept = session.scalars(select(TeachbackAttempt.answer_text)).all()
        assert answer in kept  # they said yes, so their words are there for the care team


def test_by_name_ack_not_counted_praise_retry_stop_and_resume(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    first, second = INHALER.chunks[0], INHALER.chunks[1]
    reply = chat.say("teach me about my inhaler")
    assert has(reply, DIALOGUE.say("keep_text_question", "en"))
    reply = chat.say("no thanks")
    assert has(reply, DIALOGUE.say("keep_text_saved_no", "en"))
    assert has(reply, first.text.en) and has(reply, first.ask.en)

    reply = chat.say("ok, I understand")
    assert has(reply, DIALOGUE.say("own_words", "en"))
    assert session_row(live_stack, chat.sender_id).chunk_id == first.id

    reply = chat.say(
        "Shake it well, then breathe out fully away from it before it goes in my mouth"
    )
    assert has(reply, DIALOGUE.say("praise", "en", 1))
    assert has(reply, second.text.en) and has(reply, second.ask.en)

    reply = chat.say("I press the canister and breathe in slowly at the same time")
    missed = next(p for p in second.key_points if p.id == "hold-breath")
    assert has(reply, DIALOGUE.say("partly", "en"))
    assert has(reply, missed.re_explain.en)  # only the missed point is re-explained
    assert not any(has(reply, p.re_explain.en) for p in second.key_points if p is not missed)
    assert has(reply, DIALOGUE.say("ask_again", "en", 0))

    reply = chat.say("stop")
    assert has(reply, DIALOGUE.say("paused", "en"))
    assert said(reply, "utter_what_next")
    assert session_row(live_stack, chat.sender_id).status == "paused"

    reply = chat.say("/start_teach_back")  # from the help menu: carries on where it stopped
    assert has(reply, DIALOGUE.say("welcome_back", "en"))
    assert has(reply, missed.re_explain.en)
    never_shaming(chat)

    with unit_of_work(live_stack.database_url) as session:
        attempts = session.scalars(select(TeachbackAttempt)).all()
        mine = [a for a in attempts if a.session_id == session_row(live_stack, chat.sender_id).id]
        assert [(a.chunk_id, a.attempt_number) for a in mine] == [
            (first.id, 1),
            (second.id, 1),
        ]
        assert all(a.answer_text is None for a in mine)
        evidence = session.scalars(
            select(TeachbackPointResult.evidence).where(
                TeachbackPointResult.attempt_id == mine[0].id
            )
        ).all()
        assert all(evidence)


def test_welsh_module_by_name(live_stack: LocalStack) -> None:
    chat = consented(live_stack, "cy")
    first = INHALER.chunks[0]
    reply = chat.say("dysgwch fi am fy anadlydd")
    assert has(reply, INHALER.title.cy)
    assert has(reply, DIALOGUE.say("keep_text_question", "cy"))
    reply = chat.say("na diolch")
    assert has(reply, first.text.cy) and has(reply, first.ask.cy)
    reply = chat.say("English")  # a language name mid-module switches, and is not graded
    assert has(reply, DIALOGUE.say("language_switched", "en"))
    assert has(reply, first.text.en) and has(reply, first.ask.en)
    reply = chat.say("Cymraeg")
    assert has(reply, first.text.cy) and has(reply, first.ask.cy)
    reply = chat.say("ydw")
    assert has(reply, DIALOGUE.say("own_words", "cy"))
    reply = chat.say("ysgwyd yr anadlydd, wedyn anadlu allan yn llawn cyn ei roi yn fy ngheg")
    assert has(reply, DIALOGUE.say("praise", "cy", 1))
    assert has(reply, INHALER.chunks[1].text.cy)
    never_shaming(chat)


def test_engine_restart_mid_module_carries_on(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    second, third = INHALER.chunks[1], INHALER.chunks[2]
    chat.say("teach me about my inhaler")
    chat.say("/deny")
    chat.say("Shake it well, then breathe out fully away from it before it goes in my mouth")
    live_stack.stop_engine()
    live_stack.start_engine()
    live_stack.wait_healthy()
    reply = chat.say("/start_teach_back")  # a menu button mid-module: not an answer
    assert has(reply, second.text.en) and has(reply, second.ask.en)
    reply = chat.say(
        "Lips round the mouthpiece, breathe in slowly and press it at the same time, "
        "then hold my breath for ten seconds"
    )
    assert has(reply, DIALOGUE.say("praise", "en", 2))
    assert has(reply, third.text.en)
    assert session_row(live_stack, chat.sender_id).chunk_id == third.id


def thanked(reply: list[dict[str, Any]], language: str) -> bool:
    word = "diolch" if language == "cy" else "thank"
    return word in texts(reply).lower()


GOOD = {
    "en": (
        "Shake it well, then breathe out fully away from it before it goes in my mouth",
        "Lips round the mouthpiece, breathe in slowly and press it at the same time, "
        "then hold my breath for ten seconds",
    ),
    "cy": (
        "ysgwyd yr anadlydd, wedyn anadlu allan yn llawn cyn ei roi yn fy ngheg",
        "anadlu i mewn yn araf a phwyso'r canister ar yr un pryd, wedyn dal fy anadl am ddeg "
        "eiliad",
    ),
}
UNSAFE = {
    "en": "just do the second puff straight away, no need to rinse",
    "cy": "cymryd yr ail bwff yn syth, dim angen golchi fy ngheg",
}
DUNNO = {"en": "dunno", "cy": "dim syniad"}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_fair_replies_through_the_engine(live_stack: LocalStack, language: str) -> None:
    """'dunno' and an unsafe answer are never thanked; the coach's own re-explanation typed
    back is explained back; a correct last answer is praised; the summary is what they said."""
    chat = consented(live_stack, language)
    first, second, third = INHALER.chunks
    chat.say("teach me about my inhaler" if language == "en" else "dysgwch fi am fy anadlydd")
    chat.say("/deny")

    reply = chat.say(DUNNO[language])
    assert has(reply, DIALOGUE.say("not_sure", language))
    assert not thanked(reply, language)
    assert has(reply, first.key_points[0].re_explain.in_language(language))

    for point in first.key_points:  # the module's own words, typed back
        reply = chat.say(point.re_explain.in_language(language))
    assert has(reply, second.text.in_language(language))

    chat.say(GOOD[language][1])
    reply = chat.say(UNSAFE[language])
    assert has(reply, DIALOGUE.say("correct_kindly", language))
    assert not thanked(reply, language)
    rinse = next(p for p in third.key_points if p.id == "rinse")
    assert has(reply, rinse.re_explain.in_language(language))  # what is right, kindly

    for point in third.key_points:
        reply = chat.say(point.re_explain.in_language(language))
    assert has(reply, DIALOGUE.say("praise", language, 2))
    assert not has(reply, DIALOGUE.say("move_on_last", language))
    assert has(reply, DIALOGUE.say("summary", language))
    listed = texts(reply)
    assert all(p.text.in_language(language) in listed for c in INHALER.chunks for p in c.key_points)
    never_shaming(chat)
