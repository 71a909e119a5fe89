"""Helpers for portal tests: staff users in a database, logging in with the test client."""

from __future__ import annotations

import re

from bot.store.db import unit_of_work
from bot.store.staff import create_staff
from tests.support import TestClient

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_staff(database_url: str, email: str, role: str, password: str = PASSWORD) -> int:
    """A staff user; their id."""
    with unit_of_work(database_url) as session:
        return create_staff(session, email, role, password).id


async def csrf_of(client: TestClient, path: str) -> str:
    """The CSRF token in the forms of a page."""
    response = await client.get(path)
    assert response.status == 200, path
    found = TOKEN.search(await response.text())
    assert found, f"no CSRF token on {path}"
    return found.group(1)


async def login(client: TestClient, email: str, password: str = PASSWORD) -> int:
    """Post the login form as a browser would; the response status (303 on success)."""
    token = await csrf_of(client, "/portal/login")
    response = await client.post(
        "/portal/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    return response.status


SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def seed_patient(database_url: str, clinician_id: int | None, sender_id: str) -> int:
    """A patient with a plan, check-ins, a confidence rating, teach-back answers, measures
    and an open red flag; patient text carries script and markup to be shown escaped."""
    from datetime import timedelta

    from bot.store.models import (
        ActionPlan,
        CheckinResult,
        ConfidenceRating,
        Measure,
        Person,
        SafetyFlag,
        TeachbackAttempt,
        TeachbackFollowUp,
        TeachbackPointResult,
        TeachbackSession,
        utcnow,
    )

    now = utcnow()
    with unit_of_work(database_url) as session:
        person = Person(sender_id=sender_id, consent="given", clinician_id=clinician_id)
        session.add(person)
        session.flush()
        plan = ActionPlan(
            person_id=person.id,
            activity="walk " + SCRIPT,
            amount="10 minutes",
            timing="after lunch",
            days_per_week=4,
        )
        session.add(plan)
        session.flush()
        for days, outcome, note in (
            (3, "done", None),
            (2, "partly", IMG),
            (1, "not_today", SCRIPT),
        ):
            session.add(
                CheckinResult(
                    person_id=person.id,
                    plan_id=plan.id,
                    outcome=outcome,
                    note=note,
                    answered_at=now - timedelta(days=days),
                )
            )
        session.add(ConfidenceRating(person_id=person.id, plan_id=plan.id, rating=8))
        tb = TeachbackSession(
            person_id=person.id,
            module_id="inhaler",
            module_version=1,
            language="en",
            chunk_id="spacer",
        )
        session.add(tb)
        session.flush()
        for number, covered in ((1, False), (2, True)):
            attempt = TeachbackAttempt(
                session_id=tb.id,
                person_id=person.id,
                module_id="inhaler",
                module_version=1,
                chunk_id="spacer",
                attempt_number=number,
                created_at=now - timedelta(hours=3 - number),
            )
            session.add(attempt)
            session.flush()
            session.add(
                TeachbackPointResult(
                    attempt_id=attempt.id,
                    key_point_id="shake_first",
                    covered=covered,
                    evidence=[IMG] if covered else [],
                )
            )
        session.add(
            TeachbackFollowUp(
                session_id=tb.id,
                person_id=person.id,
                module_id="inhaler",
                chunk_id="rinse",
                missed_key_points=["rinse_mouth"],
            )
        )
        for days, health in ((14, 5), (7, 6), (0, 7)):
            session.add(
                Measure(
                    person_id=person.id,
                    instrument="weekly",
                    item="health",
                    item_version="1",
                    value=health,
                    recorded_at=now - timedelta(days=days),
                )
            )
        for item, value in (("welcomed", 4), ("timely", 3)):
            session.add(
                Measure(
                    person_id=person.id,
                    instrument="prem",
                    item=item,
                    item_version="1",
                    value=value,
                    recorded_at=now,
                )
            )
        session.add(
            SafetyFlag(
                person_id=person.id,
                clinician_id=clinician_id,
                category="urgent",
                sign="chest_pain",
                channel="web",
                source="detector",
            )
        )
        return person.id
