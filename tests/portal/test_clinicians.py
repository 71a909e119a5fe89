"""Clinicians see only their own patients; the patient page, its flags, exports and audit."""

from __future__ import annotations

import csv
import io
import json

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, SafetyFlag
from tests.portal.support import IMG, SCRIPT, csrf_of, login, make_staff, seed_patient
from tests.support import TestClient


def _two_clinicians(database_url: str) -> tuple[int, int, list[int], list[int]]:
    a = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    b = make_staff(database_url, "dr.b@example.nhs.uk", "clinician")
    mine = [seed_patient(database_url, a, f"web-a{i}") for i in range(2)]
    theirs = [seed_patient(database_url, b, f"web-b{i}") for i in range(2)]
    return a, b, mine, theirs


async def test_a_clinician_cannot_reach_another_clinicians_patients(
    client: TestClient, database_url: str
) -> None:
    _a, _b, mine, theirs = _two_clinicians(database_url)
    unassigned = seed_patient(database_url, None, "web-nobody")
    assert await login(client, "dr.a@example.nhs.uk") == 303
    listing = await (await client.get("/portal/patients")).text()
    for pid in mine:
        assert f'/portal/patients/{pid}"' in listing
    for pid in [*theirs, unassigned]:
        assert f'/portal/patients/{pid}"' not in listing
    top = max([*mine, *theirs, unassigned]) + 3
    for pid in range(0, top):
        for suffix in ("", "/export.csv", "/fhir.json"):
            response = await client.get(f"/portal/patients/{pid}{suffix}")
            expected = 200 if pid in mine else 404
            assert response.status == expected, (pid, suffix)
    token = await csrf_of(client, "/portal/patients")
    with unit_of_work(database_url) as session:
        flags = {f.id: f.person_id for f in session.scalars(select(SafetyFlag))}
    for flag_id, person_id in flags.items():
        response = await client.post(
            f"/portal/flags/{flag_id}/acknowledge",
            data={"csrf_token": token},
            allow_redirects=False,
        )
        assert response.status == (303 if person_id in mine else 404), flag_id
    with unit_of_work(database_url) as session:
        for flag in session.scalars(select(SafetyFlag)):
            assert (flag.acknowledged_at is not None) == (flag.person_id in mine)


async def test_patient_text_is_shown_escaped(client: TestClient, database_url: str) -> None:
    a, _b, mine, _theirs = _two_clinicians(database_url)
    del a
    assert await login(client, "dr.a@example.nhs.uk") == 303
    html = await (await client.get(f"/portal/patients/{mine[0]}")).text()
    assert SCRIPT not in html and IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html.lower()


async def test_the_patient_page_shows_goals_teachback_measures_and_flags(
    client: TestClient, database_url: str
) -> None:
    _a, _b, mine, _theirs = _two_clinicians(database_url)
    assert await login(client, "dr.a@example.nhs.uk") == 303
    html = await (await client.get(f"/portal/patients/{mine[0]}")).text()
    assert html.count('<svg class="plot"') == 3  # check-ins, weekly measures, experience check
    assert "Check-in outcomes over time" in html
    assert "shake_first" in html and "explained back" in html and "missed" in html
    assert "needs follow-up" in html.lower() and "inhaler / rinse" in html
    assert "Chest pain, urgent (same day)" in html and "Acknowledge" in html
    assert "10 minutes" in html


async def test_acknowledging_a_flag_records_who_and_when(
    client: TestClient, database_url: str
) -> None:
    a, _b, mine, _theirs = _two_clinicians(database_url)
    assert await login(client, "dr.a@example.nhs.uk") == 303
    token = await csrf_of(client, f"/portal/patients/{mine[0]}")
    with unit_of_work(database_url) as session:
        flag = session.scalars(select(SafetyFlag).where(SafetyFlag.person_id == mine[0])).one()
    response = await client.post(f"/portal/flags/{flag.id}/acknowledge", data={"csrf_token": token})
    assert response.status == 200
    assert "Acknowledged" in await response.text()
    with unit_of_work(database_url) as session:
        seen = session.get(SafetyFlag, flag.id)
        assert seen is not None and seen.acknowledged_at is not None
        assert seen.acknowledged_by == str(a)


async def test_the_list_sorts_by_each_column(client: TestClient, database_url: str) -> None:
    a, _b, mine, _theirs = _two_clinicians(database_url)
    with unit_of_work(database_url) as session:
        # The second patient has no open flags any more.
        for flag in session.scalars(select(SafetyFlag).where(SafetyFlag.person_id == mine[1])):
            flag.acknowledged_at = flag.raised_at
    assert await login(client, "dr.a@example.nhs.uk") == 303

    async def order(query: str) -> list[int]:
        html = await (await client.get(f"/portal/patients?{query}")).text()
        return [int(x) for x in __import__("re").findall(r'href="/portal/patients/(\d+)"', html)]

    assert await order("sort=id") == sorted(mine)
    assert await order("sort=id&dir=desc") == sorted(mine, reverse=True)
    assert await order("sort=flags&dir=desc") == [mine[0], mine[1]]
    assert await order("sort=flags") == [mine[1], mine[0]]
    for key in ("label", "joined", "last_activity", "goals"):
        assert sorted(await order(f"sort={key}")) == sorted(mine)
    del a


