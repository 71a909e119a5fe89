"""Real Bot API updates through the Application: what the patient sees, what is stored."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Update

from bot.channels.telegram.handlers import DataRights
from bot.channels.telegram.render import MAX_CALLBACK_BYTES, units
from bot.channels.telegram.runtime import store_data_rights
from bot.channels.telegram.texts import commands_list, text
from bot.engine_client import EngineClient
from bot.store.db import unit_of_work
from bot.store.models import ChannelIdentity, KeptMessage, Person, TelegramUpdate
from tests.telegram.conftest import (
    GWEN,
    Harness,
    ScriptedEngine,
    start_harness,
    update_json,
)

Engine = tuple[ScriptedEngine, str]


def identity(database: str, user_id: int = GWEN) -> tuple[str, bool, bool, str | None, str]:
    """(sender id, active, paused, invite code, language) of a Telegram user."""
    with unit_of_work(database) as session:
        row = session.execute(
            select(Person, ChannelIdentity)
            .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
            .where(
                ChannelIdentity.channel == "telegram", ChannelIdentity.external_id == str(user_id)
            )
        ).one()
        person, ident = row
        return person.sender_id, ident.active, ident.paused, person.invite_code, person.language


def count(database: str, model: Any) -> int:
    with unit_of_work(database) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def keyboard_of(params: dict[str, Any]) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {"inline_keyboard": []}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def test_text_goes_through_the_engine_under_an_opaque_sender(
    harness: Harness, engine: Engine, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    await harness.feed(update_json("text"))
    scripted, _ = engine
    [turn] = scripted.received
    sender_id, active, _paused, _invite, _language = identity(database)
    assert turn["sender"] == sender_id and sender_id.startswith("tg-")
    assert str(GWEN) not in sender_id
    assert turn["message"] == "hello there" and turn["metadata"]["channel"] == "telegram"
    # Each turn carries an id of its own, so a turn whose answer is lost is not sent twice.
    assert set(turn["metadata"]) == {"channel", "turn"} and len(turn["metadata"]["turn"]) == 16
    assert active
    actions = harness.bot_api.sent("sendChatAction")
    assert actions and actions[0] == {"chat_id": GWEN, "action": "typing"}
    [reply] = harness.bot_api.sent("sendMessage")
    assert reply["chat_id"] == GWEN and reply["text"] == "echo: hello there"
    assert "parse_mode" not in reply and "reply_markup" not in reply
    assert "hello there" not in caplog.text and str(GWEN) not in caplog.text


async def test_start_with_an_invite_links_it_and_offers_consent_as_a_keyboard(
    harness: Harness, engine: Engine, database: str
) -> None:
    await harness.feed(update_json("start_invite"))
    assert engine[0].messages() == ["/greet"]
    _sender, _active, _paused, invite, language = identity(database)
    assert invite == "CARDIFF-COPD_07"
    assert language == "cy"  # the person's Telegram app is in Welsh
    [notice] = harness.bot_api.sent("sendMessage")
    assert notice["text"].startswith("Before we start")
    buttons = keyboard_of(notice)
    assert [title for title, _ in buttons] == ["Yes, I agree", "No, thanks", "Cymraeg"]
    for _title, data in buttons:
        assert data.startswith("p:") and len(data.encode()) <= MAX_CALLBACK_BYTES


async def test_plain_start_begins_the_general_path(
    harness: Harness, engine: Engine, database: str
) -> None:
    await harness.feed(update_json("start"))
    assert engine[0].messages() == ["/greet"]
    _sender, _active, _paused, invite, language = identity(database, 6230001122)
    assert invite is None and language == "en"


async def test_a_button_tap_is_answered_marked_and_sent_on(
    harness: Harness, engine: Engine, database: str, http: aiohttp.ClientSession
) -> None:
    await harness.feed(update_json("start_invite"))
    yes = dict(keyboard_of(harness.bot_api.sent("sendMessage")[0]))["Yes, I agree"]
    tap = update_json("callback_query")
    tap["callback_query"]["data"] = yes
    tap["callback_query"]["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = yes
    # A new Application on the same database: the button's id survives a restart.
    restarted = await start_harness(database, EngineClient(http, engine[1]))
    try:
        await restarted.feed(tap)
    finally:
        await restarted.application.shutdown()
    assert engine[0].messages() == ["/greet", "/affirm"]
    [answer] = restarted.bot_api.sent("answerCallbackQuery")
    assert answer["callback_query_id"] == "2200634874526881792"
    [edit] = restarted.bot_api.sent("editMessageText")
    assert edit["text"].endswith("\n\n✓ Yes, I agree")
    assert "reply_markup" not in edit  # the keyboard is gone
    assert restarted.bot_api.texts() == ["echo: /affirm"]


async def test_an_unknown_button_is_answered_and_explained(
    harness: Harness, engine: Engine
) -> None:
    await harness.feed(update_json("callback_query"))
    assert engine[0].received == []
    assert len(harness.bot_api.sent("answerCallbackQuery")) == 1
    [edit] = harness.bot_api.sent("editMessageReplyMarkup")
    assert edit["chat_id"] == GWEN and edit["message_id"] == 18 and "reply_markup" not in edit
    assert harness.bot_api.texts() == [text("button_expired", "en")]


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "video", "location", "contact"])
async def test_anything_but_text_gets_a_kind_fixed_reply(
    harness: Harness, engine: Engine, kind: str
) -> None:
    await harness.feed(update_json(kind))
    assert engine[0].received == []
    assert harness.bot_api.texts() == [text("not_text", "en")]


@pytest.mark.parametrize(
    ("kind", "key"), [("edited_message", "edited"), ("forwarded", "forwarded")]
)
async def test_edited_and_forwarded_messages_are_not_turns(
    harness: Harness, engine: Engine, kind: str, key: str
) -> None:
    await harness.feed(update_json(kind))
    assert engine[0].received == []
    assert harness.bot_api.texts() == [text(key, "en")]


async def test_a_group_gets_one_line_and_nothing_is_stored(
    harness: Harness, engine: Engine, database: str
) -> None:
    await harness.feed(update_json("group_message"))
    assert engine[0].received == []
    [line] = harness.bot_api.sent("sendMessage")
    assert line["chat_id"] == -1001987654321 and line["text"] == text("private_only", "en")
    assert count(database, Person) == 0
    assert count(database, TelegramUpdate) == 0


async def test_a_redelivered_update_is_ignored_even_after_a_restart(
    harness: Harness, engine: Engine, database: str, http: aiohttp.ClientSession
) -> None:
    await harness.feed(update_json("text"))
    await harness.feed(update_json("text"))
    restarted = await start_harness(database, EngineClient(http, engine[1]))
    try:
        await restarted.feed(update_json("text"))
    finally:
        await restarted.application.shutdown()
    assert engine[0].messages() == ["hello there"]
    assert len(harness.bot_api.sent("sendMessage")) == 1
    assert restarted.bot_api.sent("sendMessage") == []


async def test_an_update_cut_short_by_a_crash_is_answered_when_sent_again(
    harness: Harness, engine: Engine, database: str, http: aiohttp.ClientSession
) -> None:
    """A gateway killed mid-turn never finished the update, so Telegram's redelivery of it,
    after the restart, is answered rather than ignored as already handled."""
    stuck = asyncio.Event()

    async def never(*_turn: object) -> None:
        stuck.set()
        await asyncio.Event().wait()

    slow = await start_harness(database, EngineClient(http, engine[1]))
    slow.turns.handle = never  # type: ignore[method-assign,assignment]
    crashed = asyncio.create_task(slow.feed(update_json("text")))
    await asyncio.wait_for(stuck.wait(), timeout=5)
    crashed.cancel()  # the process dies here, before any reply
    await slow.application.shutdown()
    assert slow.bot_api.sent("sendMessage") == []
    await harness.feed(update_json("text"))  # Telegram sends it again to the new process
    assert engine[0].messages() == ["hello there"]
    [reply] = harness.bot_api.sent("sendMessage")
    assert reply["text"] == "echo: hello there"


async def test_long_replies_are_split_at_sentences_with_the_keyboard_last(
    harness: Harness, engine: Engine
) -> None:
    sentence = "Breathing exercises help when you feel short of breath, so try them daily. "
    long_text = (sentence * 130).strip()
    engine[0].replies["hello there"] = [
        {"text": long_text, "buttons": [{"title": "Show the menu", "payload": "/help"}]}
    ]
    await harness.feed(update_json("text"))
    pieces = harness.bot_api.sent("sendMessage")
    assert len(pieces) == 3
    assert all(units(p["text"]) <= 4096 and p["text"].endswith("daily.") for p in pieces)
    assert " ".join(p["text"] for p in pieces) == long_text
    assert [bool(p.get("reply_markup")) for p in pieces] == [False, False, True]


async def test_a_0_to_10_rating_comes_six_buttons_a_row_and_long_titles_one_a_row(
    harness: Harness, engine: Engine
) -> None:
    rating = [{"title": str(n), "payload": str(n)} for n in range(11)]
    menu = [{"title": "Prepare questions for my appointment", "payload": "/start_ask3"},
            {"title": "Make an action plan", "payload": "/start_action_plan"}]  # fmt: skip
    engine[0].replies["hello there"] = [
        {"text": "How confident are you?", "buttons": rating},
        {"text": "Or choose one", "buttons": menu},
    ]
    await harness.feed(update_json("text"))
    asked, offered = harness.bot_api.sent("sendMessage")
    rows = asked["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [
        ["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]
    ]  # fmt: skip
    assert [len(row) for row in offered["reply_markup"]["inline_keyboard"]] == [1, 1]


async def test_commands_map_to_engine_payloads(harness: Harness, engine: Engine) -> None:
    await harness.feed(update_json("command"))
    language = update_json("command", update_id=904512321)
    language["message"]["text"] = "/language"
    language["message"]["entities"][0]["length"] = 9
    await harness.feed(language)
    unknown = update_json("command", update_id=904512322)
    unknown["message"]["text"] = "/weather"
    unknown["message"]["entities"][0]["length"] = 8
    await harness.feed(unknown)
    assert engine[0].messages() == ["/help", '/switch_language{"language":"cy"}', "/help"]
    said = harness.bot_api.texts()
    # /help: the menu, then every command with what it does; an unknown one is said so first.
    assert said[:2] == ["echo: /help", commands_list("en")]
    assert "/mydata: Get a copy of your data" in commands_list("en").splitlines()
    assert said[-3:] == [text("unknown_command", "en"), "echo: /help", commands_list("en")]


async def test_help_lists_the_commands_in_the_persons_language(
    harness: Harness, engine: Engine
) -> None:
    await harness.feed(update_json("start_invite"))  # a Welsh Telegram app
    await harness.feed(command("help", 904512330))
    listed = harness.bot_api.texts()[-1]
    assert listed == commands_list("cy")
    assert listed.splitlines()[0] == "Gallwch chi hefyd anfon y gorchmynion hyn:"
    assert "/mydata: Cael copi o'ch data" in listed.splitlines()


def command(name: str, update_id: int) -> dict[str, Any]:
    data = update_json("command", update_id=update_id)
    data["message"]["text"] = f"/{name}"
    data["message"]["entities"][0]["length"] = len(name) + 1
    return data


async def test_pause_resume_and_stop_are_kept_as_settings(
    harness: Harness, engine: Engine, database: str
) -> None:
    await harness.feed(command("pause", 1))
    assert identity(database)[2] is True
    await harness.feed(command("resume", 2))
    assert identity(database)[2] is False
    await harness.feed(command("stop", 3))
    assert identity(database)[1] is False
    assert harness.bot_api.texts() == [text(k, "en") for k in ("paused", "resumed", "stopped")]
    assert engine[0].received == []
    await harness.feed(update_json("text"))  # writing again starts the conversation again
    assert identity(database)[1] is True


async def test_blocking_the_bot_marks_the_identity_inactive(
    harness: Harness, database: str
) -> None:
    await harness.feed(update_json("text"))
    await harness.feed(update_json("my_chat_member_blocked"))
    assert identity(database)[1] is False


async def test_engine_down_keeps_the_message_and_delivers_the_reply_later(
    engine_down_harness: Harness, database: str, engine: Engine, http: aiohttp.ClientSession
) -> None:
    harness = engine_down_harness
    await harness.feed(update_json("text"))
    assert harness.bot_api.texts() == [
        "I can't answer right now, I've kept your message. I'll reply as soon as I'm back."
    ]
    with unit_of_work(database) as session:
        kept = session.scalars(select(KeptMessage)).one()
        assert (kept.channel, kept.text) == ("telegram", "hello there")
    harness.turns.engine = EngineClient(http, engine[1])  # the engine is back
    assert await harness.turns.redeliver_all() == 1
    assert harness.bot_api.texts()[1:] == [
        "Here are my replies to the messages you sent while I was away.",
        "echo: hello there",
    ]
    assert all(p["chat_id"] == GWEN for p in harness.bot_api.sent("sendMessage"))


class FakeDataRights:
    def __init__(self) -> None:
        self.erased: list[str] = []

    def export_person(self, _session: Session, sender_id: str) -> dict[str, Any]:
        return {"sender_id": sender_id, "language": "en", "goals": ["walk 10 minutes"]}

    def erase_person(self, _session: Session, sender_id: str) -> bool:
        self.erased.append(sender_id)
        return True

    def rights(self) -> DataRights:
        return DataRights(self.export_person, self.erase_person, "/download_my_data")


async def test_my_data_is_sent_as_a_json_document(
    database: str, engine: Engine, http: aiohttp.ClientSession
) -> None:
    rights = FakeDataRights()
    harness = await start_harness(
        database,
        EngineClient(http, engine[1]),
        data_rights=rights.rights(),
    )
    try:
        await harness.feed(command("mydata", 1))
    finally:
        await harness.application.shutdown()
    [document] = harness.bot_api.sent("sendDocument")
    assert document["chat_id"] == GWEN and document["caption"] == text("my_data_caption", "en")
    assert engine[0].received == []


async def test_forget_asks_first_then_erases(
    database: str, engine: Engine, http: aiohttp.ClientSession
) -> None:
    rights = FakeDataRights()
    harness = await start_harness(
        database,
        EngineClient(http, engine[1]),
        data_rights=rights.rights(),
    )
    try:
        await harness.feed(command("forget", 1))
        [confirm] = harness.bot_api.sent("sendMessage")
        assert confirm["text"] == text("forget_confirm", "en")
        buttons = dict(keyboard_of(confirm))
        tap = update_json("callback_query", update_id=2)
        tap["callback_query"]["data"] = buttons[text("forget_yes", "en")]
        await harness.feed(tap)
    finally:
        await harness.application.shutdown()
    sender_id = identity(database)[0]
    assert rights.erased == [sender_id]
    assert harness.bot_api.texts()[-1] == text("forgotten", "en")


async def test_without_data_rights_my_data_and_forget_go_to_the_engine(
    harness: Harness, engine: Engine
) -> None:
    await harness.feed(command("mydata", 1))
    await harness.feed(command("forget", 2))
    assert engine[0].messages() == ["/my_data", "/forget_me"]


@pytest.mark.parametrize(
    ("name", "attribute"),
    [
        ("sticker", "sticker"),
        ("photo", "photo"),
        ("voice", "voice"),
        ("video", "video"),
        ("location", "location"),
        ("contact", "contact"),
        ("forwarded", "forward_origin"),
    ],
)
def test_the_fixtures_read_as_the_updates_they_claim_to_be(name: str, attribute: str) -> None:
    update = Update.de_json(update_json(name), None)
    assert update.message is not None and getattr(update.message, attribute)


async def test_my_data_from_the_store_is_the_persons_export(
    database: str, engine: Engine, http: aiohttp.ClientSession
) -> None:
    harness = await start_harness(
        database, EngineClient(http, engine[1]), data_rights=store_data_rights()
    )
    try:
        await harness.feed(update_json("text"))
        await harness.feed(command("mydata", 1))
    finally:
        await harness.application.shutdown()
    [call] = [c for c in harness.bot_api.calls if c.method == "sendDocument"]
    [content] = call.files.values()
    export = json.loads(content)
    sender_id = identity(database)[0]
    assert export["person"]["sender_id"] == sender_id
    assert call.params["chat_id"] == GWEN


async def test_forget_erases_the_person_from_the_store(
    database: str, engine: Engine, http: aiohttp.ClientSession
) -> None:
    harness = await start_harness(
        database, EngineClient(http, engine[1]), data_rights=store_data_rights()
    )
    try:
        await harness.feed(update_json("text"))
        await harness.feed(command("forget", 1))
        confirm = harness.bot_api.sent("sendMessage")[-1]
        tap = update_json("callback_query", update_id=2)
        tap["callback_query"]["data"] = dict(keyboard_of(confirm))[text("forget_yes", "en")]
        await harness.feed(tap)
    finally:
        await harness.application.shutdown()
    assert count(database, Person) == 0 and count(database, ChannelIdentity) == 0
    assert harness.bot_api.texts()[-1] == text("forgotten", "en")
