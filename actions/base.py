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
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from sqlalchemy.orm import Session

from bot.content.system import system_message
from bot.conversation import answers
from bot.conversation import content as conversation
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


REQUESTED_SLOT = "requested_slot"
# Intents that step out of a form only when the message reads as that and not as an answer:
# a medicine question must be a question, and feeling low a short message (a patient's
# explanation or story may well mention tablets or a bad day).
SOFT_INTERRUPTIONS = ("medicine_question", "mood_low")
_QUESTION_START = re.compile(
    r"^(can|could|should|shall|is|are|am|do|does|did|will|would|how|what|when|why|which|"
    r"may|ga i|gaf i|ddylwn|ddylai|ydy|ydi|oes|sut|beth|pryd|pam|faint|alla i|fydd)\b"
)
SHORT_MESSAGE_WORDS = 6
# An interruption must be this sure to step out of a form: a short answer the NLU half
# recognises as something else ("after lunch" as goodbye, at 0.3) is still an answer.
INTERRUPTION_CONFIDENCE = 0.7


def latest_confidence(tracker: Tracker) -> float:
    """How sure the NLU was of the latest message's intent (1.0 for a button)."""
    found = ((tracker.latest_message or {}).get("intent") or {}).get("confidence")
    return float(found) if isinstance(found, int | float) else 1.0


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the latest message."""
    name = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    return str(name) if name else None


def latest_text(tracker: Tracker) -> str:
    """The latest message's text (a button's payload included)."""
    return str((tracker.latest_message or {}).get("text") or "").strip()


def typed_text(tracker: Tracker) -> str:
    """What the person typed in the latest message; "" for a button's payload."""
    text = latest_text(tracker)
    return "" if text.startswith("/") else text


def _latest_user_index(events: list[dict[str, Any]]) -> int | None:
    return next(
        (i for i in range(len(events) - 1, -1, -1) if events[i].get("event") == "user"), None
    )


def events_since_user(tracker: Tracker) -> list[dict[str, Any]]:
    """The events after the latest user message (this turn so far)."""
    events = list(tracker.events)
    index = _latest_user_index(events)
    return events[index + 1 :] if index is not None else events


def offered_buttons(tracker: Tracker) -> list[dict[str, Any]]:
    """The buttons the coach showed before the latest message: what a typed answer answers."""
    events = list(tracker.events)
    index = _latest_user_index(events)
    if index is None:
        return []
    buttons: list[dict[str, Any]] = []
    for event in reversed(events[:index]):
        kind = event.get("event")
        if kind == "user":
            break
        if kind == "bot":
            found = (event.get("data") or {}).get("buttons") or []
            buttons = [dict(b) for b in found if isinstance(b, dict)] + buttons
    return buttons


# The names of the languages as the teach-back loop understands them typed.
LANGUAGE_WORDS = {"en": "English", "cy": "Cymraeg"}


def language_named(tracker: Tracker) -> str | None:
    """The language a `/switch_language{"language": ...}` button asks for, as its name
    ("Cymraeg"); None for anything else (a typed language name is read as it is)."""
    if latest_intent(tracker) != "switch_language" or not latest_text(tracker).startswith("/"):
        return None
    for value in tracker.get_latest_entity_values(LANGUAGE_SLOT):
        code = normalise_language(value)
        if code is not None:
            return LANGUAGE_WORDS[code]
    current = tracker_language(tracker)
    return LANGUAGE_WORDS["cy" if current == "en" else "en"]


def yes_or_no_said(tracker: Tracker) -> bool | None:
    """A yes (True) or no (False) in the latest message, as the NLU read it; else None."""
    intent = latest_intent(tracker)
    return True if intent == "affirm" else False if intent == "deny" else None


def last_buttons(tracker: Tracker) -> list[dict[str, Any]]:
    """The buttons of the last message that had any, before the latest message: the
    question a typed yes or no answers."""
    events = list(tracker.events)
    index = _latest_user_index(events)
    for event in reversed(events[:index] if index is not None else []):
        kind = event.get("event")
        if kind == "user":
            break
        found = (event.get("data") or {}).get("buttons") if kind == "bot" else None
        if found:
            return [dict(b) for b in found if isinstance(b, dict)]
    return []


