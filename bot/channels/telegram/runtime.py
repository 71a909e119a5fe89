"""The Telegram channel's life inside the gateway: built, started and stopped with the app.

The python-telegram-bot `Application` has no `Updater` of its own (`.updater(None)`):
updates come from the webhook route (`TELEGRAM_WEBHOOK_URL` set) or from a small
long-polling task (only `TELEGRAM_BOT_TOKEN` set), which this module runs and stops. Either
way Telegram is told an update arrived only once it has been handled (`handle`), so an
update cut short by a crash is sent again, and the handlers ignore one handled before.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.error import Forbidden, InvalidToken, TelegramError, TimedOut
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest

from bot.app_keys import SERVICES, SETTINGS
from bot.channels.json_bodies import UnreadableJson, json_object, read_body
from bot.channels.telegram.handlers import DataRights, TelegramApp, TelegramChannel
from bot.channels.telegram.outbox import TelegramOutbox
from bot.channels.telegram.texts import command_menu, menu_languages
from bot.config import ConfigError, Settings
from bot.store import data_rights
from bot.store import telegram as tg_store
from bot.store.db import unit_of_work

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
POLL_TIMEOUT = timedelta(seconds=25)
MAX_POLL_BACKOFF = 60.0
CONCURRENT_UPDATES = 64
# Telegram forgets an update once told it arrived (the next getUpdates' offset, or the
# webhook's 200). That waits until the update is handled, so a crash cannot lose it; a turn
# still running after this long lets the others through.
HANDLING_WAIT = 30.0
# One update: a 4,096-character message with its entities, a caption or a callback fits well.
MAX_UPDATE_BYTES = 64 * 1024


@dataclass
class TelegramRuntime:
    """The running channel: its Application, its handlers and how updates arrive."""

    application: TelegramApp
    channel: TelegramChannel
    mode: str


TELEGRAM = web.AppKey("telegram", TelegramRuntime)


class OrderedPerChat(BaseUpdateProcessor):
    """Different chats are handled concurrently; one chat's updates in the order they came."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._users: defaultdict[int, int] = defaultdict(int)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates, then handle this one."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        self._users[chat.id] += 1
        try:
            async with self._locks[chat.id]:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


def build_application(
    token: str,
    request: BaseRequest | None = None,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
) -> TelegramApp:
    """An Application with no Updater; `request` replaces the HTTP client (tests use a fake).
    `base_url` and `base_file_url` point it at a self-hosted Bot API server."""
    builder = (
        Application.builder()
        .token(token)
        .updater(None)
        .concurrent_updates(OrderedPerChat(CONCURRENT_UPDATES))
    )
    if base_url is not None:
        builder = builder.base_url(base_url)
    if base_file_url is not None:
        builder = builder.base_file_url(base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application: TelegramApp = builder.build()
    return application


def store_data_rights() -> DataRights:
    """The store's export and erasure, for /mydata and /forget."""
    return DataRights(
        data_rights.export_person, data_rights.erase_person, data_rights.DOWNLOAD_PAYLOAD
    )


async def register_commands(application: TelegramApp) -> None:
    """The command menu, in English for everyone and in Welsh for Welsh-language apps."""
    for language in menu_languages():
        commands = [BotCommand(name, description) for name, description in command_menu(language)]
        await application.bot.set_my_commands(
            commands, language_code=None if language == "en" else language
        )


async def poll_updates(application: TelegramApp) -> None:
    """Long-poll getUpdates and queue what arrives, until cancelled."""
    offset: int | None = None
    failures = 0
    while True:
        try:
            updates = await application.bot.get_updates(
                offset=offset, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES
            )
        except TimedOut:
            continue
        except (InvalidToken, Forbidden):
            log.exception("telegram: polling stopped; the bot token was refused")
            return
        except TelegramError as exc:
            failures += 1
            delay = min(MAX_POLL_BACKOFF, 2.0**failures)
            log.warning("telegram: getUpdates failed (%s); retrying in %.0fs", exc, delay)
            await asyncio.sleep(delay)
            continue
        failures = 0
        await handle(application, updates)
        if updates:
            offset = updates[-1].update_id + 1


_still_running: set[asyncio.Task[None]] = set()


async def handle(application: TelegramApp, updates: Sequence[Update]) -> None:
    """Handle these updates, different chats at once and each chat in order, and return when
    all are done (or after HANDLING_WAIT): only then may Telegram forget them."""
    processor = application.update_processor
    tasks = [
        asyncio.create_task(processor.process_update(update, application.process_update(update)))
        for update in updates
    ]
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=HANDLING_WAIT)
    for task in pending:
        log.warning("telegram: an update is still being handled after %.0fs", HANDLING_WAIT)
        _still_running.add(task)
        task.add_done_callback(_still_running.discard)


