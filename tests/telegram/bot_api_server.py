"""A local Bot API server over real HTTP, standing in for Telegram (or a self-hosted
`telegram-bot-api`) so the gateway process can be driven end to end with no outside network.

It speaks the methods the coach uses, keeps updates for long polling with offsets as Telegram
does (an update is forgotten only once a later `getUpdates` confirms it), posts them to the
gateway's webhook with the secret header in webhook mode, records every call, and answers
429 with `retry_after`, 403 (bot blocked) or a slow answer on demand.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from bot.channels.telegram.runtime import SECRET_HEADER
from bot.stack import LocalStack, free_port

BOT_USER: dict[str, Any] = {
    "id": 7001234567,
    "is_bot": True,
    "first_name": "Co-create Coach",
    "username": "cocreate_coach_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
T = TypeVar("T")
SENT_MESSAGES = ("sendMessage", "sendDocument", "sendPhoto", "editMessageText",
                 "editMessageReplyMarkup")  # fmt: skip


def error_body(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    """A Bot API error answer, as Telegram sends it."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


def too_many_requests(retry_after: int = 1) -> tuple[int, dict[str, Any]]:
    """Flood control: wait `retry_after` seconds before trying again."""
    return error_body(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def bot_blocked() -> tuple[int, dict[str, Any]]:
    """The person blocked the bot."""
    return error_body(403, "Forbidden: bot was blocked by the user")


def sent_message(method: str, params: dict[str, Any], message_id: int) -> dict[str, Any]:
    """The Message Telegram returns for a send or an edit."""
    chat_id = int(params["chat_id"])
    message: dict[str, Any] = {
        "message_id": int(params.get("message_id") or message_id),
        "from": BOT_USER,
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "date": int(time.time()),
    }
    for key in ("text", "reply_markup", "caption"):
        if key in params:
            message[key] = params[key]
    if method == "sendDocument":
        message["document"] = {
            "file_id": "BQACAgQAAxkDAAIBQ2ZDoc",
            "file_unique_id": "AgADQwEAAg",
            "file_name": "my-data.json",
            "mime_type": "application/json",
        }
    if method == "sendPhoto":
        message["photo"] = [
            {"file_id": "AgACAgQAAxkDAAIBRGZD", "file_unique_id": "AQADRA", "width": 1280,
             "height": 900}
        ]  # fmt: skip
    return message


def answer_for(method: str, params: dict[str, Any], message_ids: Iterator[int]) -> Any:
    """The `result` of a successful call."""
    if method == "getMe":
        return BOT_USER
    if method in SENT_MESSAGES:
        return sent_message(method, params, next(message_ids))
    return True  # sendChatAction, answerCallbackQuery, setMyCommands, setWebhook, ...


def _decoded(value: str) -> Any:
    """python-telegram-bot sends objects (reply_markup, allowed_updates) as JSON strings."""
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass
class BotCall:
    """One request the bot made, as the server received it."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    ok: bool = True  # False when the server refused it (a fault asked for)


@dataclass
class Webhook:
    """What the bot registered with setWebhook."""

    url: str
    secret: str | None


@dataclass
class BotApiServer:
    """The stand-in. `start()` it, point the gateway at `base_url`, then `send()` updates."""

    token: str
    calls: list[BotCall] = field(default_factory=list)
    webhook: Webhook | None = None
    # Where webhook updates are really posted: the gateway's own address, as a TLS-ending
    # proxy in front of it would; the registered https URL is only recorded.
    deliver_to: str | None = None
    faults: dict[str, list[tuple[int, dict[str, Any]] | float]] = field(default_factory=dict)
    webhook_answers: list[int] = field(default_factory=list)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(700_000_001))
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _outbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _runner: web.AppRunner | None = None
    _pusher: asyncio.Task[None] | None = None
    port: int = field(default_factory=free_port)

    @property
    def base_url(self) -> str:
        """`TELEGRAM_API_BASE_URL` for the gateway."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        """`TELEGRAM_API_FILE_URL` for the gateway."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._call)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._pusher = asyncio.create_task(self._push_webhooks())

    async def close(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
        async with self._arrived:
            self._arrived.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what a test does --------------------------------------------------------------------

    def new_update_id(self) -> int:
        return next(self._update_ids)

    async def send(self, update: dict[str, Any]) -> dict[str, Any]:
        """A person did something: the update waits for getUpdates, or goes to the webhook."""
        update.setdefault("update_id", self.new_update_id())
        if self.webhook is not None:
            await self._outbox.put(update)
        else:
            async with self._arrived:
                self._pending.append(update)
                self._arrived.notify_all()
        return update

    def fail(self, method: str, *faults: tuple[int, dict[str, Any]] | float) -> None:
        """The next calls of `method` get these answers: an error, or a delay in seconds."""
        self.faults.setdefault(method, []).extend(faults)

    def sent(
        self, method: str = "sendMessage", chat_id: int | None = None, *, refused: bool = False
    ) -> list[BotCall]:
        """The calls of `method` the server took (or, with `refused`, also those it refused)."""
        return [
            c
            for c in self.calls
            if c.method == method
            and (c.ok or refused)
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        """What the person read, in order."""
        return [str(c.params["text"]) for c in self.sent("sendMessage", chat_id)]

    @property
    def unconfirmed(self) -> list[int]:
        """Update ids Telegram would still hand out (polling mode)."""
        return [u["update_id"] for u in self._pending]

    # --- the Bot API ---------------------------------------------------------------------------

    async def _call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            status, body = error_body(401, "Unauthorized")
            return web.json_response(body, status=status)
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.method == "POST" and request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[name] = value.file.read()
                else:
                    params[name] = _decoded(str(value))
        params.update({k: _decoded(v) for k, v in request.query.items()})
        call = BotCall(method, params, files, time.monotonic())
        self.calls.append(call)
        fault = self.faults.get(method)
        if fault:
            planned = fault.pop(0)
            if isinstance(planned, float | int):
                await asyncio.sleep(float(planned))
            else:
                call.ok = False
                status, body = planned
                return web.json_response(body, status=status)
        result = await self._result(method, params)
        return web.json_response({"ok": True, "result": result})

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            self.webhook = Webhook(str(params["url"]), params.get("secret_token"))
            await self._hand_pending_to_webhook()
        elif method == "deleteWebhook":
            self.webhook = None
        elif method == "getWebhookInfo":
            return {"url": self.webhook.url if self.webhook else "", "pending_update_count": 0,
                    "has_custom_certificate": False}  # fmt: skip
        return answer_for(method, params, self._message_ids)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = float(params.get("timeout") or 0)
        async with self._arrived:
            if offset:  # everything before the offset is confirmed, and forgotten
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if not self._pending and wait > 0:
                try:
                    await asyncio.wait_for(self._arrived.wait(), timeout=wait)
                except TimeoutError:
                    pass
            return list(self._pending[:100])

    async def _hand_pending_to_webhook(self) -> None:
        async with self._arrived:
            pending, self._pending = self._pending, []
        for update in pending:
            await self._outbox.put(update)

    async def _push_webhooks(self) -> None:
        """Post each update until the gateway answers 2xx, as Telegram retries a webhook."""
        async with aiohttp.ClientSession() as http:
            while True:
                update = await self._outbox.get()
                while True:
                    status = await self._post(http, update)
                    self.webhook_answers.append(status)
                    if 200 <= status < 300:
                        break
                    await asyncio.sleep(0.5)

    async def _post(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> int:
        assert self.webhook is not None and self.deliver_to is not None
        headers = {SECRET_HEADER: self.webhook.secret} if self.webhook.secret else {}
        try:
            async with http.post(self.deliver_to, json=update, headers=headers) as response:
                return response.status
        except aiohttp.ClientError:
            return 0


class ThreadedBotApi:
    """The stand-in on its own event loop in a thread, for tests that drive a stack of real
    processes from plain (synchronous) code. Reads of `server.calls` are safe from any thread."""

    def __init__(self, token: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.server: BotApiServer = self._run(self._started(token))

    async def _started(self, token: str) -> BotApiServer:
        server = BotApiServer(token)
        await server.start()
        return server

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def send(self, update: dict[str, Any]) -> dict[str, Any]:
        """A person did something (see `BotApiServer.send`)."""
        return self._run(self.server.send(update))

    def wait_for(self, done: Callable[[], bool], within: float = 60.0, what: str = "") -> None:
        """Wait until `done()` holds, or fail saying what never happened."""
        deadline = time.monotonic() + within
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {within}s for {what or 'the bot'}")
            time.sleep(0.05)

    def close(self) -> None:
        self._run(self.server.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


def stack_on(api: ThreadedBotApi, model: Path, var_dir: Path) -> LocalStack:
    """The whole coach on SQLite in `var_dir`, with Telegram on and pointed at `api`."""
    return LocalStack(
        model,
        f"sqlite:///{var_dir / 'coach.db'}",
        var_dir,
        telegram_bot_token=api.server.token,
        telegram_api_base_url=api.server.base_url,
    )
