"""Data rights while the dialogue engine is away: the gateway answers them itself.

The engine's own dialogue handles "my data", "forget me" and "withdraw consent" when it is
up. When it is down or restarting, a person must not have to wait to see, erase or stop
their data: `answer_away` recognises the request (phrases in `data/content/system.yml`,
English and Welsh) and replies with a button; `carry_out` acts on the button's payload,
which only the gateway offers, whether or not the engine is back by then.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

from sqlalchemy.orm import Session

from bot.content.system import CONTENT_DIR, _load, privacy_notice_version, system_message
from bot.engine_client import BotMessage, Button
from bot.store import data_rights

Right = Literal["my_data", "forget_me", "withdraw_consent"]
ERASE_NOW = "/erase_now"
WITHDRAW_NOW = "/withdraw_consent_now"
KEEP = "/keep_my_data"
PAYLOADS = frozenset({ERASE_NOW, WITHDRAW_NOW, KEEP})


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("'", "")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


@functools.cache
def _phrases() -> dict[Right, tuple[str, ...]]:
    table = _load(CONTENT_DIR / "system.yml")["offline_rights"]
    return {
        right: tuple(_plain(p) for lang in ("en", "cy") for p in table[right][lang])
        for right in ("my_data", "forget_me", "withdraw_consent")
    }


def requested(text: str) -> Right | None:
    """Which data right a message asks for, or None (erasure first: it is the strongest)."""
    plain = f" {_plain(text)} "
    for right in ("forget_me", "withdraw_consent", "my_data"):
        if any(f" {phrase} " in plain for phrase in _phrases()[right]):
            return right
    return None


def _button(key: str, payload: str, language: str) -> Button:
    return Button(title=system_message(key, language), payload=payload)


def answer_away(text: str, language: str) -> BotMessage | None:
    """The reply to a data-rights request while the engine is away, or None."""
    right = requested(text)
    if right == "my_data":
        download = _button("offline_button_download", data_rights.DOWNLOAD_PAYLOAD, language)
        return BotMessage(text=system_message("offline_my_data", language), buttons=[download])
    if right is None:
        return None
    key, payload, title = {
        "forget_me": ("offline_forget_me", ERASE_NOW, "offline_button_erase"),
        "withdraw_consent": ("offline_withdraw", WITHDRAW_NOW, "offline_button_withdraw"),
    }[right]
    return BotMessage(
        text=system_message(key, language),
        buttons=[
            _button(title, payload, language),
            _button("offline_button_keep", KEEP, language),
        ],
    )


def carry_out(session: Session, sender_id: str, payload: str, channel: str) -> str:
    """Act on a button the gateway offered; the system-message key of the reply."""
    if payload == ERASE_NOW:
        data_rights.erase_person(session, sender_id)
        return "offline_erased"
    if payload == WITHDRAW_NOW:
        data_rights.withdraw_consent(
            session, sender_id, notice_version=privacy_notice_version(), channel=channel
        )
        return "offline_withdrawn"
    return "offline_kept_nothing"
