"""On PostgreSQL too: the lockout holds across connections (and against a concurrent burst),
and an invite is used only once even when two people redeem the same code at the same moment."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bot.store import migrate
from bot.store.db import unit_of_work
from bot.store.invites import create_invite, redeem_invite
from bot.store.models import Person
from bot.store.people import ensure_person
from bot.store.staff import MAX_FAILURES, check_login
from tests.portal.support import PASSWORD, make_staff
from tests.portal.test_login_hardening import assert_burst_locks

pytestmark = pytest.mark.postgres


def test_lockout_and_single_use_invites_on_postgresql(postgres_url: str) -> None:
    migrate.upgrade(postgres_url)
    clinician = make_staff(postgres_url, "dr.pg@example.nhs.uk", "clinician")
    for _ in range(MAX_FAILURES):
        with unit_of_work(postgres_url) as session:
            check_login(session, "dr.pg@example.nhs.uk", "not the password")
    with unit_of_work(postgres_url) as session:
        assert check_login(session, "dr.pg@example.nhs.uk", PASSWORD).locked

    with unit_of_work(postgres_url) as session:
        code = create_invite(session, created_by=clinician, clinician_id=clinician).code
        for name in ("web-pg-1", "web-pg-2"):
            ensure_person(session, name, channel="web")
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def redeem(sender_id: str) -> None:
        with unit_of_work(postgres_url) as session:
            person = session.scalars(select(Person).where(Person.sender_id == sender_id)).one()
            barrier.wait()
            results.append(redeem_invite(session, person, code))

    threads = [threading.Thread(target=redeem, args=(s,)) for s in ("web-pg-1", "web-pg-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, True]
    with unit_of_work(postgres_url) as session:
        linked = session.scalars(select(Person).where(Person.clinician_id == clinician)).all()
        assert len(linked) == 1


def test_a_concurrent_burst_of_wrong_passwords_locks_the_account_on_postgresql(
    postgres_url: str,
) -> None:
    migrate.upgrade(postgres_url)
    assert_burst_locks(postgres_url)
