"""Clarity ratings and suggestions: which item is rated, what a typed rating means, and
storing both with the content version, language and channel.

An item travels in the rating buttons' payload as "<kind>:<id>:<version>" ("module" for a
teach-back module, "grid" for an option grid), so a tap is recorded against the version
the patient was actually shown, even after the content has changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.option_grids import OptionGrid, find_grid
from bot.content.teachback import find_module
from bot.store import improvement, people
from bot.store.models import ChannelIdentity, TeachbackSession
from bot.teachback.phrases import normalise

MODULE, GRID = "module", "grid"
SKIPPED = "-"  # a form slot the patient chose to skip (None would make the form ask again)
_ITEM = re.compile(r"^(module|grid):([\w-]{1,64}):(\d{1,6})$")
_NOT_CLEAR = re.compile(
    r"n't\b|\b(not|unclear|confus\w*|hard|difficult|ddim|dryslyd|aneglur|anodd)\b"
)
_MOSTLY = re.compile(
    r"\b(mostly|fairly|quite|partly|some|ok|okay|eithaf|gweddol|cyfan|rhannol|rhywfaint)\b"
)
_CLEAR = re.compile(r"\b(clear|clir|glir|easy|hawdd)\b")
# Replies that mean "nothing to add", "stop" or "take me elsewhere" in a free-text step.
_NOTHING = re.compile(
    r"^(no|nope|no thanks?|no thank you|nothing|none|not really|nothing else|all good|"
    r"stop|quit|exit|skip|cancel|help|menu|show the menu|na|nac oes|dim|dim diolch|"
    r"na diolch|dim byd|dim byd arall|stopio|gadael|hepgor|canslo|help|cymorth|dewislen)$"
)


@dataclass(frozen=True)
class Item:
    """What a rating is about: a module or a grid, at the version shown."""

    kind: str
    id: str
    version: int

    def encode(self) -> str:
        return f"{self.kind}:{self.id}:{self.version}"


def decode(value: object) -> Item | None:
    """The item in a payload or slot, if it names a module or grid that exists."""
    if not isinstance(value, str):
        return None
    found = _ITEM.match(value.strip())
    if found is None:
        return None
    kind, item_id, version = found.group(1), found.group(2), int(found.group(3))
    exists = find_module(item_id) if kind == MODULE else find_grid(item_id)
    return Item(kind, item_id, version) if exists is not None else None


def grid_item(grid: OptionGrid) -> Item:
    """An option grid as shown now (a version that is not a whole number counts as 0)."""
    version = int(grid.version) if grid.version.isdigit() else 0
    return Item(GRID, grid.id, version)


def finished_module(session: Session, sender_id: str) -> Item | None:
    """The module the person finished last, with the version they were taught."""
    person = people.find_person(session, sender_id)
    if person is None:
        return None
    row = session.execute(
        select(TeachbackSession.module_id, TeachbackSession.module_version)
        .where(TeachbackSession.person_id == person.id, TeachbackSession.status == "completed")
        .order_by(TeachbackSession.finished_at.desc(), TeachbackSession.id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else Item(MODULE, str(row[0]), int(row[1]))


def parse_clarity(value: object) -> int | None:
    """A rating from a button's entity ("1"-"5") or typed words ("not clear", "clir iawn")."""
    said = normalise(str(value or ""))
    if said.isdigit():
        number = int(said)
        return number if improvement.CLARITY_MIN <= number <= improvement.CLARITY_MAX else None
    if _NOT_CLEAR.search(said):
        return 1
    if _MOSTLY.search(said):
        return 3
    if _CLEAR.search(said):
        return 5
    return None


def channel_of(session: Session, sender_id: str) -> str:
    """The channel the person is reached on now (their newest active identity)."""
    person = people.find_person(session, sender_id)
    if person is None:
        return "web"
    channel = session.scalar(
        select(ChannelIdentity.channel)
        .where(ChannelIdentity.person_id == person.id, ChannelIdentity.active.is_(True))
        .order_by(ChannelIdentity.id.desc())
        .limit(1)
    )
    return channel or "web"


def record(session: Session, sender_id: str, item: Item, clarity: int, language: str) -> int:
    """Store the rating with the item's version, the language and the channel; its id."""
    return improvement.record_clarity(
        session,
        sender_id,
        item.kind,
        item.id,
        item.version,
        clarity,
        language,
        channel_of(session, sender_id),
    )


def own_words(value: object) -> str | None:
    """The patient's own words from a free-text step; None for a button, a blank, "no
    thanks" or "stop" (nothing to keep)."""
    text = str(value or "").strip()
    if not text or text.startswith("/") or text == SKIPPED:
        return None
    if _NOTHING.match(normalise(text)):
        return None
    return text


def add_suggestion(session: Session, sender_id: str, feedback_id: object, text: str) -> bool:
    """Attach the suggestion to the person's own rating; False if that rating is not theirs."""
    try:
        number = int(str(feedback_id))
    except ValueError:
        return False
    return improvement.add_suggestion(session, sender_id, number, text)
