"""The widget's WebSocket opens with a one-minute, single-use ticket, never the session token:
a ticket opens one socket, once; a used, forged, stale or foreign one is refused with the
code that makes the widget ask for another (in the same conversation); a person erased
since is refused as unknown. Spent tickets are shared through Redis by every gateway."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import WSMsgType

from bot.channels.web import tokens
from bot.channels.web.routes import TICKET_REFUSED_CLOSE_CODE, UNAUTHORISED_CLOSE_CODE
from bot.config import Settings
from bot.coordination import RedisTickets, connect
from bot.store import data_rights
from bot.store.db import unit_of_work
from tests.support import SECRET, Clock, TestClient, clocked_client, socket_ticket

TICKETS = "/api/socket-tickets"


async def _start(client: TestClient) -> str:
    response = await client.post("/api/sessions", json={"language": "en"})
    assert response.status == 201
    token: str = (await response.json())["token"]
    return token


async def _open(client: TestClient, ticket: str) -> tuple[int | None, dict[str, Any] | None]:
    """Open a socket with `ticket` and say hello: (close code, None) or (None, the reply)."""
    origin = f"http://{client.host}:{client.port}"
    async with client.ws_connect("/api/ws", headers={"Origin": origin}) as ws:
        await ws.send_json({"type": "auth", "ticket": ticket})
        await ws.send_json({"type": "message", "text": "hello", "id": "t1"})
        message = await ws.receive(timeout=10)
        if message.type == WSMsgType.CLOSE or message.type == WSMsgType.CLOSED:
            return ws.close_code, None
        reply: dict[str, Any] = message.json()
        return None, reply


async def test_a_ticket_opens_one_socket_once(aiohttp_client: Any, settings: Settings) -> None:
    clock = Clock(1_900_000_000.0)
    client = await clocked_client(aiohttp_client, settings, clock)
    token = await _start(client)
    response = await client.post(TICKETS, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["expires_in"] == 60 and token not in body["ticket"]
    code, reply = await _open(client, body["ticket"])
    assert code is None and reply is not None and reply["reply_to"] == "t1"
    assert "kept your message" in reply["messages"][0]["text"]  # the engine is down here
    # The same ticket again (copied from a log, say) opens nothing.
    assert (await _open(client, body["ticket"]))[0] == TICKET_REFUSED_CLOSE_CODE


async def test_a_stale_forged_or_foreign_ticket_is_refused(
    aiohttp_client: Any, settings: Settings
) -> None:
    clock = Clock(1_900_000_000.0)
    client = await clocked_client(aiohttp_client, settings, clock)
    token = await _start(client)
    sender = tokens.verify(SECRET, token, now=clock.now)
    assert sender is not None
    stale = await socket_ticket(client, TICKETS, token)
    clock.now += 61
    assert (await _open(client, stale))[0] == TICKET_REFUSED_CLOSE_CODE
    nonce, _, rest = (await socket_ticket(client, TICKETS, token)).partition(".")
    forged = f"{nonce}.web-someone-else.{rest.partition('.')[2]}"
    assert (await _open(client, forged))[0] == TICKET_REFUSED_CLOSE_CODE
    foreign = tokens.socket_ticket("another gateway's secret " * 2, sender, now=clock.now)
    assert (await _open(client, foreign))[0] == TICKET_REFUSED_CLOSE_CODE
    # Nor does a session token or a print link pass for a ticket.
    assert (await _open(client, token))[0] == TICKET_REFUSED_CLOSE_CODE
    # A fresh one still works: nothing above cost the person their conversation.
    code, reply = await _open(client, await socket_ticket(client, TICKETS, token))
    assert code is None and reply is not None


async def test_a_ticket_needs_a_live_session_and_a_person_still_here(
    aiohttp_client: Any, settings: Settings
) -> None:
    clock = Clock(1_900_000_000.0)
    client = await clocked_client(aiohttp_client, settings, clock)
    assert (await client.post(TICKETS)).status == 401
    bogus = {"Authorization": "Bearer web-nobody.1~x"}
    assert (await client.post(TICKETS, headers=bogus)).status == 401
    token = await _start(client)
    ticket = await socket_ticket(client, TICKETS, token)
    sender = tokens.verify(SECRET, token, now=clock.now)
    assert sender is not None
    with unit_of_work(settings.database_url) as session:  # "forget me" after the ticket
        data_rights.erase_person(session, sender)
    assert (await _open(client, ticket))[0] == UNAUTHORISED_CLOSE_CODE


@pytest.mark.redis
async def test_a_ticket_spent_on_one_gateway_is_spent_on_all(redis_url: str) -> None:
    first, second = connect(redis_url), connect(redis_url)
    try:
        here, there = RedisTickets(first), RedisTickets(second)
        assert await here.spend("nonce-shared-1", 60)
        assert not await there.spend("nonce-shared-1", 60)
        assert not await here.spend("nonce-shared-1", 60)
        assert await there.spend("nonce-shared-2", 60)
    finally:
        await first.aclose()
        await second.aclose()
