"""The gateway's HTTP and WebSocket API with the engine down: bad input and kept messages."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiohttp import WSMsgType
from sqlalchemy import select

from bot.channels.web import tokens
from bot.channels.web.routes import _inline_json
from bot.config import Settings
from bot.store.db import unit_of_work
from bot.store.models import KeptMessage, Person
from bot.turns import MAX_MESSAGE_CHARS
from tests.support import SECRET, TestClient, auth_frame

SENTINEL = "MARKER-7f3a my allotment tomatoes"  # a plain message, unique for the log checks


async def new_token(client: TestClient, language: str = "en") -> str:
    response = await client.post("/api/sessions", json={"language": language})
    assert response.status == 201
    token: str = (await response.json())["token"]
    return token


def kept_texts(settings: Settings) -> list[str | None]:
    with unit_of_work(settings.database_url) as session:
        return list(session.scalars(select(KeptMessage.text).order_by(KeptMessage.id)))


async def test_healthz_names_the_parts_that_are_down(client: TestClient) -> None:
    for _ in range(600):  # the safety net's models load in the background at start-up
        response = await client.get("/healthz")
        if (await response.json())["safety"] != "loading":
            break
        await asyncio.sleep(0.5)
    assert response.status == 503
    assert await response.json() == {
        "gateway": "ok",
        "engine": "unavailable",
        "actions": "unavailable",
        "database": "ok",
        "safety": "ok",
        "telegram": "off",
    }


async def test_session_picks_the_sender_and_records_the_person(
    client: TestClient, settings: Settings
) -> None:
    response = await client.post(
        "/api/sessions", json={"language": "cy", "invite": "ABC123", "sender": "web-chosen"}
    )
    assert response.status == 201
    sender = tokens.verify(SECRET, (await response.json())["token"])
    assert sender is not None and sender != "web-chosen"
    with unit_of_work(settings.database_url) as session:
        person = session.scalars(select(Person)).one()
        assert (person.sender_id, person.language, person.invite_code) == (sender, "cy", "ABC123")


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[1,2]", 400), (b'{"language": "fr"}', 400), (b'{"invite": 5}', 400)],
)
async def test_bad_session_requests_get_json_errors(
    client: TestClient, body: bytes, status: int
) -> None:
    response = await client.post(
        "/api/sessions", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == status
    assert "error" in await response.json()


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer web-x.forged", "Basic abc"])
async def test_missing_or_unknown_token_is_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.post("/api/messages", json={"text": "hi"}, headers=headers)
    assert response.status == 401
    assert "error" in await response.json()


async def test_token_for_a_sender_that_was_never_enrolled_is_401(client: TestClient) -> None:
    token = tokens.issue(SECRET, tokens.new_sender_id())
    response = await client.post(
        "/api/messages", json={"text": "hi"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401


async def test_malformed_message_json_is_400(client: TestClient) -> None:
    token = await new_token(client)
    for body in (b'{"text": ', b'{"text": 42}', b'"hi"'):
        response = await client.post(
            "/api/messages",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert response.status == 400
        assert "error" in await response.json()


@pytest.mark.parametrize(
    ("text", "expected"), [("", "empty"), ("   ", "empty"), ("a" * 2001, "2,000 characters")]
)
async def test_empty_or_oversized_message_gets_a_clear_reply_and_is_not_kept(
    client: TestClient, settings: Settings, text: str, expected: str
) -> None:
    token = await new_token(client)
    response = await client.post(
        "/api/messages", json={"text": text}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    messages = (await response.json())["messages"]
    assert len(messages) == 1 and expected in messages[0]["text"]
    assert kept_texts(settings) == []


async def test_engine_down_keeps_the_message_and_says_so_in_welsh(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = await new_token(client, "cy")
    response = await client.post(
        "/api/messages", json={"text": SENTINEL}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    [message] = (await response.json())["messages"]
    assert "wedi cadw eich neges" in message["text"]
    assert kept_texts(settings) == [SENTINEL]
    assert SENTINEL not in caplog.text
    assert token not in caplog.text


async def test_resent_message_id_is_answered_once(client: TestClient, settings: Settings) -> None:
    token = await new_token(client)
    headers = {"Authorization": f"Bearer {token}"}
    first = await client.post("/api/messages", json={"text": "hi", "id": "m1"}, headers=headers)
    again = await client.post("/api/messages", json={"text": "hi", "id": "m1"}, headers=headers)
    assert await first.json() == await again.json()
    assert kept_texts(settings) == ["hi"]


async def test_websocket_refuses_another_origin(client: TestClient) -> None:
    response = await client.get(
        "/api/ws",
        headers={
            "Origin": "https://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert response.status == 403


async def test_websocket_refuses_a_bad_token(client: TestClient) -> None:
    response = await client.get("/api/ws")
    assert response.status == 401
    origin = f"http://{client.host}:{client.port}"
    token = await new_token(client)
    for first, code in (
        ({"type": "auth", "ticket": "web-x.nope"}, 4402),  # a forged ticket: ask for another
        ({"type": "auth"}, 4401),
        ({"type": "auth", "token": token}, 4401),  # the session token never opens a socket
        ({"type": "message", "text": "hello", "id": "c1"}, 4401),
    ):
        async with client.ws_connect("/api/ws", headers={"Origin": origin}) as ws:
            await ws.send_json(first)
            message = await ws.receive()
            assert message.type == WSMsgType.CLOSE
            assert ws.close_code == code, first


async def test_websocket_ignores_a_token_in_its_url(client: TestClient) -> None:
    """A credential belongs in the first frame; a token in the URL (kept by proxies) opens
    nothing."""
    token = await new_token(client)
    origin = f"http://{client.host}:{client.port}"
    async with client.ws_connect(f"/api/ws?token={token}", headers={"Origin": origin}) as ws:
        await ws.send_json({"type": "message", "text": "hello", "id": "c1"})
        message = await ws.receive()
        assert message.type == WSMsgType.CLOSE and ws.close_code == 4401


async def test_websocket_turn_from_the_same_origin(client: TestClient, settings: Settings) -> None:
    token = await new_token(client)
    origin = f"http://{client.host}:{client.port}"
    async with client.ws_connect("/api/ws", headers={"Origin": origin}) as ws:
        await ws.send_json(await auth_frame(client, "/api/socket-tickets", token))
        await ws.send_str("not json")
        assert (await ws.receive_json())["type"] == "error"
        await ws.send_json({"type": "message", "text": "hello", "id": "c1"})
        frame = await ws.receive_json()
        assert frame["type"] == "reply" and frame["reply_to"] == "c1"
        assert frame["language"] == "en"
        assert "kept your message" in frame["messages"][0]["text"]
        await ws.close()
        assert ws.closed
    assert kept_texts(settings) == ["hello"]


async def test_widget_page_and_labels_are_served(client: TestClient) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert "text/html" in page.headers["Content-Type"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    html = await page.text()
    # The labels and the length limit come inside the page, as data the CSP lets through.
    setup = json.loads(
        html.split('<script type="application/json" id="widget-setup">')[1].split("</script>")[0]
    )
    labels = await (await client.get("/api/ui-text")).json()
    assert setup == labels
    assert setup["en"]["send"] == "Send" and setup["cy"]["send"] == "Anfon"
    assert setup["limits"] == {"message_chars": MAX_MESSAGE_CHARS}
    assert set(setup["en"]) == set(setup["cy"])
    # No cutting a paste short in the field: the widget warns instead (tests/e2e).
    assert "maxlength=" not in html


def test_labels_inside_the_page_cannot_end_its_script_element() -> None:
    inline = _inline_json({"en": {"x": "</script><script>alert(1)</script> & more"}})
    assert "<" not in inline and ">" not in inline and "&" not in inline
    assert json.loads(inline)["en"]["x"].startswith("</script>")