async def test_exports_have_the_right_rows_and_valid_fhir(
    client: TestClient, database_url: str
) -> None:
    _a, _b, mine, _theirs = _two_clinicians(database_url)
    assert await login(client, "dr.a@example.nhs.uk") == 303
    response = await client.get(f"/portal/patients/{mine[0]}/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    kinds = [row["record"] for row in rows]
    assert kinds.count("plan") == 1
    assert kinds.count("checkin") == 3
    assert kinds.count("confidence") == 1
    assert kinds.count("teachback") == 2
    assert kinds.count("follow_up") == 1
    assert kinds.count("measure") == 5
    assert kinds.count("flag") == 1
    assert {row["person_id"] for row in rows} == {str(mine[0])}

    listing = list(
        csv.DictReader(io.StringIO(await (await client.get("/portal/patients.csv")).text()))
    )
    assert sorted(int(r["person_id"]) for r in listing) == sorted(mine)
    assert all(r["open_flags"] == "1" and r["active_goals"] == "1" for r in listing)

    fhir = await client.get(f"/portal/patients/{mine[0]}/fhir.json")
    assert fhir.content_type == "application/fhir+json"
    data = json.loads(await fhir.text())
    bundle = Bundle.model_validate(data)
    types = [entry.resource.get_resource_type() for entry in bundle.entry or [] if entry.resource]
    assert types.count("Patient") == 1
    assert types.count("Goal") == 1
    # 3 check-ins, 1 confidence rating, 3 weekly measures, 2 teach-back points
    assert types.count("Observation") == 9
    assert types.count("QuestionnaireResponse") == 1
    patient = data["entry"][0]["resource"]
    assert patient["identifier"][0]["value"] == str(mine[0])
    assert "name" not in patient
    qr = next(
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    assert {i["linkId"] for i in qr["item"]} == {"welcomed:v1", "timely:v1"}


async def test_every_view_and_export_is_audited_and_admins_read_the_log(
    client: TestClient, database_url: str
) -> None:
    a, _b, mine, _theirs = _two_clinicians(database_url)
    make_staff(database_url, "admin@example.nhs.uk", "admin")
    assert await login(client, "dr.a@example.nhs.uk") == 303
    await client.get(f"/portal/patients/{mine[0]}")
    await client.get(f"/portal/patients/{mine[0]}/export.csv")
    await client.get(f"/portal/patients/{mine[0]}/fhir.json")
    with unit_of_work(database_url) as session:
        entries = [
            (e.actor_kind, e.actor_id, e.action, e.detail)
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.subject_person_id == mine[0])
            )
        ]
    assert ("clinician", str(a), "read", "patient_page") in entries
    assert ("clinician", str(a), "exported", "csv") in entries
    assert ("clinician", str(a), "exported", "fhir_r4b") in entries
    token = await csrf_of(client, "/portal/patients")
    await client.post("/portal/logout", data={"csrf_token": token})
    assert await login(client, "admin@example.nhs.uk") == 303
    html = await (await client.get("/portal/audit")).text()
    assert "fhir_r4b" in html and "patient_page" in html


async def test_ask3_question_lists_show_newest_first_and_escaped(
    client: TestClient, database_url: str
) -> None:
    from datetime import timedelta

    from bot.decisions.summary import QuestionList
    from bot.store import ask3
    from bot.store.models import utcnow

    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    person = seed_patient(database_url, clinician, "web-ask3")
    with unit_of_work(database_url) as session:
        for days, decision in ((5, "knee surgery or physio"), (1, "which inhaler")):
            ask3.save_list(
                session,
                "web-ask3",
                QuestionList(
                    decision=decision,
                    options="surgery, physio",
                    questions={"options": "what else is there?"},
                    own_questions=[SCRIPT],
                ),
                "en",
                now=utcnow() - timedelta(days=days),
            )
    assert await login(client, "dr.a@example.nhs.uk") == 303
    html = await (await client.get(f"/portal/patients/{person}")).text()
    assert html.index("which inhaler") < html.index("knee surgery or physio")
    assert "what else is there?" in html
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_a_flag_outlives_forget_me_and_reaches_only_its_clinician(
    client: TestClient, database_url: str
) -> None:
    """Issue 15.6: an open emergency flag stays for the care team after the patient asks to
    be forgotten, known by a label, without message text; only their clinician sees it."""
    from bot.store import data_rights, people, safety

    a, _b, mine, theirs = _two_clinicians(database_url)
    with unit_of_work(database_url) as session:
        flagged = session.get(SafetyFlag, safety.open_flags(session, a)[0].id)
        assert flagged is not None
        flagged.category = "emergency"  # the seeded flag is urgent; urgent ones go
        sender = people_sender(session, flagged.person_id)
        label = people.pseudonymous_label(flagged.person_id or 0)
        data_rights.erase_person(session, sender)
    assert await login(client, "dr.b@example.nhs.uk") == 303
    assert label not in await (await client.get("/portal/patients")).text()
    await client.post(
        "/portal/logout", data={"csrf_token": await csrf_of(client, "/portal/patients")}
    )
    assert await login(client, "dr.a@example.nhs.uk") == 303
    listing = await (await client.get("/portal/patients")).text()
    assert "Open flags from people who have left" in listing and label in listing
    with unit_of_work(database_url) as session:
        [kept] = safety.kept_flags_of_people_gone(session, a)
    token = await csrf_of(client, "/portal/patients")
    response = await client.post(
        f"/portal/flags/{kept.id}/acknowledge", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"].endswith("#kept")
    with unit_of_work(database_url) as session:
        assert safety.kept_flags_of_people_gone(session, a) == []
    del mine, theirs


def people_sender(session: object, person_id: int | None) -> str:
    from bot.store.models import Person

    person = session.get(Person, person_id)  # type: ignore[attr-defined]
    assert person is not None
    return str(person.sender_id)
