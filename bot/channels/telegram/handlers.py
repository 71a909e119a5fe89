"""What the coach does with each kind of Telegram update.

Every patient turn goes through `TurnService.handle`, exactly as on the web. Commands the
engine knows become its payloads; /pause, /resume and /stop are channel settings kept in
the store; anything that is not text gets a short fixed reply. Group chats get one line
asking for a private chat, and nothing from them is stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram.outbox import TelegramOutbox
from bot.channels.telegram.render import (
    COMMAND_PREFIX,
    MAX_MESSAGE_UNITS,
    PAYLOAD_PREFIX,
    choice_title,
    units,
)
from bot.channels.telegram.texts import commands_list, text
from bot.logs import pseudonym
from bot.store import telegram as tg_store
from bot.store.db import unit_of_work
from bot.turns import TurnService

log = logging.getLogger(__name__)

CHANNEL = tg_store.CHANNEL
Context = ContextTypes.DEFAULT_TYPE
TelegramApp = Application[Any, Any, Any, Any, Any, Any]

# What /start without an invite, /help and /mydata send to the engine.
GREETING = "/greet"
HELP = "/help"
MY_DATA = "/my_data"
FORGET = "/forget_me"
# A deep link's start parameter: 1-64 characters of A-Z, a-z, 0-9, _ and -.
INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
FORGET_YES, FORGET_NO = COMMAND_PREFIX + "forget:yes", COMMAND_PREFIX + "forget:no"
MY_DATA_FILE = "my-data.json"


def switch_language_payload(language: str) -> str:
    """The engine payload that changes the conversation language."""
    return "/switch_language" + json.dumps({"language": language}, separators=(",", ":"))


def first_language(user: User) -> str:
    """A new person's language: Welsh if their Telegram app is in Welsh, else English."""
    return "cy" if (user.language_code or "").lower().startswith("cy") else "en"


ExportPerson = Callable[[Session, str], dict[str, Any]]
ErasePerson = Callable[[Session, str], object]


@dataclass(frozen=True)
class DataRights:
    """The store's export and erasure (`bot.store.data_rights`), which /mydata and /forget use.

    `download_payload` is the button payload with which the engine offers the export.
    """

    export_person: ExportPerson
    erase_person: ErasePerson
    download_payload: str


