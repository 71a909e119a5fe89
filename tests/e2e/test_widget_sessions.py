"""Web sessions in real Chromium, against the real gateway (no engine behind it): no session
token ever appears in a URL the widget requests, and a session that ended after a long time
unused asks the person, kindly and in their language, to start again; what they said is
kept. The gateway's clock is the test's; nothing waits for time to pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import yaml
from playwright.sync_api import Page, expect

from bot.app_keys import CLOCK
from bot.config import ROOT, Settings
from bot.gateway import init_app
from bot.store import migrate, people
from bot.store.db import unit_of_work
from tests.support import gateway_settings, served_in_thread

pytestmark = pytest.mark.browser
DAY = 24 * 3600.0
TOKEN_KEY = "coach.token"


@dataclass
class Clock:
    now: float = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Gateway:
    url: str
    clock: Clock
    settings: Settings
    urls: list[str] = field(default_factory=list)


@pytest.fixture
def gateway(sqlite_url: str) -> Iterator[Gateway]:
    """The real gateway app on a free port, from a thread, with a clock the test moves."""
    migrate.upgrade(sqlite_url)
    settings = gateway_settings(sqlite_url)
    clock = Clock()
    app = init_app(settings)
    tick: Callable[[], float] = clock
    app[CLOCK] = tick
    with served_in_thread(app) as url:
        yield Gateway(url, clock, settings)


def _label(language: str, key: str) -> str:
    labels = yaml.safe_load((ROOT / "data/content/widget.yml").read_text(encoding="utf-8"))
    return str(labels[language][key])


def _record_urls(page: Page, into: list[str]) -> None:
    page.on("request", lambda request: into.append(request.url))
    page.on("websocket", lambda socket: into.append(socket.url))


def _start(page: Page, gateway: Gateway, language: str) -> str:
    page.goto(f"{gateway.url}/")
    page.get_by_test_id(f"choose-{language}").click()
    expect(page.get_by_test_id("chat-input")).to_be_visible()
    page.wait_for_function(f"() => !!window.localStorage.getItem('{TOKEN_KEY}')")
    # The greeting went out (the engine is away, so the gateway kept it and said so).
    expect(page.get_by_test_id("bot-bubble").first).to_be_visible(timeout=30000)
    token = page.evaluate(f"() => window.localStorage.getItem('{TOKEN_KEY}')")
    assert isinstance(token, str) and token
    return token


def test_no_session_token_is_ever_in_a_url_the_widget_requests(
    gateway: Gateway, desktop: Page
) -> None:
    _record_urls(desktop, gateway.urls)
    token = _start(desktop, gateway, "en")
    desktop.reload()  # resumes with the stored token: the socket authenticates again
    expect(desktop.get_by_test_id("chat-input")).to_be_visible()
    desktop.wait_for_function("() => document.body.dataset.ready === 'true'")
    gateway.clock.now += 2 * DAY  # an old session: the next use renews it
    desktop.reload()
    desktop.wait_for_function(
        f"(old) => window.localStorage.getItem('{TOKEN_KEY}') !== old", arg=token
    )
    renewed = desktop.evaluate(f"() => window.localStorage.getItem('{TOKEN_KEY}')")
    assert any("/api/ws" in url for url in gateway.urls)
    sender_id = token.rpartition(".")[0]
    for url in gateway.urls:
        for secret in (token, renewed, sender_id, token.rpartition("~")[2]):
            assert secret not in url, url
        assert "token=" not in url, url


@pytest.mark.parametrize("language", ["en", "cy"])
def test_an_expired_session_asks_kindly_to_start_again_and_keeps_what_was_said(
    gateway: Gateway, phone: Page, language: str
) -> None:
    token = _start(phone, gateway, language)
    sender_id = token.rpartition(".")[0]
    gateway.clock.now += 31 * DAY
    phone.reload()
    status = phone.get_by_test_id("status")
    expect(status).to_have_text(_label(language, "session_expired"))
    expect(phone.get_by_test_id(f"choose-{language}")).to_be_visible()
    assert phone.evaluate(f"() => window.localStorage.getItem('{TOKEN_KEY}')") is None
    with unit_of_work(gateway.settings.database_url) as session:
        assert people.identity_is_active(session, "web", sender_id)
        assert people.load_profile(session, sender_id) is not None
    # Starting again works and is a new conversation.
    new_token = _start(phone, gateway, language)
    assert new_token.rpartition(".")[0] != sender_id
