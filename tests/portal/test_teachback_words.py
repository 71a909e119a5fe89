"""The patient page's teach-back section: their own words where they agreed, never the
grader's matched keywords."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from bot.store.db import unit_of_work
from bot.store.models import Person, TeachbackAttempt, TeachbackPointResult, TeachbackTextConsent
from tests.portal.support import login, make_staff, seed_patient
from tests.support import TestClient

WORDS = "I give it a good rattle then blow all my air out, not into the puffer"
KEYWORDS = "rattle; blow all my air out"


def _with_words(database_url: str, person_id: int, *, consent: bool) -> None:
    """The patient's latest attempt holds their words and the grader's evidence."""
    with unit_of_work(database_url) as session:
        session.add(TeachbackTextConsent(person_id=person_id, keep_answer_text=consent))
        attempt = session.scalars(
            select(TeachbackAttempt)
            .where(TeachbackAttempt.person_id == person_id)
            .order_by(TeachbackAttempt.id.desc())
        ).first()
        assert attempt is not None
        attempt.answer_text = WORDS
        for result in session.scalars(
            select(TeachbackPointResult).where(TeachbackPointResult.attempt_id == attempt.id)
        ):
            result.evidence = KEYWORDS.split("; ")


async def test_their_own_words_are_shown_where_they_agreed_and_no_keywords(
    client: TestClient, database_url: str
) -> None:
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    agreed = seed_patient(database_url, clinician, "web-words")
    declined = seed_patient(database_url, clinician, "web-no-words")
    _with_words(database_url, agreed, consent=True)
    _with_words(database_url, declined, consent=False)
    assert await login(client, "dr.a@example.nhs.uk") == 303

    page = await (await client.get(f"/portal/patients/{agreed}")).text()
    assert "In their own words" in page
    assert "I give it a good rattle then blow all my air out, not into the puffer" in page
    assert KEYWORDS not in page and "Evidence" not in page

    page = await (await client.get(f"/portal/patients/{declined}")).text()
    assert "rattle" not in page  # they did not agree: neither their words nor keywords
    assert "Not kept: they chose to share only which parts they explained" in page

    export = await (await client.get(f"/portal/patients/{agreed}/export.csv")).text()
    assert any(WORDS in row for row in csv.reader(io.StringIO(export)))
    export = await (await client.get(f"/portal/patients/{declined}/export.csv")).text()
    assert "rattle" not in export


async def test_words_stop_showing_when_they_change_their_mind(
    client: TestClient, database_url: str
) -> None:
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    person = seed_patient(database_url, clinician, "web-changed")
    _with_words(database_url, person, consent=True)
    with unit_of_work(database_url) as session:
        consent = session.get(TeachbackTextConsent, person)
        assert consent is not None and session.get(Person, person) is not None
        consent.keep_answer_text = False
    assert await login(client, "dr.a@example.nhs.uk") == 303
    page = await (await client.get(f"/portal/patients/{person}")).text()
    assert "rattle" not in page
