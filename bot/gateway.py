"""The gateway: one aiohttp app for the web widget's API, health and (later) the portal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import web
from sqlalchemy import text
from telegram.request import BaseRequest

from bot import portal
from bot.app_keys import REDIS, SERVICES, SETTINGS, Services
from bot.channels.push import PushHub, SharedPushHub
from bot.channels.telegram.runtime import add_telegram, telegram_status
from bot.channels.web.ask3 import add_ask3_routes
from bot.channels.web.routes import add_routes
from bot.config import Settings
from bot.coordination import connect, shared_state
from bot.engine_client import Engine, EngineClient, probe
from bot.engine_routing import EngineRouter, release_stale_lock
from bot.logs import withhold_exception_detail
from bot.ratelimit import message_limiter
from bot.safety.semantic import warm_up as safety_warm_up
from bot.scheduling.scheduler import HubDelivery, Scheduler, interval_from_env
from bot.store import migrate
from bot.store.db import get_engine
from bot.turns import TurnService

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def database_ready(url: str) -> bool:
    """The database answers and its schema is at the migrations' head."""
    try:
        with get_engine(url).connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return version in migrate.heads()
    except Exception:
        log.warning("database not ready", exc_info=True)
        return False


async def healthz(request: web.Request) -> web.Response:
    """200 when every part is ready, 503 naming the part that is not; and Telegram's mode."""
    settings, services = request.app[SETTINGS], request.app[SERVICES]
    engine_ok, actions_ok, db_ok = await asyncio.gather(
        services.engine.ready(),
        probe(services.http, f"{settings.actions_url}/health"),
        asyncio.to_thread(database_ready, settings.database_url),
    )
    parts = {
        "gateway": "ok",
        "engine": "ok" if engine_ok else "unavailable",
        "actions": "ok" if actions_ok else "unavailable",
        "database": "ok" if db_ok else "unavailable",
        "safety": safety_status(services.safety_ready),
    }
    ok = all(value == "ok" for value in parts.values())
    # An optional channel: reported, but never a reason for a 503.
    parts["telegram"] = telegram_status(request.app)
    return web.json_response(parts, status=200 if ok else 503)


def safety_status(loading: asyncio.Task[None] | None) -> str:
    """ "ok" once the safety net's models are loaded, "loading" before, "unavailable" if
    loading failed (messages then load it themselves, and a failure is logged)."""
    if loading is None or not loading.done():
        return "loading"
    if loading.cancelled() or loading.exception() is not None:
        return "unavailable"
    return "ok"


async def _warm_safety() -> None:
    try:
        await asyncio.to_thread(safety_warm_up)
    except Exception:
        log.exception("safety net models failed to load")
        raise


async def _redeliver_forever(turns: TurnService, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await turns.redeliver_all()
        except Exception:
            log.exception("redelivery round failed")


async def services_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the database schema, the HTTP client, the redelivery loop and the scheduler;
    close them after."""
    settings = app[SETTINGS]
    await asyncio.to_thread(migrate.upgrade, settings.database_url)
    redis = app.get(REDIS)
    async with aiohttp.ClientSession() as http:
        urls = settings.engine_urls
        release = None if redis is None else release_stale_lock(redis)
        engine: Engine = (
            EngineClient(http, urls[0])
            if len(urls) == 1
            else EngineRouter(http, urls, release=release)
        )
        hub = PushHub() if redis is None else SharedPushHub(redis)
        if isinstance(hub, SharedPushHub):
            await hub.start()
        gate, replay = shared_state(redis)
        turns = TurnService(
            engine=engine,
            hub=hub,
            database_url=settings.database_url,
            limiter=message_limiter(redis),
            gate=gate,
            replay=replay,
        )
        safety_ready = asyncio.create_task(_warm_safety())
        app[SERVICES] = Services(
            http=http, engine=engine, hub=hub, turns=turns, safety_ready=safety_ready
        )
        task = asyncio.create_task(_redeliver_forever(turns, settings.redelivery_interval))
        web_delivery = HubDelivery(hub, settings.database_url)
        routed = HubDelivery(hub, settings.database_url, hold_when_away=False)
        scheduler = Scheduler(
            settings.database_url, {"telegram": routed}, default_delivery=web_delivery
        )
        scheduling = asyncio.create_task(scheduler.run_forever(interval_from_env()))
        yield
        for running in (task, scheduling, safety_ready):
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running
        if isinstance(hub, SharedPushHub):
            await hub.stop()
    if redis is not None:
        await redis.aclose()


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'"
    ),
}


async def security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """Conservative headers on every response, as it is sent (`on_response_prepare`): a
    raised HTTPException, an unknown path and aiohttp's own errors included, which a
    middleware never sees. A stricter header set earlier (the portal's CSP) stays."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


@web.middleware
async def contain_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unhandled error is a plain 500 (no traceback, nothing of the request), logged by
    its route and type only (`withhold_exception_detail`)."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        log.exception("unhandled error on %s %s", request.method, route)
        if request.path.startswith("/api/"):
            return web.json_response({"error": "internal error"}, status=500)
        return web.Response(status=500, text="500: Internal Server Error")


def init_app(settings: Settings, *, telegram_request: BaseRequest | None = None) -> web.Application:
    """The gateway app factory; `telegram_request` stands in for Telegram's HTTP in tests."""
    withhold_exception_detail()
    app = web.Application(middlewares=[contain_errors], client_max_size=64 * 1024)
    app.on_response_prepare.append(security_headers)
    app[SETTINGS] = settings
    # Shared by every gateway replica when set: turn locks, replays, rate limits, pushes.
    if settings.redis_url:
        app[REDIS] = connect(settings.redis_url)
    app.cleanup_ctx.append(services_ctx)
    add_telegram(app, settings, telegram_request)
    app.router.add_get("/healthz", healthz)
    add_routes(app, app.get(REDIS))
    add_ask3_routes(app)
    portal.setup(app, settings)
    return app
