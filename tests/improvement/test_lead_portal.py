"""The lead's service-level pages on the real gateway app (SQLite): role access, the
explanations that fail most, small-number suppression, change marks with before/after,
feedback next to its chunk (escaped, no sender ids), CSV exports, audit entries."""

from __future__ import annotations

import csv
import html
import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.content import versions
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, utcnow
from tests.improvement.support import (
    SCRIPT,
    feedback,
    first_try,
    hypo_cohort,
    lock_with_reworded_chunk,
)
from tests.portal.support import PASSWORD, csrf_of, login, make_staff
from tests.support import TestClient

PAGES = (
    "/portal/lead",
    "/portal/lead/modules/hypo",
    "/portal/lead/metrics.csv",
    "/portal/lead/teachback.csv",
    "/portal/lead/feedback.csv",
)


@pytest.fixture
def seeded(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Hypo's first chunk: six patients on version 1 two weeks ago (signs explained back by
    2 of 6), six on version 2 last week (5 of 6); three patients tried the inhaler this week.
    Feedback on the chunk carries markup. The lock says version 2 reworded that chunk."""
    url: str = settings.database_url
    now = utcnow()
    hypo_cohort(url, "lead-v1", now - timedelta(days=14), 1, [True, True] + [False] * 4)
    hypo_cohort(url, "lead-v2", now - timedelta(days=7), 2, [True] * 5 + [False])
    for index in range(3):
        first_try(url, f"lead-inh-{index}", "inhaler", "get-ready",
                  {"shake": True, "breathe-out": False}, now)  # fmt: skip
    feedback(url, "lead-v1-0", 2, f"Say what 4 means {SCRIPT}", "what-is-a-hypo")
    feedback(url, "lead-v1-1", 4, "=HYPERLINK(1)", None)
    monkeypatch.setattr(versions, "LOCK_FILE", lock_with_reworded_chunk(tmp_path / "lock.json"))
    return url


async def test_only_leads_and_admins_see_the_service_view(client: TestClient, seeded: str) -> None:
    for role in ("clinician", "tutor", "lead", "admin"):
        make_staff(seeded, f"{role}@example.nhs.uk", role)
    for path in PAGES:
        response = await client.get(path, allow_redirects=False)
        assert response.status == 302 and "/portal/login" in response.headers["Location"]
    for role in ("clinician", "tutor"):
        client.session.cookie_jar.clear()
        assert await login(client, f"{role}@example.nhs.uk") == 303
        for path in PAGES:
            assert (await client.get(path)).status == 403, (role, path)
    for role in ("lead", "admin"):
        client.session.cookie_jar.clear()
        assert await login(client, f"{role}@example.nhs.uk") == 303
        for path in PAGES:
            assert (await client.get(path)).status == 200, (role, path)
    # A lead lands on the service view after logging in.
    client.session.cookie_jar.clear()
    response = await client.post("/portal/login", allow_redirects=False)
    assert response.status == 403  # no CSRF token: refused
    assert await login(client, "lead@example.nhs.uk") == 303
    home = await client.get("/portal/", allow_redirects=False)
    assert home.headers["Location"] == "/portal/lead"


async def test_the_overview_ranks_failing_explanations_and_hides_small_numbers(
    client: TestClient, seeded: str
) -> None:
    make_staff(seeded, "lead@example.nhs.uk", "lead")
    assert await login(client, "lead@example.nhs.uk") == 303
    page = await (await client.get("/portal/lead")).text()
    table = page[
        page.index('id="key-points"') : page.index("</table>", page.index('id="key-points"'))
    ]
    rows = table.split("<tr>")[2:]
    # "signs": 7 of 12 first answers; "below 4": 12 of 12; the inhaler's three patients: <5.
    assert "hypo" in rows[0] and "signs" not in rows[1] and "58%" in rows[0]
    assert "100%" in rows[1]
    assert all("&lt;5" in row for row in rows[2:]) and len(rows) == 4
    assert "lead-v1" not in page and "lead-inh" not in page
    # Patient words are shown as text, never as markup.
    assert SCRIPT not in page and html.escape(SCRIPT) in page
    # The all-modules run chart has a median line; this week (3 patients) is left out.
    assert 'data-metric="teachback:all"' in page and 'class="median"' in page
    assert "1 week(s) with fewer than 5 patients left out" in page
    with unit_of_work(seeded) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.actor_kind == "lead")).all()
        assert [(e.action, e.detail, e.subject_person_id) for e in entries] == [
            ("read", "lead_overview", None)
        ]


async def test_the_module_page_compares_before_and_after_the_reworded_chunk(
    client: TestClient, seeded: str
) -> None:
    make_staff(seeded, "lead@example.nhs.uk", "lead")
    assert await login(client, "lead@example.nhs.uk") == 303
    page = await (await client.get("/portal/lead/modules/hypo")).text()
    chunk = page[page.index('id="chunk-what-is-a-hypo"') : page.index('id="chunk-treat-it"')]
    # Before: 8 of 12 key points at the first try (67%); after the rewording: 11 of 12 (92%).
    assert 'class="before">67%<' in chunk and 'class="after">92%<' in chunk
    assert "v2: what-is-a-hypo" in chunk and 'class="change-mark"' in chunk
    # Feedback about this chunk is next to it, escaped; the whole-module remark is apart.
    assert html.escape(f"Say what 4 means {SCRIPT}") in chunk
    assert 'class="clarity">&lt;5<' in chunk
    assert "=HYPERLINK(1)" in page[page.index('id="whole-module-feedback"') :]
    other = page[page.index('id="chunk-treat-it"') :]
    assert "change-mark" not in other.split('id="chunk-after-a-hypo"')[0]
    assert (await client.get("/portal/lead/modules/nonexistent")).status == 404


async def test_csv_exports_carry_aggregates_and_feedback_without_sender_ids(
    client: TestClient, seeded: str
) -> None:
    make_staff(seeded, "lead@example.nhs.uk", "lead")
    assert await login(client, "lead@example.nhs.uk") == 303
    two_weeks_ago = (utcnow() - timedelta(days=14)).date().isoformat()
    bodies = {}
    for path in PAGES[2:]:
        response = await client.get(path)
        assert response.headers["Content-Disposition"].startswith("attachment")
        bodies[path] = await response.text()
        assert "lead-v1" not in bodies[path] and "lead-inh" not in bodies[path]
    runs = list(csv.DictReader(io.StringIO(bodies["/portal/lead/metrics.csv"])))
    hypo = [
        r for r in runs if r["metric"] == "First-try understanding: Recognising and treating a hypo"
    ]
    assert [(r["patients"], r["value"]) for r in hypo] == [("6", "67%"), ("6", "92%")]
    assert hypo[1]["change"] == "v2: what-is-a-hypo"
    everything = [r for r in runs if r["metric"] == "First-try understanding, all modules"]
    assert [r["value"] for r in everything] == ["67%", "92%", "<5"]
    assert everything[0]["week"] <= two_weeks_ago < everything[1]["week"]
    rates = list(csv.reader(io.StringIO(bodies["/portal/lead/teachback.csv"])))
    assert ["hypo", "what-is-a-hypo", "signs", "12", "58%"] in rates
    assert ["inhaler", "get-ready", "shake", "<5", "<5"] in rates
    notes = list(csv.DictReader(io.StringIO(bodies["/portal/lead/feedback.csv"])))
    assert {n["suggestion"] for n in notes} == {f"Say what 4 means {SCRIPT}", "'=HYPERLINK(1)"}
    assert "person_id" not in notes[0] and "sender_id" not in notes[0]
    with unit_of_work(seeded) as session:
        exported = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "exported")
        ).all()
        assert sorted(d or "" for d in exported) == [
            "lead_feedback_csv",
            "lead_metrics_csv",
            "lead_teachback_csv",
        ]


def create_lead(url: str, email: str) -> subprocess.CompletedProcess[str]:
    """`coach user create --role lead`, the password from standard input."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "k" * 40}
    command = ["user", "create", "--role", "lead", "--email", email, "--password-stdin"]
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *command],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_a_lead_is_made_from_the_command_line_and_lands_on_the_service_view(
    client: TestClient, settings: Settings
) -> None:
    url: str = settings.database_url
    made = create_lead(url, "qi.lead@example.nhs.uk")
    assert made.returncode == 0, made.stderr
    assert "created lead qi.lead@example.nhs.uk" in made.stdout
    token = await csrf_of(client, "/portal/login")
    response = await client.post(
        "/portal/login",
        data={"email": "qi.lead@example.nhs.uk", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/portal/lead"
    page = await (await client.get("/portal/lead")).text()
    assert "Service improvement" in page and "No teach-back answers yet." in page
