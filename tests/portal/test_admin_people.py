"""The admin page's people: paged, searched by what staff know (never by what anyone said),
the unassigned queue's link landing on the patient's row, people who never consented listed
apart, and the audit log naming staff by email. On SQLite and on PostgreSQL, where the
queries differ (LIKE, counting, offsets)."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from yarl import URL

from bot.config import Settings
from bot.gateway import init_app
from bot.portal.ids import MAX_ID
from bot.store import audit as audit_log
from bot.store import migrate
from bot.store.db import unit_of_work
from bot.store.models import (
    ConsentRecord,
    Invite,
    KeptMessage,
    Person,
    SafetyFlag,
    StaffUser,
    utcnow,
)
from tests.portal.support import PASSWORD, SCRIPT, csrf_of, login, make_staff, seed_patient
from tests.support import CHROMIUM_ARGS, TestClient, gateway_settings, served_in_thread

ROW = re.compile(r'<tr id="patient-(\d+)"')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
PREVIOUS = re.compile(r'<a href="([^"]+)" rel="prev">')
ADMIN = "admin@example.nhs.uk"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest) -> Settings:
    """The gateway's settings on a migrated SQLite file or a fresh PostgreSQL database."""
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "postgres_url"
    )
    migrate.upgrade(url)
    return gateway_settings(url, telegram_bot_username="CoCreateCoachBot")


def section(page: str, anchor: str) -> str:
    """One section of the admin page, by its id."""
    found = re.search(rf'<section class="card" id="{anchor}">(.*?)</section>', page, re.S)
    assert found, f"no section {anchor}"
    return found.group(1)


def rows(page: str, anchor: str) -> list[int]:
    """The patient numbers of the rows in one section, in order."""
    return [int(x) for x in ROW.findall(section(page, anchor))]


def people(database_url: str, count: int, consent: str = "given", **fields: object) -> list[int]:
    """`count` people with this consent; their ids."""
    with unit_of_work(database_url) as session:
        made = [
            Person(sender_id=f"web-{uuid.uuid4().hex}", consent=consent, **fields)
            for i in range(count)
        ]
        session.add_all(made)
        session.flush()
        return [p.id for p in made]


