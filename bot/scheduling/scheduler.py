"""The persistent scheduler: claims due rows, decides, delivers through the person's channel.

Due messages are rows of `scheduled_messages` (see bot.store.goals), never Rasa reminders,
so nothing is lost on restart. Each round, in one transaction:

1. take pending rows that are due, `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two gateway
   processes never take the same row (SQLite ignores the clause; there a conditional
   `UPDATE … WHERE status = 'pending'` keeps a second process from taking a taken row);
2. decide for each: skip it when the plan has ended, when it is more than three hours late
   (e.g. it fell due while the service was down), when the person may not be contacted
   (`bot.store.data_rights.may_contact`: consent, active channel) or has paused reminders,
   or, for a time the person did not choose, during quiet hours (21:00-08:00 local; a review
   or measure waits until 08:00 instead); otherwise mark it claimed by this scheduler;
3. add the next occurrence (the next check-in day, next week's review, next measure).

A tutor's assignment message (bot.cohorts.messages) is not stale before its due date, waits
for someone who may not be contacted yet, and like its reminder is skipped once done.
A re-engagement nudge (bot.scheduling.nudges, issue 10) is planned at the start of each
round for people silent for 7 days and re-checked under a lock before it is sent.

Then, outside the transaction, deliver the claimed rows and mark them sent. Delivery is at
most once: a process that dies between claiming and sending leaves the row "claimed".
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.channels.push import PushHub
from bot.cohorts import messages as assignment_messages
from bot.logs import pseudonym
from bot.scheduling import messages, nudges, times
from bot.store import data_rights, goals
from bot.store import messages as kept_store
from bot.store.db import unit_of_work
from bot.store.models import (
    ActionPlan,
    ChannelIdentity,
    CheckinSchedule,
    Person,
    ScheduledMessage,
    utcnow,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DEFAULT_INTERVAL = 30.0
BATCH = 200


class Delivery(Protocol):
    """One channel's way of reaching a person with proactive messages."""

    async def deliver(self, sender_id: str, messages: list[dict[str, Any]]) -> str:
        """Send or queue: "pushed" (reached now), "held" (shown on their next visit) or
        "failed" (the channel could not reach them; the row is marked failed)."""


@dataclass
class HubDelivery:
    """Through the push hub: an open widget gets a push; a channel routed on the hub
    (Telegram, `PushHub.route`) is sent to. Web users who are away get the message held for
    their next visit (`hold_when_away`); a channel that always reaches its users does not.
    """

    hub: PushHub
    database_url: str
    hold_when_away: bool = True

    async def deliver(self, sender_id: str, messages: list[dict[str, Any]]) -> str:
        if await self.hub.push(sender_id, messages):
            return "pushed"
        if not self.hold_when_away:
            return "failed"

        def hold() -> None:
            with unit_of_work(self.database_url) as session:
                kept_store.hold_replies(session, sender_id, messages)

        await asyncio.to_thread(hold)
        return "held"


@dataclass(frozen=True)
class Outgoing:
    """A claimed row, ready to deliver."""

    message_id: int
    sender_id: str
    channel: str
    kind: str
    messages: list[dict[str, Any]]


def interval_from_env() -> float:
    """`SCHEDULER_INTERVAL` seconds between rounds (default 30)."""
    return float(os.environ.get("SCHEDULER_INTERVAL", DEFAULT_INTERVAL))


def may_contact(session: Session, person: Person, paused: bool | None = None) -> bool:
    """The one check before any proactive message: consent and an active channel
    (`bot.store.data_rights.may_contact`), and reminders not paused."""
    if paused is None:
        paused = goals.reminders_paused(session, person.id)
    return not paused and data_rights.may_contact(session, person.sender_id)


