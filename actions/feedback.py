"""Patient feedback, stories and nudge settings (issue 10). Thin adapters: the logic is
bot.feedback, storing is bot.store.improvement, texts are data/content/feedback.yml.

Clarity: `action_feedback_offer` ends a teach-back module with one-tap rating buttons (the
option grid offers them itself); `action_record_clarity` stores a tap and sets
`feedback_next` "suggest", so `feedback_suggestion_form` asks once what could be explained
better ("No thanks" skips). Stories: `story_form` asks consent, then the story.
"""

from __future__ import annotations

import abc
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    AskSlot,
    CoachAction,
    CoachValidation,
    run_in_store,
    say_reply,
    tracker_language,
    yes_or_no_said,
)
from bot.feedback import content, ratings, stories
from bot.logs import pseudonym
from bot.store import improvement

logger = logging.getLogger(__name__)

DomainDict = dict[str, Any]
Events = list[dict[str, Any]]
ITEM_SLOT = "feedback_item"
ID_SLOT = "feedback_id"
NEXT_SLOT = "feedback_next"
SUGGESTION_SLOT = "feedback_suggestion"
STORY_SLOTS = ("story_consent", "story_text")


def _say(dispatcher: CollectingDispatcher, tracker: Tracker, key: str) -> None:
    say_reply(dispatcher, content.reply(key, tracker_language(tracker)))


def _offer(dispatcher: CollectingDispatcher, item: ratings.Item, language: str) -> None:
    say_reply(dispatcher, content.clarity_offer(item.encode(), item.kind, language))


def offer_clarity(
    dispatcher: CollectingDispatcher, tracker: Tracker, item: ratings.Item
) -> list[dict[str, Any]]:
    """Ask how clear an item was (the option grid's hook); the events to remember it."""
    _offer(dispatcher, item, tracker_language(tracker))
    return [SlotSet(ITEM_SLOT, item.encode())]


class ActionFeedbackOffer(CoachAction):
    """After teach-back: a finished module gets the clarity question, a paused one "what
    next?"."""

    action_name = "action_feedback_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        item = None
        if tracker.get_slot("teachback_answer") == "finished":
            item = await run_in_store(lambda s: ratings.finished_module(s, sender_id))
        if item is None:
            dispatcher.utter_message(response="utter_what_next")
            return []
        return offer_clarity(dispatcher, tracker, item)


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(iter(tracker.get_latest_entity_values(name)), None)
    return str(value) if value is not None else None


class ActionRecordClarity(CoachAction):
    """Store a clarity rating (a tap, or typed words) for the item offered."""

    action_name = "action_record_clarity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        language = tracker_language(tracker)
        done = [SlotSet(NEXT_SLOT, "done")]
        item = ratings.decode(_entity(tracker, "feedback_item") or tracker.get_slot(ITEM_SLOT))
        if item is None:
            _say(dispatcher, tracker, "nothing_to_rate")
            return done
        said = _entity(tracker, "clarity") or (tracker.latest_message or {}).get("text")
        clarity = ratings.parse_clarity(said)
        if clarity is None:
            _say(dispatcher, tracker, "clarity_unclear")
            _offer(dispatcher, item, language)
            return done
        feedback_id = await run_in_store(
            lambda s: ratings.record(s, sender_id, item, clarity, language)
        )
        logger.info(
            "clarity %d for %s %s from %s", clarity, item.kind, item.id, pseudonym(sender_id)
        )
        return [
            SlotSet(ID_SLOT, str(feedback_id)),
            SlotSet(ITEM_SLOT, None),
            SlotSet(SUGGESTION_SLOT, None),
            SlotSet(NEXT_SLOT, "suggest"),
        ]


class _AskFeedback(AskSlot, abc.ABC):
    """Ask for one form slot with a reply from feedback.yml. Abstract: not registered."""

    def reply(self, key: str, language: str) -> dict[str, Any]:
        return content.reply(key, language)


class ActionAskFeedbackSuggestion(_AskFeedback):
    action_name = "action_ask_feedback_suggestion"
    key = "ask_suggestion"


