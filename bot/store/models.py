"""Typed SQLAlchemy models for people, their channel identities, consent and conversations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now, so SQLite and PostgreSQL store the same instant."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base; the Rasa tracker store's own `events` table lives beside these."""


class Person(Base):
    """Someone who talks to the coach, whatever channel they use."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    consent: Mapped[str] = mapped_column(String(16), default="pending")
    invite_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The patient's clinician (issue 8): set by an invite or by an admin; NULL: unassigned.
    # No ON DELETE: staff users are deactivated, never deleted (and SQLite could not add one).
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)

    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="raise_on_sql"
    )
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="raise_on_sql"
    )


class ChannelIdentity(Base):
    """How a person is reached on one channel (a web token's sender, a Telegram user)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    # Proactive messages (reminders) are held back while paused; replies still go out.
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="identities", lazy="raise_on_sql")


class ConsentRecord(Base):
    """One consent decision, with the version of the privacy notice it answered."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="consents", lazy="raise_on_sql")


class Conversation(Base):
    """Metadata of one person's conversation on a channel: when, where, how many turns."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    turns: Mapped[int] = mapped_column(default=0)


class KeptMessage(Base):
    """An inbound message the engine could not take yet; delivered in order once it is back."""

    __tablename__ = "kept_messages"
    __table_args__ = (Index("ix_kept_messages_pending", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    turn_id: Mapped[str | None] = mapped_column(String(32))  # the id it was first sent with
    # After a timeout the engine may still finish the turn: not sent again before this.
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboundMessage(Base):
    """A reply produced while the person was away; shown when they next connect."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TelegramUpdate(Base):
    """A Telegram update already taken in; a redelivered update with the same id is ignored."""

    __tablename__ = "telegram_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class TelegramCallback(Base):
    """A button's payload behind the short id in an inline keyboard (64 bytes at most there)."""

    __tablename__ = "telegram_callbacks"

    token: Mapped[str] = mapped_column(String(24), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeliveryFailure(Base):
    """An outbound message a channel gave up on, for the portal to show. No message text."""

    __tablename__ = "delivery_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SafetyFlag(Base):
    """A red flag for the care team: what kind, when, where; never the message itself.

    `clinician_id` is the patient's clinician when known (the portal issue links patients to
    clinicians); NULL puts the flag in the queue of unassigned flags. `sign` is a code from
    bot.safety.detector ("chest_pain", "overdose"...), all the clinician needs to know what
    was reported, without keeping the person's words.
    """

    __tablename__ = "safety_flags"
    __table_args__ = (Index("ix_safety_flags_open", "clinician_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once the person has been erased: an open emergency or self-harm flag outlives
    # the erasure (vital interests), known by `patient_label`; see `kept_reason`.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[int | None] = mapped_column()
    category: Mapped[str] = mapped_column(String(16))
    sign: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    kept_reason: Mapped[str | None] = mapped_column(String(32))
    patient_label: Mapped[str | None] = mapped_column(String(16))


class SafetyQuestion(Base):
    """A yes/no safety question the gateway is waiting for a sender to answer."""

    __tablename__ = "safety_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(64), unique=True)
    sign: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    category: Mapped[str | None] = mapped_column(String(16))
    # The message that raised the question, kept only until it is answered (at most
    # QUESTION_LIFETIME): after "no" it goes on to the dialogue as if never stopped.
    pending_text: Mapped[str | None] = mapped_column(Text)


class ErasureRequest(Base):
    """A confirmed "forget me", carried out by the gateway once the engine's turn is saved."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who read, exported or erased whose data, and when. Append-only.

    The subject is the person's internal id, never their sender id, and no foreign key: the
    entry outlives the person's erasure and then points at nobody. `actor_kind` is
    "system", "clinician" or "tutor"; `actor_id` names a clinician or tutor (portal ids).
    Updates and deletes are refused by the ORM and, in the database, by triggers.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    subject_person_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[str | None] = mapped_column(String(64))


class ActionPlan(Base):
    """An EPP-style weekly action plan: what, how much, when and on how many days a week.

    `status` is "active", "stopped" (by the person) or "replaced" (changed into a newer plan,
    which names this one in `replaces_id`). At most three are active per person.
    """

    __tablename__ = "action_plans"
    __table_args__ = (Index("ix_action_plans_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    activity: Mapped[str] = mapped_column(String(200))
    amount: Mapped[str] = mapped_column(String(120))
    timing: Mapped[str] = mapped_column(String(120))
    days_per_week: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="active")
    replaces_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConfidenceRating(Base):
    """One 0-10 confidence rating of a plan; `round` counts re-ratings after a smaller step."""

    __tablename__ = "confidence_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int] = mapped_column()
    round: Mapped[int] = mapped_column(default=1)
    # The person's answer to "what would make it a 7?", when the rating was below 7.
    barrier: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CheckinSchedule(Base):
    """When a plan's check-ins go out: ISO weekdays ("1,3,5"), a local time, a timezone."""

    __tablename__ = "checkin_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    weekdays: Mapped[str] = mapped_column(String(16))
    local_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScheduledMessage(Base):
    """One proactive message due at an instant: a check-in, a weekly review, a measure.

    `ref_id` is what the message is about (a schedule for check-ins, a plan for reviews, the
    person for measures); (kind, ref_id, due_at) is unique so a due row is never made twice.
    `status`: "pending" → "claimed" (one scheduler took it) → "sent", or "failed" when the
    channel could not reach them; or "skipped" with `skip_reason` ("stale", "no_contact": no
    consent, no active channel or reminders paused, "quiet_hours", "plan_ended"; for tutors'
    assignments "done", "past_due", "task_gone"); or "cancelled" when the plan stops. `quiet_ok` marks a time the person chose themselves.
    """

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", "due_at"),
        Index("ix_scheduled_messages_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    quiet_ok: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CheckinResult(Base):
    """The answer to a check-in: "done", "partly" or "not_today", with an optional note."""

    __tablename__ = "checkin_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    scheduled_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("scheduled_messages.id", ondelete="SET NULL")
    )
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The version of the check-in text (data/content/checkins.yml) it answered (issue 10).
    content_version: Mapped[int | None] = mapped_column()


class ProblemSolvingChoice(Base):
    """EPP problem-solving: the problem, the ideas listed, the one picked, and how it went.

    `outcome` is NULL until the next check-in, then "worked", "not_worked" or "accepted"
    (the person accepts it may not be solvable now).
    """

    __tablename__ = "problem_solving_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    problem: Mapped[str] = mapped_column(Text)
    ideas: Mapped[str] = mapped_column(Text)
    chosen: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Measure(Base):
    """One answer to a measure's item; the wording asked is named by (item, item_version).

    `instrument` is "weekly" (self-rated health, confidence to manage) or "prem" (monthly
    experience check); versions and wording live in data/content/measures.yml and domain.yml.
    """

    __tablename__ = "measures"
    __table_args__ = (Index("ix_measures_person_instrument", "person_id", "instrument"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(32))
    item_version: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Teach-back (issue 4) ---------------------------------------------------------------


class TeachbackSession(Base):
    """One person working through one teach-back module: where they are, so they can resume.

    `pending` holds the ids of the key points the current question asks about (all of the
    chunk's points at first, then only the missed ones); `retries` counts the re-tries of
    the current chunk.
    """

    __tablename__ = "teachback_sessions"
    __table_args__ = (Index("ix_teachback_sessions_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[int] = mapped_column()
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="active")
    chunk_id: Mapped[str] = mapped_column(String(64))
    pending: Mapped[list[str]] = mapped_column(JSON, default=list)
    retries: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TeachbackAttempt(Base):
    """One answer in the person's own words to one chunk's question, graded.

    `answer_text` is kept only when the person agreed to their words being kept;
    otherwise the matched evidence in `TeachbackPointResult` is all there is.
    """

    __tablename__ = "teachback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("teachback_sessions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[int] = mapped_column()
    chunk_id: Mapped[str] = mapped_column(String(64))
    attempt_number: Mapped[int] = mapped_column()
    answer_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    results: Mapped[list[TeachbackPointResult]] = relationship(
        cascade="all, delete-orphan", lazy="raise_on_sql"
    )


class TeachbackPointResult(Base):
    """One key point's grade in one attempt, with the answer's words that matched it."""

    __tablename__ = "teachback_point_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("teachback_attempts.id", ondelete="CASCADE"), index=True
    )
    key_point_id: Mapped[str] = mapped_column(String(64))
    covered: Mapped[bool] = mapped_column()
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)


class TeachbackFollowUp(Base):
    """A chunk still not explained back after two re-tries: for the clinician to cover."""

    __tablename__ = "teachback_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("teachback_sessions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(64))
    chunk_id: Mapped[str] = mapped_column(String(64))
    missed_key_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TeachbackTextConsent(Base):
    """Whether a person agreed that the words of their teach-back answers may be kept."""

    __tablename__ = "teachback_text_consents"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    keep_answer_text: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Portal: staff users, logins, invites, patient assignment (issue 8, clinicians) ---


class StaffUser(Base):
    """Someone who logs in to the portal: "admin", "clinician" or "tutor" (argon2 hash).

    `failed_logins` and `locked_until` hold the lockout in the database, so it holds across
    gateway processes.
    """

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffSession(Base):
    """A portal login: the SHA-256 of the cookie's random token, and the session's CSRF token."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffLoginThrottle(Base):
    """Failed logins in a row for one email (any email, known or not: its SHA-256) from one
    client address (an IPv6 client by its /64), and the lock they led to. Counted with one
    atomic statement, so a concurrent burst counts every attempt."""

    __tablename__ = "staff_login_throttles"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Invite(Base):
    """A single-use, expiring invite code: to a clinician's care, to a cohort, or both."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )


# --- Cohorts and assignments (issue 8, tutors) ---


class Cohort(Base):
    """An EPP-style course: a name, its start and end dates, and the tutor who runs it."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CohortMember(Base):
    """A participant of a cohort (joined with one of the cohort's invites)."""

    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Assignment(Base):
    """A practice dialogue a tutor set, for the whole cohort (`person_id` NULL) or one person.

    `kind` is "teachback" (`item` names the module), "action_plan" (a plan saved that week)
    or "ask3_rehearsal"; each participant's copy is an `AssignmentTask`.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    item: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AssignmentTask(Base):
    """One participant's copy of an assignment, and when they completed it.

    The assignment message and its reminder are `scheduled_messages` rows whose `ref_id` is
    this task's id (kinds "assignment" and "assign_reminder").
    """

    __tablename__ = "assignment_tasks"
    __table_args__ = (UniqueConstraint("assignment_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Ask 3 Questions and option grids (issue 5) ---


class Ask3List(Base):
    """ "My questions for my appointment": the decision, the options named, the three
    questions in the person's own words, their own questions and what matters to them.

    `follow_up_due_at` is set when an appointment date was given; the follow-up's answers
    are `Ask3FollowUp` rows.
    """

    __tablename__ = "ask3_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    decision: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text)
    q_options: Mapped[str] = mapped_column(Text)
    q_benefits_risks: Mapped[str] = mapped_column(Text)
    q_likelihood: Mapped[str] = mapped_column(Text)
    own_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    matters: Mapped[str] = mapped_column(Text, default="")
    grid_id: Mapped[str | None] = mapped_column(String(64))
    # The version of the option grid shown with the list, when there was one (issue 10).
    grid_version: Mapped[int | None] = mapped_column()
    appointment_on: Mapped[date | None] = mapped_column(Date)
    follow_up_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ask3FollowUp(Base):
    """After the appointment: answers got ("yes", "partly", "no"), what they decided (their
    words, or "not yet"), and how involved they felt, 0 to 10."""

    __tablename__ = "ask3_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("ask3_lists.id", ondelete="CASCADE"), index=True
    )
    got_answers: Mapped[str] = mapped_column(String(16))
    decided: Mapped[str] = mapped_column(Text)
    involvement: Mapped[int] = mapped_column()
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ask3Rehearsal(Base):
    """A practice: the scenario, which of the three questions were asked (with the words
    that showed it) and how many turns it took."""

    __tablename__ = "ask3_rehearsals"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    scenario: Mapped[str] = mapped_column(String(64))
    asked: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    turns: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Co-evaluation and continuous improvement (issue 10) ---


class ContentFeedback(Base):
    """A patient's one-tap clarity rating (1-5) of a module or grid, with an optional
    suggestion in their own words. `item_kind` is "module" or "grid"; `chunk_id` names the
    chunk when the rating is about one; `content_version` is the version they were shown.
    """

    __tablename__ = "content_feedback"
    __table_args__ = (Index("ix_content_feedback_item", "item_kind", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(64))
    chunk_id: Mapped[str | None] = mapped_column(String(64))
    content_version: Mapped[int] = mapped_column()
    clarity: Mapped[int | None] = mapped_column()
    suggestion: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PatientStory(Base):
    """A patient's story of using the service, in their own words ("stories for improvement").

    Shown to the improvement team only when `share_consent` is true.
    """

    __tablename__ = "patient_stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    share_consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NudgeState(Base):
    """Re-engagement nudges for one person: turned off, how many went unanswered, the last."""

    __tablename__ = "nudge_states"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    nudges_off: Mapped[bool] = mapped_column(default=False, server_default=false())
    unanswered: Mapped[int] = mapped_column(default=0, server_default="0")
    last_nudged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