@dataclass
class _Batch:
    """What deciding a batch needs, loaded with a few IN queries instead of per row."""

    channels: dict[int, str]
    paused: set[int]
    contact: dict[int, bool] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, rows: list[ScheduledMessage]) -> _Batch:
        person_ids = {r.person_id for r in rows}
        plan_ids = {r.plan_id for r in rows if r.plan_id is not None}
        schedule_ids = {r.ref_id for r in rows if r.kind == goals.CHECKIN}
        channels: dict[int, str] = {}
        paused: set[int] = set()
        if rows:
            # Loaded into the session's identity map, so session.get() finds them.
            list(session.scalars(select(Person).where(Person.id.in_(person_ids))))
            list(session.scalars(select(ActionPlan).where(ActionPlan.id.in_(plan_ids))))
            list(
                session.scalars(select(CheckinSchedule).where(CheckinSchedule.id.in_(schedule_ids)))
            )
            identities = session.execute(
                select(
                    ChannelIdentity.person_id,
                    ChannelIdentity.channel,
                    ChannelIdentity.active,
                    ChannelIdentity.paused,
                )
                .where(ChannelIdentity.person_id.in_(person_ids))
                .order_by(ChannelIdentity.id)
            )
            for person_id, channel, active, is_paused in identities:
                if active:
                    channels[person_id] = channel  # the newest active identity wins
                if is_paused:
                    paused.add(person_id)
        return cls(channels=channels, paused=paused)

    def may_contact(self, session: Session, person: Person) -> bool:
        if person.id not in self.contact:
            self.contact[person.id] = may_contact(session, person, person.id in self.paused)
        return self.contact[person.id]


