"""The first conversation through the real trained engine, the action server and the gateway."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.content.system import privacy_notice_version
from bot.stack import LocalStack
from bot.store.db import unit_of_work
from bot.store.models import ConsentRecord, Person
from tests.support import WebChat, payloads, said

pytestmark = pytest.mark.engine


def stored_person(stack: LocalStack, sender_id: str) -> Person:
    with unit_of_work(stack.database_url) as session:
        person = session.scalars(select(Person).where(Person.sender_id == sender_id)).one()
        return person


def tracker_event_count(stack: LocalStack, sender_id: str) -> int:
    with unit_of_work(stack.database_url) as session:
        count: int = session.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender_id}
        ).scalar_one()
        return count


def test_greeting_offers_the_privacy_notice_with_consent_buttons(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    reply = chat.say("hello")
    assert said(reply, "utter_greet")
    assert said(reply, "utter_privacy_notice")
    assert {"/affirm", "/deny"} <= set(payloads(reply))


def test_consent_yes_is_recorded_and_opens_the_help_menu(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    chat.say("hi")
    reply = chat.say("/affirm")  # the button's payload, sent back as text
    assert said(reply, "utter_help")
    assert "/help" in payloads(reply) or len(payloads(reply)) >= 3
    with unit_of_work(live_stack.database_url) as session:
        person = session.scalars(select(Person).where(Person.sender_id == chat.sender_id)).one()
        assert person.consent == "given"
        record = session.scalars(
            select(ConsentRecord).where(ConsentRecord.person_id == person.id)
        ).one()
        assert (record.decision, record.notice_version) == ("given", privacy_notice_version())
    # The custom action's slot reached the engine: a later greeting does not ask again.
    again = chat.say("hello")
    assert not said(again, "utter_privacy_notice")


def test_typed_yes_counts_as_consent(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    chat.say("hello there")
    assert said(chat.say("yes I agree"), "utter_help")


def test_consent_no_keeps_nothing_but_the_refusal_and_offers_again(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    chat.say("hello")
    reply = chat.say("/deny")
    assert said(reply, "utter_consent_refused")
    person = stored_person(live_stack, chat.sender_id)
    assert person.consent == "refused"
    assert tracker_event_count(live_stack, chat.sender_id) == 0
    later = chat.say("hi")
    assert said(later, "utter_privacy_notice")


def test_nothing_goes_on_before_consent(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    chat.say("hello")
    reply = chat.say("what can you do?")
    assert said(reply, "utter_privacy_notice")
    assert not said(reply, "utter_help")


def test_welsh_session_gets_welsh_replies(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url, language="cy").start()
    reply = chat.say("shwmae")
    assert said(reply, "utter_privacy_notice", "cy")
    assert said(chat.say("ydw"), "utter_help", "cy")


def test_language_switch_any_time_and_remembered(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    chat.say("hello")
    chat.say("/affirm")
    reply = chat.say("Cymraeg")
    assert said(reply, "utter_language_switched", "cy")
    assert stored_person(live_stack, chat.sender_id).language == "cy"
    assert said(chat.say("help"), "utter_help", "cy")
    back = chat.say("English please")
    assert said(back, "utter_language_switched", "en")
    assert stored_person(live_stack, chat.sender_id).language == "en"


def test_language_switch_before_consent_shows_the_notice_in_welsh(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    chat.say("hello")
    reply = chat.say('/switch_language{"language":"cy"}')
    assert said(reply, "utter_privacy_notice", "cy")


def test_out_of_scope_gets_a_kind_fallback_with_the_menu(live_stack: LocalStack) -> None:
    chat = WebChat(live_stack.gateway_url).start()
    chat.say("hello")
    chat.say("/affirm")
    reply = chat.say("what's the weather like on mars")
    assert said(reply, "utter_out_of_scope") or said(reply, "utter_default")
    assert "/help" in payloads(reply)
    assert said(chat.say("/help"), "utter_help")
