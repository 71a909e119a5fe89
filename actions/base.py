"""Plumbing shared by the custom actions: typed base classes, store access and languages.

Every action here derives from `CoachAction` or `CoachValidation`, whose `run` never raises:
a failure (the database is down, a bug) is logged by event name, action and sender
pseudonym only, and the person gets a kind reply instead. Left to rasa_sdk, an exception
answers the engine with the whole request (the tracker, message text included), which
Rasa then logs at ERROR.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from sqlalchemy.orm import Session

from bot.content.system import system_message
from bot.logs import pseudonym
from bot.store.db import unit_of_work
from bot.store.people import LANGUAGES

T = TypeVar("T")

logger = logging.getLogger(__name__)

# The event name of a failed action in the action server's log.
ACTION_FAILED = "action.failed"
# The kind reply (data/content/system.yml, English and Welsh) a failed action sends.
ACTION_FAILED_MESSAGE = "action_failed"

Events = list[dict[str, Any]]
Run = Callable[[Any, CollectingDispatcher, Tracker, dict[str, Any]], Awaitable[Events]]

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


def tracker_language(tracker: Tracker) -> str:
    """The conversation's language ("en" or "cy") from the `language` slot."""
    return normalise_language(tracker.get_slot(LANGUAGE_SLOT)) or DEFAULT_LANGUAGE


def say_reply(dispatcher: CollectingDispatcher, reply: Mapping[str, Any]) -> None:
    """Send one reply from a content file: its text and buttons, {"text", "buttons"}."""
    dispatcher.utter_message(text=reply["text"], buttons=reply["buttons"])


def failure_place(exc: BaseException) -> str:
    """Where an exception was raised, as `file:line` (no message: it may quote user text)."""
    frames = inspect.getinnerframes(exc.__traceback__, context=0) if exc.__traceback__ else []
    if not frames:
        return "?"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno}"


def log_failure(action: str, sender_id: str, exc: BaseException) -> None:
    """Log a failed action by event name, action, sender pseudonym and exception type only.

    Never the exception's message or traceback: a database error quotes the statement's
    parameters, which can be the person's own words.
    """
    logger.error(
        "%s action=%s sender=%s error=%s at=%s",
        ACTION_FAILED,
        action,
        pseudonym(sender_id),
        type(exc).__name__,
        failure_place(exc),
    )


def _kind_on_failure(run: Run) -> Run:
    """Wrap an action's `run`: any exception becomes a logged event and a kind reply."""

    @functools.wraps(run)
    async def guarded(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as exc:
            log_failure(str(self.name()), str(tracker.sender_id), exc)
            dispatcher.messages.clear()  # half a reply would mislead; say only what happened
            language = tracker_language(tracker)
            dispatcher.utter_message(text=system_message(ACTION_FAILED_MESSAGE, language))
            events: Events = self.failure_events(tracker)
            return events

    guarded.__dict__["kind_on_failure"] = True
    return guarded


class _KindOnFailure:
    """Mixin: every concrete subclass's `run` (its own or inherited) is wrapped once."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = getattr(cls, "run", None)
        if run is None or getattr(run, "__isabstractmethod__", False):
            return
        if not getattr(run, "kind_on_failure", False):
            setattr(cls, "run", _kind_on_failure(run))  # noqa: B010 - a method, set on the class

    def failure_events(self, tracker: Tracker) -> Events:
        """Events a failed run returns: end the turn here, so no later rule step (say, a
        confirmation of what failed) follows the kind reply."""
        return [FollowupAction("action_listen")]


class CoachAction(_KindOnFailure, Action, abc.ABC):  # type: ignore[misc]  # rasa_sdk untyped
    """Base of every coach action: a fixed name and an async `run` returning events.

    Abstract, so the action server's registry (every concrete `Action` subclass)
    skips it and registers only the concrete actions. A failing `run` never raises
    (see the module docstring).
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


class CoachValidation(_KindOnFailure, FormValidationAction, abc.ABC):  # type: ignore[misc]
    """Base of every form validation action; a failing validation never raises either.

    It returns no events then, so the form asks again for the slot it could not check.
    Abstract (its `name`), so the action server's registry skips it.
    """

    @abc.abstractmethod
    def name(self) -> str:
        """`validate_<form name>`."""

    def failure_events(self, tracker: Tracker) -> Events:
        return []


class AskSlot(CoachAction, abc.ABC):
    """Ask for one form slot (`action_ask_<slot>`) with one reply from a content file.

    A concrete action names only its reply (`key`); an abstract subclass per content file
    says where the replies come from (`reply`). Abstract, so the action server registers
    only the concrete ones.
    """

    @property
    @abc.abstractmethod
    def key(self) -> str:
        """The reply that asks."""

    @abc.abstractmethod
    def reply(self, key: str, language: str) -> dict[str, Any]:
        """One reply, {"text", "buttons"}, in the language."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        say_reply(dispatcher, self.reply(self.key, tracker_language(tracker)))
        return []
