"""What the gateway refuses to forward, and the replies it gives instead, in both languages."""

from __future__ import annotations

import pytest

from bot.content.system import privacy_notice_version, system_message
from bot.turns import MAX_MESSAGE_CHARS, invalid_text_reason, system_reply

KEYS = ["engine_unavailable", "empty_message", "message_too_long", "delayed_replies"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty_message"),
        ("   \n\t ", "empty_message"),
        ("x" * (MAX_MESSAGE_CHARS + 1), "message_too_long"),
        ("x" * MAX_MESSAGE_CHARS, None),
        ("hello", None),
        ("  shwmae  ", None),
    ],
)
def test_invalid_text_reason(text: str, reason: str | None) -> None:
    assert invalid_text_reason(text) == reason


@pytest.mark.parametrize("key", KEYS)
def test_every_gateway_text_exists_in_english_and_welsh(key: str) -> None:
    english, welsh = system_message(key, "en"), system_message(key, "cy")
    assert english.strip() and welsh.strip()
    assert english != welsh


def test_engine_unavailable_reply_says_the_message_was_kept() -> None:
    reply = system_reply("engine_unavailable", "en")
    assert "kept your message" in reply["text"]
    assert reply["buttons"] == []


def test_unknown_language_falls_back_to_english() -> None:
    assert system_message("empty_message", "fr") == system_message("empty_message", "en")


def test_privacy_notice_has_a_version() -> None:
    assert privacy_notice_version()
