"""The printable "My questions for my appointment" page, through the real gateway app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.decisions.summary import QuestionList
from bot.gateway import init_app
from bot.store import ask3
from bot.store.db import unit_of_work
from tests.support import TestClient, gateway_settings

MINE = QuestionList(
    decision="knee <b>surgery</b> or physio",
    options="physio, an operation",
    questions={
        "options": "What else could I do?",
        "benefits_risks": "",
        "likelihood": "How often?",
    },
    own_questions=["Can I still drive?"],
    matters="my garden",
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


@pytest.fixture
async def gateway(aiohttp_client: Any, url: str) -> TestClient:
    client: TestClient = await aiohttp_client(init_app(gateway_settings(url)))
    return client


async def _session(gateway: TestClient, language: str) -> tuple[str, str]:
    answer = await gateway.post("/api/sessions", json={"language": language})
    token = str((await answer.json())["token"])
    return token, token.rpartition(".")[0]


async def test_the_page_shows_the_persons_own_list_escaped(gateway: TestClient, url: str) -> None:
    token, sender_id = await _session(gateway, "cy")
    with unit_of_work(url) as session:
        saved = ask3.save_list(session, sender_id, MINE, "cy")
    page = await gateway.get("/api/ask3/summary", params={"token": token, "list": saved.id})
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert '<html lang="cy">' in html
    assert "Fy nghwestiynau ar gyfer fy apwyntiad" in html
    assert "<li>What else could I do?</li>" in html and "<li>Can I still drive?</li>" in html
    assert "knee &lt;b&gt;surgery&lt;/b&gt; or physio" in html and "<b>surgery" not in html
    assert "Argraffu fy nghwestiynau" in html
    assert page.headers["Cache-Control"] == "no-store"


async def test_no_token_or_someone_elses_list_is_refused(gateway: TestClient, url: str) -> None:
    token, sender_id = await _session(gateway, "en")
    other_token, _ = await _session(gateway, "en")
    with unit_of_work(url) as session:
        saved = ask3.save_list(session, sender_id, MINE, "en")
    assert (await gateway.get("/api/ask3/summary", params={"list": saved.id})).status == 401
    bad = await gateway.get("/api/ask3/summary", params={"token": "x.y", "list": saved.id})
    assert bad.status == 401
    other = await gateway.get("/api/ask3/summary", params={"token": other_token, "list": saved.id})
    assert other.status == 404
    newest = await gateway.get("/api/ask3/summary", params={"token": token})
    assert newest.status == 200 and "Can I still drive?" in await newest.text()
