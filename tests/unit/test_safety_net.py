"""The safety net and the rate limits in the gateway, with the engine down (no Rasa needed)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.gateway import init_app
from bot.ratelimit import SlidingWindowLimiter
from bot.safety.net import yes_or_no
from bot.store import safety as safety_store
from bot.store.db import unit_of_work
from bot.store.models import KeptMessage, SafetyFlag, SafetyQuestion
from tests.support import TestClient, rows_mentioning


async def start(client: TestClient, language: str = "en") -> dict[str, str]:
    response = await client.post("/api/sessions", json={"language": language})
    assert response.status == 201
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def say(client: TestClient, headers: dict[str, str], text: str) -> list[dict[str, Any]]:
    response = await client.post("/api/messages", json={"text": text}, headers=headers)
    assert response.status == 200
    messages: list[dict[str, Any]] = (await response.json())["messages"]
    return messages


def flags(settings: Settings) -> list[tuple[str, str, str, str]]:
    with unit_of_work(settings.database_url) as session:
        return [
            (f.category, f.sign, f.channel, f.source)
            for f in session.scalars(select(SafetyFlag).order_by(SafetyFlag.id))
        ]


async def test_emergency_before_consent_with_the_engine_down(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = await start(client)
    text = "I have crushing chest pain SENTINEL-cp-1"
    [reply] = await say(client, headers, text)
    assert "999" in reply["text"] and not reply["buttons"]
    assert flags(settings) == [("emergency", "chest_pain", "web", "message")]
    # Not forwarded, not kept for the engine, and nowhere in the store or the logs.
    with unit_of_work(settings.database_url) as session:
        assert session.scalars(select(KeptMessage)).all() == []
    assert rows_mentioning(settings.database_url, "SENTINEL-cp-1") == []
    assert "SENTINEL-cp-1" not in caplog.text


async def test_welsh_urgent_and_distress_replies(client: TestClient, settings: Settings) -> None:
    headers = await start(client, "cy")
    [urgent] = await say(client, headers, "mae fy anadlu'n gwaethygu")
    assert "GIG 111 Cymru" in urgent["text"] and "111.wales.nhs.uk" in urgent["text"]
    [distress] = await say(client, headers, "dw i'n teimlo'n anobeithiol")
    assert "116 123" in distress["text"] and "Samariaid" in distress["text"]
    assert [f[0] for f in flags(settings)] == ["urgent", "distress"]


async def test_benign_look_alike_goes_on_to_the_engine(
    client: TestClient, settings: Settings
) -> None:
    headers = await start(client)
    [reply] = await say(client, headers, "this diet is killing me")
    assert "kept your message" in reply["text"]
    assert flags(settings) == []


async def test_ambiguous_mention_asks_and_escalates_on_yes(
    client: TestClient, settings: Settings
) -> None:
    headers = await start(client)
    [question] = await say(client, headers, "I had some chest pain this morning")
    assert "chest pain" in question["text"] and question["text"].endswith("?")
    assert [b["payload"] for b in question["buttons"]] == ["/affirm", "/deny"]
    assert flags(settings) == []
    [answer] = await say(client, headers, "/affirm")
    assert "999" in answer["text"]
    assert flags(settings) == [("emergency", "chest_pain", "web", "confirmed")]
    with unit_of_work(settings.database_url) as session:
        assert session.scalars(select(SafetyQuestion)).all() == []


async def test_no_to_the_question_lets_the_message_go_on_to_the_dialogue(
    client: TestClient, settings: Settings
) -> None:
    """Issue 15.5: "no" returns to what the patient was doing; the message that raised the
    question reaches the engine (kept here, since the engine is down), and is then gone
    from the question's row."""
    headers = await start(client, "cy")
    [question] = await say(client, headers, "strôc")
    assert question["text"].endswith("?")
    answer, kept = await say(client, headers, "nac oes")
    assert "999" in answer["text"] and "111" in answer["text"]
    assert "cadw" in kept["text"]  # "I've kept your message" in Welsh
    assert flags(settings) == []
    with unit_of_work(settings.database_url) as session:
        assert [k.text for k in session.scalars(select(KeptMessage))] == ["strôc"]
        assert session.scalars(select(SafetyQuestion)).all() == []


async def test_a_pending_question_survives_a_gateway_restart(
    aiohttp_client: Any, settings: Settings
) -> None:
    first: TestClient = await aiohttp_client(init_app(settings))
    headers = await start(first)
    await say(first, headers, "breathless")
    await first.close()
    second: TestClient = await aiohttp_client(init_app(settings))
    [answer] = await say(second, headers, "yes")
    assert "999" in answer["text"]
    assert flags(settings) == [("emergency", "breathing", "web", "confirmed")]


async def test_moving_on_from_a_question_is_an_ordinary_message(
    client: TestClient, settings: Settings
) -> None:
    headers = await start(client)
    await say(client, headers, "hypo")
    [reply] = await say(client, headers, "I'd like to make an action plan")
    assert "kept your message" in reply["text"]
    with unit_of_work(settings.database_url) as session:
        assert not safety_store.has_question(session, "anyone")
        assert session.scalars(select(SafetyQuestion)).all() == []


async def test_an_overlong_message_still_gets_the_safety_reply(client: TestClient) -> None:
    headers = await start(client)
    [reply] = await say(client, headers, "I'm going to kill myself tonight. " + "x" * 2100)
    assert "999" in reply["text"] and "116 123" in reply["text"]


async def test_per_sender_rate_limit_but_safety_always_answers(
    client: TestClient, settings: Settings
) -> None:
    headers = await start(client)
    for _ in range(30):
        await say(client, headers, "hello")
    [limited] = await say(client, headers, "hello")
    assert "wait a minute" in limited["text"]
    [safety] = await say(client, headers, "I can't breathe")
    assert "999" in safety["text"]


async def test_per_address_limit_on_new_sessions(client: TestClient) -> None:
    statuses = [
        (await client.post("/api/sessions", json={"language": "en"})).status for _ in range(21)
    ]
    assert statuses[:20] == [201] * 20
    response = await client.post("/api/sessions", json={"language": "en"})
    assert response.status == 429
    assert response.headers["Retry-After"] == "60"
    assert "error" in await response.json()


async def test_my_data_download(client: TestClient) -> None:
    headers = await start(client, "cy")
    response = await client.get("/api/my-data", headers=headers)
    assert response.status == 200
    assert 'filename="my-data.json"' in response.headers["Content-Disposition"]
    document = await response.json()
    assert document["person"]["language"] == "cy"
    assert (await client.get("/api/my-data")).status == 401


async def test_download_payload_sent_as_text_is_explained(client: TestClient) -> None:
    headers = await start(client)
    [reply] = await say(client, headers, "/download_my_data")
    assert "Download" in reply["text"]


@pytest.mark.parametrize(
    ("text", "answer"),
    [("yes", True), ("Ydw", True), ("/affirm", True), ("oes.", True), ("no", False),
     ("nac ydw", False), ("/deny", False), ("maybe later", None)],
)  # fmt: skip
def test_yes_or_no(text: str, answer: bool | None) -> None:
    assert yes_or_no(text) is answer


async def test_sliding_window_limiter() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(2, window=60, clock=lambda: now[0])
    assert [await limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert await limiter.allow("b")
    now[0] = 61.0
    assert await limiter.allow("a")