@dataclass
class Scheduler:
    """Claims and delivers due messages; several may run against one PostgreSQL."""

    database_url: str
    deliveries: Mapping[str, Delivery]
    default_delivery: Delivery
    clock: Clock = utcnow
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )
    batch: int = BATCH

    def claim(self) -> tuple[int, list[Outgoing]]:
        """One transaction: take due rows, decide each, add next occurrences.

        Returns how many rows were taken and those to deliver."""
        now = self.clock()
        with unit_of_work(self.database_url) as session:  # committed, so every replica claims
            nudges.plan_due(session, now)  # re-engagement nudges (issue 10)
        with unit_of_work(self.database_url) as session:
            rows = list(
                session.scalars(
                    select(ScheduledMessage)
                    .where(ScheduledMessage.status == goals.PENDING, ScheduledMessage.due_at <= now)
                    .order_by(ScheduledMessage.due_at, ScheduledMessage.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            batch = _Batch.load(session, rows)
            out: list[Outgoing] = []
            for row in rows:
                outgoing = self._decide(session, row, now, batch)
                if outgoing is not None:
                    out.append(outgoing)
            return len(rows), out

    def _set(self, session: Session, row: ScheduledMessage, **values: Any) -> bool:
        """Change a row only if it is still pending; False if another scheduler took it."""
        result = session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.id == row.id, ScheduledMessage.status == goals.PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def _skip(self, session: Session, row: ScheduledMessage, reason: str) -> None:
        if self._set(session, row, status="skipped", skip_reason=reason):
            log.info("scheduled %s %d skipped: %s", row.kind, row.id, reason)
            self._follow_up(session, row, self.clock())

    def _follow_up(self, session: Session, row: ScheduledMessage, now: datetime) -> None:
        after = max(now, times.aware(row.due_at))
        if row.kind == goals.CHECKIN:
            schedule = session.get(CheckinSchedule, row.ref_id)
            if schedule is not None and schedule.active:
                goals.schedule_next_checkin(session, schedule, after)
        elif row.kind == goals.REVIEW:
            plan = session.get(ActionPlan, row.ref_id)
            if plan is not None and plan.status == goals.ACTIVE:
                goals.schedule_follow_up(session, goals.REVIEW, row.person_id, plan.id, after)
        elif row.kind in assignment_messages.KINDS or row.kind == nudges.NUDGE:
            return  # planned when set (a task's message and reminder), or by nudges.plan_due
        else:
            has_plan = session.scalar(
                select(ActionPlan.id)
                .where(ActionPlan.person_id == row.person_id, ActionPlan.status == goals.ACTIVE)
                .limit(1)
            )
            if has_plan is not None:
                session.flush()
                goals.schedule_follow_up(session, row.kind, row.person_id, None, after)

    def _decide(
        self, session: Session, row: ScheduledMessage, now: datetime, batch: _Batch
    ) -> Outgoing | None:
        person = session.get(Person, row.person_id)
        plan = session.get(ActionPlan, row.plan_id) if row.plan_id is not None else None
        if person is None or (
            row.plan_id is not None and (plan is None or plan.status != goals.ACTIVE)
        ):
            self._skip(session, row, "plan_ended")
            return None
        # A tutor's assignment is still worth sending late; a reminder is not.
        late_ok = row.kind == assignment_messages.ASSIGNMENT
        if not late_ok and times.is_stale(times.aware(row.due_at), now):
            self._skip(session, row, "stale")
            return None
        if not batch.may_contact(session, person):
            # An assignment waits for someone who has not consented yet or paused reminders.
            later = assignment_messages.retry_at(session, row, now) if late_ok else None
            if later is not None:
                self._set(session, row, due_at=later)
            else:
                self._skip(session, row, "no_contact")
            return None
        schedule = session.get(CheckinSchedule, row.ref_id) if row.kind == goals.CHECKIN else None
        zone = schedule.timezone if schedule is not None else times.DEFAULT_TIMEZONE
        if row.kind in assignment_messages.KINDS or row.kind == nudges.NUDGE:
            zone = assignment_messages.zone_of(session, row.person_id)
        if not row.quiet_ok and times.in_quiet_hours(now, zone):
            if row.kind == goals.CHECKIN:
                self._skip(session, row, "quiet_hours")
            else:
                self._set(session, row, due_at=times.end_of_quiet_hours(now, zone))
            return None
        assigned: list[dict[str, Any]] | None = None
        if row.kind in assignment_messages.KINDS:
            prepared = assignment_messages.prepare(session, row, person.language, now)
            if isinstance(prepared, str):  # the task is gone or already done
                self._skip(session, row, prepared)
                return None
            assigned = prepared
        elif row.kind == nudges.NUDGE:
            nudge = nudges.prepare(session, row, person, now)
            if isinstance(nudge, str):  # turned off, written since, too soon, or 3 unanswered
                self._skip(session, row, nudge)
                return None
            assigned = nudge
        if not self._set(session, row, status="claimed", claimed_by=self.worker_id, claimed_at=now):
            return None
        self._follow_up(session, row, now)
        channel = batch.channels.get(person.id, "web")
        if assigned is not None:
            return Outgoing(row.id, person.sender_id, channel, row.kind, assigned)
        summary = goals.describe(plan.activity, plan.amount, plan.timing) if plan else None
        rendered = messages.render(
            row.kind, person.language, message_id=row.id, plan=summary, plan_id=row.plan_id
        )
        return Outgoing(row.id, person.sender_id, channel, row.kind, rendered)

    async def deliver(self, outgoing: list[Outgoing]) -> int:
        """Send each claimed message through its channel; mark it sent. Returns how many."""
        sent: list[int] = []
        failed: list[int] = []
        for item in outgoing:
            delivery = self.deliveries.get(item.channel, self.default_delivery)
            try:
                how = await delivery.deliver(item.sender_id, item.messages)
            except Exception:
                log.exception("scheduled %s %d failed to deliver", item.kind, item.message_id)
                how = "failed"
            (failed if how == "failed" else sent).append(item.message_id)
            log.info(
                "scheduled %s %d %s sender=%s",
                item.kind,
                item.message_id,
                how,
                pseudonym(item.sender_id),
            )
        if sent or failed:
            now = self.clock()

            def mark() -> None:
                with unit_of_work(self.database_url) as session:
                    for ids, status in ((sent, "sent"), (failed, "failed")):
                        if ids:
                            session.execute(
                                update(ScheduledMessage)
                                .where(ScheduledMessage.id.in_(ids))
                                .values(status=status, sent_at=now)
                            )

            await asyncio.to_thread(mark)
        return len(sent)

    async def run_once(self) -> int:
        """Claim and deliver until nothing more is due now; returns messages sent."""
        total = 0
        while True:
            taken, outgoing = await asyncio.to_thread(self.claim)
            total += await self.deliver(outgoing)
            if taken < self.batch:
                return total

    async def run_forever(self, interval: float) -> None:
        """Rounds every `interval` seconds until cancelled; a failed round is logged."""
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("scheduler round failed")
            await asyncio.sleep(interval)
