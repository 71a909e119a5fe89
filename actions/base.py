"""Plumbing shared by the custom actions: a typed base class, store access and languages."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.store.db import unit_of_work
from bot.store.people import LANGUAGES

T = TypeVar("T")

LANGUAGE_SLOT = "language"
CONSENT_SLOT = "consent"
DEFAULT_LANGUAGE = "en"

# Words the NLU may extract for a language (the synonyms in data/nlu/language.yml
# normally map them already); lower-cased, mutated Welsh forms included.
_LANGUAGE_NAMES = {
    "en": "en",
    "english": "en",
    "saesneg": "en",
    "cy": "cy",
    "welsh": "cy",
    "cymraeg": "cy",
    "gymraeg": "cy",
}


def normalise_language(value: object) -> str | None:
    """The code ("en" or "cy") for a language code, tag ("cy-GB") or name; else None."""
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if word in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[word]
    code = word.replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else None


async def run_in_store(work: Callable[[Session], T]) -> T:
    """Run `work` in one unit of work on a worker thread, so the event loop never blocks."""

    def _run() -> T:
        with unit_of_work() as session:
            return work(session)

    return await asyncio.to_thread(_run)


class CoachAction(Action, abc.ABC):  # type: ignore[misc]  # rasa_sdk ships no type hints
    """Base of every coach action: a fixed name and an async `run` returning events.

    Abstract, so the action server's registry (every concrete `Action` subclass)
    skips it and registers only the concrete actions.
    """

    action_name: str = ""

    def name(self) -> str:
        return self.action_name

    @abc.abstractmethod
    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """The events this action adds to the conversation."""