# Interruptions that a value of the slot asked for can look like ("tomorrow" as goodbye,
# "mondays and thursdays" as a plan change): a message that parses as that value is the
# answer (`parses_as_answer`). Data rights, stop, cancel and a language switch never are.
SOFT_OR_PARSED_INTERRUPTIONS = frozenset(
    {"goodbye", "greet", "help", "go_back", "my_goals", "my_questions", "not_now",
     "resume_activity", "medicine_question", "mood_low", "out_of_scope"}
)  # fmt: skip
# Interruptions a question of the patient's own can look like ("what else could I do
# instead?" as help, "what could go wrong?" as go back): in a slot that asks for their
# questions (`question_slots`), a message that reads as a question is the answer.
QUESTION_LIKE_INTERRUPTIONS = frozenset({"help", "go_back", "medicine_question", "out_of_scope"})
# Words that make such a question the interruption after all ("can we go back?", "help?").
_COMMAND_WORDS = re.compile(r"\b(back|previous|help|menu|nôl|mynd yn ôl|helpu|dewislen)\b")
_CLAUSE = re.compile(r"[,.;:!\n]+|\s+-\s+")


def reads_as_question(text: str) -> bool:
    """Whether a message asks something: a question mark, or a clause that starts as a
    question does ("i missed a dose, what should i do")."""
    said = " ".join(text.lower().split())
    if "?" in said:
        return True
    return any(_QUESTION_START.match(c.strip()) for c in _CLAUSE.split(said) if c.strip())


# Words people put before a question ("wait, what does confidence mean?", "sori, beth yw...").
_LEAD_INS = re.compile(
    r"^((wait|sorry|um+|erm*|er|hang on|hold on|ok|okay|oh|actually|but|so|and|hmm+|"
    r"aros|sori|iawn|wel|ond|felly|a dweud y gwir|mewn gwirionedd)\b[\s,]*)+"
)
_QUESTION_WORD = re.compile(
    r"^(what|why|how|which|who|can|could|should|is|are|do|does|will|would|"
    r"beth|be|pam|sut|pwy|ga i|gaf i|alla i|ydy|ydi|oes|fydd)\b"
)
# Answers to "when?" or "how much?" that start like a question ("when I wake up?").
_ANSWER_STARTS = ("how about", "what about")


def asks_instead_of_answering(text: str) -> bool:
    """Whether a message to a free-text question is a question of the patient's own, not an
    answer: a question mark, and a clause that starts (after "wait", "sorry"...) as a
    question does. "after lunch?" and "when I wake up?" are unsure answers, not questions."""
    said = " ".join(text.lower().split())
    if "?" not in said:
        return False
    for clause in _CLAUSE.split(said):
        asked = _LEAD_INS.sub("", clause.strip())
        if _QUESTION_WORD.match(asked) and not asked.startswith(_ANSWER_STARTS):
            return True
    return False


def reads_as_interruption(intent: str | None, text: str) -> bool:
    """Whether a soft interruption's message is one (see SOFT_INTERRUPTIONS)."""
    said = " ".join(text.lower().split())
    if intent == "medicine_question":
        return reads_as_question(said)
    if intent == "mood_low":
        return len(said.split()) <= SHORT_MESSAGE_WORDS
    return True


