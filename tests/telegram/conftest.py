"""Telegram with no network: a recording Bot API, a scripted engine, real update JSON."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.channels.push import PushHub
from bot.channels.telegram.handlers import DataRights, TelegramApp, TelegramChannel
from bot.channels.telegram.outbox import TelegramOutbox
from bot.channels.telegram.runtime import build_application
from bot.engine_client import EngineClient
from bot.stack import free_port
from bot.store import migrate
from bot.store import telegram as tg_store
from bot.turns import TurnService
from tests.telegram.bot_api_server import answer_for

DATA = Path(__file__).resolve().parent.parent / "data" / "telegram"
TOKEN = "7001234567:AAH3c0-create-coach-test-token-00000"
GWEN = 5123987456  # the Telegram user in most fixtures


def update_json(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture update from tests/data/telegram, with top-level keys replaced."""
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class RecordingRequest(BaseRequest):
    """A Bot API that answers like Telegram and records every call; scripted failures first."""

    calls: list[Call] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # every URL the bot asked for, in order
    # method -> answers to give before the normal one: (HTTP status, body) or an exception
    scripted: dict[str, list[tuple[int, dict[str, Any]] | Exception]] = field(default_factory=dict)
    pending_updates: list[dict[str, Any]] = field(default_factory=list)
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def script(self, method: str, *answers: tuple[int, dict[str, Any]] | Exception) -> None:
        self.scripted.setdefault(method, []).extend(answers)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        return [str(p["text"]) for p in self.sent("sendMessage")]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        self.urls.append(url)
        params = dict(request_data.parameters) if request_data is not None else {}
        files: dict[str, bytes] = {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1] if isinstance(part, tuple) else part
                files[name] = content if isinstance(content, bytes) else b""
        self.calls.append(Call(api_method, params, files))
        scripted = self.scripted.get(api_method)
        if scripted:
            answer = scripted.pop(0)
            if isinstance(answer, Exception):
                raise answer
            status, body = answer
            return status, json.dumps(body).encode()
        if api_method == "getUpdates":
            result: Any = [self.pending_updates.pop(0)] if self.pending_updates else []
            if not result:
                await asyncio.sleep(0.05)
        else:
            result = answer_for(api_method, params, self._message_ids)
        return 200, json.dumps({"ok": True, "result": result}).encode()


@dataclass
class ScriptedEngine:
    """The engine's REST channel: records each turn and answers from a script."""

    received: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        message = body["message"]
        default = [{"recipient_id": body["sender"], "text": f"echo: {message}"}]
        return web.json_response(self.replies.get(message, default))

    async def root(self, _request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa")

    def messages(self) -> list[str]:
        return [str(b["message"]) for b in self.received]


PRIVACY_NOTICE = [
    {
        "recipient_id": "x",
        "text": "Before we start: I'm a chatbot, not a doctor or nurse. Do you agree?",
        "buttons": [
            {"title": "Yes, I agree", "payload": "/affirm"},
            {"title": "No, thanks", "payload": "/deny"},
            {"title": "Cymraeg", "payload": '/switch_language{"language":"cy"}'},
        ],
    }
]


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
async def engine() -> AsyncIterator[tuple[ScriptedEngine, str]]:
    scripted = ScriptedEngine(replies={"/greet": PRIVACY_NOTICE})
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", scripted.webhook)
    app.router.add_get("/", scripted.root)
    server = TestServer(app)
    await server.start_server()
    yield scripted, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Harness:
    """One bot's Application and channel over a recording Bot API and a turn service."""

    application: TelegramApp
    channel: TelegramChannel
    bot_api: RecordingRequest
    turns: TurnService
    hub: PushHub
    sleeps: list[float]

    async def feed(self, data: dict[str, Any]) -> None:
        """One update through the Application, as the webhook or poller would hand it over."""
        await self.application.process_update(Update.de_json(data, self.application.bot))


async def start_harness(
    database: str,
    engine_client: EngineClient,
    bot_api: RecordingRequest | None = None,
    data_rights: DataRights | None = None,
) -> Harness:
    bot_api = bot_api or RecordingRequest()
    application = build_application(TOKEN, bot_api)
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    hub = PushHub()
    turns = TurnService(engine=engine_client, hub=hub, database_url=database)
    outbox = TelegramOutbox(application.bot, database, sleep=fake_sleep)
    channel = TelegramChannel(turns, outbox, database, data_rights)
    channel.install(application)
    hub.route(tg_store.SENDER_PREFIX, channel.push)
    await application.initialize()
    return Harness(application, channel, bot_api, turns, hub, sleeps)


@pytest.fixture
async def harness(
    database: str, engine: tuple[ScriptedEngine, str], http: aiohttp.ClientSession
) -> AsyncIterator[Harness]:
    harness = await start_harness(database, EngineClient(http, engine[1]))
    yield harness
    await harness.application.shutdown()


@pytest.fixture
async def engine_down_harness(database: str, http: aiohttp.ClientSession) -> AsyncIterator[Harness]:
    harness = await start_harness(database, EngineClient(http, f"http://127.0.0.1:{free_port()}"))
    yield harness
    await harness.application.shutdown()
