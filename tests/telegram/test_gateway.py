"""The channel inside the gateway: start-up, the webhook route, polling, /healthz, settings."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient as _TestClient

from bot.config import ConfigError, Settings
from bot.gateway import init_app
from tests.support import gateway_settings
from tests.telegram.conftest import GWEN, TOKEN, RecordingRequest, update_json

TestClient = _TestClient[web.Request, web.Application]
SECRET = "webhook-secret-0123456789abcdef"
HOOK = "https://coach.example.org/telegram/webhook"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """The engine is down in these tests; the webhook is set."""
    return gateway_settings(
        sqlite_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_url=HOOK,
        telegram_webhook_secret=SECRET,
    )


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def webhook_client(
    aiohttp_client: Any, settings: Settings, bot_api: RecordingRequest
) -> TestClient:
    client: TestClient = await aiohttp_client(init_app(settings, telegram_request=bot_api))
    return client


async def test_start_up_registers_commands_in_both_languages_and_the_webhook(
    aiohttp_client: Any, settings: Settings
) -> None:
    bot_api = RecordingRequest()
    await webhook_client(aiohttp_client, settings, bot_api)
    methods = [c.method for c in bot_api.calls]
    assert methods[:4] == ["getMe", "setMyCommands", "setMyCommands", "setWebhook"]
    english, welsh = bot_api.sent("setMyCommands")
    names = ["start", "help", "language", "mydata", "forget", "pause", "resume", "stop"]
    assert [c["command"] for c in english["commands"]] == names
    assert [c["command"] for c in welsh["commands"]] == names
    assert "language_code" not in english and welsh["language_code"] == "cy"
    assert welsh["commands"][1]["description"] != english["commands"][1]["description"]
    [hook] = bot_api.sent("setWebhook")
    assert hook["url"] == HOOK and hook["secret_token"] == SECRET


@pytest.mark.parametrize("header", [None, "wrong-secret-0123456789abcdef", ""])
async def test_webhook_refuses_a_wrong_or_missing_secret(
    aiohttp_client: Any, settings: Settings, header: str | None
) -> None:
    bot_api = RecordingRequest()
    client = await webhook_client(aiohttp_client, settings, bot_api)
    headers = {} if header is None else {"X-Telegram-Bot-Api-Secret-Token": header}
    response = await client.post("/telegram/webhook", json=update_json("text"), headers=headers)
    assert response.status == 403
    await asyncio.sleep(0.1)
    assert bot_api.sent("sendMessage") == []


async def test_webhook_with_the_secret_handles_the_update_once(
    aiohttp_client: Any, settings: Settings
) -> None:
    bot_api = RecordingRequest()
    client = await webhook_client(aiohttp_client, settings, bot_api)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for _ in range(2):  # Telegram redelivers when it thinks the first POST failed
        response = await client.post("/telegram/webhook", json=update_json("text"), headers=headers)
        assert response.status == 200
    await eventually(lambda: bool(bot_api.sent("sendMessage")))
    await asyncio.sleep(0.2)
    [reply] = bot_api.sent("sendMessage")
    assert reply["chat_id"] == GWEN and "kept your message" in reply["text"]


DEEP_UPDATE = b'{"update_id": 7, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b'{"message": {}}', DEEP_UPDATE])
async def test_webhook_rejects_what_is_not_an_update(
    aiohttp_client: Any, settings: Settings, body: bytes
) -> None:
    client = await webhook_client(aiohttp_client, settings, RecordingRequest())
    response = await client.post(
        "/telegram/webhook",
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert "error" in await response.json()


async def test_webhook_refuses_an_update_over_the_size_limit_even_when_chunked(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await webhook_client(aiohttp_client, settings, RecordingRequest())
    huge = b'{"update_id": 8, "x": "' + b"a" * (200 * 1024) + b'"}'

    async def chunks() -> Any:
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    response = await client.post(
        "/telegram/webhook",
        data=chunks(),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status == 413


async def test_healthz_reports_the_channel_without_changing_the_status(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await webhook_client(aiohttp_client, settings, RecordingRequest())
    response = await client.get("/healthz")
    assert response.status == 503  # the engine is down; Telegram is not a reason
    body = await response.json()
    assert body["telegram"] == "webhook" and body["engine"] == "unavailable"


async def test_polling_mode_fetches_updates_and_answers(
    aiohttp_client: Any, settings: Settings
) -> None:
    polling = dataclasses.replace(settings, telegram_webhook_url=None, telegram_webhook_secret=None)
    bot_api = RecordingRequest(pending_updates=[update_json("sticker")])
    client = await aiohttp_client(init_app(polling, telegram_request=bot_api))
    await eventually(lambda: bool(bot_api.sent("sendMessage")))
    assert bot_api.sent("deleteWebhook") and bot_api.sent("setWebhook") == []
    offsets = [c.get("offset") for c in bot_api.sent("getUpdates")]
    assert offsets[0] is None
    await eventually(lambda: 904512304 in [c.get("offset") for c in bot_api.sent("getUpdates")])
    assert (await (await client.get("/healthz")).json())["telegram"] == "polling"
    assert (await client.post("/telegram/webhook", json={})).status == 404


async def test_polling_confirms_an_update_only_once_it_is_answered(
    aiohttp_client: Any, settings: Settings
) -> None:
    """The offset that lets Telegram forget an update goes out after the reply, so a gateway
    that dies mid-turn gets the update again when it comes back."""
    polling = dataclasses.replace(settings, telegram_webhook_url=None, telegram_webhook_secret=None)
    bot_api = RecordingRequest(pending_updates=[update_json("sticker")])
    await aiohttp_client(init_app(polling, telegram_request=bot_api))
    await eventually(lambda: 904512304 in [c.get("offset") for c in bot_api.sent("getUpdates")])
    calls = [(c.method, c.params.get("offset")) for c in bot_api.calls]
    assert calls.index(("sendMessage", None)) < calls.index(("getUpdates", 904512304))


async def test_no_token_means_no_channel(aiohttp_client: Any, settings: Settings) -> None:
    off = dataclasses.replace(
        settings, telegram_bot_token=None, telegram_webhook_url=None, telegram_webhook_secret=None
    )
    client = await aiohttp_client(init_app(off))
    assert (await (await client.get("/healthz")).json())["telegram"] == "off"
    assert (await client.post("/telegram/webhook", json={})).status == 404


async def test_a_self_hosted_bot_api_server_gets_every_call(
    aiohttp_client: Any, settings: Settings
) -> None:
    """TELEGRAM_API_BASE_URL: NHS IT's own telegram-bot-api server, not api.telegram.org."""
    local = dataclasses.replace(
        settings,
        telegram_api_base_url="http://127.0.0.1:8081/bot",
        telegram_api_file_url="http://127.0.0.1:8081/file/bot",
    )
    bot_api = RecordingRequest()
    client = await webhook_client(aiohttp_client, local, bot_api)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post("/telegram/webhook", json=update_json("text"), headers=headers)
    assert response.status == 200
    await eventually(lambda: bool(bot_api.sent("sendMessage")))
    assert {"getMe", "setMyCommands", "setWebhook", "sendMessage"} <= {
        c.method for c in bot_api.calls
    }
    assert bot_api.urls and all(
        url.startswith(f"http://127.0.0.1:8081/bot{TOKEN}/") for url in bot_api.urls
    ), bot_api.urls


@pytest.mark.parametrize("bad", ["ftp://bots.example/bot", "127.0.0.1:8081/bot", "http:///bot"])
def test_a_bot_api_address_that_is_not_a_url_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    for name in ("TELEGRAM_API_BASE_URL", "TELEGRAM_API_FILE_URL"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=name):
            Settings.from_env()
        monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"telegram_webhook_secret": None}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"telegram_webhook_secret": "short"}, "16 to 256"),
        ({"telegram_webhook_url": "http://coach.example.org/hook"}, "https"),
        ({"telegram_bot_token": None}, "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_a_webhook_without_what_it_needs_refuses_to_start(
    settings: Settings, changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        dataclasses.replace(settings, **changes)


def test_settings_from_the_environment_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", HOOK)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError):
        Settings.from_env()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    assert Settings.from_env().telegram_mode == "webhook"
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL")
    assert Settings.from_env().telegram_mode == "polling"
