"""The lead's "Active patients per week" counts only people who consented: someone who
chatted without consenting (or refused, or withdrew) is not a patient of the service."""

from __future__ import annotations

import csv
import io

from bot.store.db import unit_of_work
from bot.store.models import Conversation, Measure, Person, utcnow
from tests.portal.support import login, make_staff
from tests.support import TestClient


def _people(database_url: str) -> None:
    now = utcnow()
    with unit_of_work(database_url) as session:
        for index, consent in enumerate(
            ["given"] * 6 + ["pending"] * 9 + ["refused"] * 2 + ["withdrawn"] * 2
        ):
            person = Person(sender_id=f"web-lead-{index}", consent=consent, created_at=now)
            session.add(person)
            session.flush()
            session.add(
                Conversation(person_id=person.id, channel="web", started_at=now,
                             last_activity_at=now)
            )  # fmt: skip
            if consent == "given":
                session.add(Measure(person_id=person.id, instrument="weekly", item="health",
                                    item_version="1", value=6, recorded_at=now))  # fmt: skip


async def test_active_patients_this_week_are_the_six_who_consented(
    client: TestClient, database_url: str
) -> None:
    _people(database_url)
    make_staff(database_url, "lead@example.nhs.uk", "lead")
    assert await login(client, "lead@example.nhs.uk") == 303
    text = await (await client.get("/portal/lead/metrics.csv")).text()
    rows = [
        r for r in csv.DictReader(io.StringIO(text)) if r["metric"] == "Active patients per week"
    ]
    assert rows, text
    assert rows[-1]["value"] == "6" and rows[-1]["patients"] == "6"
