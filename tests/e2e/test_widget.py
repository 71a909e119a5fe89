"""The web chat widget in a real browser (Debian chromium) against the full running stack."""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

import pytest
import yaml
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    WebSocket,
    WebSocketRoute,
    expect,
)

from bot.channels.web.tokens import print_link
from bot.content.calendar import date_in_words
from bot.content.system import system_message
from bot.decisions.content import text as ask3_text
from bot.stack import LocalStack
from bot.store import ask3 as ask3_store
from bot.store.db import unit_of_work
from tests.support import PHONE, PHONE_WIDTH, domain_texts

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


def domain_button(response: str, language: str) -> str:
    """The first button title of a domain response in one language: what a patient clicks."""
    with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
        variants = yaml.safe_load(handle)["responses"][response]
    for variant in variants:
        conditions = variant.get("condition") or []
        said_in = next((c["value"] for c in conditions if c.get("name") == "language"), "en")
        if said_in == language:
            return str(variant["buttons"][0]["title"])
    raise KeyError(f"{response} has no {language} variant")


def bot_bubbles(page: Page) -> Locator:
    return page.get_by_test_id("bot-bubble")


def start_chat(page: Page, gateway_url: str, language: str) -> None:
    """Choose a language and wait for the coach's greeting, which comes unasked."""
    page.goto(f"{gateway_url}/")
    page.get_by_test_id(f"choose-{language}").click()
    expect(page.get_by_test_id("chat-input")).to_be_visible()
    expect(bot_bubbles(page).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(page.get_by_test_id("typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


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


def next_frames(page: Page) -> None:
    """Let the page handle the input it was given and draw twice (scrolling is asynchronous)."""
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


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
            if swallowed or json.loads(message).get("type") != "message":
                gateway.send(message)  # the socket's auth frame, and everything after the drop
            else:
                swallowed.append(message)  # lost with the connection, never answered
                route.close()

        route.on_message(from_page)

    phone.route_web_socket(WEBSOCKET, drop_first_message)
    # The first message is the greeting the widget asks for when a language is chosen.
    start_chat(phone, live_stack.gateway_url, "en")
    expect(phone.get_by_test_id("chip").filter(has_text=YES)).to_have_count(1)
    say(phone, "hello")

    assert len(swallowed) == 1
    expect(phone.get_by_test_id("user-bubble")).to_have_count(1)
    expect(phone.get_by_test_id("chip").filter(has_text=YES)).to_have_count(2)
    expect(phone.get_by_test_id("status")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def test_without_a_websocket_messages_go_over_http(live_stack: LiveStack, phone: Page) -> None:
    posted: list[str] = []
    phone.route_web_socket(WEBSOCKET, lambda route: route.close())
    phone.on(
        "request",
        lambda request: posted.append(request.url) if "/api/messages" in request.url else None,
    )
    start_chat(phone, live_stack.gateway_url, "en")
    expect(phone.get_by_test_id("chip").filter(has_text=YES)).to_have_count(1)
    say(phone, "hello")

    assert len(posted) == 2  # the greeting, then "hello"
    expect(phone.get_by_test_id("chip").filter(has_text=YES)).to_have_count(2)
    expect(phone.get_by_test_id("status")).to_be_hidden()


# --- issue 17, the widget: what patients hit


def sent_messages(page: Page) -> list[str]:
    """The text of every message frame the page sends over its WebSocket, from now on."""
    texts: list[str] = []

    def watch(socket: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame.get("type") == "message":
                texts.append(frame["text"])

        socket.on("framesent", on_frame)

    page.on("websocket", watch)
    return texts


def consent(page: Page, language: str = "en") -> None:
    """Agree to the privacy notice with its button, and wait for the menu."""
    before = bot_bubbles(page).count()
    agree = domain_button("utter_privacy_notice", language)
    page.get_by_test_id("chip").filter(has_text=agree).last.click()
    expect(bot_bubbles(page)).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    expect(page.get_by_test_id("typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


@pytest.mark.parametrize(("language", "viewport"), [("en", "desktop"), ("cy", "phone")])
def test_choosing_a_language_is_answered_with_a_greeting_and_the_consent_question(
    live_stack: LiveStack, request: pytest.FixtureRequest, language: str, viewport: str
) -> None:
    page: Page = request.getfixturevalue(viewport)
    sent = sent_messages(page)
    page.goto(f"{live_stack.gateway_url}/")
    page.get_by_test_id(f"choose-{language}").click()
    # Nothing typed: the coach speaks first, in the chosen language, and asks for consent.
    greeting_texts = domain_texts("utter_greet", language)
    [greeting] = greeting_texts
    expect(bot_bubbles(page).first).to_have_text(greeting, timeout=REPLY_TIMEOUT_MS)
    notice = page.get_by_test_id("chip").filter(
        has_text=domain_button("utter_privacy_notice", language)
    )
    expect(notice).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
    expect(page.get_by_test_id("user-bubble")).to_have_count(0)
    expect(page.get_by_test_id("typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    save_screenshot(page, f"widget-greeting-{language}-{viewport}.png")
    assert len(sent) == 1  # the greeting, asked for without a bubble of its own
    # A reload resumes the conversation; it does not greet again.
    shown = bot_bubbles(page).all_inner_texts()
    page.reload()
    expect(bot_bubbles(page)).to_have_text(shown)
    consent(page, language)
    assert len(sent) == 2, "the widget greeted again after a reload"
    assert bot_bubbles(page).nth(len(shown)).inner_text() not in greeting_texts


def test_shift_enter_starts_a_new_line_and_enter_sends_both_lines_as_one_message(
    live_stack: LiveStack, desktop: Page
) -> None:
    sent = sent_messages(desktop)
    start_chat(desktop, live_stack.gateway_url, "en")
    consent(desktop)
    field = desktop.get_by_test_id("chat-input")
    field.click()
    desktop.keyboard.type("What else could I do?")
    desktop.keyboard.press("Shift+Enter")
    desktop.keyboard.type("Can I still drive?")
    expect(field).to_have_value("What else could I do?\nCan I still drive?")
    expect(desktop.get_by_test_id("user-bubble")).to_have_count(1)  # only the consent so far
    before = bot_bubbles(desktop).count()
    desktop.keyboard.press("Enter")
    expect(desktop.get_by_test_id("user-bubble").last).to_have_text(
        "What else could I do?\nCan I still drive?"
    )
    expect(bot_bubbles(desktop)).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    expect(field).to_have_value("")
    assert sent[-1] == "What else could I do?\nCan I still drive?"
    assert "What else could I do?" not in sent and "Can I still drive?" not in sent


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_message_too_long_is_never_cut_short_the_patient_is_told_first(
    live_stack: LiveStack, phone: Page, language: str
) -> None:
    labels = ui_text(language)
    sent = sent_messages(phone)
    start_chat(phone, live_stack.gateway_url, language)
    consent(phone, language)
    messages_before = len(sent)
    bubbles_before = phone.get_by_test_id("user-bubble").count()
    field = phone.get_by_test_id("chat-input")
    pasted = ("My questions about the operation. " * 80)[:2500]
    field.focus()
    phone.keyboard.insert_text(pasted)  # as a paste arrives: one input, no key presses

    # All of it is still there, and the patient is told kindly, in their language, first.
    expect(field).to_have_value(pasted)
    warning = phone.get_by_test_id("length-warning")
    expect(warning).to_have_text(labels["length_too_long"].format(limit="2,000"))
    expect(warning).to_have_attribute("role", "alert")
    over = len(pasted.strip()) - 2000
    expect(phone.get_by_test_id("length-count")).to_have_text(
        labels["length_over_by"].format(count=over)
    )
    expect(field).to_have_attribute("aria-invalid", "true")
    save_screenshot(phone, f"widget-too-long-{language}-360.png")

    # Neither Enter nor Send sends it, whole or cut.
    field.press("Enter")
    phone.get_by_test_id("send-button").click()
    expect(field).to_have_value(pasted)
    expect(phone.get_by_test_id("user-bubble")).to_have_count(bubbles_before)
    assert len(sent) == messages_before

    # Made short enough, it goes, every character of it.
    shorter = pasted[:1990].strip()
    field.fill(shorter)
    expect(warning).to_be_hidden()
    expect(phone.get_by_test_id("length-count")).to_have_text(
        labels["length_left"].format(count=2000 - len(shorter))
    )
    field.press("Enter")
    expect(phone.get_by_test_id("user-bubble").last).to_have_text(shorter)
    expect(phone.get_by_test_id("typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    assert sent[-1] == shorter


@pytest.mark.parametrize(("language", "forget_me"), [("en", "forget me"), ("cy", "anghofio fi")])
def test_after_forget_me_nothing_of_the_conversation_is_left_in_the_browser(
    live_stack: LiveStack, phone: Page, language: str, forget_me: str
) -> None:
    start_chat(phone, live_stack.gateway_url, language)
    consent(phone, language)
    say(phone, "I want to walk to the shop and back")
    say(phone, forget_me)
    confirm = domain_button("utter_ask_forget_me", language)
    phone.get_by_test_id("chip").filter(has_text=confirm).click()
    done = domain_texts("utter_forgotten", language)
    expect(bot_bubbles(phone)).to_have_text(list(done)[:1], timeout=REPLY_TIMEOUT_MS)
    # Only the coach's last words are on the screen, still in their language; nothing is
    # kept to show after a reload.
    expect(phone.get_by_test_id("user-bubble")).to_have_count(0)
    expect(phone.locator("html")).to_have_attribute("lang", language)
    expect(phone.get_by_test_id("send-button")).to_have_text(ui_text(language)["send"])
    stored = phone.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert "walk to the shop" not in stored and "coach.token" not in stored
    phone.reload()
    expect(phone.get_by_test_id("choose-en")).to_be_visible()
    expect(bot_bubbles(phone)).to_have_count(0)
    expect(phone.get_by_test_id("user-bubble")).to_have_count(0)
    assert "walk to the shop" not in phone.content()

    # Starting again is a new conversation from nothing.
    start_chat(phone, live_stack.gateway_url, language)
    expect(phone.get_by_test_id("user-bubble")).to_have_count(0)


def test_the_wheel_over_the_margins_does_not_scroll_the_page_into_blank_space(
    live_stack: LiveStack, desktop: Page
) -> None:
    start_chat(desktop, live_stack.gateway_url, "en")
    consent(desktop)
    log = desktop.get_by_test_id("log")
    while desktop.evaluate(
        "(() => { const l = document.getElementById('log'); return l.scrollHeight <= 2 * l.clientHeight; })()"
    ):
        say(desktop, "hello")  # a conversation much longer than the window
    box = log.bounding_box()
    assert box is not None and box["x"] > 200, "no margin beside the chat at 1280 px"
    at_end = log.evaluate("l => l.scrollTop")
    desktop.mouse.move(box["x"] / 2, 400)  # over the grey margin left of the chat
    for _ in range(10):
        desktop.mouse.wheel(0, 600)
    desktop.mouse.move(box["x"] + box["width"] + 100, 400)  # and the right one
    desktop.mouse.wheel(0, 2000)
    # Rolled back up over the margin, the wheel scrolls the conversation instead.
    desktop.mouse.wheel(0, -300)
    next_frames(desktop)
    assert log.evaluate("l => l.scrollTop") < at_end
    # The page itself has nothing to scroll: the chat, header and field stay in view.
    assert desktop.evaluate("document.scrollingElement.scrollTop") == 0
    assert desktop.evaluate(
        "document.scrollingElement.scrollHeight <= document.scrollingElement.clientHeight"
    )
    expect(desktop.get_by_test_id("chat-input")).to_be_in_viewport()
    expect(desktop.get_by_role("heading", name=ui_text("en")["title"])).to_be_in_viewport()
    save_screenshot(desktop, "widget-en-1280-after-wheel.png")


@pytest.mark.parametrize(("language", "viewport"), [("en", "desktop"), ("cy", "phone")])
def test_the_printable_questions_have_a_short_lived_link_of_their_own_and_dates_in_words(
    live_stack: LocalStack, request: pytest.FixtureRequest, language: str, viewport: str
) -> None:
    page: Page = request.getfixturevalue(viewport)
    urls: list[str] = []
    page.on("request", lambda sent: urls.append(sent.url))
    page.on("websocket", lambda socket: urls.append(socket.url))
    start_chat(page, live_stack.gateway_url, language)
    consent(page, language)
    when = date.today() + timedelta(days=9)
    for text in ("/start_ask3", "knee operation or physio", "/deny", when.strftime("%d/%m/%Y")):
        say(page, text)
    for _ in range(3):
        say(page, "/affirm")  # "use these words" for each of the three questions
    say(page, "How long would I be off work?")
    say(page, "getting back to my garden")

    # The list in the chat gives the appointment in words, in the patient's language.
    in_words = date_in_words(when, language)
    # (Twice: read back when typed, issue 17, and in the list.)
    expect(bot_bubbles(page).filter(has_text=in_words)).to_have_count(2)
    expect(bot_bubbles(page).filter(has_text=when.isoformat())).to_have_count(0)

    with page.context.expect_page() as opened:
        page.get_by_test_id("print-questions").last.click()
    printable = opened.value
    heading = printable.get_by_role("heading", name=ask3_text("summary_title", language))
    expect(heading).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(printable.get_by_test_id("ask3-summary")).to_contain_text(in_words)
    expect(printable.get_by_test_id("ask3-summary")).to_contain_text(
        "How long would I be off work?"
    )
    # Its address is a link of its own: neither the session token nor the sender is in it.
    token = str(page.evaluate("localStorage.getItem('coach.token')"))
    sender_id = token.rpartition(".")[0]
    assert "/ask3/print/" in printable.url
    assert token not in printable.url and sender_id not in printable.url
    assert "token" not in printable.url
    # Nor anywhere else: not the chat's socket, not any request the page made.
    assert urls and not [url for url in urls if token in url or sender_id in url]
    printable.screenshot(path=str(SCREENSHOTS / f"print-{language}-{viewport}.png"))

    # Once such a link has expired it reads nothing, and says so kindly in the list's language.
    with unit_of_work(live_stack.database_url) as session:
        found = ask3_store.list_for_sender(session, sender_id)
        assert found is not None
    expired = print_link(live_stack.settings.secret_key, sender_id, found.id, int(time.time()) - 1)
    gone = page.context.new_page()
    response = gone.goto(f"{live_stack.gateway_url}/ask3/print/{expired}")
    assert response is not None and response.status == 410
    expect(gone.get_by_role("heading")).to_have_text(
        system_message("print_link_gone_title", language)
    )
    expect(gone.locator("body")).not_to_contain_text("How long would I be off work?")