class TelegramChannel:
    """Handlers for one bot, over the shared turn service and the one outbox.

    Without `data_rights`, /mydata and /forget go to the engine as `/my_data` and `/forget_me`.
    """

    def __init__(
        self,
        turns: TurnService,
        outbox: TelegramOutbox,
        database_url: str,
        data_rights: DataRights | None = None,
    ) -> None:
        self.turns = turns
        self.outbox = outbox
        self._database_url = database_url
        self._data_rights = data_rights
        self._in_hand: set[int] = set()  # updates this process is handling now

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        def run() -> Any:
            with unit_of_work(self._database_url) as session:
                return fn(session, *args)

        return await asyncio.to_thread(run)

    def install(self, application: TelegramApp) -> None:
        """Register the handlers; the order within a group decides which one answers."""
        application.add_handler(TypeHandler(Update, self.only_private_chats), group=-2)
        application.add_handler(TypeHandler(Update, self.only_once), group=-1)
        application.add_handler(TypeHandler(Update, self.handled), group=1)
        application.add_handler(MessageHandler(filters.UpdateType.EDITED, self.on_edited))
        commands: dict[str, Callable[[Update, Context], Any]] = {
            "start": self.on_start,
            "help": self.on_help,
            "language": self.on_language,
            "mydata": self.on_my_data,
            "forget": self.on_forget,
            "pause": self.on_pause,
            "resume": self.on_resume,
            "stop": self.on_stop,
        }
        for name, callback in commands.items():
            application.add_handler(CommandHandler(name, callback))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(ChatMemberHandler(self.on_membership))
        application.add_handler(MessageHandler(filters.FORWARDED, self.on_forwarded))
        application.add_handler(MessageHandler(filters.COMMAND, self.on_unknown_command))
        application.add_handler(MessageHandler(filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(filters.ALL, self.on_not_text))
        application.add_error_handler(self.on_error)

    async def push(self, sender_id: str, messages: list[dict[str, Any]]) -> bool:
        """Deliver replies made later (the engine was away); False if the person is unreachable."""
        chat_id: int | None = await self._db(tg_store.chat_of, sender_id)
        if chat_id is None:
            return False
        return await self.outbox.send_messages(sender_id, chat_id, messages)

    # --- gates, before any handler -------------------------------------------------------

    async def only_private_chats(self, update: Update, _context: Context) -> None:
        """Outside a private chat: one line asking for a private chat, then nothing more."""
        chat = update.effective_chat
        if chat is not None and chat.type == ChatType.PRIVATE:
            return
        message = update.message or update.channel_post
        if chat is not None and message is not None:
            language = first_language(message.from_user) if message.from_user else "en"
            await self.outbox.send_text(None, chat.id, text("private_only", language))
        raise ApplicationHandlerStop

    async def only_once(self, update: Update, _context: Context) -> None:
        """An update handled before (a redelivery, even across a restart), or in hand now (a
        webhook sent again while the first is still being answered), is ignored."""
        if update.update_id in self._in_hand or await self._db(
            tg_store.was_handled, update.update_id
        ):
            log.info("telegram: update %d already handled; ignored", update.update_id)
            raise ApplicationHandlerStop
        self._in_hand.add(update.update_id)

    async def handled(self, update: Update, _context: Context) -> None:
        """After every handler: the update is done, so a redelivery of it is ignored."""
        try:
            await self._db(tg_store.mark_handled, update.update_id)
        finally:
            self._in_hand.discard(update.update_id)

    # --- the person behind an update ------------------------------------------------------

    async def _person(
        self, update: Update, invite_code: str | None = None
    ) -> tuple[tg_store.TelegramUser, Chat, User]:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None and user is not None  # private chats always have both
        person: tg_store.TelegramUser = await self._db(
            tg_store.enrol_user, user.id, first_language(user), invite_code
        )
        return person, chat, user

    async def _turn(self, update: Update, message: str, invite_code: str | None = None) -> None:
        """One turn through the engine, with "typing…" while it thinks."""
        person, chat, _user = await self._person(update, invite_code)
        async with self.outbox.typing(chat.id):
            replies = await self.turns.handle(
                person.sender_id, CHANNEL, message, str(update.update_id)
            )
        await self.outbox.send_messages(person.sender_id, chat.id, replies)

    async def _say(self, update: Update, key: str, **values: str) -> None:
        """A fixed channel text, in the person's language."""
        person, chat, _user = await self._person(update)
        await self.outbox.send_text(person.sender_id, chat.id, text(key, person.language, **values))

    # --- handlers ---------------------------------------------------------------------------

    async def on_text(self, update: Update, _context: Context) -> None:
        """A typed message: one turn through the engine."""
        message = update.effective_message
        assert message is not None and message.text is not None
        await self._turn(update, message.text)

    async def on_start(self, update: Update, context: Context) -> None:
        """`/start` greets (and asks for consent); `/start CODE` also links the invite."""
        args = context.args or []
        code = args[0] if args and INVITE_CODE.fullmatch(args[0]) else None
        await self._turn(update, GREETING, invite_code=code)
        if code:
            log.info("telegram: enrolled with an invite code")

    async def on_help(self, update: Update, _context: Context) -> None:
        """`/help`: the engine's menu, then the commands in the person's language."""
        await self._turn(update, HELP)
        person, chat, _user = await self._person(update)
        await self.outbox.send_text(person.sender_id, chat.id, commands_list(person.language))

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        """A command the bot does not know: said so kindly, then what /help gives."""
        await self._say(update, "unknown_command")
        await self.on_help(update, context)

    async def on_language(self, update: Update, _context: Context) -> None:
        """`/language`: English to Welsh, or Welsh to English."""
        person, _chat, _user = await self._person(update)
        await self._turn(update, switch_language_payload("cy" if person.language == "en" else "en"))

    async def on_my_data(self, update: Update, _context: Context) -> None:
        """`/mydata`: the person's data, as a JSON document."""
        await self._send_my_data(update)

    async def on_forget(self, update: Update, context: Context) -> None:
        """`/forget`: ask first; deleting everything cannot be undone."""
        await self._confirm_forget(update)

    async def on_pause(self, update: Update, _context: Context) -> None:
        """`/pause`: hold reminders back; replies to the person's own messages still come."""
        person, _chat, _user = await self._person(update)
        await self._db(tg_store.set_paused, person.sender_id, True)
        await self._say(update, "paused")

    async def on_resume(self, update: Update, _context: Context) -> None:
        """`/resume`: reminders again."""
        person, _chat, _user = await self._person(update)
        await self._db(tg_store.set_paused, person.sender_id, False)
        await self._say(update, "resumed")

    async def on_stop(self, update: Update, _context: Context) -> None:
        """`/stop`: no more messages of any kind until the person writes again."""
        person, chat, _user = await self._person(update)
        await self.outbox.send_text(person.sender_id, chat.id, text("stopped", person.language))
        await self._db(tg_store.set_active, person.sender_id, False)

    async def on_button(self, update: Update, _context: Context) -> None:
        """A tapped inline button: answer the tap, mark the choice, then act on it."""
        query = update.callback_query
        assert query is not None
        data = query.data or ""
        await self.outbox.best_effort(query.answer())
        if data in (FORGET_YES, FORGET_NO):
            await self._mark_choice(query.message, data)
            await self._forget(update, confirmed=data == FORGET_YES)
            return
        token = data.removeprefix(PAYLOAD_PREFIX)
        payload = await self._db(tg_store.payload_of, token) if data != token else None
        await self._mark_choice(query.message, data if payload is not None else None)
        if payload is None:
            await self._say(update, "button_expired")
        elif self._data_rights is not None and payload == self._data_rights.download_payload:
            await self._send_my_data(update)
        else:
            await self._turn(update, payload)

    async def on_edited(self, update: Update, _context: Context) -> None:
        """An edited message: the engine has already answered the original."""
        await self._say(update, "edited")

    async def on_forwarded(self, update: Update, _context: Context) -> None:
        """A forwarded message is someone else's words; not taken as the person's turn."""
        await self._say(update, "forwarded")

    async def on_not_text(self, update: Update, _context: Context) -> None:
        """Photos, stickers, voice, video, locations, contacts: a kind fixed reply."""
        if update.effective_message is None:
            return  # nothing to answer, such as a poll's new state
        await self._say(update, "not_text")

    async def on_membership(self, update: Update, _context: Context) -> None:
        """The person blocked the bot (or unblocked it): stop or restart sending."""
        change = update.my_chat_member
        if change is None:
            return
        if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            await self._db(tg_store.deactivate_user, change.from_user.id)
            log.info("telegram: a person blocked the bot; identity inactive")

    async def on_error(self, update: object, context: Context) -> None:
        """Log what failed, never what was said."""
        kind = type(update).__name__
        log.error("telegram: handler failed on %s", kind, exc_info=context.error)

    # --- pieces -----------------------------------------------------------------------------

    async def _mark_choice(self, message: object, data: str | None) -> None:
        """Take the keyboard off the message, noting the choice (if any) under the question."""
        if not isinstance(message, Message):
            return  # too old for Telegram to show us; nothing to edit
        title = choice_title(message.reply_markup, data) if data is not None else None
        if title is not None and message.text is not None:
            # The mark is the same in both languages: a tick and the button's own title.
            marked = f"{message.text}\n\n{text('chosen', 'en', choice=title)}"
            if units(marked) <= MAX_MESSAGE_UNITS:
                await self.outbox.best_effort(message.edit_text(marked, reply_markup=None))
                return
        await self.outbox.best_effort(message.edit_reply_markup(reply_markup=None))

    async def _send_my_data(self, update: Update) -> None:
        if self._data_rights is None:
            await self._turn(update, MY_DATA)
            return
        person, chat, _user = await self._person(update)
        data = await self._db(self._data_rights.export_person, person.sender_id)
        document = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
        caption = text("my_data_caption", person.language)
        await self.outbox.send_document(person.sender_id, chat.id, MY_DATA_FILE, document, caption)
        log.info("telegram: data export sent sender=%s", pseudonym(person.sender_id))

    async def _confirm_forget(self, update: Update) -> None:
        if self._data_rights is None:
            await self._turn(update, FORGET)
            return
        person, chat, _user = await self._person(update)
        language = person.language
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(text("forget_yes", language), callback_data=FORGET_YES)],
                [InlineKeyboardButton(text("forget_no", language), callback_data=FORGET_NO)],
            ]
        )
        await self.outbox.send_text(
            person.sender_id, chat.id, text("forget_confirm", language), markup
        )

    async def _forget(self, update: Update, *, confirmed: bool) -> None:
        person, chat, _user = await self._person(update)
        if not confirmed or self._data_rights is None:
            await self.outbox.send_text(
                person.sender_id, chat.id, text("forget_cancelled", person.language)
            )
            return
        await self._db(self._data_rights.erase_person, person.sender_id)
        log.info(
            "telegram: data erased at the person's request sender=%s", pseudonym(person.sender_id)
        )
        # The person is gone: this last line goes out without touching the store again.
        await self.outbox.send_text(None, chat.id, text("forgotten", person.language))
