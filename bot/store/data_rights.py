"""Data rights: export everything held about a person, erase it, withdraw consent.

"Everything" means every application table that holds the person's id or sender id (found
from the models' metadata, so tables added later are covered without changes here) plus
the engine's conversation history, Rasa's SQL tracker store table `events`, which lives in
the same database. The audit log is the exception: it keeps who exported or erased whose
data, by internal person id, never by sender id, and nothing is ever deleted from it.

Channels call these functions directly (the web gateway's GET /api/my-data, Telegram's
document), always inside one unit of work (`bot.store.db.unit_of_work`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Table, column, delete, event, inspect, select, table
from sqlalchemy.orm import Session

from bot.store import audit, people, safety
from bot.store.db import checkpoint_sqlite
from bot.store.models import (
    AuditEntry,
    Base,
    ChannelIdentity,
    ConsentRecord,
    ErasureRequest,
    Person,
    SafetyFlag,
    utcnow,
)

# The button payload that asks a channel to hand over the export (a download, a document).
DOWNLOAD_PAYLOAD = "/download_my_data"
EXPORT_FORMAT = "co-create-coach/my-data/1"
TRACKER_TABLE = "events"
# Kept when consent is withdrawn: who they are, how to reach them, and their decisions.
KEPT_ON_WITHDRAWAL = frozenset({"people", "consent_records", "channel_identities"})


class UnknownPerson(LookupError):
    """Nobody with this sender id is known."""


def _personal_tables() -> list[tuple[Table, str]]:
    """(table, key column) for every application table keyed by person id or sender id."""
    found: list[tuple[Table, str]] = []
    for tbl in Base.metadata.sorted_tables:
        if tbl.name in ("people", AuditEntry.__tablename__):
            continue
        for key in ("person_id", "sender_id"):
            if key in tbl.c:
                found.append((tbl, key))
                break
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _row(mapping: Any) -> dict[str, Any]:
    return {key: _plain(value) for key, value in dict(mapping).items()}


def _has_tracker(session: Session) -> bool:
    return inspect(session.get_bind()).has_table(TRACKER_TABLE)


def _tracker() -> Any:
    return table(
        TRACKER_TABLE,
        column("id"),
        column("sender_id"),
        column("type_name"),
        column("timestamp"),
        column("intent_name"),
        column("action_name"),
        column("data"),
    )


def conversation_history(session: Session, sender_id: str) -> list[dict[str, Any]]:
    """The engine's events for a sender, in order, in a readable form."""
    if not _has_tracker(session):
        return []
    events = _tracker()
    rows = session.execute(
        select(events).where(events.c.sender_id == sender_id).order_by(events.c.id)
    ).mappings()
    history: list[dict[str, Any]] = []
    for row in rows:
        try:
            data = json.loads(row["data"] or "{}")
        except (TypeError, ValueError):
            data = {}
        at = row["timestamp"]
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(float(at)).astimezone().isoformat() if at else None,
            "event": row["type_name"],
        }
        if row["type_name"] == "user":
            entry.update(from_="you", text=data.get("text"), understood_as=row["intent_name"])
        elif row["type_name"] == "bot":
            entry.update(from_="coach", text=data.get("text"))
        elif row["type_name"] == "slot":
            entry.update(name=data.get("name"), value=data.get("value"))
        elif row["action_name"]:
            entry.update(name=row["action_name"])
        history.append({("from" if k == "from_" else k): v for k, v in entry.items()})
    return history


def export_person(
    session: Session, sender_id: str, *, actor_kind: str = "system", actor_id: str | None = None
) -> dict[str, Any]:
    """Everything held about a person as a JSON-ready dict; the export is audited.

    Raises UnknownPerson when nobody has this sender id.
    """
    person = people.find_person(session, sender_id)
    if person is None:
        raise UnknownPerson(sender_id)
    keys = {"person_id": person.id, "sender_id": sender_id}
    records: dict[str, list[dict[str, Any]]] = {}
    for tbl, key in _personal_tables():
        rows = session.execute(select(tbl).where(tbl.c[key] == keys[key])).mappings()
        found = [_row(r) for r in rows]
        if found:
            records[tbl.name] = found
    person_row = (
        session.execute(select(Person.__table__).where(Person.__table__.c.id == person.id))
        .mappings()
        .one()
    )
    access = [
        {"at": _plain(e.at), "by": e.actor_kind, "action": e.action}
        for e in audit.entries_about(session, person.id)
    ]
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "person": _row(person_row),
        "records": records,
        "conversation_history": conversation_history(session, sender_id),
        "access_log": access,
    }
    audit.record(
        session,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action="exported",
        subject_person_id=person.id,
        detail="self_request" if actor_kind == "system" else None,
    )
    return document


