"""Typed keys for what the gateway's aiohttp app holds."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.channels.push import PushHub
from bot.config import Settings
from bot.engine_client import EngineClient
from bot.turns import TurnService


@dataclass
class Services:
    """Long-lived resources opened in the app's cleanup context."""

    http: aiohttp.ClientSession
    engine: EngineClient
    hub: PushHub
    turns: TurnService


SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
