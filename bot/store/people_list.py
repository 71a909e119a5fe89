"""The admins' list of people: a page at a time, searched by what staff legitimately know.

A search matches a patient number exactly, or the text (case-insensitively, anywhere) in the
invite code a person enrolled with, the label and code of the invite they used, or their
clinician's email. It never looks at anything a person said. Consented people (consent given
now or at any time before, such as those who later withdrew) and people who never consented
(pending or refused) are listed apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bot.store.models import ConsentRecord, Invite, Person, StaffUser
from bot.store.people import CONSENT_GIVEN

LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class PeopleSearch:
    """What to look for: a patient number, or text in what staff know about a person."""

    person_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class PersonRow:
    """A person as an admin sees them."""

    id: int
    joined: datetime
    consent: str
    clinician_id: int | None
    clinician_email: str | None
    invite_code: str | None
    invite_label: str | None


@dataclass(frozen=True)
class PeoplePage:
    """One page of a list: its rows, which page it is (from 1), how many pages, how many people."""

    rows: list[PersonRow]
    page: int
    pages: int
    total: int

    @property
    def previous(self) -> int | None:
        """The page before this one, if any."""
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        """The page after this one, if any."""
        return self.page + 1 if self.page < self.pages else None


def ever_consented() -> ColumnElement[bool]:
    """A person who gave consent, now or at some time before."""
    given_before = exists().where(
        ConsentRecord.person_id == Person.id, ConsentRecord.decision == CONSENT_GIVEN
    )
    return or_(Person.consent == CONSENT_GIVEN, given_before)


def _like(text: str) -> str:
    escaped = (
        text.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _matches(search: PeopleSearch) -> ColumnElement[bool]:
    if search.person_id is not None:
        return Person.id == search.person_id
    if not search.text:
        return false()
    pattern = _like(search.text)

    def has(
        column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    ) -> ColumnElement[bool]:
        return func.lower(column).like(pattern, escape=LIKE_ESCAPE)

    used_invite = exists().where(
        and_(
            Invite.used_by_person_id == Person.id,
            or_(has(Invite.code), has(Invite.label)),
        )
    )
    # Its own alias: the page's query joins StaffUser too, and would correlate it away.
    staff = aliased(StaffUser)
    clinician = exists().where(and_(staff.id == Person.clinician_id, has(staff.email)))
    return or_(has(Person.invite_code), used_invite, clinician)


def people_page(
    session: Session,
    *,
    consented: bool,
    search: PeopleSearch | None,
    page: int,
    per_page: int,
) -> PeoplePage:
    """Page `page` (from 1; past the last gives the last) of the consented people or of those
    who never consented, by patient number, matching `search` if there is one."""
    where = [ever_consented() if consented else ~ever_consented()]
    if search is not None:
        where.append(_matches(search))
    total = session.scalar(select(func.count()).select_from(Person).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    # The invite a person used, if any (a code is used once, so at most one).
    invite_label = (
        select(Invite.label)
        .where(Invite.used_by_person_id == Person.id)
        .order_by(Invite.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            Person.id,
            Person.created_at,
            Person.consent,
            Person.clinician_id,
            StaffUser.email,
            Person.invite_code,
            invite_label,
        )
        .outerjoin(StaffUser, StaffUser.id == Person.clinician_id)
        .where(*where)
        .order_by(Person.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [PersonRow(*row) for row in session.execute(query)]
    return PeoplePage(rows, page, pages, total)


def staff_emails(session: Session, staff_ids: Iterable[int]) -> dict[int, str]:
    """The email of each of these staff users (those that exist)."""
    wanted = sorted(set(staff_ids))
    if not wanted:
        return {}
    found = session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(wanted)))
    return {staff_id: email for staff_id, email in found}
