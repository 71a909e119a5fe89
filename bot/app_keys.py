"""Typed keys for what the gateway's aiohttp app holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot.channels.push import PushHub
from bot.config import Settings
from bot.engine_client import Engine
from bot.turns import TurnService


@dataclass
class Services:
    """Long-lived resources opened in the app's cleanup context."""

    http: aiohttp.ClientSession
    engine: Engine
    hub: PushHub
    turns: TurnService
    # Loading the embedding model and the safety net's fitted network (seconds from the
    # disk cache; a minute or two the first time): /healthz says "loading" until done.
    safety_ready: asyncio.Task[None] | None = None


SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", Redis)  # set only when REDIS_URL is
SERVICES = web.AppKey("services", Services)
# The gateway's clock for web sessions' expiry (tests set one; the default is time.time).
CLOCK = web.AppKey[Callable[[], float]]("clock")


def clock_of(app: web.Application) -> float:
    """Now, by the app's clock."""
    return app.get(CLOCK, time.time)()
