"""Fixtures for tutors: a migrated database, tutors, and a cohort with consenting members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.store import cohorts, invites, migrate, people, staff
from bot.store.db import unit_of_work
from tests.goals.conftest import at

MONDAY_9 = at(2026, 1, 5, 9)  # GMT: local == UTC in January
FRIDAY = at(2026, 1, 9, 23, 59)
PASSWORD = "a long tutor password 42"


@dataclass(frozen=True)
class Course:
    """A tutor's cohort and its participants' sender ids."""

    url: str
    tutor_id: int
    cohort_id: int
    senders: list[str]


@pytest.fixture
def db(database_url: str) -> str:
    """SQLite and PostgreSQL (see tests/conftest.py), migrated to head."""
    migrate.upgrade(database_url)
    return database_url


def make_tutor(url: str, email: str) -> int:
    with unit_of_work(url) as session:
        return staff.create_staff(session, email, "tutor", PASSWORD).id


def enrol_with_invite(url: str, sender: str, code: str, language: str = "en") -> int:
    """A person who joins on the web with an invite and gives consent, as the widget does."""
    with unit_of_work(url) as session:
        person = people.enrol_web_person(session, sender, language, code)  # redeems the code
        people.record_consent(session, sender, given=True, notice_version="1")
        invite = invites.find_invite(session, code)
        assert invite is not None and invite.used_by_person_id == person.id
        return person.id


def make_course(url: str, email: str, size: int, language: str = "en") -> Course:
    tutor_id = make_tutor(url, email)
    with unit_of_work(url) as session:
        cohort = cohorts.create_cohort(
            session, tutor_id, "EPP Cardiff, spring", date(2026, 1, 5), date(2026, 2, 16)
        )
        codes = [
            invites.create_invite(session, created_by=tutor_id, cohort_id=cohort.id).code
            for _ in range(size)
        ]
        cohort_id = cohort.id
    senders = [f"{email.split('@')[0]}-p{i}" for i in range(size)]
    for sender, code in zip(senders, codes, strict=True):
        enrol_with_invite(url, sender, code, language)
    return Course(url, tutor_id, cohort_id, senders)


@pytest.fixture
def course(db: str) -> Course:
    """Tutor A's cohort of three participants, joined with the cohort's invites."""
    return make_course(db, "tutor.a@example.org", 3)
