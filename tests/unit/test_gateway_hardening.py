"""The gateway against an outside probe: bad bodies and ids get a 4xx (never a 500), every
response carries the security headers, body limits hold for chunked and compressed bodies,
the WebSocket's origin check compares scheme, host and port, a failure while handling a
message logs no message text, and rate limits still apply when Redis is unreachable."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientResponse
from sqlalchemy import create_engine, text

from bot.channels.json_bodies import MAX_BODY_BYTES
from bot.config import Settings
from bot.coordination import connect, key_for
from bot.gateway import init_app
from bot.ratelimit import message_limiter, session_limiter
from bot.store.db import normalise_url
from tests.portal.support import login, make_staff
from tests.support import TestClient, auth_frame, gateway_settings

SENTINEL = "MARKER-c41d my neighbour's dog bit me"  # a message to look for in the logs
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
HANDSHAKE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


async def new_token(client: TestClient) -> str:
    response = await client.post("/api/sessions", json={"language": "en"})
    assert response.status == 201
    token: str = (await response.json())["token"]
    return token


def nested(depth: int) -> bytes:
    return b'{"text": "hi", "x": ' + b"[" * depth + b"]" * depth + b"}"


def assert_hardened(response: ClientResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.status, name)
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")


def refuse_kept_messages(database_url: str) -> None:
    """Make storing a kept message fail in the database itself, as a full disk or a broken
    migration would (on PostgreSQL the error names the row, the message text included)."""
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as connection:
        if database_url.startswith("sqlite"):
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_kept BEFORE INSERT ON kept_messages "
                    "BEGIN SELECT RAISE(ABORT, 'kept messages refused'); END"
                )
            )
        else:
            connection.execute(
                text("ALTER TABLE kept_messages ADD CONSTRAINT refuse CHECK (false) NOT VALID")
            )
    engine.dispose()


# 1. A body nested deeper than any request needs is a 400, not a RecursionError (500).


@pytest.mark.parametrize("depth", [5000, 100])
async def test_deeply_nested_json_is_a_400_with_a_json_error(
    client: TestClient, depth: int
) -> None:
    token = await new_token(client)
    for path, headers in (
        ("/api/messages", {"Authorization": f"Bearer {token}"}),
        ("/api/sessions", {}),
    ):
        response = await client.post(
            path, data=nested(depth), headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status == 400, path
        assert "nested" in (await response.json())["error"]
        assert_hardened(response)


async def test_a_deeply_nested_websocket_frame_gets_an_error_frame_and_the_socket_goes_on(
    client: TestClient,
) -> None:
    """The widget's socket holds frames to the same nesting rule as HTTP bodies."""
    token = await new_token(client)
    origin = f"http://{client.host}:{client.port}"
    async with client.ws_connect("/api/ws", headers={"Origin": origin}) as ws:
        await ws.send_json(await auth_frame(client, "/api/socket-tickets", token))
        await ws.send_str(nested(5000).decode())
        error = await ws.receive_json(timeout=10)
        assert error["type"] == "error" and "nested" in error["error"]
        await ws.send_json({"type": "message", "text": "still here?", "id": "m2"})
        reply = await ws.receive_json(timeout=10)
        assert reply["type"] == "reply" and reply["reply_to"] == "m2"
        assert "kept your message" in reply["messages"][0]["text"]


async def test_a_deeply_nested_first_websocket_frame_is_refused_like_a_bad_token(
    client: TestClient,
) -> None:
    origin = f"http://{client.host}:{client.port}"
    async with client.ws_connect("/api/ws", headers={"Origin": origin}) as ws:
        await ws.send_str(nested(5000).decode())
        closing = await ws.receive(timeout=10)
        assert ws.close_code == 4401, closing


