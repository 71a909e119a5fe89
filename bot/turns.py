"""One user turn, whatever the channel: check the text, keep it if the engine is away, reply.

Every channel calls `TurnService.handle`. Messages are handled one at a time per sender, so
a message kept while the engine was down always reaches the engine before a newer one.

Order of checks on every message: the safety net first (any state, engine up or down, even
over the rate limit or the length limit), then the length limit, the per-sender rate limit,
and only then the engine. After the engine's turn, a withdrawal or refusal of consent clears
the tracker, and a confirmed "forget me" erases the person everywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot import offline_rights
from bot.channels.push import PushHub
from bot.content.system import system_message
from bot.coordination import LocalGate, LocalReplay, ReplayMemory, SenderGate
from bot.engine_client import BotMessage, Engine, EngineUnavailable
from bot.logs import pseudonym
from bot.ratelimit import RateLimiter, message_limiter
from bot.safety import AFTER_NO_KEY
from bot.safety.net import SafetyNet
from bot.scheduling.times import aware
from bot.store import data_rights, people
from bot.store import messages as kept_store
from bot.store.db import run_in_session
from bot.store.models import utcnow

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
# The intent the engine gets after a safety alert (see stories: the activity pauses).
SAFETY_PAUSE = "/safety_pause"
# After a timed-out turn: the engine's own 30 s timeout, and some.
STILL_WORKING_GRACE = timedelta(seconds=40)
# On the message that raised a safety question, sent on after the patient said "no".
AFTER_SAFETY_NO: Mapping[str, object] = {AFTER_NO_KEY: True}


def system_reply(key: str, language: str) -> BotMessage:
    """A gateway-made reply (no buttons) in the person's language."""
    return BotMessage(text=system_message(key, language), buttons=[])


def turn_id_for(sender_id: str, message_id: str | None) -> str:
    """The id a turn is sent to the engine with (it lands on the tracker's user event).

    Made from the client's message id when there is one, so that the same message sent again
    (after a gateway died mid-turn, on any gateway) is recognised in the tracker and never
    handled twice; random otherwise.
    """
    if message_id is None:
        return secrets.token_hex(8)
    return hashlib.sha256(f"{sender_id}\0{message_id}".encode()).hexdigest()[:16]


def invalid_text_reason(text: str) -> str | None:
    """Why a message cannot go to the engine, as a system-message key, or None if it can."""
    if not text.strip():
        return "empty_message"
    if len(text) > MAX_MESSAGE_CHARS:
        return "message_too_long"
    return None


