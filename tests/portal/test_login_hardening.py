"""Login hardening found by an outside probe: a concurrent burst of wrong passwords still
locks the account; an unknown email answers exactly like a real one; a stranger at one address
cannot lock a nurse out at hers; weak passwords and malformed emails are refused with a reason."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.gateway import init_app
from bot.store.db import unit_of_work
from bot.store.models import StaffLoginThrottle, StaffUser, utcnow
from bot.store.staff import (
    MAX_FAILURES,
    LoginResult,
    StaffRefused,
    check_login,
    create_staff,
    email_digest,
)
from tests.portal.support import PASSWORD, csrf_of, login, make_staff
from tests.support import TestClient, gateway_settings

NURSE = "nurse.jones@example.nhs.uk"
BURST = 24
TOKEN_FIELD = re.compile(r'value="[A-Za-z0-9_-]{20,}"')


def burst(url: str, email: str, client: str, count: int = BURST) -> list[LoginResult]:
    """`count` wrong passwords for `email` at the same moment, each in its own session."""
    results: list[LoginResult] = []
    barrier = threading.Barrier(count)

    def attempt(number: int) -> None:
        barrier.wait()
        with unit_of_work(url) as session:
            results.append(check_login(session, email, f"wrong guess {number}", client=client))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == count
    return results


def assert_burst_locks(url: str) -> None:
    """The burst locks the account: at most MAX_FAILURES - 1 of its guesses were answered
    "wrong password", and the right password afterwards is refused while the lock lasts."""
    make_staff(url, NURSE, "clinician")
    results = burst(url, NURSE, "203.0.113.7")
    assert all(result.staff is None for result in results)
    answered_wrong = [result for result in results if not result.locked]
    assert len(answered_wrong) <= MAX_FAILURES - 1
    with unit_of_work(url) as session:
        after = check_login(session, NURSE, PASSWORD, client="203.0.113.7")
    assert after.staff is None and after.locked
    with unit_of_work(url) as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == NURSE)).one()
        assert user.locked_until is not None  # the admin page shows the lock


def test_a_concurrent_burst_of_wrong_passwords_locks_the_account(sqlite_url: str) -> None:
    from bot.store import migrate

    migrate.upgrade(sqlite_url)
    assert_burst_locks(sqlite_url)


async def post_login(
    client: TestClient, email: str, password: str, address: str | None = None
) -> tuple[int, str]:
    """Post the login form (from `address`, as a trusted proxy would say); status and page."""
    token = await csrf_of(client, "/portal/login")
    headers = {"X-Forwarded-For": address} if address else {}
    response = await client.post(
        "/portal/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers,
        allow_redirects=False,
    )
    return response.status, await response.text()


async def test_a_concurrent_burst_through_the_portal_locks_the_account(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, NURSE, "clinician")
    token = await csrf_of(client, "/portal/login")

    async def wrong(number: int) -> int:
        response = await client.post(
            "/portal/login",
            data={"email": NURSE, "password": f"guess {number}", "csrf_token": token},
            allow_redirects=False,
        )
        return response.status

    statuses = await asyncio.gather(*(wrong(n) for n in range(BURST)))
    assert statuses.count(401) <= MAX_FAILURES - 1
    assert set(statuses) <= {401, 429}
    status, page = await post_login(client, NURSE, PASSWORD)
    assert status == 429
    assert "locked for 15 minutes" in page


async def test_an_unknown_email_answers_exactly_like_a_real_one(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, NURSE, "clinician")
    unknown = "nobody.here@example.nhs.uk"
    for attempt in range(MAX_FAILURES + 2):
        real_status, real_page = await post_login(client, NURSE, f"wrong {attempt}")
        unknown_status, unknown_page = await post_login(client, unknown, f"wrong {attempt}")
        assert unknown_status == real_status, attempt
        # The same page, but for the form's fresh random token.
        assert TOKEN_FIELD.sub("", unknown_page) == TOKEN_FIELD.sub("", real_page), attempt
        assert real_status == (429 if attempt >= MAX_FAILURES - 1 else 401)
    with unit_of_work(database_url) as session:
        locks = {
            row.email_digest: row.locked_until is not None
            for row in session.scalars(select(StaffLoginThrottle))
        }
        result_real = check_login(session, NURSE, PASSWORD, client="127.0.0.1")
        result_unknown = check_login(session, unknown, PASSWORD, client="127.0.0.1")
    assert locks == {email_digest(NURSE): True, email_digest(unknown): True}
    assert result_real.locked and result_unknown.locked
    assert result_real.failures == result_unknown.failures


@pytest.fixture
async def proxied(aiohttp_client: Any, database_url: str) -> TestClient:
    """The gateway behind a reverse proxy on 127.0.0.1 that names the client in
    X-Forwarded-For."""
    settings = gateway_settings(database_url, portal_trusted_proxies=("127.0.0.1/32",))
    result: TestClient = await aiohttp_client(init_app(settings))
    return result


async def test_a_strangers_burst_from_another_address_does_not_lock_the_nurse_out(
    proxied: TestClient, database_url: str
) -> None:
    make_staff(database_url, NURSE, "clinician")
    stranger, nurse = "198.51.100.9", "203.0.113.20"
    statuses = [
        (await post_login(proxied, NURSE, f"guess {n}", stranger))[0]
        for n in range(MAX_FAILURES + 1)
    ]
    assert statuses[-2:] == [429, 429]
    # The stranger's address stays locked, even with the right password...
    assert (await post_login(proxied, NURSE, PASSWORD, stranger))[0] == 429
    # ...but the nurse at her own address logs in.
    assert (await post_login(proxied, NURSE, PASSWORD, nurse))[0] == 303
    # Admins still see that someone's address is locked out of her account.
    with unit_of_work(database_url) as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == NURSE)).one()
        assert user.locked_until is not None


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    client: TestClient, database_url: str
) -> None:
    """Without PORTAL_TRUSTED_PROXIES a client cannot name a fresh address to escape a lock."""
    make_staff(database_url, NURSE, "clinician")
    for n in range(MAX_FAILURES):
        await post_login(client, NURSE, f"guess {n}", "198.51.100.9")
    assert (await post_login(client, NURSE, PASSWORD, "203.0.113.20"))[0] == 429


def test_the_lock_is_per_address_in_the_store(sqlite_url: str) -> None:
    from bot.store import migrate

    migrate.upgrade(sqlite_url)
    make_staff(sqlite_url, NURSE, "clinician")
    for n in range(MAX_FAILURES):
        with unit_of_work(sqlite_url) as session:
            check_login(session, NURSE, f"guess {n}", client="2001:db8:1:2::99")
    with unit_of_work(sqlite_url) as session:
        # Another address of the same IPv6 /64 is the same client.
        assert check_login(session, NURSE, PASSWORD, client="2001:db8:1:2::7").locked
        assert check_login(session, NURSE, PASSWORD, client="2001:db8:9::1").staff is not None


def test_settings_read_portal_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/24")
    assert Settings.from_env().portal_trusted_proxies == ("10.0.0.5/32", "192.168.0.0/24")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "not-an-address")
    with pytest.raises(ConfigError, match="PORTAL_TRUSTED_PROXIES"):
        Settings.from_env()


# --- Passwords and emails of new staff ---

WEAK = ("aaaaaaaaaaaa", "password1234")


def test_weak_passwords_and_malformed_emails_are_refused_with_their_reason(
    sqlite_url: str,
) -> None:
    from bot.store import migrate

    migrate.upgrade(sqlite_url)
    with unit_of_work(sqlite_url) as session:
        for password in WEAK:
            with pytest.raises(StaffRefused, match="too easy to guess") as refused:
                create_staff(session, "dr.w@example.nhs.uk", "clinician", password)
            assert refused.value.reason == "password_weak"
        with pytest.raises(StaffRefused, match="not a valid email address") as refused:
            create_staff(session, "notanemail@", "clinician", "Plum-Orbit-Kettle-57")
        assert refused.value.reason == "email"
        with pytest.raises(StaffRefused, match="at least 12") as refused:
            create_staff(session, "dr.w@example.nhs.uk", "clinician", "Xy7#q")
        assert refused.value.reason == "password_short"
        # A password made of the user's own email is easy to guess too.
        with pytest.raises(StaffRefused, match="too easy to guess"):
            create_staff(session, "gwen.pritchard@example.nhs.uk", "clinician", "gwenpritchard1")
        user = create_staff(session, " Dr.W@Example.NHS.uk ", "clinician", "Plum-Orbit-Kettle-57")
        assert user.email == "dr.w@example.nhs.uk"
        assert session.scalars(select(StaffUser.email)).all() == ["dr.w@example.nhs.uk"]


async def test_the_admin_form_says_why_a_user_was_not_created(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, "admin@example.nhs.uk", "admin")
    assert await login(client, "admin@example.nhs.uk") == 303
    cases = [
        ("dr.a@example.nhs.uk", "aaaaaaaaaaaa", "too easy to guess"),
        ("dr.a@example.nhs.uk", "password1234", "too easy to guess"),
        ("notanemail@", "Plum-Orbit-Kettle-57", "not a valid email address"),
        ("admin@example.nhs.uk", "Plum-Orbit-Kettle-57", "already has that email"),
        ("dr.a@example.nhs.uk", "short", "at least 12 characters"),
    ]
    for email, password, reason in cases:
        token = await csrf_of(client, "/portal/admin")
        response = await client.post(
            "/portal/admin/users",
            data={"email": email, "role": "clinician", "password": password, "csrf_token": token},
        )
        assert response.status == 200
        page = await response.text()
        assert reason in page, (email, password)
        assert "could not be created" in page
    token = await csrf_of(client, "/portal/admin")
    response = await client.post(
        "/portal/admin/users",
        data={
            "email": "dr.a@example.nhs.uk",
            "role": "clinician",
            "password": "Plum-Orbit-Kettle-57",
            "csrf_token": token,
        },
    )
    assert "could not be created" not in await response.text()
    with unit_of_work(database_url) as session:
        emails = set(session.scalars(select(StaffUser.email)))
    assert emails == {"admin@example.nhs.uk", "dr.a@example.nhs.uk"}


CLI = (sys.executable, "-m", "bot.cli", "user", "create", "--role", "clinician")


def _cli_create(url: str, email: str, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "k" * 40}
    return subprocess.run(
        [*CLI, "--email", email, "--password-stdin"],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_command_line_says_why_a_user_was_not_created(sqlite_url: str) -> None:
    for email, password, reason in (
        ("dr.c@example.nhs.uk", "aaaaaaaaaaaa", "too easy to guess"),
        ("dr.c@example.nhs.uk", "password1234", "too easy to guess"),
        ("notanemail@", "Plum-Orbit-Kettle-57", "not a valid email address"),
    ):
        made = _cli_create(sqlite_url, email, password)
        assert made.returncode == 2, made.stdout
        assert reason in made.stderr
        assert password not in made.stderr + made.stdout
    made = _cli_create(sqlite_url, "dr.c@example.nhs.uk", "Plum-Orbit-Kettle-57")
    assert made.returncode == 0, made.stderr


def test_old_throttle_rows_are_pruned(sqlite_url: str) -> None:
    """Failures are kept only while they matter: a stale row goes at the next attempt."""
    from datetime import timedelta

    from sqlalchemy import update

    from bot.store import migrate

    migrate.upgrade(sqlite_url)
    make_staff(sqlite_url, NURSE, "clinician")
    with unit_of_work(sqlite_url) as session:
        check_login(session, "gone@example.nhs.uk", "guess", client="198.51.100.1")
    with unit_of_work(sqlite_url) as session:
        session.execute(
            update(StaffLoginThrottle).values(last_attempt_at=utcnow() - timedelta(days=2))
        )
    with unit_of_work(sqlite_url) as session:
        check_login(session, NURSE, "guess", client="198.51.100.2")
    with unit_of_work(sqlite_url) as session:
        digests = set(session.scalars(select(StaffLoginThrottle.email_digest)))
    assert digests == {email_digest(NURSE)}
