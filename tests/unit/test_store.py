"""The store on SQLite and on a real PostgreSQL: people, consent, language, kept messages."""

from __future__ import annotations

import json

from sqlalchemy import func, select, text

from bot.store import messages, migrate, people
from bot.store.db import unit_of_work
from bot.store.models import ConsentRecord, Conversation, KeptMessage


def test_web_enrolment_then_consent_given(database_url: str) -> None:
    migrate.upgrade(database_url)
    with unit_of_work(database_url) as session:
        people.enrol_web_person(session, "web-a", "cy", "INVITE1")
    with unit_of_work(database_url) as session:
        assert people.load_profile(session, "web-a") == people.Profile("web-a", "cy", "pending")
        assert people.identity_is_active(session, "web", "web-a")
        assert not people.identity_is_active(session, "web", "web-b")
        people.record_consent(session, "web-a", given=True, notice_version="v1")
    with unit_of_work(database_url) as session:
        assert people.load_profile(session, "web-a") == people.Profile("web-a", "cy", "given")
        record = session.scalars(select(ConsentRecord)).one()
        assert (record.decision, record.notice_version) == ("given", "v1")
        people.touch_conversation(session, "web-a", "web")
        people.touch_conversation(session, "web-a", "web")
    with unit_of_work(database_url) as session:
        assert session.scalars(select(Conversation.turns)).one() == 2


def test_refusal_keeps_only_the_refusal(database_url: str) -> None:
    migrate.upgrade(database_url)
    with unit_of_work(database_url) as session:
        people.enrol_web_person(session, "web-r", "en", None)
        people.record_consent(session, "web-r", given=False, notice_version="v1")
    with unit_of_work(database_url) as session:
        assert people.load_profile(session, "web-r") == people.Profile("web-r", "en", "refused")
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
        people.touch_conversation(session, "web-r", "web")
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0


def test_language_switch_is_remembered(database_url: str) -> None:
    migrate.upgrade(database_url)
    with unit_of_work(database_url) as session:
        people.set_language(session, "rest-1", "cy")
    with unit_of_work(database_url) as session:
        profile = people.load_profile(session, "rest-1")
        assert profile is not None and profile.language == "cy"


def test_failed_unit_of_work_leaves_nothing(database_url: str) -> None:
    migrate.upgrade(database_url)
    try:
        with unit_of_work(database_url) as session:
            people.enrol_web_person(session, "web-x", "en", None)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with unit_of_work(database_url) as session:
        assert people.load_profile(session, "web-x") is None


def test_kept_messages_come_back_in_order_and_lose_their_text(database_url: str) -> None:
    migrate.upgrade(database_url)
    with unit_of_work(database_url) as session:
        first = messages.keep_message(session, "web-k", "web", "first")
        messages.keep_message(session, "web-k", "web", "second")
        messages.keep_message(session, "web-other", "web", "other")
    with unit_of_work(database_url) as session:
        assert messages.senders_with_pending(session) == ["web-k", "web-other"]
        assert [k.text for k in messages.pending_for(session, "web-k")] == ["first", "second"]
        messages.mark_delivered(session, first)
    with unit_of_work(database_url) as session:
        assert [k.text for k in messages.pending_for(session, "web-k")] == ["second"]
        delivered = session.get(KeptMessage, first)
        assert delivered is not None and delivered.text is None and delivered.delivered_at


def test_held_replies_are_shown_once(database_url: str) -> None:
    migrate.upgrade(database_url)
    reply = {"text": "hi", "buttons": []}
    with unit_of_work(database_url) as session:
        messages.hold_replies(session, "web-h", [reply, reply])
    with unit_of_work(database_url) as session:
        assert messages.take_held_replies(session, "web-h") == [reply, reply]
    with unit_of_work(database_url) as session:
        assert messages.take_held_replies(session, "web-h") == []


def test_forget_tracker_deletes_only_that_senders_events(database_url: str) -> None:
    migrate.upgrade(database_url)
    with unit_of_work(database_url) as session:
        messages.forget_tracker(session, "web-a")  # no events table yet: nothing to do
        session.execute(
            text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255))")
        )
        session.execute(text("INSERT INTO events (id, sender_id) VALUES (1,'web-a'),(2,'web-b')"))
    with unit_of_work(database_url) as session:
        messages.forget_tracker(session, "web-a")
    with unit_of_work(database_url) as session:
        left = session.execute(text("SELECT sender_id FROM events")).scalars().all()
        assert left == ["web-b"]


def test_a_turn_the_engine_took_is_found_with_its_answer(database_url: str) -> None:
    """A kept message's turn id on a user event means the engine took it: its replies are
    read back instead of sending it twice. Events are in Rasa 3.6's stored shape."""
    migrate.upgrade(database_url)

    def user(turn: str, said: str) -> str:
        return json.dumps(
            {"event": "user", "text": said, "metadata": {"channel": "web", "turn": turn}}
        )

    def bot(said: str, buttons: list[dict[str, str]] | None = None) -> str:
        return json.dumps(
            {"event": "bot", "text": said, "data": {"buttons": buttons, "custom": None}}
        )

    rows = [
        ("web-t", "user", user("t1", "hello")),
        ("web-t", "bot", bot("Hello!")),
        ("web-t", "user", user("t2", "help")),
        ("web-t", "action", json.dumps({"event": "action", "name": "utter_help"})),
        ("web-t", "bot", bot("Here is what I can do", [{"title": "Plan", "payload": "/plan"}])),
        ("web-t", "bot", bot("Anything else?")),
        ("web-other", "user", user("t3", "hi")),
    ]
    with unit_of_work(database_url) as session:
        session.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
        for number, (sender, kind, data) in enumerate(rows, start=1):
            session.execute(
                text("INSERT INTO events (id, sender_id, type_name, data) VALUES (:i,:s,:k,:d)"),
                {"i": number, "s": sender, "k": kind, "d": data},
            )
    with unit_of_work(database_url) as session:
        assert messages.answered_turn(session, "web-t", "t2") == [
            {"text": "Here is what I can do", "buttons": [{"title": "Plan", "payload": "/plan"}]},
            {"text": "Anything else?", "buttons": []},
        ]
        assert messages.answered_turn(session, "web-t", "t1") == [{"text": "Hello!", "buttons": []}]
        assert messages.answered_turn(session, "web-t", "never-sent") is None
        assert messages.answered_turn(session, "web-t", "t3") is None  # someone else's turn