@dataclass
class TurnService:
    """Sends turns to the engine, keeps what it cannot take, and redelivers it later."""

    engine: Engine
    hub: PushHub
    database_url: str
    limiter: RateLimiter = field(default_factory=message_limiter)
    gate: SenderGate = field(default_factory=LocalGate)
    replay: ReplayMemory = field(default_factory=LocalReplay)

    def __post_init__(self) -> None:
        self.safety = SafetyNet(self.database_url)

    async def _db(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """`fn(session, ...)` in a thread; waits out a database restart (bot.store.db)."""
        return await asyncio.to_thread(run_in_session, self.database_url, fn, *args, **kwargs)

    async def language_of(self, sender_id: str) -> str:
        """The person's current language (English until they choose)."""
        profile = await self._db(people.load_profile, sender_id)
        return profile.language if profile else "en"

    async def handle(
        self, sender_id: str, channel: str, text: str, message_id: str | None = None
    ) -> list[BotMessage]:
        """One turn, led by any replies held while the person was away.

        The same `message_id` twice returns the first answer again: from the replay memory,
        or, when that is gone (the gateway that took it died, Redis restarted), from the
        engine's tracker, which holds the turn under an id made from the message id. A message
        kept earlier is not kept twice. Held replies are taken under the sender's lock, so a
        redelivery that is still running cannot slip past them.
        """
        reason = invalid_text_reason(text)
        if reason == "empty_message":
            log.info("rejected message sender=%s reason=%s", pseudonym(sender_id), reason)
            return [system_reply(reason, await self.language_of(sender_id))]
        turn_id = turn_id_for(sender_id, message_id)
        async with self.gate.hold(sender_id):
            replies: list[BotMessage] | None = None
            if message_id is not None:
                earlier = await self.replay.recall(sender_id, message_id)
                if earlier is not None:
                    return earlier
                replies = await self._seen_before(sender_id, turn_id)
            held: list[BotMessage] = await self._db(kept_store.take_held_replies, sender_id)
            if replies is None:
                replies = await self._checked_turn(
                    sender_id, channel, text.strip(), reason, turn_id
                )
            replies = [*held, *replies]
            if message_id is not None:
                await self.replay.remember(sender_id, message_id, replies)
            return replies

    async def _seen_before(self, sender_id: str, turn_id: str) -> list[BotMessage] | None:
        """The answer to a message sent before whose answer never reached the person, or None
        for a message never seen."""
        taken: list[BotMessage] | None = await self._db(
            kept_store.answered_turn, sender_id, turn_id
        )
        if taken is not None:
            await self._db(kept_store.settle_turn, sender_id, turn_id)
            log.info(
                "message sent again; answered from the tracker sender=%s", pseudonym(sender_id)
            )
            return taken
        if await self._db(kept_store.is_kept, sender_id, turn_id):
            log.info("message sent again; it is kept already sender=%s", pseudonym(sender_id))
            delivered = await self._deliver_kept(sender_id)
            if delivered is None:
                return [system_reply("engine_unavailable", await self.language_of(sender_id))]
            return delivered
        return None

    async def _checked_turn(
        self, sender_id: str, channel: str, text: str, reason: str | None, turn_id: str
    ) -> list[BotMessage]:
        """Safety first; then the length and rate limits; then the engine.

        After a safety alert the engine is told `/safety_pause` (no patient text), so an
        activity in progress pauses and the person is asked whether to carry on later.
        After "no" to a safety question, the message that raised it goes on as this turn.
        """
        safety = await self.safety.check(
            sender_id, channel, text, lambda: self.language_of(sender_id)
        )
        if safety is not None and safety.go_on_with is None:
            if safety.pause:
                return [*safety.replies, *await self._pause_activity(sender_id, channel)]
            return safety.replies
        if safety is not None and safety.go_on_with is not None:
            text = safety.go_on_with
            after = await self._limited_turn(
                sender_id, channel, text, invalid_text_reason(text), turn_id, AFTER_SAFETY_NO
            )
            return [*safety.replies, *after]
        return await self._limited_turn(sender_id, channel, text, reason, turn_id)

    async def _pause_activity(self, sender_id: str, channel: str) -> list[BotMessage]:
        """Tell the engine a safety alert interrupted the person; its question, if any.

        Only when the engine is up and nothing is waiting to be delivered before it; the
        safety reply has been given either way.
        """
        if await self._db(kept_store.pending_for, sender_id):
            return []
        try:
            return await self.engine.send(
                sender_id, SAFETY_PAUSE, {"channel": channel, "turn": turn_id_for(sender_id, None)}
            )
        except EngineUnavailable:
            log.info("safety pause not sent; engine unavailable sender=%s", pseudonym(sender_id))
            return []

    async def _limited_turn(
        self,
        sender_id: str,
        channel: str,
        text: str,
        reason: str | None,
        turn_id: str,
        marks: Mapping[str, object] | None = None,
    ) -> list[BotMessage]:
        """The length and rate limits, then the engine."""
        if reason is not None:
            log.info("rejected message sender=%s reason=%s", pseudonym(sender_id), reason)
            return [system_reply(reason, await self.language_of(sender_id))]
        if not await self.limiter.allow(sender_id):
            log.warning("rate limited sender=%s", pseudonym(sender_id))
            return [system_reply("rate_limited", await self.language_of(sender_id))]
        if text == data_rights.DOWNLOAD_PAYLOAD:
            # A channel that cannot download passed the button's payload on as text.
            return [system_reply("my_data_download", await self.language_of(sender_id))]
        if text in offline_rights.PAYLOADS:
            return await self._carry_out_right(sender_id, channel, text)
        return await self._turn(sender_id, channel, text, turn_id, marks)

    async def _carry_out_right(
        self, sender_id: str, channel: str, payload: str
    ) -> list[BotMessage]:
        """A data-rights button the gateway offered while the engine was away."""
        language = await self.language_of(sender_id)
        key = await self._db(offline_rights.carry_out, sender_id, payload, channel)
        if key == "offline_erased":
            await self.limiter.forget(sender_id)
            await self.replay.forget(sender_id)
        log.info("data right carried out by the gateway sender=%s", pseudonym(sender_id))
        return [system_reply(key, language)]

    async def _away(self, sender_id: str, channel: str, text: str, turn_id: str) -> BotMessage:
        """The engine is away: a data-rights request is answered here; anything else is kept
        and delivered, in order, when it is back."""
        language = await self.language_of(sender_id)
        answer = offline_rights.answer_away(text, language)
        if answer is not None:
            log.info(
                "data-rights request answered while the engine is away sender=%s",
                pseudonym(sender_id),
            )
            return answer
        await self._db(kept_store.keep_message, sender_id, channel, text, turn_id)
        log.warning("engine unavailable; message kept sender=%s", pseudonym(sender_id))
        return system_reply("engine_unavailable", language)

    async def _send(
        self,
        sender_id: str,
        text: str,
        channel: str,
        turn_id: str,
        marks: Mapping[str, object] | None = None,
    ) -> list[BotMessage]:
        """One turn to the engine, with its id on the user event, so a lost answer is found.

        Rasa's REST channel answers 200 with no messages when the turn failed inside the
        engine (its tracker store or lock store was away): no messages and no such turn in
        the tracker is a turn the engine did not take.
        """
        metadata = {**(marks or {}), "channel": channel, "turn": turn_id}
        replies = await self.engine.send(sender_id, text, metadata)
        if replies:
            return replies
        taken: list[BotMessage] | None = await self._db(
            kept_store.answered_turn, sender_id, turn_id
        )
        if taken is None:
            raise EngineUnavailable("the engine answered nothing and kept no turn")
        return taken

    async def _turn(
        self,
        sender_id: str,
        channel: str,
        text: str,
        turn_id: str,
        marks: Mapping[str, object] | None = None,
    ) -> list[BotMessage]:
        earlier = await self._deliver_kept(sender_id)
        if earlier is None:
            return [await self._away(sender_id, channel, text, turn_id)]
        try:
            replies = await self._send(sender_id, text, channel, turn_id, marks)
        except EngineUnavailable as exc:
            if not exc.still_working and offline_rights.requested(text):
                return [*earlier, await self._away(sender_id, channel, text, turn_id)]
            # Kept with its id: it is looked for in the tracker before it goes again. Timed
            # out: the engine may still be on it, so wait before sending it again.
            not_before = utcnow() + STILL_WORKING_GRACE if exc.still_working else None
            await self._db(kept_store.keep_message, sender_id, channel, text, turn_id, not_before)
            log.warning(
                "engine unavailable (%s); message kept sender=%s", exc, pseudonym(sender_id)
            )
            return [*earlier, system_reply("engine_unavailable", await self.language_of(sender_id))]
        await self._after_turn(sender_id, channel)
        return [*earlier, *replies]

    async def _deliver_kept(self, sender_id: str) -> list[BotMessage] | None:
        """Send this sender's kept messages in order; None if the engine is still away."""
        pending: list[kept_store.Kept] = await self._db(kept_store.pending_for, sender_id)
        replies: list[BotMessage] = []
        for kept in pending:
            taken = None
            if kept.turn_id is not None:
                taken = await self._db(kept_store.answered_turn, sender_id, kept.turn_id)
            if taken is not None:  # the engine had it; only its answer was lost
                replies.extend(taken)
                await self._db(kept_store.mark_delivered, kept.id)
                log.info("kept message was already taken sender=%s", pseudonym(sender_id))
                continue
            if kept.not_before is not None and aware(kept.not_before) > utcnow():
                return None  # the engine may still be on it: later, and nothing after it yet
            turn_id = kept.turn_id or turn_id_for(sender_id, None)
            try:
                replies.extend(await self._send(sender_id, kept.text, kept.channel, turn_id))
            except EngineUnavailable as exc:
                # Timed out: the engine may still take it (waiting on a dead engine's lock,
                # say), so it is looked for in the tracker after the grace, not sent again.
                not_before = utcnow() + STILL_WORKING_GRACE if exc.still_working else None
                await self._db(kept_store.count_attempt, kept.id, not_before)
                return None
            await self._db(kept_store.mark_delivered, kept.id)
            await self._after_turn(sender_id, kept.channel)
            log.info("kept message delivered sender=%s", pseudonym(sender_id))
        if pending:
            language = await self.language_of(sender_id)
            return [system_reply("delayed_replies", language), *replies]
        return replies

    async def _after_turn(self, sender_id: str, channel: str) -> None:
        """Count the turn; after a refusal or withdrawal of consent, keep nothing but that;
        after a confirmed "forget me", erase the person everywhere.

        This runs once the engine has saved the turn's events, so what it deletes stays gone.
        """

        def run(session: Any) -> bool:
            if data_rights.erasure_requested(session, sender_id):
                data_rights.erase_person(session, sender_id)
                return True
            profile = people.load_profile(session, sender_id)
            if profile is not None and profile.consent in (
                people.CONSENT_REFUSED,
                people.CONSENT_WITHDRAWN,
            ):
                kept_store.forget_tracker(session, sender_id)
            else:
                people.touch_conversation(session, sender_id, channel)
            return False

        if await self._db(run):
            await self.limiter.forget(sender_id)
            await self.replay.forget(sender_id)
            log.info("person erased on request sender=%s", pseudonym(sender_id))

    async def redeliver_all(self) -> int:
        """Deliver every sender's kept messages; push replies or hold them. Returns senders done."""
        done = 0
        for sender_id in await self._db(kept_store.senders_with_pending):
            async with self.gate.hold(sender_id):
                replies = await self._deliver_kept(sender_id)
                if replies is None:
                    break
                if not replies:  # another gateway delivered them first
                    continue
                done += 1
                payload = [dict(r) for r in replies]
                if not await self.hub.push(sender_id, payload):
                    await self._db(kept_store.hold_replies, sender_id, payload)
        return done

    async def held_replies(self, sender_id: str) -> list[dict[str, Any]]:
        """Replies produced while the person was away, to show on their next connection."""
        result: list[dict[str, Any]] = await self._db(kept_store.take_held_replies, sender_id)
        return result
