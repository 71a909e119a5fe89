"""Portal logins: every page needs one, cookies are locked down, CSRF is enforced, and
repeated failures slow down and then lock the account."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from http.cookies import SimpleCookie

from aiohttp import web
from sqlalchemy import select, update

from bot.config import Settings
from bot.gateway import init_app
from bot.portal import PORTAL_APP
from bot.store.db import unit_of_work
from bot.store.models import StaffLoginThrottle, StaffUser, utcnow
from bot.store.staff import MAX_FAILURES, check_login
from tests.portal.support import PASSWORD, csrf_of, login, make_staff
from tests.support import TestClient


def portal_routes(settings: Settings) -> list[tuple[str, str]]:
    """Every (method, path) the portal serves, with ids filled in."""
    app: web.Application = init_app(settings)
    found = []
    for route in app[PORTAL_APP].router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        assert isinstance(path, str)
        path = re.sub(r"\{[^}]+\}", "1", path)
        if route.method != "HEAD":
            found.append(
                (route.method, "/portal" + path if not path.startswith("/portal") else path)
            )
    return found


async def test_every_portal_route_without_a_login_goes_to_the_login_page(
    client: TestClient, settings: Settings
) -> None:
    routes = portal_routes(settings)
    assert len(routes) > 15  # the walk really found the portal (and the tutors' pages)
    for method, path in routes:
        if path in ("/portal/login",) or path.startswith("/portal/static"):
            continue
        response = await client.request(method, path, allow_redirects=False)
        assert response.status == 302, (method, path, response.status)
        assert response.headers["Location"].startswith("/portal/login"), (method, path)


async def test_portal_typed_without_a_slash_reaches_the_login_then_the_home_page(
    client: TestClient, database_url: str
) -> None:
    signed_out = await client.get("/portal")
    assert signed_out.status == 200
    assert signed_out.url.path == "/portal/login"
    assert 'name="password"' in await signed_out.text()

    make_staff(database_url, "nurse.b@example.nhs.uk", "clinician")
    assert await login(client, "nurse.b@example.nhs.uk") == 303
    signed_in = await client.get("/portal")
    assert signed_in.status == 200
    assert signed_in.url.path == "/portal/patients"
    assert "My patients" in await signed_in.text()


async def test_login_sets_a_locked_down_cookie_and_logout_ends_the_session(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    token = await csrf_of(client, "/portal/login")
    response = await client.post(
        "/portal/login",
        data={"email": "Dr.A@example.nhs.uk", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/portal/patients"
    cookies = SimpleCookie()
    for header in response.headers.getall("Set-Cookie"):
        cookies.load(header)
    session = cookies["portal_session"]
    assert session["httponly"] is True
    assert session["samesite"] == "Strict"
    assert not session["secure"]
    assert session["path"] == "/portal"

    page = await client.get("/portal/patients")
    assert page.status == 200
    assert "My patients" in await page.text()
    logout_token = await csrf_of(client, "/portal/patients")
    out = await client.post(
        "/portal/logout", data={"csrf_token": logout_token}, allow_redirects=False
    )
    assert out.status == 303
    again = await client.get("/portal/patients", allow_redirects=False)
    assert again.status == 302


async def test_the_cookie_is_secure_when_portal_secure_cookies_is_set(
    aiohttp_client: object, settings: Settings
) -> None:
    import dataclasses

    secure = dataclasses.replace(settings, portal_secure_cookies=True)
    client: TestClient = await aiohttp_client(init_app(secure))  # type: ignore[operator]
    make_staff(settings.database_url, "dr.a@example.nhs.uk", "clinician")
    page = await client.get("/portal/login")
    cookies = SimpleCookie()
    for header in page.headers.getall("Set-Cookie"):
        cookies.load(header)
    token = cookies["portal_login_csrf"].value
    assert cookies["portal_login_csrf"]["secure"] is True
    # A Secure cookie is not sent back over http, so send it by hand as an https proxy would.
    response = await client.post(
        "/portal/login",
        data={"email": "dr.a@example.nhs.uk", "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"portal_login_csrf={token}"},
        allow_redirects=False,
    )
    assert response.status == 303
    sent = SimpleCookie()
    for header in response.headers.getall("Set-Cookie"):
        sent.load(header)
    assert sent["portal_session"]["secure"] is True
    assert sent["portal_session"]["httponly"] is True
    assert sent["portal_session"]["samesite"] == "Strict"


def test_settings_read_portal_secure_cookies_from_the_environment() -> None:
    code = "from bot.config import Settings; print(Settings.from_env().portal_secure_cookies)"
    env = {"PORTAL_SECURE_COOKIES": "1", "SECRET_KEY": "k" * 40, "PATH": "/usr/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr


async def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, "admin@example.nhs.uk", "admin")
    # The login form itself: no token, then a made-up one.
    await client.get("/portal/login")
    for data in (
        {"email": "admin@example.nhs.uk", "password": PASSWORD},
        {"email": "admin@example.nhs.uk", "password": PASSWORD, "csrf_token": "forged"},
    ):
        response = await client.post("/portal/login", data=data, allow_redirects=False)
        assert response.status == 403
    assert await login(client, "admin@example.nhs.uk") == 303
    form = {"email": "new@example.nhs.uk", "role": "clinician", "password": PASSWORD}
    for extra in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
        response = await client.post(
            "/portal/admin/users", data={**form, **extra}, allow_redirects=False
        )
        assert response.status == 403
    with unit_of_work(database_url) as session:
        emails = set(session.scalars(select(StaffUser.email)))
    assert "new@example.nhs.uk" not in emails
    token = await csrf_of(client, "/portal/admin")
    ok = await client.post(
        "/portal/admin/users", data={**form, "csrf_token": token}, allow_redirects=False
    )
    assert ok.status == 303
    with unit_of_work(database_url) as session:
        assert "new@example.nhs.uk" in set(session.scalars(select(StaffUser.email)))


async def test_repeated_failures_lock_the_account_even_with_the_right_password(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, "dr.b@example.nhs.uk", "clinician")
    statuses = [await login(client, "dr.b@example.nhs.uk", "wrong password!") for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    page = await client.get("/portal/login")
    assert page.status == 200
    # Locked: the right password is refused too, and the page says why.
    token = await csrf_of(client, "/portal/login")
    response = await client.post(
        "/portal/login",
        data={"email": "dr.b@example.nhs.uk", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status == 429
    assert "locked for 15 minutes" in await response.text()
    with unit_of_work(database_url) as session:
        user = session.scalars(select(StaffUser)).one()
        assert user.locked_until is not None
        # After the lock runs out, the right password works again.
        session.execute(
            update(StaffLoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert await login(client, "dr.b@example.nhs.uk") == 303


def test_the_lockout_is_kept_in_the_database(database_url: str) -> None:
    """Another process (a fresh session on the same database) sees the same lock."""
    make_staff(database_url, "dr.c@example.nhs.uk", "clinician")
    for _ in range(MAX_FAILURES):
        with unit_of_work(database_url) as session:
            result = check_login(session, "dr.c@example.nhs.uk", "nope nope nope")
    assert result.locked
    with unit_of_work(database_url) as session:
        assert check_login(session, "dr.c@example.nhs.uk", PASSWORD).locked


async def test_each_role_is_refused_the_others_pages(client: TestClient, database_url: str) -> None:
    make_staff(database_url, "tutor@example.nhs.uk", "tutor")
    assert await login(client, "tutor@example.nhs.uk") == 303
    for path in ("/portal/patients", "/portal/admin", "/portal/audit", "/portal/invites"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 403, path


async def test_portal_pages_carry_a_strict_content_security_policy(
    client: TestClient, database_url: str
) -> None:
    response = await client.get("/portal/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


async def test_a_deactivated_user_is_logged_out_at_once_and_cannot_log_in(
    client: TestClient, aiohttp_client: object, settings: Settings, database_url: str
) -> None:
    make_staff(database_url, "admin@example.nhs.uk", "admin")
    doctor = make_staff(database_url, "dr.gone@example.nhs.uk", "clinician")
    other: TestClient = await aiohttp_client(init_app(settings))  # type: ignore[operator]
    assert await login(other, "dr.gone@example.nhs.uk") == 303
    assert (await other.get("/portal/patients")).status == 200
    assert await login(client, "admin@example.nhs.uk") == 303
    token = await csrf_of(client, "/portal/admin")
    response = await client.post(
        f"/portal/admin/users/{doctor}/active",
        data={"csrf_token": token, "active": "0"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert (await other.get("/portal/patients", allow_redirects=False)).status == 302
    assert await login(other, "dr.gone@example.nhs.uk") == 401
