"""Tutors' portal pages on the real gateway app and a SQLite file: cohorts, invites, setting
practice, the board; tutors kept to their own cohorts (walking ids), CSRF, audit entries."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.store import cohorts, goals, invites, safety
from bot.store.db import unit_of_work
from bot.store.models import Assignment, AuditEntry, Cohort, ScheduledMessage, utcnow
from tests.support import TestClient, gateway_settings
from tests.tutors.conftest import PASSWORD, Course, enrol_with_invite, make_course, make_tutor

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """The gateway's settings; the `client` fixture (tests/conftest.py) is the gateway app,
    whose start-up migrates the database."""
    return gateway_settings(sqlite_url)


async def token_of(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    found = TOKEN.search(await response.text())
    assert found is not None, f"no CSRF field on {path}"
    return found.group(1)


async def login(client: TestClient, email: str) -> None:
    token = await token_of(client, "/portal/login")
    response = await client.post(
        "/portal/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 303


async def post(client: TestClient, path: str, data: dict[str, str], token: str) -> Any:
    return await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)


def due_in(days: int) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


async def test_a_tutor_creates_a_cohort_and_invites_that_enrol_participants(
    client: TestClient, settings: Settings
) -> None:
    make_tutor(settings.database_url, "tutor.a@example.org")
    await login(client, "tutor.a@example.org")
    token = await token_of(client, "/portal/cohorts")
    response = await post(
        client,
        "/portal/cohorts",
        {"name": "EPP Swansea", "starts_on": "2026-12-01", "ends_on": "2027-01-12"},
        token,
    )
    assert response.status == 303
    cohort_page = response.headers["Location"]
    response = await post(client, f"{cohort_page}/invites", {"count": "2"}, token)
    assert response.status == 303
    page = await (await client.get(cohort_page)).text()
    links = re.findall(r'href="(http://[^"]+/\?invite=([^"]+))"', page)
    assert len(links) == 2
    code = links[0][1]
    enrol_with_invite(settings.database_url, "web-newcomer", code)
    page = await (await client.get(cohort_page)).text()
    assert "P-0" in page and "1 participant" in page
    qr = await client.get(f"{cohort_page}/invites/{links[1][1]}/qr.png")
    assert qr.status == 200 and qr.content_type == "image/png"
    listing = await (await client.get("/portal/cohorts")).text()
    assert "EPP Swansea" in listing


async def test_assigning_from_the_form_schedules_each_member_and_the_board_shows_it(
    client: TestClient, settings: Settings
) -> None:
    course = make_course(settings.database_url, "tutor.a@example.org", 3)
    await login(client, "tutor.a@example.org")
    base = f"/portal/cohorts/{course.cohort_id}"
    token = await token_of(client, base)
    form = {"practice": "teachback:inhaler", "target": "cohort", "due_on": due_in(3)}
    response = await post(client, f"{base}/assignments", form, token)
    assert response.status == 303 and response.headers["Location"] == f"{base}/board"
    with unit_of_work(settings.database_url) as session:
        due = session.scalars(
            select(ScheduledMessage.person_id).where(ScheduledMessage.kind == cohorts.MESSAGE)
        ).all()
        assert sorted(due) == sorted(cohorts.member_ids(session, course.cohort_id))
    board = await client.get(f"{base}/board")
    text = await board.text()
    assert board.status == 200
    assert "Teach-back: Using a metered-dose inhaler" in text
    assert text.count("waiting to be sent") == 3
    with unit_of_work(settings.database_url) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.detail == f"tutor_board:cohort={course.cohort_id}")
        ).all()
        assert len(entries) == 3 and {e.actor_kind for e in entries} == {"tutor"}
    for bad in (
        {**form, "due_on": "2020-01-01"},
        {**form, "practice": "teachback:no-such-module"},
        {**form, "target": "999999"},
    ):
        response = await post(client, f"{base}/assignments", bad, token)
        assert response.status == 400
    with unit_of_work(settings.database_url) as session:
        assert session.scalar(select(func.count(Assignment.id))) == 1


async def test_a_tutor_cannot_reach_another_tutors_cohorts_by_walking_ids(
    client: TestClient, settings: Settings
) -> None:
    url = settings.database_url
    courses: list[Course] = [
        make_course(url, "tutor.a@example.org", 2),
        make_course(url, "tutor.b@example.org", 1),
    ]
    with unit_of_work(url) as session:
        code = invites.create_invite(
            session, created_by=courses[0].tutor_id, cohort_id=courses[0].cohort_id
        ).code
        known = set(session.scalars(select(Cohort.id)))
    await login(client, "tutor.b@example.org")
    token = await token_of(client, "/portal/cohorts")
    own = courses[1].cohort_id
    for cohort_id in range(1, max(known) + 5):
        expected = 200 if cohort_id == own else 404
        for path in (f"/portal/cohorts/{cohort_id}", f"/portal/cohorts/{cohort_id}/board"):
            assert (await client.get(path)).status == expected, path
        if cohort_id != own:
            qr = await client.get(f"/portal/cohorts/{cohort_id}/invites/{code}/qr.png")
            assert qr.status == 404
            assign = {"practice": "action_plan", "target": "cohort", "due_on": due_in(2)}
            for path, data in (
                (f"/portal/cohorts/{cohort_id}/assignments", assign),
                (f"/portal/cohorts/{cohort_id}/invites", {"count": "1"}),
            ):
                assert (await post(client, path, data, token)).status == 404, path
    listing = await (await client.get("/portal/cohorts")).text()
    assert "/portal/cohorts/" + str(courses[0].cohort_id) + '"' not in listing
    with unit_of_work(url) as session:
        assert session.scalar(select(func.count(Assignment.id))) == 0
        assert len(invites.invites_for_cohort(session, courses[0].cohort_id)) == 3
    # Nor one of another cohort's participants, through their own cohort's form.
    with unit_of_work(url) as session:
        outsider = cohorts.member_ids(session, courses[0].cohort_id)[0]
    data = {"practice": "action_plan", "target": str(outsider), "due_on": due_in(2)}
    response = await post(client, f"/portal/cohorts/{own}/assignments", data, token)
    assert response.status == 400
    # And tutors have no clinician pages.
    assert (await client.get("/portal/patients", allow_redirects=False)).status == 403


async def test_tutor_forms_refuse_a_missing_or_wrong_csrf_token(
    client: TestClient, settings: Settings
) -> None:
    course = make_course(settings.database_url, "tutor.a@example.org", 1)
    await login(client, "tutor.a@example.org")
    base = f"/portal/cohorts/{course.cohort_id}"
    forms = (
        ("/portal/cohorts", {"name": "X", "starts_on": "2026-12-01", "ends_on": "2026-12-20"}),
        (f"{base}/invites", {"count": "1"}),
        (
            f"{base}/assignments",
            {"practice": "action_plan", "target": "cohort", "due_on": due_in(2)},
        ),
    )
    for path, data in forms:
        missing = await client.post(path, data=data, allow_redirects=False)
        wrong = await post(client, path, data, "not-the-token")
        assert (missing.status, wrong.status) == (403, 403), path
    with unit_of_work(settings.database_url) as session:
        assert session.scalar(select(func.count(Cohort.id))) == 1
        assert session.scalar(select(func.count(Assignment.id))) == 0
        assert len(invites.invites_for_cohort(session, course.cohort_id)) == 1


async def test_tutor_pages_show_practice_outcomes_only(
    client: TestClient, settings: Settings
) -> None:
    """A participant's flag, plan wording and measures never reach the tutor's pages."""
    url = settings.database_url
    course = make_course(url, "tutor.a@example.org", 1)
    sender = course.senders[0]
    with unit_of_work(url) as session:
        safety.raise_flag(
            session, sender, category="emergency", sign="chest_pain", channel="web", source="web"
        )
        goals.create_plan(
            session,
            sender,
            activity="swim",
            amount="twenty lengths",
            timing="before breakfast",
            days_per_week=2,
            ratings=[(9, None)],
            weekdays=frozenset({2, 4}),
            local_time=time(7),
        )
        goals.record_measures(session, sender, "weekly", {"health": 3}, {"health": "1"})
        cohorts.assign(
            session,
            course.tutor_id,
            course.cohort_id,
            kind=cohorts.ACTION_PLAN,
            item=None,
            due_at=utcnow() + timedelta(days=2),
        )
    await login(client, "tutor.a@example.org")
    for path in (
        f"/portal/cohorts/{course.cohort_id}",
        f"/portal/cohorts/{course.cohort_id}/board",
    ):
        page = (await (await client.get(path)).text()).lower()
        for private in (
            "chest",
            "emergency",
            "flag",
            "swim",
            "twenty lengths",
            "breakfast",
            "health",
        ):
            assert private not in page, (path, private)
