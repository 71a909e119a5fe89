"""The printable "My questions for my appointment" page, through the real gateway app, behind
a short-lived link of its own: the session token never appears in its URL."""

from __future__ import annotations

import dataclasses
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from bot.channels.web import tokens
from bot.content.calendar import date_in_words
from bot.content.system import system_message
from bot.decisions.summary import QuestionList
from bot.gateway import init_app
from bot.store import ask3, data_rights
from bot.store.db import unit_of_work
from tests.support import SECRET, TestClient, gateway_settings

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


def _save(url: str, sender_id: str, language: str, summary: QuestionList = MINE) -> int:
    with unit_of_work(url) as session:
        return ask3.save_list(session, sender_id, summary, language).id


async def _link(gateway: TestClient, token: str, list_id: Any) -> Any:
    return await gateway.post(
        "/api/ask3/print-links",
        json={"list": list_id},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_the_link_has_no_token_and_shows_the_persons_own_list_escaped(
    gateway: TestClient, url: str
) -> None:
    token, sender_id = await _session(gateway, "cy")
    list_id = _save(url, sender_id, "cy")
    made = await _link(gateway, token, list_id)
    assert made.status == 201 and made.headers["Cache-Control"] == "no-store"
    link = (await made.json())["url"]
    assert link.startswith("/ask3/print/")
    assert token not in link and sender_id not in link and "token" not in link
    page = await gateway.get(link)
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert '<html lang="cy">' in html
    assert "Fy nghwestiynau ar gyfer fy apwyntiad" in html
    assert "<li>What else could I do?</li>" in html and "<li>Can I still drive?</li>" in html
    assert "knee &lt;b&gt;surgery&lt;/b&gt; or physio" in html and "<b>surgery" not in html
    assert "Argraffu fy nghwestiynau" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("language", ["en", "cy"])
async def test_the_appointment_date_is_in_words_in_the_lists_language(
    gateway: TestClient, url: str, language: str
) -> None:
    token, sender_id = await _session(gateway, language)
    when = date(2027, 12, 8)
    list_id = _save(url, sender_id, language, dataclasses.replace(MINE, appointment_on=when))
    html = await (
        await gateway.get((await (await _link(gateway, token, list_id)).json())["url"])
    ).text()
    assert date_in_words(when, language) in html
    assert {"en": "Wednesday 8 December", "cy": "Dydd Mercher 8 Rhagfyr"}[language] in html
    assert when.isoformat() not in html


async def test_an_expired_link_stops_working_and_says_so_kindly(
    gateway: TestClient, url: str
) -> None:
    token, sender_id = await _session(gateway, "cy")
    list_id = _save(url, sender_id, "cy")
    expired = tokens.print_link(SECRET, sender_id, list_id, expires_at=int(time.time()) - 1)
    page = await gateway.get(f"/ask3/print/{expired}")
    assert page.status == 410
    html = await page.text()
    assert str(escape(system_message("print_link_gone_title", "cy"))) in html
    assert "Can I still drive?" not in html and "What else could I do?" not in html
    # A fresh link still works: only the old one has stopped.
    assert (
        await gateway.get((await (await _link(gateway, token, list_id)).json())["url"])
    ).status == 200


async def test_someone_elses_list_a_forged_link_or_the_old_token_url_read_nothing(
    gateway: TestClient, url: str
) -> None:
    token, sender_id = await _session(gateway, "en")
    other_token, other_sender = await _session(gateway, "en")
    list_id = _save(url, sender_id, "en")
    assert (await _link(gateway, other_token, list_id)).status == 404
    assert (await _link(gateway, "web-x.forged", list_id)).status == 401
    for bad in ("nope", True, 0, "1"):
        assert (await _link(gateway, token, bad)).status == 400
    later = int(time.time()) + 600
    for forged in (
        tokens.print_link(SECRET, other_sender, list_id, later),  # signed for someone else
        tokens.print_link("x" * 48, sender_id, list_id, later),  # not signed by this gateway
        "not-a-link",
    ):
        page = await gateway.get(f"/ask3/print/{forged}")
        assert page.status == 404 and "Can I still drive?" not in await page.text()
    # The page that took the session token in its URL is gone.
    old = await gateway.get("/api/ask3/summary", params={"token": token, "list": list_id})
    assert old.status == 404


async def test_a_link_stops_working_once_the_person_is_forgotten(
    gateway: TestClient, url: str
) -> None:
    token, sender_id = await _session(gateway, "en")
    list_id = _save(url, sender_id, "en")
    link = (await (await _link(gateway, token, list_id)).json())["url"]
    with unit_of_work(url) as session:
        data_rights.erase_person(session, sender_id)
    page = await gateway.get(link)
    assert page.status == 404 and "Can I still drive?" not in await page.text()
