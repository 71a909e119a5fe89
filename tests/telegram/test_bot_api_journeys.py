"""Telegram end to end (issue 20): the gateway process talks HTTP to a local Bot API server,
with the real trained engine and action server behind it, as a patient on a phone uses it.

Each journey prints the updates sent, the bot calls received, the messages lost and the
updates handled twice; the last two must be 0.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text, update

from bot.channels.telegram import texts as telegram_texts
from bot.content.system import CONTENT_DIR
from bot.content.teachback import Module, find_module
from bot.safety import replies
from bot.stack import LocalStack
from bot.store import invites, people, staff
from bot.store import telegram as tg_store
from bot.store.db import unit_of_work
from bot.store.models import (
    ChannelIdentity,
    CheckinResult,
    Person,
    SafetyFlag,
    ScheduledMessage,
    TeachbackAttempt,
    utcnow,
)
from bot.turns import turn_id_for
from tests.support import domain_texts, rows_mentioning
from tests.telegram.bot_api_server import (
    ThreadedBotApi,
    Webhook,
    bot_blocked,
    stack_on,
    too_many_requests,
)
from tests.telegram.conftest import update_json
from tests.telegram.phone import Phone, flat

pytestmark = pytest.mark.engine

TOKEN = "7009876543:AAF-co-create-coach-journeys-0000000"
WEBHOOK_SECRET = "journey-secret-" + "x" * 24


def _inhaler() -> Module:
    module = find_module("inhaler")
    assert module is not None
    return module


INHALER = _inhaler()


def journey_figures(api: ThreadedBotApi, phones: list[Phone], stack: LocalStack) -> None:
    """Print what the journey sent and received; fail on an update lost (never handled to
    the end) or handled twice (its turn reached the engine more than once)."""
    sent = [u for p in phones for u in p.sent]
    chats = {str(p.user_id) for p in phones}
    with unit_of_work(stack.database_url) as session:
        handled = set(session.execute(text("SELECT update_id FROM telegram_updates")).scalars())
        turns: dict[str, int] = {}
        for phone in phones:
            sender = session.scalars(
                select(Person.sender_id)
                .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
                .where(ChannelIdentity.external_id == str(phone.user_id))
            ).one_or_none()
            if sender is None:
                continue  # erased at their request: nothing of theirs is left to count
            for update_id in set(phone.sent):
                turns[turn_id_for(sender, str(update_id))] = 0
            rows = session.execute(
                text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
                {"s": sender},
            ).scalars()
            for row in rows:
                turn = (json.loads(row).get("metadata") or {}).get("turn")
                if turn in turns:
                    turns[turn] += 1
    lost = sorted({u for u in sent if int(u) not in handled})
    twice = sum(1 for count in turns.values() if count > 1)
    calls = [c for c in api.server.calls if str(c.params.get("chat_id")) in chats]
    print(
        f"\njourney: updates sent {len(sent)}, bot calls {len(calls)}, "
        f"messages lost {len(lost)}, updates handled twice {twice}"
    )
    assert lost == [] and twice == 0


@pytest.fixture(scope="module")
def bot_api() -> Iterator[ThreadedBotApi]:
    api = ThreadedBotApi(TOKEN)
    yield api
    api.close()


@pytest.fixture(scope="module")
def telegram_stack(
    trained_model: Path, bot_api: ThreadedBotApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """The whole coach with Telegram on, pointed at the stand-in, polling for updates."""
    var_dir = tmp_path_factory.mktemp("stack-telegram")
    stack = stack_on(bot_api, trained_model, var_dir)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


AGREE = {"en": "Yes, I agree", "cy": "Ydw, rwy'n cytuno"}


def agreed(phone: Phone, start: str = "/start") -> list[str]:
    """/start, then agreeing to the privacy notice, which comes in the language of the
    person's Telegram app; what the bot said to the tap."""
    notice = phone.type(start)
    variants = {flat(n) for n in domain_texts("utter_privacy_notice", phone.language)}
    assert any(t in variants for t in notice), notice
    return phone.tap(AGREE[phone.language])


