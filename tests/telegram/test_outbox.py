"""The one outbound sender: blocked bots, flood control, network errors; and message splitting."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from telegram.error import TimedOut

from bot.channels.telegram.render import split_text, units
from bot.store import telegram as tg_store
from bot.store.db import unit_of_work
from bot.store.models import DeliveryFailure
from tests.telegram.bot_api_server import error_body
from tests.telegram.conftest import GWEN, Harness

MESSAGES = [{"text": "Well done on your walk today.", "buttons": []}]


def enrol(database: str) -> str:
    with unit_of_work(database) as session:
        return tg_store.enrol_user(session, GWEN, "en").sender_id


def failures(database: str) -> list[tuple[str, str, str, int]]:
    with unit_of_work(database) as session:
        return [
            (f.sender_id, f.method, f.reason, f.attempts)
            for f in session.scalars(select(DeliveryFailure))
        ]


async def test_a_blocked_bot_marks_the_identity_inactive_and_stops(
    harness: Harness, database: str
) -> None:
    sender_id = enrol(database)
    harness.bot_api.script("sendMessage", error_body(403, "Forbidden: bot was blocked by the user"))
    assert not await harness.channel.outbox.send_messages(sender_id, GWEN, MESSAGES)
    assert len(harness.bot_api.sent("sendMessage")) == 1  # not retried
    with unit_of_work(database) as session:
        assert tg_store.chat_of(session, sender_id) is None  # nothing more is sent or scheduled
    assert not await harness.channel.push(sender_id, [dict(m) for m in MESSAGES])
    assert len(harness.bot_api.sent("sendMessage")) == 1


async def test_flood_control_waits_as_told_then_sends(harness: Harness, database: str) -> None:
    sender_id = enrol(database)
    harness.bot_api.script(
        "sendMessage", error_body(429, "Too Many Requests: retry after 7", retry_after=7)
    )
    assert await harness.channel.outbox.send_messages(sender_id, GWEN, MESSAGES)
    assert harness.sleeps == [7.0]
    assert len(harness.bot_api.sent("sendMessage")) == 2
    assert failures(database) == []


async def test_timeouts_are_retried_with_backoff_then_recorded(
    harness: Harness, database: str
) -> None:
    sender_id = enrol(database)
    harness.bot_api.script("sendMessage", *(TimedOut() for _ in range(4)))
    assert not await harness.channel.outbox.send_messages(sender_id, GWEN, MESSAGES)
    assert harness.sleeps == [1.0, 2.0, 4.0]
    assert failures(database) == [(sender_id, "sendMessage", "TimedOut", 4)]


async def test_a_timeout_then_success_delivers_once(harness: Harness, database: str) -> None:
    sender_id = enrol(database)
    harness.bot_api.script("sendMessage", TimedOut())
    assert await harness.channel.outbox.send_messages(sender_id, GWEN, MESSAGES)
    assert harness.sleeps == [1.0]
    assert failures(database) == []


async def test_a_refused_message_is_recorded_without_retrying(
    harness: Harness, database: str
) -> None:
    sender_id = enrol(database)
    harness.bot_api.script("sendMessage", error_body(400, "Bad Request: message is too long"))
    assert not await harness.channel.outbox.send_messages(sender_id, GWEN, MESSAGES)
    assert harness.sleeps == []
    assert failures(database) == [(sender_id, "sendMessage", "bad_request", 1)]


async def test_typing_failures_never_break_a_turn(harness: Harness) -> None:
    harness.bot_api.script("sendChatAction", TimedOut())
    async with harness.channel.outbox.typing(GWEN):
        pass
    assert harness.bot_api.sent("sendChatAction") == [{"chat_id": GWEN, "action": "typing"}]


def test_short_text_is_one_piece() -> None:
    assert split_text("  Hello.  ") == ["Hello."]
    assert split_text("   ") == []


def test_split_prefers_sentences_then_lines_then_words() -> None:
    text = "One two three. Four five six! Seven eight nine?"
    assert split_text(text, limit=30) == ["One two three. Four five six!", "Seven eight nine?"]
    assert split_text("alpha beta\ngamma delta", limit=12) == ["alpha beta", "gamma delta"]
    assert split_text("aaaa bbbb cccc", limit=9) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


@pytest.mark.parametrize("char", ["a", "é", "😀"])
def test_pieces_fit_telegrams_limit_in_utf16_units(char: str) -> None:
    text = (f"{char * 50}. " * 300).strip()
    pieces = split_text(text)
    assert all(units(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