async def _forget_old_updates(database_url: str) -> None:
    def run() -> None:
        with unit_of_work(database_url) as session:
            tg_store.forget_old_updates(session)

    await asyncio.to_thread(run)


def telegram_ctx(request: BaseRequest | None = None) -> Any:
    """The cleanup context that runs the channel for the app's lifetime."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        settings, services = app[SETTINGS], app[SERVICES]
        assert settings.telegram_bot_token is not None
        application = build_application(
            settings.telegram_bot_token,
            request,
            base_url=settings.telegram_api_base_url,
            base_file_url=settings.telegram_api_file_url,
        )
        outbox = TelegramOutbox(application.bot, settings.database_url)
        channel = TelegramChannel(
            services.turns, outbox, settings.database_url, store_data_rights()
        )
        channel.install(application)
        async with application:  # getMe: a refused token stops the gateway here
            await register_commands(application)
            await _forget_old_updates(settings.database_url)
            poller: asyncio.Task[None] | None = None
            if settings.telegram_mode == "webhook":
                assert settings.telegram_webhook_url is not None
                await application.bot.set_webhook(
                    settings.telegram_webhook_url,
                    secret_token=settings.telegram_webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                )
            else:
                await application.bot.delete_webhook()
            await application.start()
            if settings.telegram_mode == "polling" and settings.telegram_poll:
                # With several gateways only the first polls; Telegram allows one poller.
                poller = asyncio.create_task(poll_updates(application))
            services.hub.route(tg_store.SENDER_PREFIX, channel.push)
            app[TELEGRAM] = TelegramRuntime(application, channel, settings.telegram_mode)
            log.info("telegram: channel on (%s)", settings.telegram_mode)
            try:
                yield
            finally:
                services.hub.unroute(tg_store.SENDER_PREFIX)
                if poller is not None:
                    poller.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await poller
                await application.stop()

    return run


async def telegram_webhook(request: web.Request) -> web.Response:
    """Telegram's POST of one update; the secret header proves it came from Telegram."""
    settings = request.app[SETTINGS]
    secret = (settings.telegram_webhook_secret or "").encode()
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not secret or not hmac.compare_digest(given, secret):
        return web.json_response({"error": "wrong or missing secret token"}, status=403)
    runtime = request.app.get(TELEGRAM)
    if runtime is None:
        return web.json_response({"error": "telegram channel not running"}, status=503)
    raw = await read_body(request, MAX_UPDATE_BYTES)
    if raw is None:
        return web.json_response({"error": "update too large"}, status=413)
    try:
        data = json_object(raw)
    except UnreadableJson as exc:
        return web.json_response({"error": exc.reason}, status=400)
    if not isinstance(data.get("update_id"), int):
        return web.json_response({"error": "expected a Telegram update"}, status=400)
    try:
        update = Update.de_json(data, runtime.application.bot)
    except (KeyError, TypeError, ValueError):
        log.warning("telegram: an update could not be read", exc_info=True)
        return web.json_response({"error": "unreadable update"}, status=400)
    await handle(runtime.application, [update])
    return web.json_response({"ok": True})


def telegram_status(app: web.Application) -> str:
    """For /healthz: "off", or how the running channel receives updates."""
    runtime = app.get(TELEGRAM)
    if runtime is None:
        return app[SETTINGS].telegram_mode if app[SETTINGS].telegram_mode == "off" else "starting"
    return runtime.mode


def add_telegram(
    app: web.Application, settings: Settings, request: BaseRequest | None = None
) -> None:
    """Run the channel with the app when a bot token is set; the webhook route in webhook mode."""
    if settings.telegram_mode == "off":
        return
    if settings.telegram_mode == "webhook" and not settings.telegram_webhook_secret:
        raise ConfigError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET")
    app.cleanup_ctx.append(telegram_ctx(request))
    if settings.telegram_mode == "webhook":
        app.router.add_post(WEBHOOK_PATH, telegram_webhook)
