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


# --- print links: read one Ask 3 list for a few minutes, and nothing else


def test_a_print_link_is_signed_for_its_owner_and_list_and_names_neither_token() -> None:
    sender = tokens.new_sender_id()
    session_token = tokens.issue(KEY, sender)
    link = tokens.print_link(KEY, sender, 42, expires_at=2_000_000_000)
    assert sender not in link and session_token not in link
    claims = tokens.parse_print_link(link)
    assert claims is not None and claims.list_id == 42
    assert tokens.print_link_signed_for(KEY, claims, sender)
    assert not tokens.print_link_signed_for(KEY, claims, tokens.new_sender_id())
    assert not tokens.print_link_signed_for("x" * 48, claims, sender)


def test_a_print_link_expires() -> None:
    claims = tokens.parse_print_link(tokens.print_link(KEY, "web-a", 1, expires_at=1000))
    assert claims is not None
    assert not claims.expired(now=999.0)
    assert claims.expired(now=1000.0)


def test_a_print_link_with_another_list_or_a_later_expiry_is_refused() -> None:
    sender = tokens.new_sender_id()
    _list_id, expires_at, signature = tokens.print_link(KEY, sender, 7, 1000).split(".")
    for forged in (f"8.{expires_at}.{signature}", f"7.99999999999.{signature}"):
        claims = tokens.parse_print_link(forged)
        assert claims is not None and not tokens.print_link_signed_for(KEY, claims, sender)


def test_a_session_token_is_not_a_print_link_and_a_print_link_is_not_a_session_token() -> None:
    sender = tokens.new_sender_id()
    assert tokens.parse_print_link(tokens.issue(KEY, sender)) is None
    assert tokens.verify(KEY, tokens.print_link(KEY, sender, 1, 1000)) is None


def test_print_link_garbage_is_refused() -> None:
    for junk in ["", "..", "1.2", "a.2.sig", "1.b.sig", "1.2.", "1.2.3.4", "-1.2.sig"]:
        assert tokens.parse_print_link(junk) is None
