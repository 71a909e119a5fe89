"""Teach-back dialogue: start or resume a module, ask for each chunk in the patient's own
words, and react to each answer. Thin: the loop lives in `bot.teachback.flow`.

`teachback_form` has one slot, `teachback_answer`, filled from the patient's text.
`validate_teachback_form` grades it and sets it back to None to keep the form asking, or
leaves it filled when the module ends or the patient stops. `action_ask_teachback_answer`
asks the current question, from the store.
"""

from __future__ import annotations

import asyncio
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
    language_named,
    reads_as_question,
    run_in_store,
    tracker_language,
)
from bot.content.teachback import KeyPoint, Module, find_module, load_dialogue, servable
from bot.conversation import answers
from bot.logs import pseudonym
from bot.teachback import flow, grader

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


_warming: set[asyncio.Task[None]] = set()


def _warm_up(module: Module) -> None:
    """Load the grader and the module's key points while the patient reads the first chunk."""
    texts = [
        text
        for chunk in module.chunks
        for point in chunk.key_points
        for language in ("en", "cy")
        for text in point.wordings(language)
    ]
    task = asyncio.create_task(asyncio.to_thread(grader.warm_up, texts))
    _warming.add(task)
    task.add_done_callback(_warming.discard)


def _correct_kindly(
    dispatcher: CollectingDispatcher, points: list[KeyPoint], language: str
) -> None:
    """Never thank a wrong or unsafe statement: say kindly what is right instead."""
    _say(dispatcher, load_dialogue().say("correct_kindly", language))
    for point in points:
        _say(dispatcher, point.re_explain.in_language(language))


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
        named = find_module(wanted) if wanted else None
        if named is not None and not servable(named):  # sign-off required and missing
            _say(dispatcher, load_dialogue().say("not_signed_off", language))
            return [SlotSet(ACTIVE_SLOT, False), SlotSet(ANSWER_SLOT, None)]

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
            if not module.signed_off:
                _say(dispatcher, module.review_notice.in_language(language))
            _say(dispatcher, dialogue.say("intro", language))
        _warm_up(module)
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
        if prompt.probing:  # the grader was unsure: one short question about those points
            dialogue = load_dialogue()
            for point in prompt.probing:
                probe = point.probe.in_language(language) if point.probe else None
                _say(dispatcher, probe or dialogue.say("probe_generic", language))
        elif prompt.retry == 0:
            _say(dispatcher, prompt.chunk.text.in_language(language))
            _say(dispatcher, prompt.chunk.ask.in_language(language))
        else:
            for point in prompt.pending:
                _say(dispatcher, point.re_explain.in_language(language))
            _say(dispatcher, load_dialogue().say("ask_again", language, prompt.retry - 1))
        return []


class ValidateTeachbackForm(CoachValidation):
    """Grade the answer, store it, and say what comes next (never the grade itself)."""

    payload_intents = frozenset({"switch_language"})  # issue 17: the loop switches itself

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
        # Issue 17: the widget's language button mid-module sends a payload; the loop
        # understands the language's name.
        text = language_named(tracker) or text
        rest = answers.correction(text)
        if rest is not None and reads_as_question(rest):
            # "actually, what's a spacer?": a question, not an explanation; not graded or
            # kept, and the same part is asked again.
            logger.info("teach-back: a question after a correction word")
            _say(
                dispatcher,
                load_dialogue().say("question_not_explanation", tracker_language(tracker)),
            )
            return {ANSWER_SLOT: None}
        outcome = await run_in_store(lambda session: flow.handle_answer(session, sender_id, text))
        language = tracker_language(tracker)
        logger.info("teach-back answer from %s: %s", pseudonym(sender_id), outcome.kind)
        keep_asking = {ANSWER_SLOT: None}
        dialogue = load_dialogue()
        replies = {
            flow.OWN_WORDS: "own_words",
            flow.RETRY: _retry_reply(outcome),
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
        if outcome.kind == flow.PROBE:
            if outcome.contradicted:
                _correct_kindly(dispatcher, outcome.contradicted, language)
            _say(dispatcher, dialogue.say("probe_intro", language))
            return keep_asking  # the form asks the follow-up question
        if outcome.kind == flow.MOVE_ON and outcome.contradicted:
            _correct_kindly(dispatcher, outcome.contradicted, language)
            _say(dispatcher, dialogue.say("move_on_after_correction", language))
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
        if outcome.last_chunk_followed_up and outcome.contradicted:
            _correct_kindly(dispatcher, outcome.contradicted, language)
            _say(dispatcher, dialogue.say("move_on_last_after_correction", language))
        elif outcome.last_chunk_followed_up:
            _say(dispatcher, dialogue.say("move_on_last", language))
        else:  # the last answer explained everything it was asked
            _say(dispatcher, dialogue.say("praise", language, outcome.chunk_index))
        if not outcome.covered_points:
            _say(dispatcher, dialogue.say("summary_nothing", language))
            return
        _say(dispatcher, dialogue.say("summary", language))
        _say(dispatcher, module.title.in_language(language))
        _say(
            dispatcher,
            "\n".join(f"• {p.text.in_language(language)}" for p in outcome.covered_points),
        )
        if outcome.follow_up_chunks:
            _say(dispatcher, dialogue.say("summary_follow_up", language))


def _retry_reply(outcome: flow.Outcome) -> str:
    """What to say before the re-explanations: never thanks for something wrong or for
    "I don't know"; thanks only when part of it was explained."""
    if outcome.contradicted:
        return "correct_kindly"
    if outcome.not_sure:
        return "not_sure"
    if outcome.explained:
        return "partly"
    return "another_way"
