"""Data rights with the engine down: the gateway itself answers and carries them out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.offline_rights import ERASE_NOW, KEEP, WITHDRAW_NOW, requested
from bot.store import data_rights, people
from bot.store.db import unit_of_work
from bot.store.models import KeptMessage, Person
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


def consented(settings: Settings, headers: dict[str, str]) -> str:
    sender = headers["Authorization"].removeprefix("Bearer ").rpartition(".")[0]
    with unit_of_work(settings.database_url) as session:
        people.record_consent(session, sender, given=True, notice_version="v1")
    return sender


def test_requests_are_recognised_in_both_languages() -> None:
    assert requested("please FORGET ME!") == "forget_me"
    assert requested("Dilëwch fy nata i gyd") == "forget_me"
    assert requested("I want to withdraw my consent") == "withdraw_consent"
    assert requested("beth yw fy nata?") == "my_data"
    assert requested("i forgot my tablets") is None
    assert requested("data plan on my phone") is None


async def test_forget_me_while_the_engine_is_down_erases_after_confirming(
    client: TestClient, settings: Settings
) -> None:
    headers = await start(client)
    sender = consented(settings, headers)
    await say(client, headers, "walked the dog MARKER-offline-1")  # kept for the engine
    [question] = await say(client, headers, "forget me")
    assert [b["payload"] for b in question["buttons"]] == [ERASE_NOW, KEEP]
    assert "can't be undone" in question["text"]
    with unit_of_work(settings.database_url) as session:
        assert [k.text for k in session.scalars(select(KeptMessage))] == [
            "walked the dog MARKER-offline-1"
        ]  # the request itself is not kept for later
    [done] = await say(client, headers, ERASE_NOW)
    assert "erased everything" in done["text"]
    with unit_of_work(settings.database_url) as session:
        assert session.scalars(select(Person).where(Person.sender_id == sender)).all() == []
    assert rows_mentioning(settings.database_url, "MARKER-offline-1", sender) == []


async def test_keep_changes_nothing(client: TestClient, settings: Settings) -> None:
    headers = await start(client, "cy")
    sender = consented(settings, headers)
    [question] = await say(client, headers, "anghofiwch fi")
    assert "dileu" in question["text"]
    [kept] = await say(client, headers, KEEP)
    assert "does dim wedi newid" in kept["text"]
    with unit_of_work(settings.database_url) as session:
        assert data_rights.may_contact(session, sender)


async def test_withdrawal_and_my_data_while_the_engine_is_down(
    client: TestClient, settings: Settings
) -> None:
    headers = await start(client)
    sender = consented(settings, headers)
    [offer] = await say(client, headers, "can I see my data")
    assert [b["payload"] for b in offer["buttons"]] == [data_rights.DOWNLOAD_PAYLOAD]
    download = await client.get("/api/my-data", headers=headers)
    assert download.status == 200
    [question] = await say(client, headers, "withdraw my consent")
    assert [b["payload"] for b in question["buttons"]] == [WITHDRAW_NOW, KEEP]
    [done] = await say(client, headers, WITHDRAW_NOW)
    assert "stopped using your data" in done["text"]
    with unit_of_work(settings.database_url) as session:
        profile = people.load_profile(session, sender)
        assert profile is not None and profile.consent == people.CONSENT_WITHDRAWN
        assert not data_rights.may_contact(session, sender)
