"""HTTP and WebSocket routes of the web widget channel."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from redis.asyncio import Redis

from bot.app_keys import SERVICES, SETTINGS, Services, clock_of
from bot.channels.json_bodies import (
    MAX_BODY_BYTES,
    UnreadableJson,
    json_object,
    read_body,
)
from bot.channels.web import tokens
from bot.content.system import ui_text
from bot.coordination import TicketBook, ticket_book
from bot.logs import pseudonym
from bot.ratelimit import RateLimiter, session_limiter
from bot.store import data_rights, people
from bot.store.db import run_in_session, unit_of_work
from bot.turns import MAX_MESSAGE_CHARS

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
CHANNEL = "web"
DEFAULT_PORTS = {"http": 80, "https": 443}
UNAUTHORISED_CLOSE_CODE = 4401
# A socket ticket that is forged, over a minute old or used already, or none in time: the
# widget asks for a fresh one. (An ended session is found when the ticket is asked for.)
TICKET_REFUSED_CLOSE_CODE = 4402
# A renewed session token comes back in this header (and, on a WebSocket, a "session" frame).
RENEWAL_HEADER = "X-Session-Token"
_RENEWED = web.RequestKey("renewed_token", str)
_EXPIRED = web.RequestKey("session_expired", bool)
SESSION_LIMITER = web.AppKey("session_limiter", RateLimiter)
SOCKET_TICKETS = web.AppKey("socket_tickets", TicketBook)
SETUP_MARKER = "__WIDGET_SETUP__"
# How long a new WebSocket may take to send its `auth` frame.
WS_AUTH_TIMEOUT_S = 10.0


def json_error(status: int, error: str) -> web.Response:
    """A JSON error body, so every client can show something sensible."""
    return web.json_response({"error": error}, status=status)


async def read_json(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object, or a 4xx response saying what was wrong."""
    raw = await read_body(request)
    if raw is None:
        return json_error(413, "request body too large")
    try:
        return json_object(raw)
    except UnreadableJson as exc:
        return json_error(400, exc.reason)


def session_lifetime(request: web.Request) -> float:
    """How long a web session lasts without use, in seconds (WEB_SESSION_IDLE_DAYS)."""
    return request.app[SETTINGS].web_session_idle_days * 24 * 3600


def new_session_token(request: web.Request, sender_id: str) -> str:
    """A session token for `sender_id` that ends after the idle lifetime."""
    return tokens.issue(
        request.app[SETTINGS].secret_key,
        sender_id,
        now=clock_of(request.app),
        lifetime=session_lifetime(request),
    )


async def authorised_sender(request: web.Request, token: str | None) -> str | None:
    """The sender id behind a valid, unexpired token whose web identity is still active.

    A session in use for over an hour is renewed: the fresh token goes back in the
    `X-Session-Token` header (`add_renewed_token`). An expired one is remembered on the request
    (`unauthorised` then says so); what the person said is kept either way."""
    if not token:
        return None
    secret, now = request.app[SETTINGS].secret_key, clock_of(request.app)
    checked = tokens.check(secret, token, now=now)
    if checked.sender_id is None:
        return None
    url = request.app[SETTINGS].database_url
    # Waits out a database restart rather than turning the person away (bot.store.db).
    active = await asyncio.to_thread(
        run_in_session, url, people.identity_is_active, CHANNEL, checked.sender_id
    )
    if not active:
        return None
    if checked.status is tokens.Status.EXPIRED:
        request[_EXPIRED] = True
        log.info("web session expired sender=%s", pseudonym(checked.sender_id))
        return None
    renewed = tokens.renewal(secret, checked, now=now, lifetime=session_lifetime(request))
    if renewed is not None:
        request[_RENEWED] = renewed
    return checked.sender_id


def unauthorised(request: web.Request) -> web.Response:
    """401: `{"error", "expired": true}` for a session that ended unused, else unknown."""
    if request.get(_EXPIRED):
        return web.json_response({"error": "session expired", "expired": True}, status=401)
    return json_error(401, "missing or unknown token")


