"""Ask 3 Questions: preparing for an appointment, option grids, the follow-up afterwards and
rehearsal. Thin adapters: the logic is bot.decisions, storing is bot.store.ask3, and the
replies are domain responses or data/content/ask3.yml (English and Welsh).

Buttons inside the forms send `/affirm` ("use these words", "I've finished") or `/deny`
("skip", "not sure yet", "no more questions"); anything typed is the person's own words.
"""

from __future__ import annotations

import abc
import logging
from datetime import date
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
)
from actions.feedback import offer_clarity
from bot.content.option_grids import find_grid
from bot.decisions import content, dates, grids, rehearsal, words
from bot.decisions.dates import parse_date
from bot.decisions.summary import QuestionList, as_text, split_questions
from bot.feedback import ratings
from bot.goals import parse
from bot.logs import pseudonym
from bot.store import ask3

logger = logging.getLogger(__name__)

DomainDict = dict[str, Any]
Events = list[dict[str, Any]]

FORM_SLOTS = (
    "ask3_decision",
    "ask3_options",
    "ask3_date",
    "ask3_q_options",
    "ask3_q_benefits",
    "ask3_q_likelihood",
    "ask3_own",
    "ask3_matters",
)
QUESTION_SLOTS = {
    "ask3_q_options": "options",
    "ask3_q_benefits": "benefits_risks",
    "ask3_q_likelihood": "likelihood",
}
FOLLOW_UP_SLOTS = ("ask3_fu_answers", "ask3_fu_decision", "ask3_fu_involvement")
PRACTICE_SLOTS = ("ask3_practice", "ask3_practice_asked", "ask3_practice_evidence")
SKIPPED = "-"  # a slot the person chose to skip (None would make the form ask again)
USE_THESE = "/affirm"
SKIP = "/deny"


def _say(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **values: Any) -> None:
    say_reply(dispatcher, content.reply(key, tracker_language(tracker), **values))


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _is_payload(value: str) -> bool:
    return value.startswith("/")


def _kept(value: Any) -> str:
    """A slot's value as stored: "" for a skipped one."""
    text = _text(value)
    return "" if text == SKIPPED else text


def _own_questions(value: Any) -> str:
    """The patient's own questions as they wrote them, line breaks and the hyphens inside
    words ("co-codamol", "ail-ddechrau") kept; "" when they skipped the question."""
    text = str(value or "")
    return "" if text.strip() == SKIPPED else text


class _AskAsk3Slot(AskSlot, abc.ABC):
    """Ask for one form slot, with the text from ask3.yml (`ask_<slot>`). Abstract, so the
    action server registers only the concrete ones."""

    def reply(self, key: str, language: str) -> dict[str, Any]:
        return content.reply(key, language)


class ActionAskAsk3Decision(_AskAsk3Slot):
    action_name = "action_ask_ask3_decision"
    key = "ask_decision"


class ActionAskAsk3Options(_AskAsk3Slot):
    action_name = "action_ask_ask3_options"
    key = "ask_options"


class ActionAskAsk3Date(_AskAsk3Slot):
    action_name = "action_ask_ask3_date"
    key = "ask_date"


class ActionAskAsk3QOptions(_AskAsk3Slot):
    action_name = "action_ask_ask3_q_options"
    key = "ask_q_options"


class ActionAskAsk3QBenefits(_AskAsk3Slot):
    action_name = "action_ask_ask3_q_benefits"
    key = "ask_q_benefits"


class ActionAskAsk3QLikelihood(_AskAsk3Slot):
    action_name = "action_ask_ask3_q_likelihood"
    key = "ask_q_likelihood"


class ActionAskAsk3Own(_AskAsk3Slot):
    action_name = "action_ask_ask3_own"
    key = "ask_own"


class ActionAskAsk3Matters(_AskAsk3Slot):
    action_name = "action_ask_ask3_matters"
    key = "ask_matters"


class ActionAskAsk3FuAnswers(_AskAsk3Slot):
    action_name = "action_ask_ask3_fu_answers"
    key = "ask_fu_answers"


