"""Invites: a clinician makes one; the web link or Telegram /start CODE links the patient
to that clinician once; used or expired codes fall back to the general path."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bot.store import safety
from bot.store.db import unit_of_work
from bot.store.invites import create_invite, redeem_invite
from bot.store.models import Invite, Person, SafetyFlag, utcnow
from bot.store.people import enrol_web_person
from bot.store.telegram import enrol_user
from tests.portal.support import csrf_of, login, make_staff, seed_patient
from tests.support import TestClient


async def _new_invite(client: TestClient, label: str = "clinic 3 March") -> tuple[str, str]:
    token = await csrf_of(client, "/portal/invites")
    response = await client.post("/portal/invites", data={"csrf_token": token, "label": label})
    assert response.status == 200
    code = str(response.url).rsplit("/", 1)[-1]
    return code, await response.text()


async def test_a_clinician_creates_an_invite_with_telegram_and_web_links_and_a_qr_code(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    assert await login(client, "dr.a@example.nhs.uk") == 303
    code, html = await _new_invite(client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", code)
    assert f"https://t.me/CoCreateCoachBot?start={code}" in html
    web_link = re.search(r'id="web-link">([^<]+)<', html)
    assert web_link and web_link.group(1).endswith(f"/?invite={code}")
    qr = await client.get(f"/portal/invites/{code}/qr.png")
    assert qr.content_type == "image/png"
    body = await qr.read()
    assert body.startswith(b"\x89PNG")
    listing = await (await client.get("/portal/invites")).text()
    assert code in listing and "clinic 3 March" in listing and "open" in listing


async def test_another_clinician_cannot_see_the_invite(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    make_staff(database_url, "dr.b@example.nhs.uk", "clinician")
    assert await login(client, "dr.a@example.nhs.uk") == 303
    code, _ = await _new_invite(client)
    token = await csrf_of(client, "/portal/invites")
    await client.post("/portal/logout", data={"csrf_token": token})
    assert await login(client, "dr.b@example.nhs.uk") == 303
    assert (await client.get(f"/portal/invites/{code}")).status == 404
    assert (await client.get(f"/portal/invites/{code}/qr.png")).status == 404


async def test_the_web_link_links_the_new_patient_once(
    client: TestClient, database_url: str
) -> None:
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    assert await login(client, "dr.a@example.nhs.uk") == 303
    code, _ = await _new_invite(client)
    first = await client.post("/api/sessions", json={"language": "en", "invite": code})
    second = await client.post("/api/sessions", json={"language": "cy", "invite": code})
    assert first.status == second.status == 201
    with unit_of_work(database_url) as session:
        people = list(session.scalars(select(Person).order_by(Person.id)))
        invite = session.scalars(select(Invite)).one()
        assert [p.clinician_id for p in people] == [clinician, None]
        assert invite.used_by_person_id == people[0].id and invite.used_at is not None
    page = await client.get("/portal/patients")
    assert f'/portal/patients/{people[0].id}"' in await page.text()
    assert "used" in await (await client.get("/portal/invites")).text()


def test_telegram_start_code_links_the_patient_and_their_flags_go_to_the_clinician(
    database_url: str,
) -> None:
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    with unit_of_work(database_url) as session:
        code = create_invite(session, created_by=clinician, clinician_id=clinician).code
    with unit_of_work(database_url) as session:
        user = enrol_user(session, 4242, "en", invite_code=code)
    with unit_of_work(database_url) as session:
        flag_id = safety.raise_flag(
            session,
            user.sender_id,
            category="urgent",
            sign="chest_pain",
            channel="telegram",
            source="detector",
        )
    with unit_of_work(database_url) as session:
        person = session.scalars(select(Person).where(Person.sender_id == user.sender_id)).one()
        assert person.clinician_id == clinician
        flag = session.get(SafetyFlag, flag_id)
        assert flag is not None and flag.clinician_id == clinician
        assert [f.id for f in safety.open_flags(session, clinician)] == [flag_id]
        assert safety.open_flags(session, None) == []


def test_expired_unknown_and_used_codes_change_nothing(database_url: str) -> None:
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    with unit_of_work(database_url) as session:
        expired = create_invite(session, created_by=clinician, clinician_id=clinician).code
        session.execute(
            update(Invite)
            .where(Invite.code == expired)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        used = create_invite(session, created_by=clinician, clinician_id=clinician)
        first = enrol_web_person(session, "web-first", "en", None)
        assert redeem_invite(session, first, used.code)
        used_code = used.code
    for number, code in enumerate((expired, "no-such-code", used_code)):
        with unit_of_work(database_url) as session:
            person = enrol_web_person(session, f"web-{number}", "en", code)
            assert person.clinician_id is None
            assert person.invite_code == code  # kept, and the general path goes on


async def test_admins_assign_patients_and_see_only_unassigned_flags(
    client: TestClient, database_url: str
) -> None:
    make_staff(database_url, "admin@example.nhs.uk", "admin")
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    waiting = seed_patient(database_url, None, "web-waiting")
    assigned = seed_patient(database_url, clinician, "web-assigned")
    assert await login(client, "admin@example.nhs.uk") == 303
    flags = await (await client.get("/portal/admin/flags")).text()
    assert f">Patient {waiting}</a>" in flags and f">Patient {assigned}</a>" not in flags
    token = await csrf_of(client, "/portal/admin")
    response = await client.post(
        f"/portal/admin/patients/{waiting}/clinician",
        data={"csrf_token": token, "clinician_id": str(clinician)},
        allow_redirects=False,
    )
    assert response.status == 303
    with unit_of_work(database_url) as session:
        person = session.get(Person, waiting)
        assert person is not None and person.clinician_id == clinician
        assert {f.person_id for f in safety.open_flags(session, clinician)} == {waiting, assigned}
    assert "No open unassigned flags" in await (await client.get("/portal/admin/flags")).text()
    # An admin does not read patient records.
    assert (await client.get(f"/portal/patients/{waiting}")).status == 403
