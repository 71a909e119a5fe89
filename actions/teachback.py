"""Teach-back dialogue: start or resume a module, ask for each chunk in the patient's own
words, and react to each answer. Thin: the loop lives in `bot.teachback.flow`.

`teachback_form` has one slot, `teachback_answer`, filled from the patient's text.
`validate_teachback_form` grades it and sets it back to None to keep the form asking, or
leaves it filled when the module ends or the patient stops. `action_ask_teachback_answer`
asks the current question, from the store.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import (
    LANGUAGE_SLOT,
    CoachAction,
    CoachValidation,
    run_in_store,
    tracker_language,
)
from bot.content.teachback import Module, find_module, load_dialogue
from bot.logs import pseudonym
from bot.teachback import flow

logger = logging.getLogger(__name__)

ANSWER_SLOT = "teachback_answer"
ACTIVE_SLOT = "teachback_active"
MODULE_SLOT = "teachback_module"


def _requested_module(tracker: Tracker) -> str | None:
    """The module named by the entity, or by a name in the message's own words."""
    for value in tracker.get_latest_entity_values(MODULE_SLOT):
        if isinstance(value, str) and find_module(value) is not None:
            return value
    text = (tracker.latest_message or {}).get("text") or ""
    if text and not text.startswith("/"):
        module = find_module(text)
        if module is not None:
            return module.id
    return None


def _say(dispatcher: CollectingDispatcher, text: str) -> None:
    dispatcher.utter_message(text=text)


class ActionTeachbackStart(CoachAction):
    """Start the module asked for, resume the unfinished one, or offer the modules."""

    action_name = "action_teachback_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        sender_id: str = tracker.sender_id
        language = tracker_language(tracker)
        wanted = _requested_module(tracker)

        def _start(session: Session) -> tuple[str, bool] | None:
            started = flow.start_or_resume(session, sender_id, wanted, language)
            return None if started is None else (started[0].module_id, started[1])

        started = await run_in_store(_start)
        if started is None:  # the rule that follows offers the modules
            return [SlotSet(ACTIVE_SLOT, False), SlotSet(ANSWER_SLOT, None)]
        module_id, resumed = started
        module = find_module(module_id)
        assert module is not None
        dialogue = load_dialogue()
        if resumed:
            _say(dispatcher, dialogue.say("welcome_back", language))
            _say(dispatcher, module.title.in_language(language))
        else:
            _say(dispatcher, module.title.in_language(language))
            _say(dispatcher, module.review_notice.in_language(language))
            _say(dispatcher, dialogue.say("intro", language))
        logger.info(
            "teach-back %s %s for %s",
            "resumed" if resumed else "started",
            module_id,
            pseudonym(sender_id),
        )
        return [
            SlotSet(ACTIVE_SLOT, True),
            SlotSet(MODULE_SLOT, module_id),
            SlotSet(ANSWER_SLOT, None),
        ]


class ActionAskTeachbackAnswer(CoachAction):
    """Ask the current question: the chunk and its own-words prompt, or the re-explanations."""

    action_name = "action_ask_teachback_answer"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        sender_id: str = tracker.sender_id

        def _prompt(session: Session) -> tuple[flow.Prompt | None, bool]:
            tb = flow.current_session(session, sender_id)
            if tb is None:
                return None, False
            return flow.prompt_for(tb), flow.asks_text_consent(session, tb)

        prompt, asks_consent = await run_in_store(_prompt)
        if prompt is None:
            dispatcher.utter_message(response="utter_teachback_choose_module")
            return []
        language = tracker_language(tracker)
        if asks_consent:
            dialogue = load_dialogue()
            dispatcher.utter_message(
                text=dialogue.say("keep_text_question", language),
                buttons=[
                    {"title": dialogue.say("keep_text_yes", language), "payload": "/affirm"},
                    {"title": dialogue.say("keep_text_no", language), "payload": "/deny"},
                ],
            )
            return []
        if prompt.retry == 0:
            _say(dispatcher, prompt.chunk.text.in_language(language))
            _say(dispatcher, prompt.chunk.ask.in_language(language))
        else:
            for point in prompt.pending:
                _say(dispatcher, point.re_explain.in_language(language))
            _say(dispatcher, load_dialogue().say("ask_again", language, prompt.retry - 1))
        return []


class ValidateTeachbackForm(CoachValidation):
    """Grade the answer, store it, and say what comes next (never the grade itself)."""

    def name(self) -> str:
        return "validate_teachback_form"

    async def validate_teachback_answer(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        sender_id: str = tracker.sender_id
        text = slot_value if isinstance(slot_value, str) else ""
        outcome = await run_in_store(lambda session: flow.handle_answer(session, sender_id, text))
        language = tracker_language(tracker)
        logger.info("teach-back answer from %s: %s", pseudonym(sender_id), outcome.kind)
        keep_asking = {ANSWER_SLOT: None}
        dialogue = load_dialogue()
        replies = {
            flow.OWN_WORDS: "own_words",
            flow.RETRY: "partly",
            flow.ALL_COVERED: "praise",
            flow.MOVE_ON: "move_on",
            flow.PAUSED_NOW: "paused",
        }
        if outcome.kind == flow.REPEAT:
            return keep_asking  # the form asks the current question again
        if outcome.kind == flow.LANGUAGE_CHANGED and outcome.language is not None:
            _say(dispatcher, dialogue.say("language_switched", outcome.language))
            return {**keep_asking, LANGUAGE_SLOT: outcome.language}
        if outcome.kind == flow.TEXT_CONSENT_SAVED:
            saved = "keep_text_saved_yes" if outcome.keep_text else "keep_text_saved_no"
            _say(dispatcher, dialogue.say(saved, language))
            return keep_asking
        if outcome.kind in replies:
            _say(dispatcher, dialogue.say(replies[outcome.kind], language, outcome.chunk_index))
            if outcome.kind != flow.PAUSED_NOW:
                return keep_asking
        elif outcome.kind == flow.FINISHED and outcome.module is not None:
            self._summarise(dispatcher, outcome, outcome.module, language)
        else:  # no module in progress any more (erased, or content removed)
            dispatcher.utter_message(response="utter_teachback_choose_module")
        return {ANSWER_SLOT: outcome.kind, ACTIVE_SLOT: False}

    @staticmethod
    def _summarise(
        dispatcher: CollectingDispatcher, outcome: flow.Outcome, module: Module, language: str
    ) -> None:
        dialogue = load_dialogue()
        if outcome.follow_up_chunks:
            _say(dispatcher, dialogue.say("move_on_last", language))
        else:
            _say(dispatcher, dialogue.say("praise", language, outcome.chunk_index))
        _say(dispatcher, dialogue.say("summary", language))
        _say(dispatcher, module.title.in_language(language))
        if outcome.covered_points:
            _say(
                dispatcher,
                "\n".join(f"• {p.text.in_language(language)}" for p in outcome.covered_points),
            )
        if outcome.follow_up_chunks:
            _say(dispatcher, dialogue.say("summary_follow_up", language))
