"""The web chat widget in a real browser (Debian chromium) against the full running stack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

import pytest
import yaml
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    WebSocketRoute,
    expect,
)

from tests.support import PHONE, PHONE_WIDTH

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
# The first turn of a fresh engine can take a few seconds.
REPLY_TIMEOUT_MS = 30_000
YES = re.compile(r"\byes\b", re.IGNORECASE)
WEBSOCKET = re.compile(r"/api/ws")


class LiveStack(Protocol):
    """What the `live_stack` fixture in tests/conftest.py gives: the running gateway's URL."""

    @property
    def gateway_url(self) -> str: ...


def ui_text(language: str) -> dict[str, str]:
    """The widget labels the gateway serves at /api/ui-text."""
    with (ROOT / "data" / "content" / "widget.yml").open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    labels: dict[str, str] = data[language]
    return labels


def bot_bubbles(page: Page) -> Locator:
    return page.get_by_test_id("bot-bubble")


def start_chat(page: Page, gateway_url: str, language: str) -> None:
    page.goto(f"{gateway_url}/")
    page.get_by_test_id(f"choose-{language}").click()
    expect(page.get_by_test_id("chat-input")).to_be_visible()


def say(page: Page, text: str) -> None:
    """Type a message and send it with Enter, then wait for the bot's answer to it."""
    before = bot_bubbles(page).count()
    field = page.get_by_test_id("chat-input")
    field.fill(text)
    field.press("Enter")
    expect(page.get_by_test_id("user-bubble").last).to_have_text(text)
    expect(bot_bubbles(page)).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    expect(page.get_by_test_id("typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def no_horizontal_overflow(page: Page) -> bool:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return isinstance(width, int) and width <= PHONE_WIDTH


def tab_until(page: Page, test_id: str, limit: int = 40) -> bool:
    """Press Tab from the top of the page until the element with `test_id` has focus."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.dataset.testid ?? ''") == test_id:
            return True
    return False


def save_screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_english_chat_consent_and_reload_on_a_phone(live_stack: LiveStack, phone: Page) -> None:
    labels = ui_text("en")
    start_chat(phone, live_stack.gateway_url, "en")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_test_id("send-button")).to_have_text(labels["send"])
    expect(phone.get_by_label(labels["input_label"])).to_be_visible()

    say(phone, "hello")
    consent = phone.get_by_test_id("chip").filter(has_text=YES).last
    expect(consent).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
    chosen = consent.inner_text()
    replies_before_consent = bot_bubbles(phone).count()

    consent.click()
    expect(phone.get_by_test_id("user-bubble").last).to_have_text(chosen)
    expect(bot_bubbles(phone)).not_to_have_count(replies_before_consent, timeout=REPLY_TIMEOUT_MS)
    # The help menu offers its choices as chips; the consent question's are now used up.
    expect(phone.locator("[data-testid=chip]:enabled").first).to_be_visible(
        timeout=REPLY_TIMEOUT_MS
    )
    expect(phone.get_by_test_id("chip").filter(has_text=YES).first).to_be_disabled()
    expect(phone.get_by_test_id("typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)

    assert no_horizontal_overflow(phone)
    log = phone.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log).to_have_accessible_name(labels["log_label"])
    assert tab_until(phone, "chat-input"), "Tab never reached the message field"
    outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused message field shows no outline"
    expect(phone.get_by_test_id("status")).to_be_hidden()
    save_screenshot(phone, "widget-en-360.png")

    history = [bubble.inner_text() for bubble in bot_bubbles(phone).all()]
    phone.reload()
    expect(phone.get_by_test_id("chat-input")).to_be_visible()
    expect(bot_bubbles(phone)).to_have_text(history)
    expect(phone.get_by_test_id("user-bubble")).to_have_text(["hello", chosen])


def test_welsh_chat_shows_welsh_labels_and_replies(
    live_stack: LiveStack, phone: Page, browser: Browser
) -> None:
    labels = ui_text("cy")
    start_chat(phone, live_stack.gateway_url, "cy")
    expect(phone.locator("html")).to_have_attribute("lang", "cy")
    expect(phone.get_by_test_id("send-button")).to_have_text(labels["send"])
    expect(phone.get_by_test_id("chat-input")).to_have_attribute(
        "placeholder", labels["input_placeholder"]
    )
    expect(phone.get_by_role("log")).to_have_accessible_name(labels["log_label"])

    say(phone, "hello")
    welsh_reply = bot_bubbles(phone).first.inner_text()
    assert no_horizontal_overflow(phone)
    save_screenshot(phone, "widget-cy-360.png")

    # The same first message in an English session gets a different, English, reply.
    english = browser.new_context(viewport=PHONE)
    try:
        page = english.new_page()
        start_chat(page, live_stack.gateway_url, "en")
        say(page, "hello")
        assert bot_bubbles(page).first.inner_text() != welsh_reply
    finally:
        english.close()

    # The header's language button switches the labels and tells the conversation.
    toggle = phone.get_by_test_id("language-toggle")
    expect(toggle).to_have_text(ui_text("en")["language_name"])
    toggle.click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_test_id("send-button")).to_have_text(ui_text("en")["send"])
    expect(phone.get_by_test_id("user-bubble").last).to_have_text(ui_text("en")["language_name"])
    expect(phone.get_by_test_id("typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def test_a_dropped_socket_reconnects_and_resends_the_unanswered_message(
    live_stack: LiveStack, phone: Page
) -> None:
    swallowed: list[str | bytes] = []

    def drop_first_message(route: WebSocketRoute) -> None:
        gateway = route.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if swallowed:
                gateway.send(message)
            else:
                swallowed.append(message)  # lost with the connection, never answered
                route.close()

        route.on_message(from_page)

    phone.route_web_socket(WEBSOCKET, drop_first_message)
    start_chat(phone, live_stack.gateway_url, "en")
    say(phone, "hello")

    assert len(swallowed) == 1
    expect(phone.get_by_test_id("user-bubble")).to_have_count(1)
    expect(phone.get_by_test_id("chip").filter(has_text=YES)).to_have_count(1)
    expect(phone.get_by_test_id("status")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def test_without_a_websocket_messages_go_over_http(live_stack: LiveStack, phone: Page) -> None:
    posted: list[str] = []
    phone.route_web_socket(WEBSOCKET, lambda route: route.close())
    phone.on(
        "request",
        lambda request: posted.append(request.url) if "/api/messages" in request.url else None,
    )
    start_chat(phone, live_stack.gateway_url, "en")
    say(phone, "hello")

    assert len(posted) == 1
    expect(phone.get_by_test_id("chip").filter(has_text=YES)).to_have_count(1)
    expect(phone.get_by_test_id("status")).to_be_hidden()
