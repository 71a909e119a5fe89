"""The one way out to Telegram, for replies and proactive messages alike.

- `Forbidden` (the person blocked the bot): their identity is marked inactive, so nothing
  more is sent or scheduled to them until they write again.
- `RetryAfter` (flood control): wait as long as Telegram says, then try again.
- Network errors and timeouts: retry with exponential backoff, then record a delivery
  failure (never the text) that the portal can show.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.grid_image import grid_png, grid_rows_as_text
from bot.channels.telegram.render import keyboard, split_text
from bot.logs import pseudonym
from bot.store import telegram as tg_store
from bot.store.db import unit_of_work

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
TYPING_EVERY = 4.5  # Telegram shows "typing…" for about five seconds per chat action
MAX_FLOOD_WAIT = 300.0


def seconds(delay: int | float | timedelta) -> float:
    """A RetryAfter delay in seconds, whichever type this PTB version gives."""
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


class TelegramOutbox:
    """Sends to Telegram with the retry, flood-control and blocked-bot rules above."""

    def __init__(
        self,
        bot: Bot,
        database_url: str,
        *,
        attempts: int = 4,
        backoff: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self._database_url = database_url
        self._attempts = attempts
        self._backoff = backoff
        self._sleep = sleep

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        def run() -> Any:
            with unit_of_work(self._database_url) as session:
                return fn(session, *args)

        return await asyncio.to_thread(run)

    async def deliver(
        self, sender_id: str | None, method: str, call: Callable[[], Awaitable[object]]
    ) -> bool:
        """Make one Bot API call under the rules; True once Telegram took it.

        `sender_id` None (a group chat) means no one to mark inactive and nothing recorded.
        """
        reason = "network"
        for attempt in range(1, self._attempts + 1):
            try:
                await call()
                return True
            except Forbidden:
                if sender_id is not None:
                    await self._db(tg_store.set_active, sender_id, False)
                    log.info(
                        "telegram: bot blocked; identity inactive sender=%s", pseudonym(sender_id)
                    )
                return False
            except RetryAfter as exc:
                reason = "flood_control"
                wait = min(seconds(exc.retry_after), MAX_FLOOD_WAIT)
                log.warning("telegram: flood control, waiting %.0fs (%s)", wait, method)
                await self._sleep(wait)
            except BadRequest as exc:
                # Telegram refused the message itself; sending it again would not help.
                log.error("telegram: %s refused: %s", method, exc)
                await self._record(sender_id, method, "bad_request", attempt)
                return False
            except NetworkError as exc:  # TimedOut included
                reason = type(exc).__name__
                log.warning("telegram: %s failed (%s), attempt %d", method, reason, attempt)
                if attempt < self._attempts:
                    await self._sleep(self._backoff * 2 ** (attempt - 1))
            except TelegramError as exc:
                log.error("telegram: %s failed: %s", method, type(exc).__name__)
                await self._record(sender_id, method, type(exc).__name__, attempt)
                return False
        await self._record(sender_id, method, reason, self._attempts)
        return False

    async def _record(self, sender_id: str | None, method: str, reason: str, attempts: int) -> None:
        if sender_id is None:
            return
        await self._db(tg_store.record_failure, sender_id, method, reason, attempts)
        log.error(
            "telegram: gave up on %s after %d attempts (%s) sender=%s",
            method,
            attempts,
            reason,
            pseudonym(sender_id),
        )

    async def send_text(
        self,
        sender_id: str | None,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> bool:
        """Plain text, split under Telegram's size limit; the keyboard goes on the last piece."""
        pieces = split_text(text) or ["…"]
        for number, piece in enumerate(pieces, start=1):
            call = functools.partial(
                self.bot.send_message,
                chat_id=chat_id,
                text=piece,
                reply_markup=markup if number == len(pieces) else None,
            )
            if not await self.deliver(sender_id, "sendMessage", call):
                return False
        return True

    async def send_messages(
        self, sender_id: str, chat_id: int, messages: Sequence[Mapping[str, Any]]
    ) -> bool:
        """Bot messages (text and buttons) in order; False if one could not be delivered."""
        payloads = [b["payload"] for m in messages for b in m.get("buttons") or []]
        tokens: dict[str, str] = (
            await self._db(tg_store.register_payloads, payloads) if payloads else {}
        )
        for message in messages:
            grid = message.get("option_grid")
            if isinstance(grid, Mapping):
                if not await self.send_grid(sender_id, chat_id, dict(grid)):
                    return False
                continue
            if message.get("ask3_summary") and not message.get("text"):
                continue  # the printable list is the widget's; the chat already has the text
            markup = keyboard(message.get("buttons") or [], tokens)
            if not await self.send_text(sender_id, chat_id, str(message.get("text") or ""), markup):
                return False
        return True

    async def send_grid(self, sender_id: str, chat_id: int, grid: dict[str, Any]) -> bool:
        """An option grid (Ask 3): its image, then its text one question at a time."""
        image = grid_png(grid)
        call = functools.partial(
            self.bot.send_photo,
            chat_id=chat_id,
            photo=InputFile(image, filename="option-grid.png"),
            caption=str(grid.get("title") or ""),
        )
        if not await self.deliver(sender_id, "sendPhoto", call):
            return False
        for text in grid_rows_as_text(grid):
            if not await self.send_text(sender_id, chat_id, text):
                return False
        return True

    async def send_document(
        self, sender_id: str, chat_id: int, filename: str, content: bytes, caption: str
    ) -> bool:
        """A file, such as the person's data as JSON."""
        call = functools.partial(
            self.bot.send_document,
            chat_id=chat_id,
            document=InputFile(content, filename=filename),
            caption=caption,
        )
        return await self.deliver(sender_id, "sendDocument", call)

    async def best_effort(self, call: Awaitable[object]) -> None:
        """Calls that only polish the conversation (typing, answering a tap): never retried."""
        try:
            await call
        except TelegramError as exc:
            log.info("telegram: best-effort call failed (%s)", type(exc).__name__)

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" in the chat until the block ends."""

        async def keep_typing() -> None:
            while True:
                await asyncio.sleep(TYPING_EVERY)
                await self.best_effort(self.bot.send_chat_action(chat_id, ChatAction.TYPING))

        await self.best_effort(self.bot.send_chat_action(chat_id, ChatAction.TYPING))
        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
