"""The portal in headless Chromium: patient text never runs as script, pages fit a tablet,
and a clinician follows a patient whose data came from real conversations with the engine."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import Browser, Dialog, Page, ViewportSize, expect
from sqlalchemy import select

from bot.config import Settings
from bot.gateway import init_app
from bot.stack import LocalStack
from bot.store.db import unit_of_work
from bot.store.models import Person, SafetyFlag
from tests.portal.support import IMG, PASSWORD, SCRIPT, make_staff, seed_patient
from tests.support import WebChat, served_in_thread

pytestmark = pytest.mark.browser

TABLET: ViewportSize = {"width": 768, "height": 1024}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def gateway(settings: Settings) -> Iterator[str]:
    """The real gateway app served on a free port from a thread (no engine behind it)."""
    with served_in_thread(init_app(settings)) as url:
        yield url


@pytest.fixture
def tablet(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A tablet-sized tab that records every dialog (alert, confirm...) the page opens."""
    context = browser.new_context(viewport=TABLET, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page, dialogs
    context.close()


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/portal/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def fits_width(page: Page) -> bool:
    """No horizontal scrolling at this viewport."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return bool(width <= page.viewport_size["width"]) if page.viewport_size else False


def test_patient_text_never_runs_and_pages_fit_a_tablet(
    tablet: tuple[Page, list[str]], gateway: str, database_url: str
) -> None:
    page, dialogs = tablet
    clinician = make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    make_staff(database_url, "admin@example.nhs.uk", "admin")
    person = seed_patient(database_url, clinician, "web-xss")
    log_in(page, gateway, "dr.a@example.nhs.uk")
    assert fits_width(page)
    page.get_by_role("link", name=f"Patient {person}").click()
    expect(page.get_by_role("heading", name="Teach-back")).to_be_visible()
    # The markup is on screen as text, and nothing ran.
    page.get_by_text("Check-ins (3)").click()  # opens the check-in notes
    for text in (IMG, SCRIPT):
        shown = page.get_by_text(text, exact=True)
        assert shown.count() >= 1  # check-in notes; teach-back evidence
        for index in range(shown.count()):
            expect(shown.nth(index)).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("main script").count() == 0
    assert fits_width(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal-patient-tablet.png"), full_page=True)
    page.get_by_role("link", name="Invites").click()
    page.get_by_label("Label").fill(SCRIPT)
    page.get_by_role("button", name="Create invite").click()
    expect(page.get_by_role("heading", name="QR code (web link)")).to_be_visible()
    assert fits_width(page)
    page.get_by_role("button", name="Log out").click()
    log_in(page, gateway, "admin@example.nhs.uk")
    for path in ("/portal/admin", "/portal/admin/flags", "/portal/audit"):
        page.goto(gateway + path)
        assert fits_width(page), path
    assert dialogs == []


@pytest.mark.engine
def test_a_clinician_follows_a_patient_from_real_conversations(
    tablet: tuple[Page, list[str]], live_stack: LocalStack
) -> None:
    page, dialogs = tablet
    base = live_stack.gateway_url
    make_staff(live_stack.database_url, "e2e.clinician@example.nhs.uk", "clinician")
    log_in(page, base, "e2e.clinician@example.nhs.uk")
    page.get_by_role("link", name="Invites").click()
    page.get_by_label("Label").fill("e2e clinic")
    page.get_by_role("button", name="Create invite").click()
    web_link = page.locator("#web-link").inner_text()
    code = re.search(r"invite=([A-Za-z0-9_-]+)", web_link)
    assert code, web_link

    # The patient joins with the invite and talks to the real engine.
    chat = WebChat(base).start(invite=code.group(1))
    chat.say("hello")
    chat.say("/affirm")
    chat.say("teach me about my inhaler")
    chat.say("no thanks")
    chat.say("Shake it well, then breathe out fully away from it before it goes in my mouth")
    chat.say("I press the canister and breathe in slowly at the same time")
    reply = chat.say("I've got crushing chest pain")
    assert "999" in reply[0]["text"]
    with unit_of_work(live_stack.database_url) as session:
        person = session.scalars(select(Person).where(Person.sender_id == chat.sender_id)).one()
        person_id = person.id
        flag = session.scalars(select(SafetyFlag).where(SafetyFlag.person_id == person_id)).one()
        assert flag.clinician_id == person.clinician_id is not None

    page.get_by_role("link", name="My patients").click()
    page.get_by_role("link", name=f"Patient {person_id}").click()
    expect(page.get_by_role("heading", name="inhaler")).to_be_visible()
    expect(page.get_by_text("explained back").first).to_be_visible()
    expect(page.get_by_text("missed").first).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(r"^Chest pain, "))).to_be_visible()
    assert fits_width(page)

    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text(re.compile(r"Acknowledged .* by you"))).to_be_visible()
    with unit_of_work(live_stack.database_url) as session:
        seen = session.get(SafetyFlag, flag.id)
        assert seen is not None and seen.acknowledged_at is not None

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download FHIR R4B").click()
    path = download_info.value.path()
    data = json.loads(Path(path).read_text())
    Bundle.model_validate(data)
    codes = [
        entry["resource"]["code"]["coding"][0]["code"]
        for entry in data["entry"]
        if entry["resource"]["resourceType"] == "Observation"
    ]
    assert any(c.startswith("inhaler/") for c in codes), codes
    assert dialogs == []
