"""A busy nurse's worklist: the patients with open flags first, the most severe and the
longest waiting at the top; flags in words, every time in UK time and saying so; the
admins' queue of unassigned flags in the same order, each linking to the patient."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.portal.pages import flag_words_file, when
from bot.store.db import unit_of_work
from bot.store.models import Person, SafetyFlag, utcnow
from tests.portal.support import login, make_staff
from tests.support import TestClient

ROOT = Path(__file__).resolve().parents[2]
LISTED = re.compile(r'href="/portal/patients/(\d+)"')


def _person(
    database_url: str, clinician: int | None, name: str, flags: list[tuple[str, str, int]]
) -> int:
    """A consenting patient with open flags of (category, sign, hours ago)."""
    now = utcnow()
    with unit_of_work(database_url) as session:
        person = Person(sender_id=f"web-{name}", consent="given", clinician_id=clinician)
        session.add(person)
        session.flush()
        for category, sign, hours in flags:
            session.add(
                SafetyFlag(
                    person_id=person.id,
                    clinician_id=clinician,
                    category=category,
                    sign=sign,
                    channel="web",
                    source="message",
                    raised_at=now - timedelta(hours=hours),
                )
            )
        return person.id


def _ward(database_url: str, clinician: int | None) -> dict[str, int]:
    return {
        "quiet": _person(database_url, clinician, "quiet", []),
        "urgent_old": _person(database_url, clinician, "urgent-old", [("urgent", "worsening", 30)]),
        "urgent_new": _person(database_url, clinician, "urgent-new", [("urgent", "fever", 1)]),
        "emergency": _person(
            database_url, clinician, "emergency", [("emergency", "chest_pain", 2)]
        ),
        "distress": _person(database_url, clinician, "distress", [("distress", "distress", 5)]),
        "mixed": _person(
            database_url,
            clinician,
            "mixed",
            [("urgent", "fever", 3), ("emergency", "breathing", 1)],
        ),
    }


async def test_my_patients_opens_with_open_flags_by_severity_then_waiting_longest(
    client: TestClient, database_url: str
) -> None:
    nurse = make_staff(database_url, "nurse@example.nhs.uk", "clinician")
    ward = _ward(database_url, nurse)
    assert await login(client, "nurse@example.nhs.uk") == 303
    html = await (await client.get("/portal/patients")).text()
    order = [int(x) for x in LISTED.findall(html)]
    # Emergencies first (the one waiting longer, 2 h, before 1 h), then distress, then
    # urgent (30 h before 1 h); nobody without an open flag before someone with one.
    assert order == [
        ward[k] for k in ("emergency", "mixed", "distress", "urgent_old", "urgent_new", "quiet")
    ]
    assert "Chest pain, emergency" in html
    assert "Struggling to breathe, emergency" in html and "chest_pain" not in html
    assert "waiting 30 h" in html


async def test_flags_read_in_words_and_times_in_uk_time(
    client: TestClient, database_url: str
) -> None:
    nurse = make_staff(database_url, "nurse@example.nhs.uk", "clinician")
    person = _person(database_url, nurse, "summer", [("emergency", "chest_pain", 1)])
    summer = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)  # 14:05 in London (BST)
    with unit_of_work(database_url) as session:
        flag = session.scalars(select(SafetyFlag).where(SafetyFlag.person_id == person)).one()
        flag.raised_at = summer
    assert await login(client, "nurse@example.nhs.uk") == 303
    html = await (await client.get(f"/portal/patients/{person}")).text()
    assert "Chest pain, emergency" in html
    assert "emergency / chest_pain" not in html and ">chest_pain<" not in html
    assert "2026-07-01 14:05 UK time" in html
    assert "web chat" in html
    assert when(datetime(2026, 12, 1, 9, 30, tzinfo=UTC)) == "2026-12-01 09:30 UK time"  # GMT
    assert when(datetime(2026, 7, 1, 23, 30)) == "2026-07-02 00:30 UK time"  # naive is UTC


async def test_the_unassigned_queue_is_by_severity_and_links_to_each_patient(
    client: TestClient, database_url: str
) -> None:
    ward = _ward(database_url, None)
    make_staff(database_url, "admin@example.nhs.uk", "admin")
    assert await login(client, "admin@example.nhs.uk") == 303
    html = await (await client.get("/portal/admin/flags")).text()
    linked = [int(x) for x in re.findall(r'href="/portal/admin\?q=(\d+)#patient-\d+"', html)]
    assert linked == [
        ward[k] for k in ("emergency", "mixed", "distress", "urgent_old", "mixed", "urgent_new")
    ]
    assert "Chest pain, emergency" in html and "Getting worse, urgent (same day)" in html
    assert "UK time" in html


def test_every_sign_the_safety_net_can_raise_has_words() -> None:
    words = flag_words_file()
    rules = yaml.safe_load((ROOT / "data/safety/signs.yml").read_text(encoding="utf-8"))
    signs = {str(row["code"]) for row in rules["signs"]}
    categories = {str(row["category"]) for row in rules["signs"]}
    for bank in (ROOT / "data/safety/exemplars").glob("*.jsonl"):
        for line in bank.read_text(encoding="utf-8").splitlines():
            found = re.search(r'"sign":\s*"([a-z_]+)"', line)
            if found and found.group(1) != "none":
                signs.add(found.group(1))
    assert signs - set(words.signs) == set()
    assert categories - set(words.categories) == set()
    assert list(words.categories)[:3] == ["emergency", "distress", "urgent"]
