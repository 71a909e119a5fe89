"""The audit log: who (the system, a clinician, a tutor, a lead) read, exported or erased
whose data.

The application only ever appends. There is no update or delete function here, the ORM
refuses both, and the migration adds database triggers that refuse them too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Mapper, Session

from bot.store.models import AuditEntry

ACTOR_KINDS = ("system", "clinician", "tutor", "admin", "lead")
ACTIONS = ("read", "exported", "erased")


class AppendOnlyError(RuntimeError):
    """Something tried to change or remove an audit entry."""


def record(
    session: Session,
    *,
    actor_kind: str,
    action: str,
    subject_person_id: int | None,
    actor_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry. `detail` is a short code ("self_request", "web"), never content."""
    if actor_kind not in ACTOR_KINDS:
        raise ValueError(f"unknown actor kind {actor_kind!r}")
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEntry(
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            subject_person_id=subject_person_id,
            detail=detail,
        )
    )


def entries_about(session: Session, person_id: int) -> list[AuditEntry]:
    """Every entry about one person, oldest first (for the portal and for exports)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_person_id == person_id)
            .order_by(AuditEntry.id)
        )
    )


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper: Mapper[Any], _connection: Any, _target: AuditEntry) -> None:
    raise AppendOnlyError("the audit log is append-only")