async def add_renewed_token(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: hand a renewed session token back to the widget."""
    renewed = request.get(_RENEWED)
    if renewed is not None:
        response.headers[RENEWAL_HEADER] = renewed


def bearer_token(request: web.Request) -> str | None:
    """The token from `Authorization: Bearer …`."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def create_session(request: web.Request) -> web.Response:
    """Start a new web conversation; the server picks the sender id."""
    if not await request.app[SESSION_LIMITER].allow(request.remote or "unknown"):
        log.warning("session rate limited")
        return web.json_response(
            {"error": "too many new sessions from this address; try again in a minute"},
            status=429,
            headers={"Retry-After": "60"},
        )
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    language = body.get("language", "en")
    invite = body.get("invite")
    if language not in people.LANGUAGES:
        return json_error(400, "language must be 'en' or 'cy'")
    if invite is not None and (not isinstance(invite, str) or len(invite) > 64):
        return json_error(400, "invite must be a short string")
    sender_id = tokens.new_sender_id()
    url = request.app[SETTINGS].database_url

    def enrol() -> None:
        with unit_of_work(url) as session:
            people.enrol_web_person(session, sender_id, language, invite or None)

    await asyncio.to_thread(enrol)
    log.info("web session started sender=%s", pseudonym(sender_id))
    return web.json_response({"token": new_session_token(request, sender_id)}, status=201)


async def post_message(request: web.Request) -> web.Response:
    """One synchronous turn over HTTP."""
    sender_id = await authorised_sender(request, bearer_token(request))
    if sender_id is None:
        return unauthorised(request)
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    text, message_id = body.get("text"), body.get("id")
    if not isinstance(text, str):
        return json_error(400, "text must be a string")
    if message_id is not None and not isinstance(message_id, str):
        return json_error(400, "id must be a string")
    services = request.app[SERVICES]
    replies = await services.turns.handle(sender_id, CHANNEL, text, message_id)
    language = await services.turns.language_of(sender_id)
    answer: dict[str, Any] = {"messages": replies, "language": language}
    if not await _still_active(services, sender_id):
        answer["erased"] = True  # "forget me": the widget drops its copy of the conversation
    return web.json_response(answer)


async def my_data(request: web.Request) -> web.Response:
    """Everything held about the token's person, as a JSON file to download (audited)."""
    sender_id = await authorised_sender(request, bearer_token(request))
    if sender_id is None:
        return unauthorised(request)
    url = request.app[SETTINGS].database_url

    def export() -> dict[str, Any] | None:
        with unit_of_work(url) as session:
            try:
                return data_rights.export_person(session, sender_id)
            except data_rights.UnknownPerson:
                return None

    document = await asyncio.to_thread(export)
    if document is None:
        return json_error(404, "nothing is held for this token")
    log.info("data exported sender=%s", pseudonym(sender_id))
    return web.Response(
        text=json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-data.json"',
            "Cache-Control": "no-store",
        },
    )


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a web origin, the default port filled in; None if it is none."""
    scheme = scheme.lower()
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


def _from_trusted_proxy(request: web.Request) -> bool:
    try:
        peer = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    proxies = request.app[SETTINGS].portal_trusted_proxies
    return any(peer in ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def own_scheme(request: web.Request) -> str:
    """The scheme the browser uses for this gateway: the connection's, or, from one of
    PORTAL_TRUSTED_PROXIES (a proxy that ends TLS), its X-Forwarded-Proto."""
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    if forwarded and _from_trusted_proxy(request):
        return forwarded.split(",")[0].strip()
    return request.scheme


def same_origin(request: web.Request) -> bool:
    """A browser's WebSocket must come from this gateway's own page (or an allowed origin):
    the same scheme, host and port."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin in request.app[SETTINGS].allowed_origins:
        return True
    try:
        split = urlsplit(origin)
    except ValueError:
        return False
    if split.path or split.query or split.fragment:
        return False
    theirs = _origin(split.scheme, split.netloc)
    return theirs is not None and theirs == _origin(own_scheme(request), request.host)


async def websocket(request: web.Request) -> web.StreamResponse:
    """The widget's live connection: turns in, replies and pushed messages out.

    The first frame is `{"type": "auth", "ticket": …}`: a one-minute, single-use ticket from
    `POST /api/socket-tickets`, so neither it nor the session token is ever in the URL (where
    proxies and access logs would keep it), and the session token never travels on the socket.
    """
    if not same_origin(request):
        return json_error(403, "cross-origin WebSocket refused")
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=MAX_BODY_BYTES)
    if not ws.can_prepare(request).ok:
        return json_error(401, "missing or unknown token")
    await ws.prepare(request)
    sender_id = await _authenticate(request, ws)
    if isinstance(sender_id, int):
        # A browser cannot read an HTTP 401 on a WebSocket; a close code it can read.
        reason = b"ticket refused" if sender_id == TICKET_REFUSED_CLOSE_CODE else b"unknown"
        await ws.close(code=sender_id, message=reason)
        return ws
    services = request.app[SERVICES]

    async def pusher(messages: list[dict[str, Any]]) -> None:
        await ws.send_json({"type": "push", "messages": messages})

    services.hub.connect(sender_id, pusher)
    try:
        held = await services.turns.held_replies(sender_id)
        if held:
            await pusher(held)
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            await _ws_turn(ws, services, sender_id, frame.data)
    finally:
        services.hub.disconnect(sender_id, pusher)
    return ws


async def _authenticate(request: web.Request, ws: web.WebSocketResponse) -> str | int:
    """The sender behind the socket's first frame, a valid `auth` frame in time; else the
    close code to send: TICKET_REFUSED_CLOSE_CODE for a ticket that is forged, ended or used
    (the widget asks for a fresh one), UNAUTHORISED_CLOSE_CODE for anything else or a
    person since erased."""
    try:
        first = await ws.receive(timeout=WS_AUTH_TIMEOUT_S)
    except TimeoutError:  # a slow ticket, say: the widget tries again, in the same session
        return TICKET_REFUSED_CLOSE_CODE
    if first.type != WSMsgType.TEXT:
        return UNAUTHORISED_CLOSE_CODE
    try:
        frame = json_object(first.data)
    except UnreadableJson:
        return UNAUTHORISED_CLOSE_CODE
    ticket = frame.get("ticket")
    if frame.get("type") != "auth" or not isinstance(ticket, str):
        return UNAUTHORISED_CLOSE_CODE
    return await ticket_sender(request, ticket)


