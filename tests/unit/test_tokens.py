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


DAY = 24 * 3600.0
T0 = 1_900_000_000.0  # a fixed clock: nothing here waits or reads the time


def test_a_session_ends_after_its_idle_lifetime() -> None:
    sender = tokens.new_sender_id()
    token = tokens.issue(KEY, sender, now=T0, lifetime=30 * DAY)
    assert tokens.verify(KEY, token, now=T0 + 30 * DAY - 1) == sender
    assert tokens.verify(KEY, token, now=T0 + 30 * DAY) is None
    checked = tokens.check(KEY, token, now=T0 + 31 * DAY)
    assert checked.status is tokens.Status.EXPIRED and checked.sender_id == sender


def test_using_a_session_renews_it() -> None:
    sender = tokens.new_sender_id()
    token = tokens.issue(KEY, sender, now=T0, lifetime=30 * DAY)
    # Used within the hour: no new token yet.
    assert tokens.renewal(KEY, tokens.check(KEY, token, now=T0 + 60), now=T0 + 60,
                          lifetime=30 * DAY) is None  # fmt: skip
    used_at = T0 + 29 * DAY
    renewed = tokens.renewal(
        KEY, tokens.check(KEY, token, now=used_at), now=used_at, lifetime=30 * DAY
    )
    assert renewed is not None and renewed != token
    later = T0 + 50 * DAY  # 21 days after the last use: the old token has ended, not the new
    assert tokens.verify(KEY, token, now=later) is None
    assert tokens.verify(KEY, renewed, now=later) == sender
    assert tokens.verify(KEY, renewed, now=used_at + 30 * DAY) is None


def test_an_expired_or_forged_session_is_not_renewed() -> None:
    sender = tokens.new_sender_id()
    token = tokens.issue(KEY, sender, now=T0, lifetime=DAY)
    assert tokens.renewal(KEY, tokens.check(KEY, token, now=T0 + 2 * DAY), now=T0 + 2 * DAY,
                          lifetime=DAY) is None  # fmt: skip
    head, _, signature = token.partition("~")
    sender_part = head.rpartition(".")[0]
    assert sender_part == sender
    stretched = f"{sender_part}.{int(T0 + 400 * DAY)}~{signature}"
    assert tokens.check(KEY, stretched, now=T0).status is tokens.Status.INVALID


def test_a_token_from_before_sessions_ended_counts_as_expired() -> None:
    import base64
    import hashlib
    import hmac

    sender = tokens.new_sender_id()
    digest = hmac.new(KEY.encode(), sender.encode(), hashlib.sha256).digest()
    legacy = f"{sender}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"
    checked = tokens.check(KEY, legacy, now=T0)
    assert checked.status is tokens.Status.EXPIRED and checked.sender_id == sender
    assert tokens.check(KEY, f"{sender}.forged", now=T0).status is tokens.Status.INVALID