def _delete_sender_rows(session: Session, sender_id: str, keep: frozenset[str]) -> None:
    person = people.find_person(session, sender_id)
    for tbl, key in reversed(_personal_tables()):
        if tbl.name in keep:
            continue
        if key == "sender_id":
            session.execute(delete(tbl).where(tbl.c.sender_id == sender_id))
        elif person is not None:
            rows = delete(tbl).where(tbl.c.person_id == person.id)
            if tbl.name == SafetyFlag.__tablename__:  # vital-interest flags stay
                rows = rows.where(tbl.c.kept_reason.is_(None))
            session.execute(rows)
    if _has_tracker(session):
        events = _tracker()
        session.execute(delete(events).where(events.c.sender_id == sender_id))


def _scrub_log_after_commit(session: Session) -> None:
    """Once this unit of work commits, empty SQLite's write-ahead log, which would otherwise
    hold the deleted rows (sender id, the person's words) until the next checkpoint."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        return

    def scrub(_session: Session) -> None:
        checkpoint_sqlite(engine)

    event.listen(session, "after_commit", scrub, once=True)


def erase_person(
    session: Session, sender_id: str, *, actor_kind: str = "system", actor_id: str | None = None
) -> bool:
    """Erase a person from the application store and the engine's tracker store.

    Afterwards no row holds their sender id or anything they said; the audit log keeps a
    record of the erasure with no content. One exception, for their vital interests: an
    open emergency or self-harm flag stays for the care team, detached from the person and
    known only by a pseudonymous label (`bot.store.safety.keep_vital_flags`). Returns
    False if nobody was known (the tracker and any stray rows under that sender id are
    still removed).
    """
    person = people.find_person(session, sender_id)
    person_id = person.id if person is not None else None
    if person is not None:
        safety.keep_vital_flags(session, person, erasing=True)
    _delete_sender_rows(session, sender_id, keep=frozenset())
    _scrub_log_after_commit(session)
    if person is not None:
        session.execute(delete(ChannelIdentity).where(ChannelIdentity.person_id == person.id))
        session.expunge(person)
        session.execute(delete(Person).where(Person.id == person.id))
        audit.record(
            session,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action="erased",
            subject_person_id=person_id,
            detail="self_request" if actor_kind == "system" else None,
        )
    return person is not None


def request_erasure(session: Session, sender_id: str) -> None:
    """A confirmed "forget me"; the gateway erases once the engine has saved the turn.

    (Erasing inside the turn would not work: the engine saves the whole tracker again at the
    end of a turn when it finds none stored.)
    """
    exists = session.scalar(select(ErasureRequest.id).where(ErasureRequest.sender_id == sender_id))
    if exists is None:
        session.add(ErasureRequest(sender_id=sender_id))


def erasure_requested(session: Session, sender_id: str) -> bool:
    """Whether a confirmed "forget me" waits to be carried out for this sender."""
    found = session.scalar(select(ErasureRequest.id).where(ErasureRequest.sender_id == sender_id))
    return found is not None


def withdraw_consent(
    session: Session, sender_id: str, *, notice_version: str, channel: str = "rest"
) -> None:
    """Stop all processing: keep only the person, their channel identities and decisions,
    and any open emergency or self-harm flag for the care team (vital interests).

    The tracker is cleared too (the gateway clears it again after the turn, once the engine
    has saved it: see `bot.turns.TurnService`).
    """
    person = people.ensure_person(session, sender_id, channel=channel)
    person.consent = people.CONSENT_WITHDRAWN
    session.add(
        ConsentRecord(
            person_id=person.id, decision=people.CONSENT_WITHDRAWN, notice_version=notice_version
        )
    )
    session.flush()
    safety.keep_vital_flags(session, person, erasing=False)
    _delete_sender_rows(session, sender_id, keep=KEPT_ON_WITHDRAWAL)
    _scrub_log_after_commit(session)


def may_contact(session: Session, sender_id: str) -> bool:
    """Whether anything proactive (check-ins, reminders, assignments) may go to this sender.

    Only with consent given and an active channel identity; never after a refusal, a
    withdrawal or an erasure. The scheduler must ask this before every send.
    """
    person = people.find_person(session, sender_id)
    if person is None or person.consent != people.CONSENT_GIVEN:
        return False
    active = session.scalar(
        select(ChannelIdentity.id)
        .where(ChannelIdentity.person_id == person.id, ChannelIdentity.active.is_(True))
        .limit(1)
    )
    return active is not None