async def ticket_sender(request: web.Request, ticket: str) -> str | int:
    """The sender a socket ticket was issued to, spending it; or the close code for a
    ticket that is forged, ended or already used, or whose person has since been erased."""
    now = clock_of(request.app)
    claims = tokens.read_socket_ticket(request.app[SETTINGS].secret_key, ticket, now=now)
    if claims is None:
        return TICKET_REFUSED_CLOSE_CODE
    ttl = max(1, claims.expires_at - int(now) + 1)
    if not await request.app[SOCKET_TICKETS].spend(claims.nonce, ttl):
        log.warning("socket ticket used twice sender=%s", pseudonym(claims.sender_id))
        return TICKET_REFUSED_CLOSE_CODE
    url = request.app[SETTINGS].database_url
    active = await asyncio.to_thread(
        run_in_session, url, people.identity_is_active, CHANNEL, claims.sender_id
    )
    return claims.sender_id if active else UNAUTHORISED_CLOSE_CODE


async def create_socket_ticket(request: web.Request) -> web.Response:
    """A single-use ticket, good for a minute, to open the widget's WebSocket."""
    sender_id = await authorised_sender(request, bearer_token(request))
    if sender_id is None:
        return unauthorised(request)
    ticket = tokens.socket_ticket(
        request.app[SETTINGS].secret_key, sender_id, now=clock_of(request.app)
    )
    return web.json_response(
        {"ticket": ticket, "expires_in": tokens.SOCKET_TICKET_SECONDS},
        status=201,
        headers={"Cache-Control": "no-store"},
    )


async def _ws_turn(
    ws: web.WebSocketResponse, services: Services, sender_id: str, data: str
) -> None:
    try:
        frame = json_object(data)
    except UnreadableJson as exc:
        await ws.send_json({"type": "error", "error": exc.reason})
        return
    message_id = frame.get("id")
    if frame.get("type") != "message":
        await ws.send_json(
            {"type": "error", "error": "expected a message frame", "reply_to": message_id}
        )
        return
    if not await _still_active(services, sender_id):
        await ws.close(code=UNAUTHORISED_CLOSE_CODE, message=b"missing or unknown token")
        return
    text = frame.get("text")
    if not isinstance(text, str) or (message_id is not None and not isinstance(message_id, str)):
        await ws.send_json(
            {"type": "error", "error": "text and id must be strings", "reply_to": message_id}
        )
        return
    replies = await services.turns.handle(sender_id, CHANNEL, text, message_id)
    language = await services.turns.language_of(sender_id)
    reply: dict[str, Any] = {
        "type": "reply",
        "reply_to": message_id,
        "messages": replies,
        "language": language,
    }
    erased = not await _still_active(services, sender_id)
    if erased:
        reply["erased"] = True  # "forget me": the widget drops its copy of the conversation
    await ws.send_json(reply)
    if erased:
        # This socket's sender no longer exists; the widget starts anew when spoken to.
        await ws.close(code=UNAUTHORISED_CLOSE_CODE, message=b"erased")


async def _still_active(services: Services, sender_id: str) -> bool:
    url = services.turns.database_url
    active: bool = await asyncio.to_thread(
        run_in_session, url, people.identity_is_active, CHANNEL, sender_id
    )
    return active


def widget_setup() -> dict[str, Any]:
    """What the widget needs before its first word: its labels in English and Welsh, and the
    longest message the gateway takes, so that it can say so before anything is sent."""
    return {**ui_text(), "limits": {"message_chars": MAX_MESSAGE_CHARS}}


async def get_ui_text(_request: web.Request) -> web.Response:
    """The widget's labels in English and Welsh, and its limits."""
    return web.json_response(widget_setup(), headers={"Cache-Control": "max-age=300"})


@functools.cache
def _index_template() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


def _inline_json(value: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def index(_request: web.Request) -> web.Response:
    """The widget page, with its labels inside it: it never shows an empty or English-only
    screen because a second request failed. The JSON is data, not script, so the CSP holds."""
    html = _index_template().replace(SETUP_MARKER, _inline_json(widget_setup()))
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application, redis: Redis | None = None) -> None:
    """Mount the widget's page, assets and API (session limits shared through `redis`)."""
    app[SESSION_LIMITER] = session_limiter(redis)
    app[SOCKET_TICKETS] = ticket_book(redis)
    app.on_response_prepare.append(add_renewed_token)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/api/ui-text", get_ui_text)
    app.router.add_post("/api/sessions", create_session)
    app.router.add_post("/api/messages", post_message)
    app.router.add_get("/api/my-data", my_data)
    app.router.add_post("/api/socket-tickets", create_socket_ticket)
    app.router.add_get("/api/ws", websocket)