def identity(stack: LocalStack, phone: Phone) -> ChannelIdentity:
    with unit_of_work(stack.database_url) as session:
        found = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.external_id == str(phone.user_id))
        ).one()
        session.expunge(found)
        return found


def test_invite_consent_and_teach_back_in_free_text(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    with unit_of_work(telegram_stack.database_url) as session:
        nurse = staff.create_staff(session, "nurse.journey@example.nhs.uk", "clinician",
                                   "a long and careful passphrase 7")  # fmt: skip
        code = invites.create_invite(session, created_by=nurse.id, clinician_id=nurse.id).code
        nurse_id = nurse.id
    phone = Phone(bot_api)
    thanks = agreed(phone, f"/start {code}")
    assert any(t in {flat(x) for x in domain_texts("utter_consent_thanks", "en")} for t in thanks)
    # The keyboard goes once pressed: the notice is edited to show the choice, with no buttons.
    [edit] = bot_api.server.sent("editMessageText", phone.user_id)
    assert edit.params["text"].endswith("✓ Yes, I agree") and "reply_markup" not in edit.params
    assert bot_api.server.sent("answerCallbackQuery")
    with unit_of_work(telegram_stack.database_url) as session:
        sender_id = identity(telegram_stack, phone).person_id
        person = session.get(Person, sender_id)
        assert person is not None and person.clinician_id == nurse_id  # the invite linked them
        profile = people.load_profile(session, person.sender_id)
        assert profile is not None and profile.consent == people.CONSENT_GIVEN

    phone.type("teach me about my inhaler")
    phone.tap(phone.last_keyboard().params["reply_markup"]["inline_keyboard"][0][0]["text"])
    chunk = flat(INHALER.chunks[0].text.en)
    assert chunk in phone.texts()
    answer = "shake it, then breathe all the way out before I put it in my mouth"
    reply = phone.type(answer)
    assert flat(INHALER.chunks[1].text.en) in reply, reply  # heard, so the next chunk comes
    with unit_of_work(telegram_stack.database_url) as session:
        assert session.scalars(
            select(TeachbackAttempt.answer_text).where(TeachbackAttempt.answer_text == answer)
        ).all() == [answer]
    journey_figures(bot_api, [phone], telegram_stack)


def test_welsh_red_flag_in_the_middle_of_an_action_plan(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    phone = Phone(bot_api, language="cy")
    agreed(phone)
    with unit_of_work(telegram_stack.database_url) as session:
        before = len(session.scalars(select(SafetyFlag)).all())
    phone.type("gwneud cynllun gweithredu")
    reply = phone.type("poen ofnadwy yn fy mrest yn mynd lawr fy mraich chwith zqtelegramcy")
    emergency = flat(str(replies.alert("emergency", "chest_pain", "cy")[0]["text"]))
    assert reply[0].startswith(emergency), reply  # the note to the team follows in it
    with unit_of_work(telegram_stack.database_url) as session:
        flags = session.scalars(select(SafetyFlag)).all()[before:]
        assert [(f.category, f.sign) for f in flags] == [("emergency", "chest_pain")]
        stored = session.execute(text("SELECT count(*) FROM events WHERE data LIKE :m"),
                                 {"m": "%zqtelegramcy%"}).scalar_one()  # fmt: skip
        assert stored == 0  # never a form's answer, never in the history
    journey_figures(bot_api, [phone], telegram_stack)


def test_ask3_with_the_grid_as_an_image_then_my_data_then_forget(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    phone = Phone(bot_api)
    agreed(phone)
    phone.type("prepare questions for my appointment")
    phone.type("my doctor says I could have surgery or physio for my knee zqkneejourney")
    phone.type("physio, an injection or a new knee")
    phone.tap("Skip")  # no date yet
    phone.type("what else could I do instead?")
    phone.tap("Use these words")
    phone.type("how often do the risks happen to people like me")
    phone.tap("No more questions")
    phone.type("getting back to my garden")
    phone.tap("Show me the grid")
    [grid] = bot_api.server.sent("sendPhoto", phone.user_id)
    assert grid.params["caption"] == "Osteoarthritis of the knee"
    assert grid.files["photo"].startswith(b"\x89PNG")  # the grid, drawn as an image

    phone.type("/mydata")
    [export] = bot_api.server.sent("sendDocument", phone.user_id)
    mine = json.loads(export.files["document"])
    assert "zqkneejourney" in json.dumps(mine)  # their own decision, in their own file

    phone.type("/forget")
    gone = phone.tap(telegram_texts.text("forget_yes", "en"))
    assert gone == [flat(telegram_texts.text("forgotten", "en"))]
    assert rows_mentioning(telegram_stack.database_url, "zqkneejourney") == []
    journey_figures(bot_api, [phone], telegram_stack)


def test_an_action_plan_by_buttons_and_typing_then_a_check_in_answered_by_a_button(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    phone = Phone(bot_api)
    agreed(phone)
    phone.tap("Make an action plan")
    for typed in ("walk", "10 minutes", "after lunch", "3"):
        phone.type(typed)
    phone.tap("8")  # the 0 to 10 confidence rating, as buttons
    phone.tap("Every day")
    saved = phone.type("18:00")
    assert any(t.startswith("Great, here's your plan: walk 10 minutes after lunch") for t in saved)
    person = identity(telegram_stack, phone).person_id
    with unit_of_work(telegram_stack.database_url) as session:
        session.execute(  # the check-in falls due now
            update(ScheduledMessage)
            .where(ScheduledMessage.person_id == person, ScheduledMessage.kind == "checkin")
            .values(due_at=utcnow() - timedelta(minutes=1))
        )
    before = len(phone.texts())
    # The gateway's scheduler runs every 30 s and pushes the question to the person's chat.
    bot_api.wait_for(lambda: len(phone.texts()) > before, within=120, what="the check-in")
    question = phone.last_keyboard()
    assert "walk 10 minutes after lunch" in question.params["text"]
    done = checkin_titles()["done"]["en"]
    answered = phone.tap(done)
    assert answered and bot_api.server.sent("editMessageText", phone.user_id)[-1].params[
        "text"
    ].endswith(f"✓ {done}")
    with unit_of_work(telegram_stack.database_url) as session:
        outcomes = session.scalars(
            select(CheckinResult.outcome).where(CheckinResult.person_id == person)
        ).all()
    assert outcomes == ["done"]
    journey_figures(bot_api, [phone], telegram_stack)


def checkin_titles() -> dict[str, dict[str, str]]:
    with (CONTENT_DIR / "checkins.yml").open(encoding="utf-8") as handle:
        titles: dict[str, dict[str, str]] = yaml.safe_load(handle)["checkin"]["buttons"]
    return titles


def test_gateway_killed_mid_journey_and_redelivered_updates_handled_once(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    phone = Phone(bot_api)
    agreed(phone)
    helped = phone.type("help")
    assert any(t in {flat(x) for x in domain_texts("utter_help", "en")} for t in helped)
    telegram_stack.kill_gateway()
    # While the gateway is away the person goes on typing; Telegram keeps the updates.
    waiting = phone.message("what can you do")
    bot_api.send(waiting)
    phone.sent.append(waiting["update_id"])
    before = len(phone.texts())
    telegram_stack.start_gateway()
    bot_api.wait_for(lambda: len(phone.texts()) > before, what="the kept update's answer")
    after_restart = phone.settled(before)
    assert any(t in {flat(x) for x in domain_texts("utter_help", "en")} for t in after_restart)
    # Telegram sends an already handled update again: it is answered nothing more.
    repeat = json.loads(json.dumps(waiting))
    count = len(phone.texts())
    bot_api.send(repeat)
    phone.sent.append(repeat["update_id"])
    phone.type("thanks")  # a later message is answered, so the repeat was read first
    assert len([t for t in phone.texts()[count:] if t in after_restart]) == 0
    with unit_of_work(telegram_stack.database_url) as session:
        sender = tg_store.enrol_user(session, phone.user_id, "en").sender_id
        said = session.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
            {"s": sender},
        ).scalars()
        words = [json.loads(row)["text"] for row in said]
    assert words.count("what can you do") == 1
    journey_figures(bot_api, [phone], telegram_stack)


def test_a_burst_of_429s_is_waited_out(telegram_stack: LocalStack, bot_api: ThreadedBotApi) -> None:
    phone = Phone(bot_api)
    agreed(phone)
    tries = len(bot_api.server.sent("sendMessage", phone.user_id, refused=True))
    bot_api.server.fail("sendMessage", too_many_requests(1), too_many_requests(1))
    started = time.monotonic()
    reply = phone.type("help")
    assert any(t in {flat(x) for x in domain_texts("utter_help", "en")} for t in reply)
    assert time.monotonic() - started >= 2.0  # it waited as long as Telegram asked, twice
    sends = bot_api.server.sent("sendMessage", phone.user_id, refused=True)[tries:]
    assert [c.ok for c in sends] == [False, False] + [True] * len(reply)  # each piece once
    journey_figures(bot_api, [phone], telegram_stack)


def test_a_blocked_bot_marks_the_person_inactive(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    phone = Phone(bot_api)
    agreed(phone)
    assert identity(telegram_stack, phone).active
    bot_api.server.fail("sendMessage", bot_blocked())
    bot_api.send(phone.message("help"))
    bot_api.wait_for(lambda: not identity(telegram_stack, phone).active, what="inactive")
    journey_figures(bot_api, [phone], telegram_stack)


def test_a_voice_note_photo_or_sticker_mid_plan_gets_the_kind_reply_and_the_plan_goes_on(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    phone = Phone(bot_api, language="cy")
    agreed(phone)
    asked = phone.type("gwneud cynllun gweithredu")
    for kind in ("voice", "photo", "sticker"):
        update = update_json(kind, update_id=bot_api.server.new_update_id())
        for part in ("from", "chat"):
            update["message"][part]["id"] = phone.user_id
        assert phone.deliver(update) == [flat(telegram_texts.text("not_text", "cy"))]
    # The plan's question is still waiting: a typed answer goes on with it.
    assert phone.type("cerdded") != asked
    with unit_of_work(telegram_stack.database_url) as session:
        sender = session.scalars(
            select(Person.sender_id).where(Person.id == identity(telegram_stack, phone).person_id)
        ).one()
        slots = session.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'slot'"),
            {"s": sender},
        ).scalars()
        assert any(json.loads(row).get("value") == "cerdded" for row in slots)
    journey_figures(bot_api, [phone], telegram_stack)


def test_webhook_mode_in_welsh_with_the_secret_header(
    telegram_stack: LocalStack, bot_api: ThreadedBotApi
) -> None:
    """The same gateway in webhook mode: it registers its https URL and secret with the Bot
    API server, which then posts each update to it (here straight to its local port, as a
    TLS-ending proxy would)."""
    gateway = telegram_stack.procs["gateway"]
    public = "https://coach.example.nhs.uk/telegram/webhook"
    gateway.stop()
    gateway.env.update(TELEGRAM_WEBHOOK_URL=public, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    bot_api.server.deliver_to = telegram_stack.gateway_url + "/telegram/webhook"
    telegram_stack.start_gateway()
    try:
        assert bot_api.server.webhook == Webhook(public, WEBHOOK_SECRET)
        phone = Phone(bot_api, language="cy")
        thanks = agreed(phone)
        assert any(
            t in {flat(x) for x in domain_texts("utter_consent_thanks", "cy")} for t in thanks
        )
        helped = phone.type("help")
        assert any(t in {flat(x) for x in domain_texts("utter_help", "cy")} for t in helped)
        assert set(bot_api.server.webhook_answers) == {200}
        journey_figures(bot_api, [phone], telegram_stack)
    finally:
        gateway.stop()
        for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
            gateway.env.pop(name)
        telegram_stack.start_gateway()