async def test_ordinary_nesting_and_brackets_inside_strings_are_still_read(
    client: TestClient,
) -> None:
    token = await new_token(client)
    response = await client.post(
        "/api/messages",
        json={"text": "[[[[{{{{ " * 50, "id": "m1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    assert "kept your message" in (await response.json())["messages"][0]["text"]


# 2. Every response carries the security headers, whatever answered it.


async def test_error_responses_carry_the_security_headers(
    client: TestClient, settings: Settings
) -> None:
    url = settings.database_url
    answers: list[tuple[int, ClientResponse]] = []
    answers.append((404, await client.get("/nope")))
    answers.append((302, await client.get("/portal/patients", allow_redirects=False)))
    answers.append((400, await client.post("/api/sessions", data=b"{not json")))
    body = b'{"text": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'
    answers.append((413, await client.post("/api/sessions", data=body)))
    make_staff(url, "nurse@example.org", "clinician")
    assert await login(client, "nurse@example.org") == 303
    answers.append((404, await client.get("/portal/patients/abc")))
    answers.append((403, await client.get("/portal/admin")))
    answers.append((403, await client.post("/portal/logout", data={"csrf_token": "wrong"})))
    client.session.cookie_jar.clear()
    make_staff(url, "admin@example.org", "admin")
    assert await login(client, "admin@example.org") == 303
    answers.append((400, await client.get("/portal/audit?before=abc")))
    for status, response in answers:
        assert response.status == status, response.url
        assert_hardened(response)


async def test_an_unhandled_error_is_a_plain_500_with_the_security_headers(
    client: TestClient, settings: Settings
) -> None:
    token = await new_token(client)
    refuse_kept_messages(settings.database_url)
    response = await client.post(
        "/api/messages", json={"text": SENTINEL}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 500
    assert_hardened(response)
    body = await response.text()
    assert json.loads(body) == {"error": "internal error"}
    assert "Traceback" not in body and "kept messages refused" not in body


# 3. The body limit counts the bytes read, however they were sent.


async def in_chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


@pytest.mark.parametrize("path", ["/api/messages", "/api/sessions"])
async def test_a_chunked_body_over_the_limit_is_413(client: TestClient, path: str) -> None:
    token = await new_token(client)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    big = json.dumps({"text": "a" * 40 * 1024, "language": "en"}).encode()
    response = await client.post(path, data=in_chunks(big), headers=headers)
    assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request_info.headers
    assert response.status == 413
    assert "too large" in (await response.json())["error"]
    assert_hardened(response)
    small = json.dumps({"text": "hello", "language": "en"}).encode()
    response = await client.post(path, data=in_chunks(small), headers=headers)
    assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
    assert response.status in {200, 201}


async def test_a_compressed_body_that_inflates_past_the_limit_is_413(client: TestClient) -> None:
    token = await new_token(client)
    big = gzip.compress(json.dumps({"text": "a" * 40 * 1024}).encode())
    assert len(big) < MAX_BODY_BYTES
    response = await client.post(
        "/api/messages",
        data=big,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status == 413


# 4. The WebSocket's origin is this gateway's own: scheme, host and port.


async def handshake(client: TestClient, origin: str, **headers: str) -> int:
    response = await client.get("/api/ws", headers={**HANDSHAKE, "Origin": origin, **headers})
    status = response.status
    response.close()
    return status


async def test_websocket_origin_must_match_scheme_host_and_port(client: TestClient) -> None:
    host, port = client.host, client.port
    assert port is not None
    assert await handshake(client, f"http://{host}:{port}") == 101
    assert await handshake(client, f"HTTP://{host.upper()}:{port}") == 101
    for other in (
        f"https://{host}:{port}",
        f"ws://{host}:{port}",
        f"http://{host}:{port + 1}",
        f"http://{host}",
        f"http://{host}:{port}.evil.example",
        f"http://evil.example@{host}:{port}",
        "null",
        "http://[::1",
    ):
        assert await handshake(client, other) == 403, other


async def test_an_allowed_origin_is_compared_exactly(aiohttp_client: Any, sqlite_url: str) -> None:
    settings = gateway_settings(sqlite_url, allowed_origins=("https://coach.example.org",))
    client: TestClient = await aiohttp_client(init_app(settings))
    assert await handshake(client, "https://coach.example.org") == 101
    assert await handshake(client, "http://coach.example.org") == 403


async def test_behind_a_trusted_tls_proxy_the_https_origin_is_the_gateways_own(
    aiohttp_client: Any, sqlite_url: str
) -> None:
    proxied = gateway_settings(sqlite_url, portal_trusted_proxies=("127.0.0.1/32",))
    client: TestClient = await aiohttp_client(init_app(proxied))
    own = f"{client.host}:{client.port}"
    tls = {"X-Forwarded-Proto": "https"}
    assert await handshake(client, f"https://{own}", **tls) == 101
    assert await handshake(client, f"http://{own}", **tls) == 403
    assert await handshake(client, f"http://{own}") == 101


async def test_x_forwarded_proto_from_an_untrusted_peer_is_ignored(client: TestClient) -> None:
    own = f"{client.host}:{client.port}"
    assert await handshake(client, f"https://{own}", **{"X-Forwarded-Proto": "https"}) == 403


# 5. A failure while a message is handled logs no message text.


@pytest.fixture
def postgres_settings(postgres_url: str) -> Settings:
    return gateway_settings(postgres_url)


async def test_a_failure_while_handling_a_message_logs_no_message_text(
    aiohttp_client: Any, postgres_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    client: TestClient = await aiohttp_client(init_app(postgres_settings))
    token = await new_token(client)
    refuse_kept_messages(postgres_settings.database_url)
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        "/api/messages", json={"text": SENTINEL}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 500
    assert SENTINEL not in await response.text()
    assert SENTINEL not in caplog.text
    assert "MARKER" not in caplog.text
    # The failure is still logged, by the exception's type and the route, for whoever is on call.
    [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "IntegrityError" in failure.getMessage()
    assert "/api/messages" in failure.getMessage()


# 6. Rate limits fall back to this gateway's memory when Redis is unreachable.


async def test_message_limit_still_applies_when_redis_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MESSAGE_RATE_LIMIT", "3")
    redis = connect(UNREACHABLE_REDIS)
    try:
        limiter = message_limiter(redis)
        sender = "web-Z6xq1rTs-fallback-person"
        assert [await limiter.allow(sender) for _ in range(5)] == [True] * 3 + [False] * 2
        assert await limiter.allow("web-someone-else")
        await limiter.forget(sender)
        assert await limiter.allow(sender)
    finally:
        await redis.aclose()
    fallbacks = [r for r in caplog.records if "memory" in r.getMessage()]
    assert len(fallbacks) == 1 and fallbacks[0].levelno == logging.WARNING
    assert sender not in caplog.text
    assert key_for("rate:msg", sender) not in caplog.text


async def test_session_limit_still_applies_when_redis_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SESSION_RATE_LIMIT", "2")
    redis = connect(UNREACHABLE_REDIS)
    try:
        limiter = session_limiter(redis)
        address = "203.0.113.77"
        assert [await limiter.allow(address) for _ in range(4)] == [True, True, False, False]
    finally:
        await redis.aclose()
    assert address not in caplog.text
    assert len([r for r in caplog.records if "memory" in r.getMessage()]) == 1
