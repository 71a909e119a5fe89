"""Red flags, data rights and private logs through the real engine, actions and gateway.

The conversations here carry a sentinel string; the last test scans every log file the
stack wrote for it, and for the session tokens.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from bot.stack import LocalStack
from bot.store import data_rights
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, SafetyFlag
from tests.support import WebChat, http_json, payloads, rows_mentioning, said

pytestmark = pytest.mark.engine

SENTINEL = "MARKER-9c41e7"
TOKENS: list[str] = []


def chat(stack: LocalStack, language: str = "en") -> WebChat:
    started = WebChat(stack.gateway_url, language=language).start()
    TOKENS.append(started.token)
    return started


def agreed(stack: LocalStack, language: str = "en") -> WebChat:
    conversation = chat(stack, language)
    conversation.say(f"hello {SENTINEL}")
    conversation.say("/affirm")
    return conversation


def tracker_events(stack: LocalStack, sender_id: str) -> int:
    with unit_of_work(stack.database_url) as session:
        count: int = session.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender_id}
        ).scalar_one()
        return count


def flags_raised(stack: LocalStack) -> list[tuple[str, str]]:
    with unit_of_work(stack.database_url) as session:
        return [(f.category, f.sign) for f in session.scalars(select(SafetyFlag))]


def test_emergency_gets_999_first_and_the_conversation_goes_on(live_stack: LocalStack) -> None:
    conversation = chat(live_stack)
    reply = conversation.say(f"I've got crushing chest pain {SENTINEL}")
    assert len(reply) == 1 and "999" in reply[0]["text"]
    with unit_of_work(live_stack.database_url) as session:
        [flag] = session.scalars(select(SafetyFlag)).all()[-1:]
        assert (flag.category, flag.sign, flag.channel, flag.clinician_id) == (
            "emergency", "chest_pain", "web", None,
        )  # fmt: skip
    # The red-flag message never reached the engine; the dialogue carries on from where it was.
    assert said(conversation.say("hello"), "utter_privacy_notice")


def test_welsh_distress_then_benign_idiom(live_stack: LocalStack) -> None:
    conversation = agreed(live_stack, "cy")
    assert "116 123" in conversation.say("dw i'n teimlo'n anobeithiol")[0]["text"]
    flags = len(flags_raised(live_stack))
    reply = conversation.say(f"mae'r deiet 'ma'n fy lladd i {SENTINEL}")
    # No safety reply and no flag: the engine answers ("999" alone is no sign of an alert,
    # since the coach's "I can't help with that" names it as a standing reminder).
    assert not any("116 123" in m["text"] for m in reply)
    assert not any(m.get("buttons") and payloads([m]) == ["/affirm", "/deny"] for m in reply)
    assert len(flags_raised(live_stack)) == flags


def test_ambiguous_mention_asks_yes_no_and_escalates(live_stack: LocalStack) -> None:
    conversation = agreed(live_stack)
    question = conversation.say("chest pain")
    assert payloads(question) == ["/affirm", "/deny"]
    assert "999" in conversation.say("/affirm")[0]["text"]


def test_my_data_offers_a_download_with_the_whole_history(live_stack: LocalStack) -> None:
    conversation = agreed(live_stack)
    reply = conversation.say("I want to download my data")
    assert said(reply, "utter_my_data")
    assert data_rights.DOWNLOAD_PAYLOAD in payloads(reply)
    status, document = http_json(
        "GET", f"{live_stack.gateway_url}/api/my-data", token=conversation.token
    )
    assert status == 200
    texts = [e.get("text") for e in document["conversation_history"]]
    assert f"hello {SENTINEL}" in texts
    assert document["person"]["consent"] == "given"


def test_withdrawing_consent_asks_first_and_keeps_only_that(live_stack: LocalStack) -> None:
    conversation = agreed(live_stack)
    # Issue 17: a bare "stop" asks what to stop; withdrawing consent asks to confirm.
    assert not said(conversation.say("stop"), "utter_consent_withdrawn")
    assert said(conversation.say("withdraw my consent"), "utter_ask_withdraw_consent")
    assert said(conversation.say("/affirm"), "utter_consent_withdrawn")
    assert tracker_events(live_stack, conversation.sender_id) == 0
    with unit_of_work(live_stack.database_url) as session:
        assert not data_rights.may_contact(session, conversation.sender_id)
        document = data_rights.export_person(session, conversation.sender_id)
    assert set(document["records"]) == {"channel_identities", "consent_records"}
    assert said(conversation.say("hi"), "utter_privacy_notice")


def forget_me_erases_everything(stack: LocalStack) -> None:
    conversation = agreed(stack)
    marker = f"{SENTINEL}-forget-{conversation.sender_id[-6:]}"
    conversation.say(f"what's the weather on mars {marker}")
    conversation.say("I have chest pain")  # a flag for the care team
    assert rows_mentioning(stack.database_url, conversation.sender_id, marker)
    assert said(conversation.say("forget me"), "utter_ask_forget_me")
    assert said(conversation.say("/affirm"), "utter_forgotten")
    assert rows_mentioning(stack.database_url, conversation.sender_id, marker) == []
    with unit_of_work(stack.database_url) as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and last.action == "erased"
    # The old token is gone with the person.
    status, _ = http_json(
        "POST", f"{stack.gateway_url}/api/messages", {"text": "hi"}, token=conversation.token
    )
    assert status == 401
    assert rows_mentioning(stack.database_url, conversation.sender_id) == []


def test_forget_me_erases_everything_on_sqlite(live_stack: LocalStack) -> None:
    forget_me_erases_everything(live_stack)


def test_forget_me_erases_everything_on_postgresql(postgres_stack: LocalStack) -> None:
    forget_me_erases_everything(postgres_stack)


def test_forget_me_can_be_cancelled_in_welsh(live_stack: LocalStack) -> None:
    conversation = agreed(live_stack, "cy")
    assert said(conversation.say("dilëwch fy nata"), "utter_ask_forget_me", "cy")
    assert said(conversation.say("na"), "utter_forget_me_cancelled", "cy")
    assert tracker_events(live_stack, conversation.sender_id) > 0


def test_logs_hold_no_message_text_or_tokens(live_stack: LocalStack) -> None:
    """Runs last in this module: every conversation above planted the sentinel."""
    conversation = agreed(live_stack)
    conversation.say(f"I feel hopeless {SENTINEL}")
    conversation.say(f"{SENTINEL} Cymraeg")
    files = live_stack.log_files()
    assert {f.stem for f in files} >= {"engine", "actions", "gateway"}
    leaks: list[Any] = []
    for path in files:
        content = path.read_text(errors="replace")
        leaks += [(path.name, "sentinel") for _ in [0] if SENTINEL in content]
        leaks += [(path.name, "token") for token in TOKENS if token in content]
    assert leaks == []
