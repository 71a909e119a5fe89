"""Ids in URLs, forms and query strings that are not a positive 64-bit integer get a 404 or a
400, never a 500: every route with a placeholder, taken from the gateway's route tables, is
tried as every staff role, and the forms and queries that take an id are tried on their own."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from aiohttp import web

from bot.portal import PORTAL_APP
from bot.portal.ids import MAX_ID, parse_id
from bot.store import cohorts
from bot.store.db import unit_of_work
from bot.store.models import utcnow
from tests.portal.support import csrf_of, login, make_staff
from tests.support import TestClient

HUGE = "99999999999999999999"  # past SQLite's and PostgreSQL's 64-bit integers
JUST_PAST = str(MAX_ID + 1)
# Not ids at all, or not written the one way an id is written.
NOT_IDS = ["0", "-1", "+1", "1.0", "1e3", "0x1", "abc"]
HOMES = {
    "clinician": "/portal/patients",
    "admin": "/portal/admin",
    "tutor": "/portal/cohorts",
    "lead": "/portal/lead",
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def dynamic_routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, URL pattern) of every route with a placeholder: the gateway's own and the
    portal's (whose patterns already carry the /portal prefix)."""
    found = []
    for router in (app.router, app[PORTAL_APP].router):
        for route in router.routes():
            pattern = route.resource.get_info().get("formatter") if route.resource else None
            if pattern and PLACEHOLDER.search(pattern) and route.method in {"GET", "POST"}:
                found.append((route.method, pattern))
    return sorted(set(found))


def filled(pattern: str, value: str) -> str:
    """The pattern with `value` in every placeholder (a print link's list id is the part of
    the link before its first dot)."""

    def one(match: re.Match[str]) -> str:
        return f"{value}.9999999999.c2ln" if match.group(1) == "link" else value

    return PLACEHOLDER.sub(one, pattern)


def test_an_id_is_a_positive_integer_that_fits_in_64_bits() -> None:
    assert parse_id("1") == 1
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID == 2**63 - 1
    for bad in [HUGE, JUST_PAST, *NOT_IDS, "", " 1", "1 ", "١٢", "1_000", None]:
        assert parse_id(bad) is None, bad


async def test_the_route_tables_hold_the_id_routes_this_test_expects(client: TestClient) -> None:
    """A new route with an id placeholder shows up here (and below) without editing the test."""
    patterns = {pattern for _, pattern in dynamic_routes(client.app)}
    assert {
        "/portal/patients/{person_id}",
        "/portal/flags/{flag_id}/acknowledge",
        "/portal/admin/users/{staff_id}/active",
        "/portal/admin/patients/{person_id}/clinician",
        "/portal/cohorts/{cohort_id}",
        "/ask3/print/{link}",
    } <= patterns


async def test_every_id_route_answers_a_bad_id_with_404_or_400_for_every_role(
    client: TestClient, database_url: str
) -> None:
    routes = dynamic_routes(client.app)
    values = [HUGE, JUST_PAST, str(MAX_ID), *NOT_IDS]
    answered: dict[tuple[str, str, str], list[int]] = {
        (method, pattern, value): [] for method, pattern in routes for value in values
    }
    for role, home in HOMES.items():
        make_staff(database_url, f"{role}@example.org", role)
        client.session.cookie_jar.clear()
        assert await login(client, f"{role}@example.org") == 303
        token = await csrf_of(client, home)
        for (method, pattern, value), statuses in answered.items():
            url = filled(pattern, value)
            if method == "GET":
                response = await client.get(url, allow_redirects=False)
            else:
                form = {"csrf_token": token, "clinician_id": "", "active": "1", "count": "1"}
                response = await client.post(url, data=form, allow_redirects=False)
            statuses.append(response.status)
    assert {key: s for key, s in answered.items() if not set(s) <= {400, 403, 404}} == {}
    # Each route refused the id itself for some role, not only the roles it is not for.
    assert {key: s for key, s in answered.items() if not set(s) & {400, 404}} == {}


@pytest.mark.parametrize("value", [HUGE, JUST_PAST, "0", "-1", "abc"])
async def test_a_bad_clinician_id_in_the_assign_form_is_400(
    client: TestClient, database_url: str, value: str
) -> None:
    make_staff(database_url, "admin@example.org", "admin")
    assert await login(client, "admin@example.org") == 303
    token = await csrf_of(client, "/portal/admin")
    from bot.store.models import Person

    with unit_of_work(database_url) as session:
        person = Person(sender_id="web-bad-ids", consent="given")
        session.add(person)
        session.flush()
        person_id = person.id
    response = await client.post(
        f"/portal/admin/patients/{person_id}/clinician",
        data={"csrf_token": token, "clinician_id": value},
        allow_redirects=False,
    )
    assert response.status == 400


@pytest.mark.parametrize("value", [HUGE, JUST_PAST, "-1", "abc"])
async def test_a_bad_before_id_on_the_audit_page_is_400(
    client: TestClient, database_url: str, value: str
) -> None:
    make_staff(database_url, "admin@example.org", "admin")
    assert await login(client, "admin@example.org") == 303
    response = await client.get(f"/portal/audit?before={value}")
    assert response.status == 400
    assert (await client.get("/portal/audit")).status == 200
    assert (await client.get(f"/portal/audit?before={MAX_ID}")).status == 200


@pytest.mark.parametrize("value", [HUGE, JUST_PAST, "0", "abc"])
async def test_a_bad_participant_id_when_setting_practice_is_400(
    client: TestClient, database_url: str, value: str
) -> None:
    tutor_id = make_staff(database_url, "tutor@example.org", "tutor")
    with unit_of_work(database_url) as session:
        cohort_id = cohorts.create_cohort(
            session, tutor_id, "EPP", date(2026, 1, 5), date(2026, 2, 16)
        ).id
    assert await login(client, "tutor@example.org") == 303
    base = f"/portal/cohorts/{cohort_id}"
    token = await csrf_of(client, base)
    due = (utcnow() + timedelta(days=3)).date().isoformat()
    form = {"practice": "teachback:inhaler", "target": value, "due_on": due, "csrf_token": token}
    response = await client.post(f"{base}/assignments", data=form, allow_redirects=False)
    assert response.status == 400
    assert "one participant" in await response.text() or "not in this cohort" in (
        await response.text()
    )