class ActionAskStoryConsent(_AskFeedback):
    action_name = "action_ask_story_consent"
    key = "ask_story_consent"


class ActionAskStoryText(_AskFeedback):
    action_name = "action_ask_story_text"
    key = "ask_story_text"


class ValidateFeedbackSuggestionForm(CoachValidation):
    """Their words, or "-" for "No thanks" (so the form ends either way)."""

    typed_buttons = True

    def name(self) -> str:
        return "validate_feedback_suggestion_form"

    def validate_feedback_suggestion(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {SUGGESTION_SLOT: None}
        return {SUGGESTION_SLOT: ratings.own_words(value) or ratings.SKIPPED}


class ActionSaveSuggestion(CoachAction):
    """Attach the suggestion to the rating just given, or thank them for the rating."""

    action_name = "action_save_suggestion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        words = ratings.own_words(tracker.get_slot(SUGGESTION_SLOT))
        feedback_id = tracker.get_slot(ID_SLOT)
        saved = False
        if words is not None and feedback_id:
            saved = await run_in_store(
                lambda s: ratings.add_suggestion(s, sender_id, feedback_id, words)
            )
        if saved:
            logger.info("suggestion saved from %s", pseudonym(sender_id))
        _say(dispatcher, tracker, "suggestion_thanks" if saved else "suggestion_skipped")
        return [SlotSet(SUGGESTION_SLOT, None), SlotSet(ID_SLOT, None), SlotSet(NEXT_SLOT, None)]


class ActionStoryStart(CoachAction):
    """Say what a story is for and who reads it; the form asks consent next."""

    action_name = "action_story_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        _say(dispatcher, tracker, "story_intro")
        return [SlotSet(name, None) for name in STORY_SLOTS]


class ValidateStoryForm(CoachValidation):
    """Consent to share first; a "no" ends the form with nothing taken. A typed yes or no
    counts in its everyday forms ("yeah go on", "hoffwn", "dim diolch")."""

    typed_buttons = True

    def name(self) -> str:
        return "validate_story_form"

    def validate_story_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"story_consent": None}
        answer = stories.consent_answer(value)
        said = yes_or_no_said(tracker)
        if said is not None and not str(value).startswith("/"):
            answer = stories.YES if said else stories.NO
        if answer is None:
            _say(dispatcher, tracker, "story_consent_unclear")
            return {"story_consent": None}
        if answer == stories.NO:
            return {"story_consent": stories.NO, "story_text": ratings.SKIPPED}
        return {"story_consent": stories.YES}

    def validate_story_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"story_text": None}
        return {"story_text": ratings.own_words(value) or ratings.SKIPPED}


class ActionSaveStory(CoachAction):
    """Keep the story with their consent and thank them; or say nothing was kept."""

    action_name = "action_save_story"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        language = tracker_language(tracker)
        consent, told = tracker.get_slot("story_consent"), tracker.get_slot("story_text")
        saved = await run_in_store(lambda s: stories.save(s, sender_id, consent, told, language))
        logger.info("story %s for %s", "kept" if saved else "not kept", pseudonym(sender_id))
        _say(dispatcher, tracker, "story_thanks" if saved else "story_declined")
        return [SlotSet(name, None) for name in STORY_SLOTS]


class _SetNudges(CoachAction, abc.ABC):
    """Turn re-engagement nudges off or on. Abstract: not registered."""

    @property
    @abc.abstractmethod
    def off(self) -> bool:
        """True to turn them off."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        await run_in_store(lambda s: improvement.set_nudges_off(s, sender_id, self.off))
        logger.info("nudges %s for %s", "off" if self.off else "on", pseudonym(sender_id))
        _say(dispatcher, tracker, "nudges_off" if self.off else "nudges_on")
        return []


class ActionNudgesOff(_SetNudges):
    action_name = "action_nudges_off"
    off = True


class ActionNudgesOn(_SetNudges):
    action_name = "action_nudges_on"
    off = False