async def page_text(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return await response.text()


async def test_120_patients_are_three_pages_with_no_one_repeated_or_missing(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, ADMIN, "admin")
    everyone = people(database_url, 120)
    assert await login(client, ADMIN) == 303
    seen: list[int] = []
    sizes: list[int] = []
    path: str | None = "/portal/admin"
    pages = 0
    while path is not None:
        page = await page_text(client, path)
        pages += 1
        assert f"Page {pages} of 3" in section(page, "patients")
        found = rows(page, "patients")
        sizes.append(len(found))
        seen += found
        following = NEXT.search(section(page, "patients"))
        path = html_lib.unescape(following.group(1)) if following else None
        assert pages <= 3
    assert sizes == [50, 50, 20]
    assert seen == sorted(everyone) and len(set(seen)) == 120
    # And back again from the last page.
    back = PREVIOUS.search(section(page, "patients"))
    assert back
    assert (
        rows(await page_text(client, html_lib.unescape(back.group(1))), "patients") == seen[50:100]
    )


async def test_pages_of_a_search_keep_the_search(client: TestClient, database_url: str) -> None:
    make_staff(database_url, ADMIN, "admin")
    north = make_staff(database_url, "dr.north@example.nhs.uk", "clinician")
    south = make_staff(database_url, "dr.south@example.nhs.uk", "clinician")
    theirs = people(database_url, 60, clinician_id=north)
    people(database_url, 60, clinician_id=south)
    assert await login(client, ADMIN) == 303
    first = await page_text(client, "/portal/admin?q=NORTH")
    assert rows(first, "patients") == theirs[:50]
    assert "Page 1 of 2" in first and "60 matching the search" in first
    following = NEXT.search(section(first, "patients"))
    assert following and "q=NORTH" in following.group(1)
    second = await page_text(client, html_lib.unescape(following.group(1)))
    assert rows(second, "patients") == theirs[50:]
    assert 'value="NORTH"' in second  # the search box still holds the search


async def test_search_by_number_invite_label_code_and_clinician_never_by_what_was_said(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, ADMIN, "admin")
    nurse = make_staff(database_url, "nurse.jones@example.nhs.uk", "clinician")
    others = people(database_url, 30)
    seed_patient(database_url, None, "web-talker")  # plan 'walk <script>...'
    with unit_of_work(database_url) as session:
        invited = Person(sender_id="web-invited", consent="given", invite_code="Qx7_abcDEF123456")
        session.add(invited)
        session.flush()
        session.add(
            Invite(
                code="Qx7_abcDEF123456",
                clinician_id=nurse,
                label="Ward 9 Tuesday clinic",
                created_by=nurse,
                expires_at=utcnow() + timedelta(days=1),
                used_at=utcnow(),
                used_by_person_id=invited.id,
            )
        )
        cared = Person(sender_id="web-cared", consent="given", clinician_id=nurse)
        session.add(cared)
        session.add(KeptMessage(sender_id="web-talker", channel="web", text="I feel dizzy"))
        session.flush()
        invited_id, cared_id = invited.id, cared.id
    assert await login(client, ADMIN) == 303

    async def found(q: str) -> list[int]:
        page = await page_text(client, str(URL("/portal/admin").with_query(q=q)))
        return rows(page, "patients") + rows(page, "never-consented")

    for number in (str(others[7]), f"P-{others[7]:05d}", f"patient {others[7]}"):
        assert await found(number) == [others[7]], number
    assert await found("abcdef") == [invited_id]  # part of the invite code, any case
    assert await found("ward 9") == [invited_id]  # the invite's label
    assert await found("nurse.jones") == [cared_id]  # the clinician's email
    for said in ("walk", "dizzy", "script", "alert"):  # what people wrote is never searched
        assert await found(said) == [], said
    assert await found("%") == []  # a LIKE wildcard is just a character
    assert await found("_") == [invited_id]  # only the code that has one
    nobody = await page_text(client, "/portal/admin?q=nobody-at-all")
    assert "No patient who gave consent matches that search." in nobody


async def test_the_unassigned_queue_links_to_the_patients_row(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, ADMIN, "admin")
    people(database_url, 110)  # the flagged patient would be on page 3 without a search
    flagged = seed_patient(database_url, None, "web-flagged")
    (undecided,) = people(database_url, 1, consent="pending")
    with unit_of_work(database_url) as session:
        session.add(
            SafetyFlag(
                person_id=undecided,
                category="emergency",
                sign="chest_pain",
                channel="web",
                source="detector",
            )
        )
    assert await login(client, ADMIN) == 303
    queue = await page_text(client, "/portal/admin/flags")
    links = re.findall(r'href="(/portal/admin\?q=\d+#patient-\d+)"', queue)
    assert links == [
        f"/portal/admin?q={undecided}#patient-{undecided}",
        f"/portal/admin?q={flagged}#patient-{flagged}",
    ]
    for link, person, where in (
        (links[1], flagged, "patients"),
        (links[0], undecided, "never-consented"),
    ):
        path, _, anchor = link.partition("#")
        page = await page_text(client, path)
        assert f'id="{anchor}"' in section(page, where)
        assert rows(page, "patients") + rows(page, "never-consented") == [person]


@pytest.mark.browser
@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_in_a_browser_the_queue_link_opens_on_the_row(
    chromium: Path, settings: Settings, database_url: str
) -> None:
    make_staff(database_url, ADMIN, "admin")
    people(database_url, 110)
    flagged = seed_patient(database_url, None, "web-flagged")
    # Playwright of its own, ended here: the module's other tests run on an asyncio loop.
    with served_in_thread(init_app(settings)) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 768, "height": 600})
        page.goto(f"{base}/portal/login")
        page.get_by_label("Email").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/portal/admin/flags")
        page.get_by_role("link", name=f"Patient {flagged}").click()
        expect(page.locator(f"#patient-{flagged}")).to_be_in_viewport()
        assert page.evaluate("document.querySelector(':target').id") == f"patient-{flagged}"
        browser.close()


