"""A person's Telegram app against the local Bot API server: what they send, and what the
bot sent them. The journeys (`test_bot_api_journeys.py`) and `benchmarks/telegram_delivery.py`
drive the gateway with it."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.telegram.bot_api_server import BotCall, ThreadedBotApi

_users = itertools.count(6_400_000_001)


def flat(words: str) -> str:
    return " ".join(words.split())


class Phone:
    """One person's Telegram app: what they send, what the bot sent them."""

    def __init__(self, api: ThreadedBotApi, language: str = "en") -> None:
        self.api = api
        self.user_id = next(_users)
        self.language = language
        self.sent: list[int] = []
        self._message_ids = itertools.count(1)

    @property
    def _user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "Gwen",
                "language_code": self.language}  # fmt: skip

    def message(self, words: str) -> dict[str, Any]:
        """The update Telegram makes when the person sends `words`."""
        chat = {"id": self.user_id, "first_name": "Gwen", "type": "private"}
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self._user,
            "chat": chat,
            "date": int(time.time()),
            "text": words,
        }
        if words.startswith("/"):
            command = words.split()[0]
            body["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return {"update_id": self.api.server.new_update_id(), "message": body}

    def type(self, words: str) -> list[str]:
        """Send `words` and wait until the bot has answered; the texts it sent."""
        return self.deliver(self.message(words))

    def deliver(self, update: dict[str, Any]) -> list[str]:
        """Send an update and wait for the bot's answer (a message, a photo or a document)."""
        texts, sends = len(self.texts()), self.received()
        self.sent.append(self.api.send(update)["update_id"])
        self.api.wait_for(lambda: self.received() > sends, what=f"a reply to update {update}")
        return self.settled(texts)

    def received(self) -> int:
        """How many messages, photos and documents the bot has sent this person."""
        return sum(
            len(self.api.server.sent(method, self.user_id))
            for method in ("sendMessage", "sendPhoto", "sendDocument")
        )

    def settled(self, before: int) -> list[str]:
        """The texts since `before`, once the bot has been quiet for a moment."""
        while True:
            count = len(self.texts())
            time.sleep(0.7)
            if len(self.texts()) == count:
                return self.texts()[before:]

    def texts(self) -> list[str]:
        return [flat(t) for t in self.api.server.texts(self.user_id)]

    def last_keyboard(self) -> BotCall:
        """The newest message to this person that still carries buttons."""
        calls = self.api.server.sent("sendMessage", self.user_id)
        return next(c for c in reversed(calls) if c.params.get("reply_markup"))

    def tap(self, title: str) -> list[str]:
        """Press the button `title` on the newest keyboard, as Telegram reports a press."""
        call = self.last_keyboard()
        markup = call.params["reply_markup"]
        data = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
        assert title in data, f"no button {title!r} among {list(data)}"
        update = {
            "update_id": self.api.server.new_update_id(),
            "callback_query": {
                "id": f"{self.user_id}{len(self.sent)}",
                "from": self._user,
                "chat_instance": "-71023",
                "data": data[title],
                "message": {
                    "message_id": 100,
                    "from": {"id": 7009876543, "is_bot": True, "first_name": "Co-create Coach"},
                    "chat": {"id": self.user_id, "type": "private"},
                    "date": int(time.time()),
                    "text": call.params["text"],
                    "reply_markup": markup,
                },
            },
        }
        return self.deliver(update)
