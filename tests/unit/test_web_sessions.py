"""Web chat sessions end after WEB_SESSION_IDLE_DAYS unused, and each use renews them: an
expired token is refused with `"expired": true` (the widget's "please start again"), a
renewed one comes back in `X-Session-Token`, and the person's data is untouched. The
gateway's clock is set by the test; nothing waits."""

from __future__ import annotations

from typing import Any

from bot.channels.web import tokens
from bot.channels.web.routes import RENEWAL_HEADER
from bot.config import Settings
from bot.store import people
from bot.store.db import unit_of_work
from tests.support import SECRET, Clock, TestClient, clocked_client

DAY = 24 * 3600.0


async def _start(client: TestClient) -> str:
    response = await client.post("/api/sessions", json={"language": "cy"})
    assert response.status == 201
    token: str = (await response.json())["token"]
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_expired_session_is_refused_kindly_and_the_data_is_kept(
    aiohttp_client: Any, settings: Settings
) -> None:
    clock = Clock(1_900_000_000.0)
    client = await clocked_client(aiohttp_client, settings, clock)
    token = await _start(client)
    sender = tokens.verify(SECRET, token, now=clock.now)
    assert sender is not None
    clock.now += 31 * DAY
    for response in (
        await client.post("/api/messages", json={"text": "hello"}, headers=_bearer(token)),
        await client.get("/api/my-data", headers=_bearer(token)),
        await client.post("/api/ask3/print-links", json={"list": 1}, headers=_bearer(token)),
        # The widget's socket needs a ticket first: the ended session is found there.
        await client.post("/api/socket-tickets", headers=_bearer(token)),
    ):
        assert response.status == 401
        assert await response.json() == {"error": "session expired", "expired": True}
    with unit_of_work(settings.database_url) as session:  # nothing of theirs was removed
        assert people.identity_is_active(session, "web", sender)
        profile = people.load_profile(session, sender)
        assert profile is not None and profile.language == "cy"


async def test_using_a_session_renews_it(aiohttp_client: Any, settings: Settings) -> None:
    clock = Clock(1_900_000_000.0)
    client = await clocked_client(aiohttp_client, settings, clock)
    token = await _start(client)
    fresh = await client.get("/api/my-data", headers=_bearer(token))
    assert fresh.status == 200 and RENEWAL_HEADER not in fresh.headers  # not every turn
    clock.now += 29 * DAY
    used = await client.get("/api/my-data", headers=_bearer(token))
    assert used.status == 200
    renewed = used.headers[RENEWAL_HEADER]
    clock.now += 29 * DAY  # 58 days after the start, 29 after the last use
    assert (await client.get("/api/my-data", headers=_bearer(token))).status == 401
    assert (await client.get("/api/my-data", headers=_bearer(renewed))).status == 200


async def test_asking_for_a_socket_ticket_renews_the_session(
    aiohttp_client: Any, settings: Settings
) -> None:
    """A widget that only ever talks over its socket still keeps its session open: each
    socket starts with a ticket request, which renews the token like any other use."""
    clock = Clock(1_900_000_000.0)
    client = await clocked_client(aiohttp_client, settings, clock)
    token = await _start(client)
    clock.now += 10 * DAY
    response = await client.post("/api/socket-tickets", headers=_bearer(token))
    assert response.status == 201
    renewed = response.headers[RENEWAL_HEADER]
    origin = f"http://{client.host}:{client.port}"
    async with client.ws_connect("/api/ws", headers={"Origin": origin}) as ws:
        await ws.send_json({"type": "auth", "ticket": (await response.json())["ticket"]})
        await ws.send_json({"type": "message", "text": "hello", "id": "w1"})
        assert (await ws.receive_json(timeout=10))["reply_to"] == "w1"
    assert tokens.verify(SECRET, renewed, now=clock.now + 29 * DAY) is not None
    assert tokens.verify(SECRET, token, now=clock.now + 29 * DAY) is None


def test_the_idle_lifetime_is_a_setting(monkeypatch: Any) -> None:
    import pytest

    from bot.config import ConfigError

    monkeypatch.setenv("WEB_SESSION_IDLE_DAYS", "7")
    assert Settings.from_env().web_session_idle_days == 7
    for bad in ("0", "soon", "-1"):
        monkeypatch.setenv("WEB_SESSION_IDLE_DAYS", bad)
        with pytest.raises(ConfigError, match="WEB_SESSION_IDLE_DAYS"):
            Settings.from_env()
