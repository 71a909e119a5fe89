"""In real Chromium against the full stack: a tutor sets a teach-back module for a cohort, the
participant's open widget receives it from the scheduler, and its button starts the module
through the real engine."""

from __future__ import annotations

import re
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import select

from bot.content.teachback import find_module, load_dialogue
from bot.stack import LocalStack
from bot.store import goals, staff
from bot.store.db import unit_of_work
from bot.store.models import Invite, Person, utcnow
from tests.tutors.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.engine]

PHONE: ViewportSize = {"width": 360, "height": 740}
TABLET: ViewportSize = {"width": 768, "height": 1024}
REPLY_TIMEOUT_MS = 30_000
# The stack's scheduler runs a round every SCHEDULER_INTERVAL (30 s by default).
DELIVERY_TIMEOUT_MS = 120_000
YES = re.compile(r"\byes\b", re.IGNORECASE)
EMAIL = "tutor.browser@example.org"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# Offsets spread round the clock: one of them always has daytime now.
ZONES = (
    "Europe/London",
    "Asia/Tokyo",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "Asia/Dubai",
    "America/Sao_Paulo",
)


def daytime_zone() -> str:
    """A timezone where it is now between 09:00 and 19:00, outside quiet hours."""
    now = utcnow()
    for zone in ZONES:
        if 9 <= now.astimezone(ZoneInfo(zone)).hour < 19:
            return zone
    raise AssertionError("no daytime zone in the list")


def lives_in(database_url: str, sender_id: str, zone: str) -> None:
    """The participant's check-ins are in `zone` (their timezone, for quiet hours), on a day
    three days away so nothing else falls due during the test."""
    weekday = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo(zone)).isoweekday()
    with unit_of_work(database_url) as session:
        goals.create_plan(
            session,
            sender_id,
            activity="walk",
            amount="10 minutes",
            timing="after lunch",
            days_per_week=1,
            ratings=[(8, None)],
            weekdays=frozenset({weekday}),
            local_time=clock_time(14),
            timezone=zone,
        )


def participant_of(database_url: str, code: str) -> str:
    with unit_of_work(database_url) as session:
        sender = session.scalar(
            select(Person.sender_id)
            .join(Invite, Invite.used_by_person_id == Person.id)
            .where(Invite.code == code)
        )
    assert sender is not None, "the invite was not redeemed by the widget"
    return sender


def fits_the_width(page: Page) -> bool:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return isinstance(width, int) and width <= TABLET["width"]


def say(page: Page, text: str) -> None:
    before = page.get_by_test_id("bot-bubble").count()
    field = page.get_by_test_id("chat-input")
    field.fill(text)
    field.press("Enter")
    expect(page.get_by_test_id("bot-bubble")).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)


def test_a_tutor_assigns_a_module_and_the_open_widget_receives_it(
    live_stack: LocalStack, browser: Browser
) -> None:
    gateway, url = live_stack.gateway_url, live_stack.database_url
    with unit_of_work(url) as session:
        staff.create_staff(session, EMAIL, "tutor", PASSWORD)
    inhaler = find_module("inhaler")
    assert inhaler is not None

    tutor_context = browser.new_context(viewport=TABLET)
    tutor = tutor_context.new_page()
    tutor.goto(f"{gateway}/portal/login")
    tutor.get_by_label("Email").fill(EMAIL)
    tutor.get_by_label("Password").fill(PASSWORD)
    tutor.get_by_role("button", name="Log in").click()
    expect(tutor.get_by_role("heading", name="My cohorts")).to_be_visible()
    tutor.get_by_label("Name").fill("EPP Wrexham, browser")
    today = utcnow().date()
    tutor.get_by_label("Starts").fill(today.isoformat())
    tutor.get_by_label("Ends").fill((today + timedelta(days=42)).isoformat())
    tutor.get_by_role("button", name="Create cohort").click()
    expect(tutor.get_by_role("heading", name="EPP Wrexham, browser")).to_be_visible()
    tutor.get_by_role("button", name="Create invites").click()
    assert fits_the_width(tutor), "the cohort page scrolls sideways on a tablet"
    web_link = tutor.locator("a.invite-web").first.get_attribute("href")
    assert web_link is not None and "?invite=" in web_link
    code = web_link.rsplit("=", 1)[1]

    # The participant opens the invite link on a phone, says hello and gives consent.
    phone_context = browser.new_context(viewport=PHONE, has_touch=True)
    phone = phone_context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.goto(web_link)
    phone.get_by_test_id("choose-en").click()
    say(phone, "hello")
    consent = phone.get_by_test_id("chip").filter(has_text=YES).last
    expect(consent).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
    before = phone.get_by_test_id("bot-bubble").count()
    consent.click()
    expect(phone.get_by_test_id("bot-bubble")).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    lives_in(url, participant_of(url, code), daytime_zone())

    # The tutor sets the inhaler module for the whole cohort, due in two days.
    tutor.reload()
    expect(tutor.locator("#participants")).to_contain_text("P-")
    tutor.locator("select[name=practice]").select_option("teachback:inhaler")
    tutor.locator("select[name=target]").select_option("cohort")
    tutor.locator("input[name=due_on]").fill((today + timedelta(days=2)).isoformat())
    tutor.get_by_role("button", name="Assign").click()
    expect(tutor.get_by_role("heading", name=re.compile("Completion board"))).to_be_visible()
    expect(tutor.locator("table.board")).to_contain_text("Using a metered-dose inhaler")

    # The scheduler pushes it to the open widget, with a button that starts the module.
    title = inhaler.title.en
    offered = phone.get_by_test_id("bot-bubble").filter(
        has_text=f"Your course tutor has set you some practice: {title}."
    )
    expect(offered).to_have_count(1, timeout=DELIVERY_TIMEOUT_MS)
    start = phone.get_by_test_id("chip").filter(has_text="Start the practice")
    expect(start).to_be_enabled()
    start.click()
    # The module begins: its title, then (asked once) whether the care team may read their words.
    expect(phone.get_by_test_id("bot-bubble").filter(has_text=title)).not_to_have_count(
        1, timeout=REPLY_TIMEOUT_MS
    )
    keep_no = load_dialogue().say("keep_text_no", "en")
    phone.get_by_test_id("chip").filter(has_text=keep_no).last.click()
    first_chunk = " ".join(inhaler.chunks[0].text.en.split()[:8])
    expect(phone.get_by_test_id("bot-bubble").filter(has_text=first_chunk)).to_have_count(
        1, timeout=REPLY_TIMEOUT_MS
    )

    tutor.reload()
    expect(tutor.locator("table.board")).to_contain_text("sent, not done yet")
    assert fits_the_width(tutor), "the board scrolls sideways on a tablet"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tutor.screenshot(path=str(SCREENSHOTS / "tutor-board-768.png"), full_page=True)
    tutor_context.close()
    phone_context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