class CoachValidation(_KindOnFailure, FormValidationAction, abc.ABC):  # type: ignore[misc]
    """The one base of every form validation action: the patient can always step out of a
    form, and what they type is understood as they meant it.

    On each answer to the question the form asked (`requested_slot`):
    - an interruption is never taken as the answer. The slot's mappings in domain.yml list
      the intents that interrupt it (`not_intent`), so nothing is extracted; this returns no
      event at all, Rasa rejects the form (ActionExecutionRejection), and the interruption's
      rule runs (stories/conversation.yml). A button from an earlier message (the menu)
      tapped mid-form rejects it too.
    - with `typed_buttons`, the title of one of the question's buttons typed (or a word that
      means it: "skip", "hepgor") counts as the tap;
    - with `corrections`, "actually ..." corrects the last answer (`correction_target`) and
      the form asks its question again; "change the ..." (change_plan_detail) goes to
      `change_detail`, by default a step back.
    Only the slot just asked for is validated: the others a form already holds are kept as
    they are, so carrying on after an interruption never re-validates (or re-reads) them.

    A failing validation never raises either: it returns no events, so the form asks again.
    Abstract (its `name`), so the action server's registry skips it.
    """

    typed_buttons: ClassVar[bool] = False
    corrections: ClassVar[bool] = False
    # Button payloads the form's own validator answers (say, a language switch mid-module).
    payload_intents: ClassVar[frozenset[str]] = frozenset()
    # Slots whose answer is a question of the patient's own (see QUESTION_LIKE_INTERRUPTIONS).
    question_slots: ClassVar[frozenset[str]] = frozenset()
    # Slots answered in free text with nothing to parse it: a question asked there
    # (`asks_instead_of_answering`) is never kept as the answer.
    free_text_slots: ClassVar[frozenset[str]] = frozenset()

    @abc.abstractmethod
    def name(self) -> str:
        """`validate_<form name>`."""

    def failure_events(self, tracker: Tracker) -> Events:
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        requested = tracker.get_slot(REQUESTED_SLOT)
        if isinstance(requested, str) and self.answering(tracker):
            understood = await self.understand(requested, dispatcher, tracker, domain)
            if understood is not None:
                return understood
        events: Events = await super().run(dispatcher, tracker, domain)
        return events

    def answering(self, tracker: Tracker) -> bool:
        """Whether this run follows a message the patient sent in answer to the form's
        question (not the form starting, or coming back after an interruption)."""
        allowed = {"action_listen", "action_extract_slots", self.form_name()}
        for event in events_since_user(tracker):
            kind = event.get("event")
            if kind in ("bot", "action_execution_rejected", "active_loop"):
                return False
            if kind == "action" and event.get("name") not in allowed:
                return False
        return True

    def interruptions(self, slot: str, domain: dict[str, Any]) -> set[str]:
        """The intents that interrupt this slot (its mappings' not_intent in domain.yml)."""
        found: set[str] = set()
        for mapping in (domain.get("slots", {}).get(slot) or {}).get("mappings") or []:
            found.update(str(i) for i in mapping.get("not_intent") or [])
        form = domain.get("forms", {}).get(self.form_name()) or {}
        found.update(str(i) for i in form.get("ignored_intents") or [])
        return found

    async def understand(
        self,
        requested: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> Events | None:
        """The events for an answer that needs more than the slot's validator; None to
        validate it as usual."""
        text, intent = latest_text(tracker), latest_intent(tracker)
        candidates = tracker.slots_to_validate()
        if self.typed_buttons and not text.startswith("/"):
            payload = answers.button_for(text, offered_buttons(tracker))
            if payload is not None:
                return await self.answer(requested, payload, dispatcher, tracker, domain)
        interrupting = intent in self.interruptions(requested, domain)
        if requested not in candidates:
            unsure = latest_confidence(tracker) < INTERRUPTION_CONFIDENCE
            own_question = (
                requested in self.question_slots
                and intent in QUESTION_LIKE_INTERRUPTIONS
                and reads_as_question(text)
                and _COMMAND_WORDS.search(text.lower()) is None
            )
            if (
                interrupting
                and not text.startswith("/")
                and intent in SOFT_OR_PARSED_INTERRUPTIONS
                and self.parses_as_answer(requested, text)
            ) or (
                interrupting
                and not text.startswith("/")
                and (unsure or own_question or not reads_as_interruption(intent, text))
            ):
                return await self.answer(requested, text, dispatcher, tracker, domain)
            if interrupting:
                logger.info(
                    "form %s interrupted by %s (%s)",
                    self.form_name(),
                    intent,
                    pseudonym(tracker.sender_id),
                )
            return [] if interrupting else None
        if text.startswith("/") and not self.answers_payload(text, tracker):
            # A button from an earlier message (the menu) tapped mid-form: not an answer.
            logger.info("form %s left by a button (%s)", self.form_name(), intent)
            return [SlotSet(requested, None), ActionExecutionRejected(self.form_name())]
        if requested in self.free_text_slots and asks_instead_of_answering(text):
            # "wait what does confidence mean?" to "When will you do it?": not the timing.
            logger.info("form %s: a question, not an answer", self.form_name())
            say_reply(
                dispatcher, conversation.reply("question_not_answer", tracker_language(tracker))
            )
            return await self.finish([SlotSet(requested, None)], dispatcher, tracker, domain)
        if not self.corrections or text.startswith("/"):
            return None
        if intent == "change_plan_detail":
            changed = await self.change_detail(requested, text, dispatcher, tracker, domain)
            if changed is not None:
                return changed
        rest = answers.correction(text)
        if rest is not None and reads_as_question(rest) and not self.question_slots:
            # "actually, what does confidence mean?": a question, not a new answer to this
            # question or the last; nothing changes, and the question is asked again.
            logger.info("form %s: a question after a correction word", self.form_name())
            say_reply(
                dispatcher, conversation.reply("question_not_answer", tracker_language(tracker))
            )
            return await self.finish([SlotSet(requested, None)], dispatcher, tracker, domain)
        if rest is not None:
            return await self.correct(requested, rest, dispatcher, tracker, domain)
        return None

    def parses_as_answer(self, requested: str, text: str) -> bool:
        """Whether the text reads as a value of the slot asked for ("tomorrow" to "when is
        your appointment?", which the NLU may take for goodbye). By default, never."""
        return False

    def answers_payload(self, payload: str, tracker: Tracker) -> bool:
        """Whether a button's payload answers the question asked (one of its buttons, or a
        yes or no)."""
        offered = {str(b.get("payload")) for b in offered_buttons(tracker)}
        intent = payload.split("{", 1)[0]
        return (
            payload in offered
            or intent in ("/affirm", "/deny")
            or (intent.lstrip("/") in self.payload_intents)
        )

    async def validated(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> Events:
        """The slot's own validator on a value, as its events (the tracker updated)."""
        method = getattr(self, f"validate_{slot}", None)
        result: Any = {slot: value}
        if method is not None:
            result = method(value, dispatcher, tracker, domain)
            if inspect.isawaitable(result):
                result = await result
        events = [SlotSet(name, found) for name, found in dict(result).items()]
        tracker.add_slots(events)
        return events

    async def finish(
        self,
        events: Events,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> Events:
        """The events, and the next slot to ask for when the form chooses its own slots."""
        tracker.add_slots(events)
        after = await self.next_requested_slot(dispatcher, tracker, domain)
        return [*events, after] if after else events

    async def answer(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> Events:
        """Validate a value as the answer to `slot`."""
        events = await self.validated(slot, value, dispatcher, tracker, domain)
        return await self.finish(events, dispatcher, tracker, domain)

    async def ordered_slots(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        """The form's slots, in the order it asks them."""
        found: list[str] = await self.required_slots(
            self.domain_slots(domain), dispatcher, tracker, domain
        )
        return found

    async def previous_slot(
        self,
        requested: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> str | None:
        """The last slot answered before the one being asked, or None."""
        order = await self.ordered_slots(dispatcher, tracker, domain)
        before = order[: order.index(requested)] if requested in order else order
        answered = [s for s in before if tracker.get_slot(s) is not None]
        return answered[-1] if answered else None

    def reset_events(self, slot: str, tracker: Tracker) -> Events:
        """The events that make the form ask `slot` again (a subclass may reset more)."""
        return [SlotSet(slot, None)]

    async def step_back(
        self,
        requested: str | None,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> Events | None:
        """Go back one question ("go back", "that's not what I meant"): the previous answer
        is cleared and asked again. None when there is nothing before this question."""
        if requested is None:
            return None
        previous = await self.previous_slot(requested, dispatcher, tracker, domain)
        if previous is None:
            return None
        return [*self.reset_events(previous, tracker), SlotSet(requested, None)]

    async def change_detail(
        self,
        requested: str,
        text: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> Events | None:
        """ "change the ..." mid-form, for a form with details to change (the action plan);
        None: an answer like any other."""
        return None

    async def correction_target(
        self,
        requested: str,
        rest: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> str | None:
        """Which slot a correction corrects: by default the last one answered."""
        return await self.previous_slot(requested, dispatcher, tracker, domain)

    async def correct(
        self,
        requested: str,
        rest: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> Events:
        """ "actually ...": the corrected answer replaces the one it corrects, and the form
        asks its question again (or, correcting the question just asked, answers it)."""
        target = await self.correction_target(requested, rest, dispatcher, tracker, domain)
        if target is None or target == requested:
            return await self.answer(requested, rest, dispatcher, tracker, domain)
        said_before = len(dispatcher.messages)
        events = await self.validated(target, rest, dispatcher, tracker, domain)
        if tracker.get_slot(target) is not None and len(dispatcher.messages) == said_before:
            say_reply(dispatcher, conversation.reply("corrected", tracker_language(tracker)))
        logger.info("form %s: an answer corrected (%s)", self.form_name(), target)
        return await self.finish([*events, SlotSet(requested, None)], dispatcher, tracker, domain)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        """Validate only the slot just asked for; keep the other candidates as they are."""
        requested = tracker.get_slot(REQUESTED_SLOT)
        candidates = tracker.slots_to_validate()
        if requested not in candidates:
            return [SlotSet(name, value) for name, value in candidates.items()]
        kept = {k: v for k, v in candidates.items() if k != requested}
        tracker.slots.update(kept)
        events = [SlotSet(name, value) for name, value in kept.items()]
        found: Events = await super().get_validation_events(dispatcher, tracker, domain)
        return [*events, *found]


def validation_for(form: object) -> CoachValidation | None:
    """The validation action of a form, by the form's name."""
    for cls in _concrete(CoachValidation):
        found = cls()
        if isinstance(found, CoachValidation) and found.form_name() == form:
            return found
    return None


def _concrete(base: type) -> list[type]:
    found: list[type] = []
    subclasses: list[type] = base.__subclasses__()
    for sub in subclasses:
        if not inspect.isabstract(sub):
            found.append(sub)
        found.extend(_concrete(sub))
    return found


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

    def key_for(self, tracker: Tracker) -> str:
        """The reply that asks in this conversation (a subclass may choose by the slots)."""
        return self.key

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        say_reply(dispatcher, self.reply(self.key_for(tracker), tracker_language(tracker)))
        return []
