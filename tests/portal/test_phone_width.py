"""The clinician's patient page, their worklist and the admin's queue of unassigned flags on
a 390-pixel phone in headless Chromium: nothing runs off the screen (the Acknowledge buttons
and the chart legends included), chart axis text is readable, and a chart of one instant
names its day once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from sqlalchemy import select

from bot.config import Settings
from bot.gateway import init_app
from bot.store.db import unit_of_work
from bot.store.models import ActionPlan, CheckinResult, SafetyFlag, utcnow
from tests.portal.support import PASSWORD, make_staff, seed_patient
from tests.support import served_in_thread

pytestmark = pytest.mark.browser

PHONE_390: ViewportSize = {"width": 390, "height": 844}
SMALLEST_AXIS_TEXT = 12.0  # CSS pixels, as drawn on the phone's screen
LONG_PLAN = "walk the dog round the park and back past the shops every morning before work"


@pytest.fixture
def portal(settings: Settings) -> Iterator[str]:
    """The real gateway app (portal included) served on a free port from a thread."""
    with served_in_thread(init_app(settings)) as url:
        yield url


@pytest.fixture
def phone390(browser: Browser) -> Iterator[Page]:
    """A fresh 390x844 phone tab, failing the test on any page error."""
    context = browser.new_context(viewport=PHONE_390, device_scale_factor=2, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


def seeded(database_url: str) -> dict[str, int]:
    """A clinician's patient with an open flag, a check-in chart of several points (and a
    second plan with a long name in the legend), weekly measures at three times and an
    experience check (PREM) answered at one instant; a flag kept after a patient left; an
    unassigned patient with an open flag for the admin's queue."""
    clinician = make_staff(database_url, "dr.phone@example.nhs.uk", "clinician")
    make_staff(database_url, "admin.phone@example.nhs.uk", "admin")
    mine = seed_patient(database_url, clinician, "web-phone-mine")
    unassigned = seed_patient(database_url, None, "web-phone-unassigned")
    now = utcnow()
    with unit_of_work(database_url) as session:
        plan = ActionPlan(
            person_id=mine,
            activity=LONG_PLAN,
            amount="20 minutes",
            timing="before work",
            days_per_week=5,
        )
        session.add(plan)
        session.flush()
        for days, outcome in ((6, "partly"), (4, "done"), (2, "done"), (1, "not_today")):
            session.add(
                CheckinResult(
                    person_id=mine,
                    plan_id=plan.id,
                    outcome=outcome,
                    answered_at=now - timedelta(days=days),
                )
            )
        session.add(
            SafetyFlag(
                person_id=None,
                clinician_id=clinician,
                category="emergency",
                sign="chest_pain",
                channel="telegram",
                source="detector",
                kept_reason="erased",
                patient_label="P-7Q2K",
            )
        )
    return {"mine": mine, "unassigned": unassigned}


def log_in(page: Page, base: str, email: str, target: str) -> None:
    """Log in from the login page and land on `target`."""
    page.goto(f"{base}/portal/login?next={quote(target, safe='')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.url == base + target


def page_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def assert_fits(page: Page) -> None:
    """No horizontal scroll, and no element of the page reaches past the screen's edges
    (a table scrolling inside its box counts: its far cells are off the screen)."""
    assert page_width(page) <= PHONE_390["width"], f"{page.url}: {page_width(page)} px wide"
    outside: list[str] = page.evaluate(
        """(width) => [...document.querySelectorAll('main *, header *')]
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .filter(e => { const b = e.getBoundingClientRect();
                           return b.width > 0 && (b.left < -0.5 || b.right > width + 0.5); })
            .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))
        """,
        PHONE_390["width"],
    )
    assert outside == [], f"{page.url}: off the screen: {outside}"


def assert_on_screen(locator: Locator) -> None:
    """Every match is shown and its box lies wholly inside the phone's width."""
    assert locator.count() > 0
    for index in range(locator.count()):
        item = locator.nth(index)
        item.scroll_into_view_if_needed()
        box = item.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"], box


def axis_text_sizes(page: Page) -> list[dict[str, Any]]:
    """Each chart text's font size as drawn on screen (its size times the SVG's scale)."""
    sizes: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('figure.chart svg.plot text')].map(t => ({
              text: t.textContent.trim(),
              px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
              chart: t.closest('svg').getAttribute('aria-label')}))"""
    )
    return sizes


def x_axis_labels(page: Page, title: str) -> list[str]:
    """The days written under a chart's time axis."""
    found = page.locator(f'svg[aria-label="{title}"] text.x-tick').all_text_contents()
    return [label.strip() for label in found]


