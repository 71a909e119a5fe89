"""A small client for the Rasa engine's REST channel and health endpoint."""

from __future__ import annotations

import logging
from typing import Any, NotRequired, Protocol, TypedDict

import aiohttp

log = logging.getLogger(__name__)


class Button(TypedDict):
    """A tappable choice; its payload can be sent back as text."""

    title: str
    payload: str


class BotMessage(TypedDict):
    """One bot message as every channel receives it.

    `option_grid` (Ask 3, issue 5) is an option grid in one language, from an action's
    `json_message` (see `bot.content.option_grids.OptionGrid.in_language`); the web widget
    shows a table, Telegram an image and the rows as text. `ask3_summary` ({"list_id",
    "label"}) lets the widget offer the printable question list.
    """

    text: str
    buttons: list[Button]
    option_grid: NotRequired[dict[str, Any]]
    ask3_summary: NotRequired[dict[str, Any]]


CUSTOM_KEYS = ("option_grid", "ask3_summary")


class EngineUnavailable(Exception):
    """The engine is down, restarting or answered with a server error."""

    still_working = False  # it may still be working on the turn (the wait timed out)


class EngineTimedOut(EngineUnavailable):
    """No answer in time: the engine may still finish the turn."""

    still_working = True


class EngineUnreachable(EngineUnavailable):
    """Nothing listens at the engine's address: the turn never reached it."""


def normalise(raw: list[dict[str, Any]]) -> list[BotMessage]:
    """Turn the REST channel's reply into text-and-buttons messages."""
    messages: list[BotMessage] = []
    for item in raw:
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in item.get("buttons") or []
        ]
        text = str(item.get("text") or "")
        if text or buttons:
            messages.append(BotMessage(text=text, buttons=buttons))
        custom = item.get("custom")
        if isinstance(custom, dict):
            for key in CUSTOM_KEYS:
                if isinstance(custom.get(key), dict):
                    message = BotMessage(text="", buttons=[])
                    message[key] = custom[key]  # type: ignore[literal-required]
                    messages.append(message)
    return messages


class Engine(Protocol):
    """Where the gateway sends turns: one engine, or several behind a router."""

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]: ...

    async def ready(self) -> bool: ...


class EngineClient:
    """Sends one user turn to the engine and returns its replies."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, timeout: float = 30.0):
        self._http = http
        self._base_url = base_url
        self.base_url = base_url
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """One turn through the REST channel; EngineUnavailable when it cannot be had."""
        body = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        url = f"{self._base_url}/webhooks/rest/webhook"
        try:
            async with self._http.post(url, json=body, timeout=self._timeout) as response:
                if response.status != 200:
                    raise EngineUnavailable(f"engine answered {response.status}")
                raw = await response.json()
        except aiohttp.ClientConnectorError as exc:
            raise EngineUnreachable(type(exc).__name__) from exc
        except TimeoutError as exc:
            raise EngineTimedOut(type(exc).__name__) from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise EngineUnavailable(type(exc).__name__) from exc
        if not isinstance(raw, list):
            raise EngineUnavailable("engine reply was not a list")
        return normalise(raw)

    async def ready(self) -> bool:
        """Whether the engine answers on its root route (it binds only once the model loads)."""
        return await probe(self._http, f"{self._base_url}/")


async def probe(http: aiohttp.ClientSession, url: str) -> bool:
    """True when `url` answers 200 within two seconds."""
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False