async def test_people_who_never_consented_are_listed_apart(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, ADMIN, "admin")
    given = people(database_url, 2)
    pending = people(database_url, 2, consent="pending")
    refused = people(database_url, 1, consent="refused")
    (withdrawn,) = people(database_url, 1, consent="withdrawn")
    with unit_of_work(database_url) as session:
        for decision in ("given", "withdrawn"):
            session.add(ConsentRecord(person_id=withdrawn, decision=decision, notice_version="1"))
    assert await login(client, ADMIN) == 303
    page = await page_text(client, "/portal/admin")
    assert rows(page, "patients") == sorted([*given, withdrawn])
    assert rows(page, "never-consented") == sorted([*pending, *refused])
    apart = section(page, "never-consented")
    assert "<h2>People who never consented</h2>" in apart
    assert "Not answered yet" in apart and "Refused" in apart
    assert "Withdrawn" in section(page, "patients")
    # A search looks in both lists, each kept apart.
    found = await page_text(client, f"/portal/admin?q={pending[0]}")
    assert rows(found, "patients") == [] and rows(found, "never-consented") == [pending[0]]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_the_audit_log_names_staff_by_email_escaped(
    client: TestClient, database_url: str
) -> None:
    admin = make_staff(database_url, ADMIN, "admin")
    seed_patient(database_url, None, "web-flagged")
    with unit_of_work(database_url) as session:
        odd = StaffUser(email="<b>odd</b>@example.nhs.uk", role="clinician", password_hash="x")
        session.add(odd)
        session.flush()
        audit_log.record(
            session,
            actor_kind="clinician",
            actor_id=str(odd.id),
            action="read",
            subject_person_id=None,
            detail="test",
        )
        audit_log.record(session, actor_kind="system", action="erased", subject_person_id=None)
    assert await login(client, ADMIN) == 303
    await page_text(client, "/portal/admin/flags")  # an audited read by the admin
    page = await page_text(client, "/portal/audit")
    assert f'{ADMIN} <span class="muted">(admin {admin})</span>' in page
    assert "&lt;b&gt;odd&lt;/b&gt;@example.nhs.uk" in page and "<b>odd</b>" not in page
    assert "<td>system </td>" in page


async def test_patient_text_on_the_admin_page_is_escaped_and_forms_keep_csrf(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, ADMIN, "admin")
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    (person,) = people(database_url, 1, invite_code=SCRIPT)  # a code typed into a link
    assert (await client.get(f"/portal/admin?q={person}", allow_redirects=False)).status in {
        302,
        303,
    }
    assert await login(client, ADMIN) == 303
    page = await page_text(client, "/portal/admin")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT not in page
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert forms and all('name="csrf_token"' in form for form in forms)
    response = await client.post(
        f"/portal/admin/patients/{person}/clinician",
        data={"clinician_id": str(clinician)},
        allow_redirects=False,
    )
    assert response.status == 403  # no CSRF token
    token = await csrf_of(client, "/portal/admin")
    response = await client.post(
        f"/portal/admin/patients/{person}/clinician",
        data={"clinician_id": str(clinician), "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == f"/portal/admin?q={person}#patient-{person}"


async def test_bad_page_numbers_and_searches_are_a_400_never_a_500(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, ADMIN, "admin")
    people(database_url, 120)
    people(database_url, 3, consent="pending")
    assert await login(client, ADMIN) == 303
    for name in ("page", "npage"):
        for bad in ("0", "-1", "+1", "1.5", "abc", "99999999999999999999", str(MAX_ID + 1)):
            response = await client.get("/portal/admin", params={name: bad})
            assert response.status == 400, (name, bad)
    # Past the last page (even the largest id, whose offset overflows 64 bits): the last page.
    last = await page_text(client, f"/portal/admin?page={MAX_ID}&npage={MAX_ID}")
    assert "Page 3 of 3" in last and len(rows(last, "patients")) == 20
    assert len(rows(last, "never-consented")) == 3
    for bad_q in ("\x00", "a\x00b", "tab\there", "x" * 101):
        response = await client.get("/portal/admin", params={"q": bad_q})
        assert response.status == 400, repr(bad_q)
    for odd_q in ("%", "'; drop table people; --", "99999999999999999999", "P-0", "١٢", " "):
        response = await client.get("/portal/admin", params={"q": odd_q})
        assert response.status == 200, repr(odd_q)
    raw = await client.get(URL("/portal/admin?q=%FF%FE&page=1", encoded=True))
    assert raw.status in {200, 400}
    # The audit log's paging too.
    assert (
        await client.get("/portal/audit", params={"before": "99999999999999999999"})
    ).status == 400