def test_patient_page_fits_a_phone_and_its_flag_can_be_acknowledged(
    phone390: Page, portal: str, database_url: str
) -> None:
    page = phone390
    ids = seeded(database_url)
    log_in(page, portal, "dr.phone@example.nhs.uk", f"/portal/patients/{ids['mine']}")
    expect(page.get_by_role("heading", name="Teach-back")).to_be_visible()
    page.get_by_text("Check-ins (7)").click()  # the table of check-ins, opened
    assert_fits(page)
    assert_on_screen(page.get_by_role("button", name="Acknowledge"))
    assert_on_screen(page.locator("figure.chart figcaption .key"))
    assert_on_screen(page.locator("figure.chart svg.plot"))

    sizes = axis_text_sizes(page)
    assert {s["chart"] for s in sizes} >= {
        "Check-in outcomes over time",
        "Weekly measures over time",
        "Experience check over time",
    }
    small = [s for s in sizes if s["px"] < SMALLEST_AXIS_TEXT]
    assert small == [], small

    # Several points over two weeks: several days on the axis, each once; one instant: once.
    weekly = x_axis_labels(page, "Weekly measures over time")
    assert len(weekly) >= 2 and len(set(weekly)) == len(weekly), weekly
    prem = x_axis_labels(page, "Experience check over time")
    assert len(prem) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\d", prem[0]), prem

    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text(re.compile(r"Acknowledged .* by you"))).to_be_visible()
    assert_fits(page)
    with unit_of_work(database_url) as session:
        flag = session.scalars(select(SafetyFlag).where(SafetyFlag.person_id == ids["mine"])).one()
        assert flag.acknowledged_at is not None


def test_worklist_and_kept_flags_fit_a_phone(
    phone390: Page, portal: str, database_url: str
) -> None:
    page = phone390
    ids = seeded(database_url)
    log_in(page, portal, "dr.phone@example.nhs.uk", "/portal/patients")
    expect(page.get_by_role("link", name=f"Patient {ids['mine']}")).to_be_visible()
    assert_fits(page)
    # The sort links stay on the screen, and the kept flag's Acknowledge button too.
    assert_on_screen(page.get_by_role("link", name=re.compile(r"^Open flags")))
    assert_on_screen(page.get_by_role("button", name="Acknowledge"))
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("heading", name="Open flags from people who have left")).to_have_count(
        0
    )
    assert_fits(page)


def test_unassigned_flags_queue_fits_a_phone(
    phone390: Page, portal: str, database_url: str
) -> None:
    page = phone390
    ids = seeded(database_url)
    log_in(page, portal, "admin.phone@example.nhs.uk", "/portal/admin/flags")
    expect(page.get_by_role("link", name=f"Patient {ids['unassigned']}")).to_be_visible()
    assert_fits(page)
    assert_on_screen(page.get_by_role("button", name="Acknowledge"))
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("No open unassigned flags.")).to_be_visible()
    assert_fits(page)
    with unit_of_work(database_url) as session:
        flag = session.scalars(
            select(SafetyFlag).where(SafetyFlag.person_id == ids["unassigned"])
        ).one()
        assert flag.acknowledged_at is not None
