"""Web session tokens: the server picks the sender, and tokens cannot be forged."""

from __future__ import annotations

from bot.channels.web import tokens

KEY = "k" * 48


def test_issued_token_verifies_to_its_sender() -> None:
    sender = tokens.new_sender_id()
    assert tokens.verify(KEY, tokens.issue(KEY, sender)) == sender


def test_sender_ids_are_unguessable_and_distinct() -> None:
    ids = {tokens.new_sender_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) >= 24 for i in ids)


def test_token_signed_with_another_key_is_refused() -> None:
    sender = tokens.new_sender_id()
    assert tokens.verify(KEY, tokens.issue("x" * 48, sender)) is None


def test_tampered_sender_is_refused() -> None:
    token = tokens.issue(KEY, tokens.new_sender_id())
    _, _, signature = token.rpartition(".")
    assert tokens.verify(KEY, f"web-someone-else.{signature}") is None


def test_garbage_is_refused() -> None:
    for junk in ["", ".", "web-", "abc", "web-x.", ".sig", "telegram-1.abc"]:
        assert tokens.verify(KEY, junk) is None
