"""The safety net in the gateway: every inbound message, before the engine, in any state.

`SafetyNet.check` answers a pending yes/no safety question, or assesses the message. It
returns a `SafetyOutcome`: the replies to send *instead of* forwarding the message to the
engine, or None when the message is not a red flag and the conversation goes on as usual.

Choices:
- A red-flag message is never forwarded to the engine, so it can never be stored as a
  form's answer, and the person's words about the emergency stay out of the history.
- After an alert the activity in the engine pauses (`SafetyOutcome.pause`: the turn
  service sends the engine `/safety_pause`, which asks whether to carry on later).
- A question keeps the message that raised it until the answer. "No" lets that message go
  on to the dialogue (`SafetyOutcome.go_on_with`), so "teach me about hypos" still starts
  the hypo module after "no, I'm not having one"; "yes" alerts in the question's category.
- The assessment runs in a thread: the semantic layer embeds the message (about 10 ms).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.engine_client import BotMessage
from bot.logs import pseudonym
from bot.safety import replies
from bot.safety.detector import Assessment, assess_in_thread
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
    r"na|nac ydw|nac ydy|nac oes|naddo|dim|nag oes|nagw)\s*[.!,]*\s*(thanks|thank you|diolch)?\s*$",
    re.IGNORECASE,
)


# A button's payload ("/greet", '/show_option_grid{"option_grid": "knee"}'): something the
# person pressed, never their own words, so it is not assessed (a pending question still
# takes /affirm and /deny).
PAYLOAD = re.compile(r"^/[a-z_]+(\{.*\})?$", re.DOTALL)


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no (English or Welsh, or a button's payload), else None."""
    if YES.match(text):
        return True
    if NO.match(text):
        return False
    return None


@dataclass(frozen=True)
class SafetyOutcome:
    """What the safety net did with a message."""

    replies: list[BotMessage] = field(default_factory=list)
    pause: bool = False
    go_on_with: str | None = None


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
    ) -> SafetyOutcome | None:
        """What to send instead of the turn, or None to let the turn go on."""
        if await self._db(safety_store.has_question, sender_id):
            pending = await self._db(safety_store.take_question, sender_id)
            answer = yes_or_no(text)
            if isinstance(pending, safety_store.PendingQuestion) and answer is not None:
                return await self._answered(sender_id, channel, pending, answer, await language())
            # Anything else: they have moved on; check this message like any other.
        if PAYLOAD.match(text.strip()):
            return None
        found: Assessment = await assess_in_thread(text)
        if not found.alarming or found.category is None or found.sign is None:
            return None
        reply_language = "cy" if found.lang == "cy" else await language()
        if found.action == "ask":
            await self._db(
                safety_store.ask_question,
                sender_id,
                found.sign,
                reply_language,
                category=found.category,
                pending_text=text,
            )
            log.info("safety question asked sign=%s sender=%s", found.sign, pseudonym(sender_id))
            return SafetyOutcome([replies.question(found.sign, reply_language, found.category)])
        note = await self._flag(sender_id, channel, found.category, found.sign, "message")
        return SafetyOutcome(
            replies.alert(found.category, found.sign, reply_language, note), pause=True
        )

    async def _answered(
        self,
        sender_id: str,
        channel: str,
        pending: safety_store.PendingQuestion,
        yes: bool,
        language: str,
    ) -> SafetyOutcome:
        if yes:
            category = "emergency" if pending.category == "distress" else pending.category
            note = await self._flag(sender_id, channel, category, pending.sign, "confirmed")
            return SafetyOutcome(replies.alert(category, pending.sign, language, note), pause=True)
        log.info("safety question answered no sender=%s", pseudonym(sender_id))
        going_on = pending.pending_text is not None
        return SafetyOutcome(
            [replies.answer_no(language, going_on=going_on)], go_on_with=pending.pending_text
        )

    async def _flag(
        self, sender_id: str, channel: str, category: str, sign: str, source: str
    ) -> replies.Note:
        def record(session: object) -> str:
            flag_id = safety_store.raise_flag(
                session,  # type: ignore[arg-type]
                sender_id,
                category=category,
                sign=sign,
                channel=channel,
                source=source,
            )
            return safety_store.note_for(session, flag_id)  # type: ignore[arg-type]

        note = str(await self._db(record))
        log.warning(
            "red flag category=%s sign=%s source=%s recorded=%s sender=%s",
            category,
            sign,
            source,
            note != "none",
            pseudonym(sender_id),
        )
        return note  # type: ignore[return-value]