class ActionAskAsk3FuDecision(_AskAsk3Slot):
    action_name = "action_ask_ask3_fu_decision"
    key = "ask_fu_decision"


class ActionAskAsk3FuInvolvement(_AskAsk3Slot):
    action_name = "action_ask_ask3_fu_involvement"
    key = "ask_fu_involvement"


class ActionAsk3Start(CoachAction):
    """Explain Ask 3 and say clinicians welcome the questions; the form comes next."""

    action_name = "action_ask3_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        _say(dispatcher, tracker, "intro")
        logger.info("ask 3 started for %s", pseudonym(tracker.sender_id))
        return [SlotSet(name, None) for name in (*FORM_SLOTS, "ask3_grid")]


class ValidateAsk3Form(CoachValidation):
    """The decision, the options known, the date; the three questions in their own words;
    their own questions; what matters most."""

    typed_buttons = True
    corrections = True
    question_slots = frozenset(
        {"ask3_q_options", "ask3_q_benefits", "ask3_q_likelihood", "ask3_own"}
    )

    def name(self) -> str:
        return "validate_ask3_form"

    def validate_ask3_decision(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_decision": None}
        text = _text(value)
        return {"ask3_decision": None if not text or _is_payload(text) else text}

    def validate_ask3_options(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_options": None}
        text = _text(value)
        if _is_payload(text):
            text = content.text("options_unknown", tracker_language(tracker))
        return {"ask3_options": text or None}

    def parses_as_answer(self, requested: str, text: str) -> bool:
        return requested == "ask3_date" and parse_date(text, date.today()) is not None

    def validate_ask3_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_date": None}
        text = _text(value)
        if not text or _is_payload(text):
            return {"ask3_date": SKIPPED}
        found = parse_date(text, date.today())
        if found is None:
            _say(dispatcher, tracker, "date_unclear")
            return {"ask3_date": None}
        _say(
            dispatcher,
            tracker,
            "date_readback",
            date=dates.date_words(found, tracker_language(tracker)),
        )
        return {"ask3_date": found.isoformat()}

    def _question(self, slot: str, value: Any, tracker: Tracker) -> dict[str, Any]:
        text = _text(value)
        if not text or _is_payload(text):  # "use these words"
            text = content.question(QUESTION_SLOTS[slot]).text.in_language(
                tracker_language(tracker)
            )
        return {slot: text}

    def validate_ask3_q_options(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_q_options": None}
        return self._question("ask3_q_options", value, tracker)

    def validate_ask3_q_benefits(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_q_benefits": None}
        return self._question("ask3_q_benefits", value, tracker)

    def validate_ask3_q_likelihood(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_q_likelihood": None}
        return self._question("ask3_q_likelihood", value, tracker)

    def validate_ask3_own(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_own": None}
        text = _text(value)
        return {"ask3_own": SKIPPED if not text or _is_payload(text) else str(value).strip()}

    def validate_ask3_matters(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_matters": None}
        text = _text(value)
        return {"ask3_matters": SKIPPED if not text or _is_payload(text) else text}


class ActionAsk3Finish(CoachAction):
    """Build, show and store "My questions for my appointment"; plan the follow-up; offer a
    matching option grid."""

    action_name = "action_ask3_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        language = tracker_language(tracker)
        slot = tracker.get_slot
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        decision = _kept(slot("ask3_decision"))
        if not decision:
            dispatcher.utter_message(response="utter_form_cancelled")
            return reset
        options = _kept(slot("ask3_options"))
        when = _kept(slot("ask3_date"))
        grid = grids.match_grid(decision, options)
        summary = QuestionList(
            decision=decision,
            options=options,
            questions={qid: _kept(slot(name)) for name, qid in QUESTION_SLOTS.items()},
            own_questions=split_questions(_own_questions(slot("ask3_own"))),
            matters=_kept(slot("ask3_matters")),
            appointment_on=date.fromisoformat(when) if when else None,
            grid_id=grid.id if grid is not None else None,
        )
        saved = await run_in_store(lambda s: ask3.save_list(s, sender_id, summary, language))
        logger.info("ask 3 list %d saved for %s", saved.id, pseudonym(sender_id))
        dispatcher.utter_message(text=as_text(summary, language))
        _say(dispatcher, tracker, "summary_saved")
        dispatcher.utter_message(
            json_message={
                "ask3_summary": {
                    "list_id": saved.id,
                    "label": content.text("summary_print", language),
                }
            }
        )
        if saved.follow_up_due_at is not None:
            _say(dispatcher, tracker, "summary_follow_up")
        if grid is not None:
            title = grid.title.in_language(language)
            _say(dispatcher, tracker, "offer_grid", title=title, grid=grid.id)
        else:
            _say(dispatcher, tracker, "finished")
        return [*reset, SlotSet("ask3_grid", grid.id if grid is not None else None)]


class ActionShowOptionGrid(CoachAction):
    """Show an option grid: a table on the web, an image and one question at a time on
    Telegram (the channels render the `option_grid` payload)."""

    action_name = "action_show_option_grid"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        language = tracker_language(tracker)
        wanted = next(iter(tracker.get_latest_entity_values("option_grid")), None)
        wanted = wanted or tracker.get_slot("option_grid") or tracker.get_slot("ask3_grid")
        grid = find_grid(str(wanted)) if wanted else None
        if grid is None:
            text = _text((tracker.latest_message or {}).get("text"))
            grid = grids.match_grid(text) if text and not _is_payload(text) else None
        if grid is None:
            _say(dispatcher, tracker, "grid_not_found")
            return [SlotSet("option_grid", None)]
        _say(dispatcher, tracker, "grid_intro")
        shown = grid.in_language(language)
        shown["questions_label"] = content.text("grid_questions_label", language)
        dispatcher.utter_message(json_message={"option_grid": shown})
        _say(
            dispatcher,
            tracker,
            "grid_source",
            source=grid.source.in_language(language),
            date=grid.review_date.isoformat(),
            notice=grid.review_notice.in_language(language),
        )
        rating = offer_clarity(dispatcher, tracker, ratings.grid_item(grid))  # issue 10
        logger.info("option grid %s shown to %s", grid.id, pseudonym(tracker.sender_id))
        return [SlotSet("option_grid", None), *rating]


class ActionAsk3FollowUpStart(CoachAction):
    """The day-after follow-up: the form if a list awaits it (ask3_next "form")."""

    action_name = "action_ask3_followup_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        found = await run_in_store(lambda s: ask3.list_awaiting_follow_up(s, sender_id))
        reset = [SlotSet(name, None) for name in FOLLOW_UP_SLOTS]
        if found is None:
            _say(dispatcher, tracker, "followup_none")
            return [*reset, SlotSet("ask3_next", "done")]
        return [*reset, SlotSet("ask3_next", "form")]


class ValidateAsk3FollowUpForm(CoachValidation):
    """Did you get answers? What did you decide? How involved did you feel (0-10)?"""

    typed_buttons = True

    def name(self) -> str:
        return "validate_ask3_followup_form"

    def validate_ask3_fu_answers(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_fu_answers": None}
        return {"ask3_fu_answers": words.got_answers(_text(value))}  # None: asked again

    def validate_ask3_fu_decision(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_fu_decision": None}
        text = _text(value)
        if not text or _is_payload(text):
            text = content.text("not_decided", tracker_language(tracker))
        return {"ask3_fu_decision": text}

    def validate_ask3_fu_involvement(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_fu_involvement": None}
        found = parse.rating(_text(value))
        if found is None:
            _say(dispatcher, tracker, "rating_invalid")
            return {"ask3_fu_involvement": None}
        return {"ask3_fu_involvement": str(found)}


class ActionAsk3SaveFollowUp(CoachAction):
    """Store the follow-up's answers with the list they follow up."""

    action_name = "action_ask3_save_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        slot = tracker.get_slot
        reset = [SlotSet(name, None) for name in FOLLOW_UP_SLOTS]
        answers = str(slot("ask3_fu_answers") or "")
        decided = _text(slot("ask3_fu_decision"))
        involvement = parse.rating(_text(slot("ask3_fu_involvement")))
        if answers not in ask3.GOT_ANSWERS or involvement is None:
            dispatcher.utter_message(response="utter_form_cancelled")
            return reset

        def save(session: Any) -> bool:
            list_id = ask3.list_awaiting_follow_up(session, sender_id)
            if list_id is None:
                return False
            ask3.save_follow_up(session, sender_id, list_id, answers, decided, involvement)
            return True

        if await run_in_store(save):
            logger.info("ask 3 follow-up saved for %s", pseudonym(sender_id))
            _say(dispatcher, tracker, "followup_thanks")
        else:
            _say(dispatcher, tracker, "followup_none")
        return reset


class ActionAsk3RehearsalStart(CoachAction):
    """The bot plays a clinician presenting the scenario's options."""

    action_name = "action_ask3_rehearsal_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        wanted = next(iter(tracker.get_latest_entity_values("ask3_scenario")), None)
        scenario = content.find_scenario(str(wanted) if wanted else None)
        language = tracker_language(tracker)
        _say(
            dispatcher, tracker, "rehearsal_intro", scenario=scenario.opening.in_language(language)
        )
        logger.info("ask 3 rehearsal %s for %s", scenario.id, pseudonym(tracker.sender_id))
        return [
            SlotSet("ask3_scenario", scenario.id),
            SlotSet("ask3_practice", None),
            SlotSet("ask3_practice_asked", []),
            SlotSet("ask3_practice_evidence", {}),
        ]


class ActionAskAsk3Practice(_AskAsk3Slot):
    """Invite the next question (the first time, how to ask and how to finish)."""

    action_name = "action_ask_ask3_practice"
    key = "rehearsal_first"

    def key_for(self, tracker: Tracker) -> str:
        return "rehearsal_more" if _practice(tracker).turns else self.key


def _practice(tracker: Tracker) -> rehearsal.Practice:
    return rehearsal.Practice.from_slots(
        tracker.get_slot("ask3_practice_asked"), tracker.get_slot("ask3_practice_evidence")
    )


class ValidateAsk3RehearsalForm(CoachValidation):
    """Each question the patient practises: the clinician answers the ones of the three it
    asks (bot.decisions.rehearsal), until they have finished."""

    typed_buttons = True
    question_slots = frozenset({"ask3_practice"})

    def name(self) -> str:
        return "validate_ask3_rehearsal_form"

    def validate_ask3_practice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # set to None by an action, not answered
            return {"ask3_practice": None}
        text = _text(value)
        if words.is_finished(text):
            return {"ask3_practice": "done"}
        language = tracker_language(tracker)
        scenario = content.find_scenario(tracker.get_slot("ask3_scenario"))
        turn = rehearsal.practise(text, language, scenario, _practice(tracker))
        for answer in turn.answers:
            dispatcher.utter_message(text=answer)
        if turn.other_question:
            _say(dispatcher, tracker, "rehearsal_other")
        return {
            "ask3_practice": "done" if turn.done else None,
            "ask3_practice_asked": list(turn.practice.asked),
            "ask3_practice_evidence": turn.practice.evidence,
        }


class ActionAsk3RehearsalFinish(CoachAction):
    """Say which of the three questions they asked and which they might add; store it."""

    action_name = "action_ask3_rehearsal_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        language = tracker_language(tracker)
        asked, evidence, turns = _practice(tracker).for_record()
        for message in rehearsal.feedback(set(asked), language):
            dispatcher.utter_message(text=message)
        scenario = str(tracker.get_slot("ask3_scenario") or "")
        await run_in_store(
            lambda s: ask3.save_rehearsal(s, sender_id, scenario, asked, evidence, turns)
        )
        logger.info("ask 3 rehearsal saved for %s: %d of 3 asked", pseudonym(sender_id), len(asked))
        _say(dispatcher, tracker, "rehearsal_end")
        return [SlotSet(name, None) for name in (*PRACTICE_SLOTS, "ask3_scenario")]
