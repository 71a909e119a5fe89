"""The safety net in the gateway: every inbound message, before the engine, in any state.

`SafetyNet.check` answers a pending yes/no safety question, or assesses the message. It
returns the replies to send *instead of* forwarding the message to the engine, or None when
the message is not a red flag and the conversation goes on as usual.

Choice: a red-flag message is not forwarded to the engine. The safety reply is the whole
answer to it: an engine reply after it (a fallback, the menu, a consent notice) would
bury what to do now, and the person's words about the emergency stay out of the
conversation history. The next message carries on where the dialogue was (a form, a
teach-back question), since the engine never saw the interruption.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.engine_client import BotMessage
from bot.logs import pseudonym
from bot.safety import replies
from bot.safety.detector import Assessment, assess
from bot.store import safety as safety_store
from bot.store.db import run_in_session

log = logging.getLogger(__name__)

YES = re.compile(
    r"^\s*(/affirm|y|yes|yeah|yep|yup|yes please|i am|i do|i have|it is|correct|right|"
    r"ydw|ydy|ydyn|oes|ie|do|yndw|ydw i)\s*[.!]*\s*$",
    re.IGNORECASE,
)
NO = re.compile(
    r"^\s*(/deny|n|no|nope|nah|no thanks|not now|i am not|im not|i'm not|i dont|i don't|"
    r"na|nac ydw|nac ydy|nac oes|naddo|dim|nag oes|nagw)\s*[.!]*\s*$",
    re.IGNORECASE,
)


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no (English or Welsh, or a button's payload), else None."""
    if YES.match(text):
        return True
    if NO.match(text):
        return False
    return None


@dataclass
class SafetyNet:
    """Red-flag replies, flags for the care team, and yes/no questions kept in the store."""

    database_url: str

    async def _db(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        # Waits out a database restart (bot.store.db): the safety net answers in any state.
        def run() -> object:
            return run_in_session(self.database_url, fn, *args, **kwargs)

        return await asyncio.to_thread(run)

    async def check(
        self,
        sender_id: str,
        channel: str,
        text: str,
        language: Callable[[], Awaitable[str]],
    ) -> list[BotMessage] | None:
        """Safety replies that replace the turn, or None to let the turn go on."""
        if await self._db(safety_store.has_question, sender_id):
            sign = await self._db(safety_store.take_question, sender_id)
            answer = yes_or_no(text)
            if isinstance(sign, str) and answer is True:
                await self._flag(sender_id, channel, "emergency", sign, "confirmed")
                return [replies.alert("emergency", sign, await language())]
            if isinstance(sign, str) and answer is False:
                log.info("safety question answered no sender=%s", pseudonym(sender_id))
                return [replies.answer_no(await language())]
            # Anything else: they have moved on; check this message like any other.
        found: Assessment = assess(text)
        if not found.alarming or found.category is None or found.sign is None:
            return None
        reply_language = "cy" if found.lang == "cy" else await language()
        if found.action == "ask":
            await self._db(safety_store.ask_question, sender_id, found.sign, reply_language)
            log.info("safety question asked sign=%s sender=%s", found.sign, pseudonym(sender_id))
            return [replies.question(found.sign, reply_language)]
        await self._flag(sender_id, channel, found.category, found.sign, "message")
        return [replies.alert(found.category, found.sign, reply_language)]

    async def _flag(
        self, sender_id: str, channel: str, category: str, sign: str, source: str
    ) -> None:
        flag_id = await self._db(
            safety_store.raise_flag,
            sender_id,
            category=category,
            sign=sign,
            channel=channel,
            source=source,
        )
        log.warning(
            "red flag category=%s sign=%s source=%s recorded=%s sender=%s",
            category,
            sign,
            source,
            flag_id is not None,
            pseudonym(sender_id),
        )
