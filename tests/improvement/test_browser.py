"""The lead's view in headless Chromium, over a service where one patient did a teach-back
module through the real engine and the rest were seeded through the store: the figures
include the real conversation, small numbers stay hidden, signals are marked, patient words
never run, and the CSV download carries no sender id."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, ViewportSize, expect
from sqlalchemy import select

from bot.stack import LocalStack
from bot.store.db import unit_of_work
from bot.store.models import (
    Ask3FollowUp,
    Ask3List,
    Person,
    TeachbackAttempt,
    TeachbackPointResult,
    utcnow,
)
from tests.improvement.support import SCRIPT, feedback, first_try
from tests.portal.support import PASSWORD, make_staff
from tests.support import WebChat

pytestmark = [pytest.mark.browser, pytest.mark.engine]

TABLET: ViewportSize = {"width": 768, "height": 1024}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def lead_stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """A stack of its own: the lead's figures count every patient in the database, so the
    shared live stack's other conversations (other modules' tests) must not be in them."""
    var_dir = tmp_path_factory.mktemp("stack-lead")
    stack = LocalStack(trained_model, f"sqlite:///{var_dir / 'coach.db'}", var_dir)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def seed_rising_ask3(url: str) -> None:
    """Five weeks of Ask 3 follow-ups, five patients each, "got my answers" rising 0/5..4/5:
    a trend on the run chart."""
    now = utcnow()
    with unit_of_work(url) as session:
        for week in range(5):
            at = now - timedelta(days=7 * (5 - week))
            for i in range(5):
                who = Person(sender_id=f"lead-ask3-{week}-{i}", consent="given", created_at=at)
                session.add(who)
                session.flush()
                listed = Ask3List(person_id=who.id, language="en", decision="d", options="o",
                                  q_options="", q_benefits_risks="", q_likelihood="",
                                  created_at=at)  # fmt: skip
                session.add(listed)
                session.flush()
                session.add(Ask3FollowUp(person_id=who.id, list_id=listed.id,
                                         got_answers="yes" if i < week else "no",
                                         decided="not yet", involvement=5, answered_at=at))  # fmt: skip


def test_a_lead_reads_the_service_view_built_from_a_real_conversation(
    browser: Browser, lead_stack: LocalStack
) -> None:
    url, base = lead_stack.database_url, lead_stack.gateway_url
    # One patient does the inhaler module's first chunk through the real engine.
    chat = WebChat(base).start()
    chat.say("hello")
    chat.say("/affirm")
    chat.say("teach me about my inhaler")
    chat.say("no thanks")
    chat.say("Shake it well, then breathe out fully away from it before it goes in my mouth")
    with unit_of_work(url) as session:
        graded = dict(
            session.execute(
                select(TeachbackPointResult.key_point_id, TeachbackPointResult.covered)
                .join(TeachbackAttempt, TeachbackAttempt.id == TeachbackPointResult.attempt_id)
                .join(Person, Person.id == TeachbackAttempt.person_id)
                .where(
                    Person.sender_id == chat.sender_id,
                    TeachbackAttempt.chunk_id == "get-ready",
                    TeachbackAttempt.attempt_number == 1,
                )
            ).all()
        )
    assert set(graded) == {"shake", "breathe-out"}, graded
    # Four more patients seeded through the store: none explained "shake" back at first.
    for i in range(4):
        first_try(url, f"lead-seed-{i}", "inhaler", "get-ready",
                  {"shake": False, "breathe-out": True}, utcnow())  # fmt: skip
    feedback(url, "lead-seed-0", 2, f"Which way up? {SCRIPT}", None, module_id="inhaler")
    seed_rising_ask3(url)
    shake = f"{(1 if graded['shake'] else 0) / 5 * 100:.0f}%"

    make_staff(url, "lead@example.nhs.uk", "lead")
    context = browser.new_context(viewport=TABLET, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.goto(f"{base}/portal/login")
        page.get_by_label("Email").fill("lead@example.nhs.uk")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Service improvement")).to_be_visible()
        # The real patient's answer is in the figure: five patients, so it is shown.
        row = page.locator("#key-points tr", has_text="inhaler").filter(has_text="get-ready")
        shake_row = row.filter(has_text="Shake")
        expect(shake_row.locator("td.rate")).to_have_text(shake)
        expect(shake_row.locator("td").nth(3)).to_have_text("5")
        # The trend in Ask 3 answers is ringed and named.
        chart = page.locator('figure[data-metric="ask3:answers"]')
        expect(chart.locator("li.signal-trend")).to_contain_text("5 points going up")
        assert chart.locator("circle.signal").count() == 5
        expect(chart.locator("line.median")).to_have_count(1)
        # Patient words show as text and never run.
        expect(page.get_by_text(f"Which way up? {SCRIPT}").first).to_be_visible()
        assert page.locator("main script").count() == 0
        content = page.content()
        assert chat.sender_id not in content and "lead-seed" not in content
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= TABLET["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lead-overview-tablet.png"), full_page=True)

        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the run charts (CSV)").click()
        body = Path(download_info.value.path()).read_text(encoding="utf-8")
        assert chat.sender_id not in body and "lead-seed" not in body
        rows = list(csv.DictReader(io.StringIO(body)))
        title = "First-try understanding: Using a metered-dose inhaler"
        inhaler = [r for r in rows if r["metric"] == title]
        assert inhaler and inhaler[-1]["patients"] == "5" and inhaler[-1]["value"] != "<5"

        page.locator("#modules").get_by_role("link").filter(has_text="nhaler").first.click()
        expect(page.locator("#chunk-get-ready")).to_be_visible()
        expect(page.locator("#whole-module-feedback")).to_contain_text(f"Which way up? {SCRIPT}")
        assert dialogs == []
    finally:
        context.close()
