"""End to end: Telegram updates through the real trained engine and action server."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.engine_client import EngineClient
from bot.stack import LocalStack
from bot.store import people
from bot.store import telegram as tg_store
from bot.store.db import unit_of_work
from tests.support import domain_texts
from tests.telegram.conftest import start_harness, update_json

pytestmark = pytest.mark.engine


def keyboard(params: dict[str, Any]) -> dict[str, str]:
    rows = (params.get("reply_markup") or {"inline_keyboard": []})["inline_keyboard"]
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def test_start_then_agree_through_the_real_engine(live_stack: LocalStack) -> None:
    start = update_json("start", update_id=810000001)
    user_id = start["message"]["from"]["id"] + 1  # a user no other test has used
    for part in ("from", "chat"):
        start["message"][part]["id"] = user_id
    async with aiohttp.ClientSession() as http:
        harness = await start_harness(
            live_stack.database_url, EngineClient(http, live_stack.engine_url)
        )
        try:
            await harness.feed(start)
            texts = " ".join(" ".join(t.split()) for t in harness.bot_api.texts())
            assert any(notice in texts for notice in domain_texts("utter_privacy_notice", "en"))
            notice = next(p for p in harness.bot_api.sent("sendMessage") if p.get("reply_markup"))
            assert "parse_mode" not in notice and notice["chat_id"] == user_id
            buttons = keyboard(notice)
            assert set(buttons) == {"Yes, I agree", "No, thanks", "Cymraeg"}
            tap = update_json("callback_query", update_id=810000002)
            query = tap["callback_query"]
            query["from"]["id"] = query["message"]["chat"]["id"] = user_id
            query["data"] = buttons["Yes, I agree"]
            query["message"]["reply_markup"] = notice["reply_markup"]
            await harness.feed(tap)
        finally:
            await harness.application.shutdown()
    replies = harness.bot_api.texts()
    assert any(" ".join(t.split()) in domain_texts("utter_consent_thanks", "en") for t in replies)
    assert harness.bot_api.sent("answerCallbackQuery")
    with unit_of_work(live_stack.database_url) as session:
        sender_id = tg_store.enrol_user(session, user_id, "en").sender_id
        profile = people.load_profile(session, sender_id)
    assert profile is not None and profile.consent == people.CONSENT_GIVEN
