"""Shared fixtures: the trained model, real PostgreSQL, and live stacks of real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import create_engine, text

from bot.config import ROOT, Settings
from bot.gateway import init_app
from bot.stack import LocalStack
from bot.store.db import normalise_url
from tests.support import CHROMIUM_ARGS, DESKTOP, PHONE, TestClient

UNDER_MAKE_TEST = os.environ.get("COACH_UNDER_MAKE_TEST") == "1"
# COACH_TEST_MODEL lets someone test a model they trained under another name.
MODEL = Path(os.environ.get("COACH_TEST_MODEL", ROOT / "models" / "coach.tar.gz"))
CHROMIUM = Path("/usr/bin/chromium")


def unavailable(reason: str) -> None:
    """Skip outside `make test`; under `make test` a missing real part is a failure."""
    if UNDER_MAKE_TEST:
        pytest.fail(f"{reason} (make test must provide it)")
    pytest.skip(reason)


FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures() -> list[str]:
    """Lines of measured figures (e.g. the NLU evaluation), printed at the end of the run."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures tests measured, so every run shows them, passed or not."""
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make model` trains; trained here once if it is missing."""
    if not MODEL.exists() and "COACH_TEST_MODEL" not in os.environ:
        subprocess.run(["make", "model"], cwd=ROOT, check=True)
    assert MODEL.exists(), f"no trained model at {MODEL}"
    return MODEL


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """A PostgreSQL server URL (TEST_POSTGRES_URL, set by `make test`)."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        unavailable("TEST_POSTGRES_URL is not set: no PostgreSQL to test against")
    assert url is not None
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis server URL (TEST_REDIS_URL, set by `make test`)."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        unavailable("TEST_REDIS_URL is not set: no Redis to test against")
    assert url is not None
    return url


def _fresh_database(server_url: str) -> Iterator[str]:
    name = f"coach_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own for one test."""
    yield from _fresh_database(postgres_server_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite file of its own for one test."""
    return f"sqlite:///{tmp_path / 'coach.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.db'}"
        return
    server = request.getfixturevalue("postgres_server_url")
    yield from _fresh_database(server)


def _run_stack(stack: LocalStack) -> Iterator[LocalStack]:
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def live_stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """Engine, action server and gateway on SQLite, as `make run` starts them."""
    var_dir = tmp_path_factory.mktemp("stack-sqlite")
    stack = LocalStack(trained_model, f"sqlite:///{var_dir / 'coach.db'}", var_dir)
    yield from _run_stack(stack)


@pytest.fixture(scope="session")
def postgres_stack(
    trained_model: Path,
    postgres_server_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalStack]:
    """The production profile: the store and Rasa's tracker store on a real PostgreSQL, and
    Rasa's lock store and the gateway's shared state on a real Redis."""
    var_dir = tmp_path_factory.mktemp("stack-postgres")
    for url in _fresh_database(postgres_server_url):
        yield from _run_stack(LocalStack(trained_model, url, var_dir, redis_url=redis_url))


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, which the browser tests drive through Playwright."""
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        unavailable("Debian's chromium is not installed")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """Headless Chromium through Playwright, one per test module."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _tab(browser: Browser, **options: Any) -> Iterator[Page]:
    context = browser.new_context(**options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized tab with its own storage, failing the test on any page error."""
    yield from _tab(browser, viewport=PHONE, device_scale_factor=2, has_touch=True)


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A fresh 1280-pixel desktop tab with a mouse, failing the test on any page error."""
    yield from _tab(browser, viewport=DESKTOP)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    """A browser-like HTTP client (it keeps cookies) for the real gateway app built from the
    `settings` fixture of the test's folder or module (its start-up migrates the database)."""
    result: TestClient = await aiohttp_client(init_app(settings))
    return result
