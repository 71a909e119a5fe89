"""Conversations that follow the patient (issue 17): stepping out of a dialogue and back in,
stopping, going back, typed answers to buttons, medicine questions and feeling low.

Thin adapters over bot.conversation (texts, matching) and the dialogues' own stores. How a
form is stepped out of is in the rules (stories/conversation.yml): the form's validation
rejects an interruption (actions/base.py), the interruption's rule runs
`action_pause_activity` (the form ends, its answers so far are kept in the tracker and
nothing is stored) and then its own reply and `action_offer_resume`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    CONSENT_SLOT,
    REQUESTED_SLOT,
    CoachAction,
    last_buttons,
    latest_text,
    offered_buttons,
    run_in_store,
    say_reply,
    tracker_language,
    typed_text,
    validation_for,
)
from bot.content.teachback import load_dialogue
from bot.conversation import activities, answers
from bot.conversation import content as conversation
from bot.decisions import content as ask3_content
from bot.decisions.summary import QuestionList, as_text
from bot.feedback import ratings
from bot.goals import checkins, corrections, parse, prefill, readback
from bot.goals import replies as goals_replies
from bot.logs import pseudonym
from bot.safety import AFTER_NO_KEY
from bot.store import ask3, goals
from bot.store.people import CONSENT_GIVEN
from bot.teachback import flow

logger = logging.getLogger(__name__)

DomainDict = dict[str, Any]
Events = list[dict[str, Any]]
PAUSED_SLOT = "paused_activity"
RESUME_SLOT = "resume_target"
QUESTION_SLOT = "pending_question"
SAFETY_PAUSE = "/safety_pause"
NOTHING = "nothing"
# Marks a message the coach re-read as a button (so it is never re-read twice).
REREAD = "coach_reread"
REREAD_AS_BUTTON = "coach_reread_as_button"  # a yes, a no or a title: the words say nothing more
_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.DOTALL)
# What a yes or a no means, outside a form, to a message whose buttons are these: the first
# button for yes, the last for no. A menu (more buttons) gets "what would you like?".
MAX_OFFER_BUTTONS = 3
# The actions after which a typed time or day, or a plan, is about the plans just shown.
PLAN_CONTEXT = frozenset(
    {"action_save_plan", "action_list_plans", "action_change_plan_detail", "action_change_plan"}
)


def _say(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **values: Any) -> None:
    say_reply(dispatcher, conversation.reply(key, tracker_language(tracker), **values))


def active_form(tracker: Tracker) -> str | None:
    name = (tracker.active_loop or {}).get("name")
    return str(name) if name else None


async def pause_events(tracker: Tracker) -> tuple[Events, str | None]:
    """End the active form without storing anything and remember it, so the patient can
    carry on where they were: (events, the activity paused or None)."""
    form = active_form(tracker)
    activity = activities.activity_of(form)
    if form is None or activity is None:
        return [], None
    sender_id: str = tracker.sender_id
    if activity == activities.TEACHBACK:
        await run_in_store(lambda s: flow.pause(s, sender_id))
    logger.info("%s paused for %s", activity, pseudonym(sender_id))
    return [
        ActiveLoop(None),
        SlotSet(REQUESTED_SLOT, None),
        SlotSet(PAUSED_SLOT, activity),
        SlotSet(RESUME_SLOT, None),
    ], activity


def _paused(tracker: Tracker, events: Events) -> str | None:
    """The activity stepped out of and not taken up again since (started afresh, say)."""
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == PAUSED_SLOT:
            return str(event["value"]) if event.get("value") else None
    value = tracker.get_slot(PAUSED_SLOT)
    if not value:
        return None
    form = activities.ACTIVITY_FORM.get(str(value))
    for event in reversed(list(tracker.events)):
        if event.get("event") == "slot" and event.get("name") == PAUSED_SLOT:
            break
        if event.get("event") == "active_loop" and form and event.get("name") == form:
            return None  # that dialogue ran again after it was paused
    return str(value)


def offer_resume(
    dispatcher: CollectingDispatcher, tracker: Tracker, activity: str | None, key: str
) -> None:
    """ "When you're ready, we can carry on with your action plan" [Carry on] [Not now]."""
    if activity is None:
        return
    language = tracker_language(tracker)
    name = conversation.activity_name(activity, language)
    _say(dispatcher, tracker, key, activity=name)


class ActionPauseActivity(CoachAction):
    """Step out of the active form (if any), remembering it; nothing is said here."""

    action_name = "action_pause_activity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        events, _ = await pause_events(tracker)
        return events


class ActionOfferResume(CoachAction):
    """After an interruption: offer to carry on with what was paused, if anything was."""

    action_name = "action_offer_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        offer_resume(dispatcher, tracker, _paused(tracker, []), "offer_resume")
        return []


class ActionResumeActivity(CoachAction):
    """ "Carry on": the paused activity again (resume_target says which form the rules
    open), where the patient left it."""

    action_name = "action_resume_activity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        activity = _paused(tracker, [])
        if activity not in activities.ACTIVITIES:
            _say(dispatcher, tracker, "nothing_to_resume")
            return [SlotSet(PAUSED_SLOT, None), SlotSet(RESUME_SLOT, NOTHING)]
        logger.info("%s resumed for %s", activity, pseudonym(tracker.sender_id))
        return [SlotSet(PAUSED_SLOT, None), SlotSet(RESUME_SLOT, activity)]


class ActionNotNow(CoachAction):
    """ "Not now": forget the offer to carry on (teach-back keeps its place anyway)."""

    action_name = "action_not_now"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        _say(dispatcher, tracker, "not_now")
        return [SlotSet(PAUSED_SLOT, None), SlotSet(RESUME_SLOT, None)]


class ActionSafetyPause(CoachAction):
    """The gateway's `/safety_pause` after a safety alert: end any form without storing
    anything and offer, gently, to carry on later; nothing to say when nothing was active.

    Only the gateway's own payload counts: if the NLU ever guessed this intent for
    something a patient typed, nothing happens."""

    action_name = "action_safety_pause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        if latest_text(tracker) != SAFETY_PAUSE:
            return []
        events, activity = await pause_events(tracker)
        offer_resume(dispatcher, tracker, activity, "offer_resume_after_safety")
        return events


class ActionStop(CoachAction):
    """ "stop": inside an activity, stop it (its place kept); at the menu, ask what they
    want to stop (a plan, reminders, nudges or their consent, which asks again)."""

    action_name = "action_stop"
    at_menu_asks = True

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        events, activity = await pause_events(tracker)
        language = tracker_language(tracker)
        if activity == activities.TEACHBACK:
            dispatcher.utter_message(text=load_dialogue().say("paused", language))
            dispatcher.utter_message(response="utter_what_next")
        elif activity is not None:
            _say(
                dispatcher,
                tracker,
                "stopped",
                activity=conversation.activity_name(activity, language),
            )
        elif tracker.get_slot(CONSENT_SLOT) != CONSENT_GIVEN:
            _say(dispatcher, tracker, "stop_before_consent")
        elif self.at_menu_asks:
            await self._ask_what(dispatcher, tracker)
        else:
            dispatcher.utter_message(response="utter_what_next")
        return events

    @staticmethod
    async def _ask_what(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        reply = conversation.reply("stop_what", tracker_language(tracker))
        if not plans:
            reply["buttons"] = [b for b in reply["buttons"] if b["payload"] != "/stop_plan"]
        say_reply(dispatcher, reply)


class ActionCancel(ActionStop):
    """ "never mind" / "cancel": inside an activity as "stop"; at the menu, what next."""

    action_name = "action_cancel"
    at_menu_asks = False


class ActionGoBack(CoachAction):
    """ "go back" / "that's not what I meant": inside a form, the previous question again
    (or, at its first question, out of it); outside, say sorry and ask again."""

    action_name = "action_go_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        form = active_form(tracker)
        validation = validation_for(form) if form else None
        if form is None or validation is None:
            _say(dispatcher, tracker, "go_back_nothing")
            return []
        requested = tracker.get_slot(REQUESTED_SLOT)
        slots = await validation.ordered_slots(dispatcher, tracker, domain)
        if len(slots) <= 1:  # one question (a teach-back answer, a note): ask it again
            _say(dispatcher, tracker, "went_back")
            return []
        events = await validation.step_back(
            str(requested) if requested else None, dispatcher, tracker, domain
        )
        if events is not None:
            _say(dispatcher, tracker, "went_back")
            return events
        left, activity = await pause_events(tracker)
        name = conversation.activity_name(activity or "", tracker_language(tracker))
        _say(dispatcher, tracker, "go_back_left", activity=name)
        return [*left, SlotSet(PAUSED_SLOT, None)]


class ActionMedicineSignpost(CoachAction):
    """A medicine or symptom question: who can answer it (pharmacist, GP or practice nurse,
    NHS 111 Wales), never advice; then the offer to keep it in My questions."""

    action_name = "action_medicine_signpost"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        if tracker.get_slot(CONSENT_SLOT) != CONSENT_GIVEN:
            _say(dispatcher, tracker, "medicine_before_consent")
            return []
        _say(dispatcher, tracker, "medicine_signpost")
        question = typed_text(tracker)
        if not question:
            return [SlotSet(QUESTION_SLOT, None)]
        _say(dispatcher, tracker, "offer_add_question")
        return [SlotSet(QUESTION_SLOT, question)]


class ActionAddMyQuestion(CoachAction):
    """Keep the question in "My questions for my appointment" (the newest list)."""

    action_name = "action_add_my_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        question = str(tracker.get_slot(QUESTION_SLOT) or "").strip()
        if not question:
            _say(dispatcher, tracker, "question_not_added")
            return []
        language = tracker_language(tracker)
        empty = QuestionList(
            decision=ask3_content.text("my_questions_decision", language),
            options=ask3_content.text("options_unknown", language),
            questions={},
        )
        await run_in_store(lambda s: ask3.add_own_question(s, sender_id, question, language, empty))
        logger.info("a question kept for the appointment by %s", pseudonym(sender_id))
        _say(dispatcher, tracker, "question_added", question=question)
        return [SlotSet(QUESTION_SLOT, None)]


class ActionQuestionNotAdded(CoachAction):
    """ "No thanks" to keeping the question: nothing is kept."""

    action_name = "action_question_not_added"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        _say(dispatcher, tracker, "question_not_added")
        return [SlotSet(QUESTION_SLOT, None)]


class ActionShowMyQuestions(CoachAction):
    """ "My questions": the newest list, to read or print."""

    action_name = "action_show_my_questions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        language = tracker_language(tracker)
        found = await run_in_store(lambda s: ask3.list_for_sender(s, sender_id))
        if found is None:
            _say(dispatcher, tracker, "my_questions_none")
            return []
        say_reply(dispatcher, ask3_content.reply("my_questions_header", language))
        dispatcher.utter_message(text=as_text(found.summary, language))
        dispatcher.utter_message(
            json_message={
                "ask3_summary": {
                    "list_id": found.id,
                    "label": ask3_content.text("summary_print", language),
                }
            }
        )
        return []


class ActionMoodLow(CoachAction):
    """Feeling low (not an emergency: the safety net answers those first): a kind reply, who
    can help, and an offer to carry on with what was paused."""

    action_name = "action_mood_low"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        activity = _paused(tracker, [])
        reply = conversation.reply("mood_low", tracker_language(tracker))
        if activity is not None:
            reply["buttons"] = []
        say_reply(dispatcher, reply)
        offer_resume(dispatcher, tracker, activity, "offer_resume")
        return []


def _payload_parse(payload: str, text: str) -> dict[str, Any] | None:
    """NLU-shaped parse data for a button's payload ("/intent{"entity": "value"}")."""
    found = _PAYLOAD.match(payload.strip())
    if found is None:
        return None
    intent = found.group(1)
    entities: list[dict[str, Any]] = []
    if found.group(2):
        try:
            values = json.loads(found.group(2))
        except ValueError:
            return None
        if isinstance(values, dict):
            entities = [
                {"entity": str(k), "value": v, "start": 0, "end": len(text), "extractor": REREAD}
                for k, v in values.items()
            ]
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "intent_ranking": [{"name": intent, "confidence": 1.0}],
        "entities": entities,
    }


def _latest_user_event(tracker: Tracker) -> dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return dict(event)
    return {}


def stands_for_a_button(tracker: Tracker) -> bool:
    """Whether the latest message is a typed answer re-read as a button's payload ("yes
    please" to "Make a plan?"): its words are the answer, not content to keep."""
    return bool((_latest_user_event(tracker).get("metadata") or {}).get(REREAD_AS_BUTTON))


def reread_as(
    tracker: Tracker, payload: str, domain: DomainDict, *, as_button: bool = True
) -> Events | None:
    """Take the latest message again as the button's payload it stands for: Rasa's own way
    of re-reading a message (as its two-stage fallback does), with the message's words and
    its turn metadata kept. None for a payload the domain does not know, or a message read
    this way already. `as_button=False` when the words themselves are content (a plan typed
    after "my goals" starts a plan from what it says)."""
    user = _latest_user_event(tracker)
    parse_data = _payload_parse(payload, str(user.get("text") or payload))
    if parse_data is None:
        return None
    intent = parse_data["intent"]["name"]
    known = {str(next(iter(i)) if isinstance(i, dict) else i) for i in domain.get("intents", [])}
    if intent not in known:
        return None
    if (user.get("metadata") or {}).get(REREAD):
        return None
    event = UserUttered(
        text=parse_data["text"],
        parse_data=parse_data,
        timestamp=time.time(),
        input_channel=user.get("input_channel"),
    )
    event["metadata"] = {**(user.get("metadata") or {}), REREAD: True, REREAD_AS_BUTTON: as_button}
    return [UserUtteranceReverted(), ActionExecuted("action_listen"), event]


# Actions that may run after an answer without saying anything of their own.
_QUIET_ACTIONS = frozenset({"action_listen", "action_offer_resume"})


def _last_action(tracker: Tracker) -> str | None:
    """The last action before the latest message (other than listening, or offering to carry
    on, which says nothing when nothing was paused)."""
    events = list(tracker.events)
    seen_user = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            seen_user = True
            continue
        if seen_user and kind == "action" and event.get("name") not in _QUIET_ACTIONS:
            return str(event.get("name"))
    return None


def _last_bot_time(tracker: Tracker) -> float:
    events = list(tracker.events)
    seen_user = False
    for event in reversed(events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "bot":
            return float(event.get("timestamp") or 0.0)
    return 0.0


def typed_answer(tracker: Tracker, text: str) -> str | None:
    """The payload of the button a typed message answers with: its title typed, a word that
    means it, or, to "how clear was this?", a rating in words ("mostly")."""
    buttons = offered_buttons(tracker)
    payload = answers.button_for(text, buttons)
    if payload is not None:
        return payload
    rating = ratings.parse_clarity(text) if text else None
    for button in buttons:
        found = _payload_parse(str(button.get("payload") or ""), text)
        if found is None or found["intent"]["name"] != "rate_clarity" or rating is None:
            continue
        values = {e["entity"]: str(e["value"]) for e in found["entities"]}
        if values.get("clarity") == str(rating):
            return str(button["payload"])
    return None


def clarity_offered(tracker: Tracker) -> bool:
    """Whether the last question was "how clear was this?" (its rating buttons)."""
    return any(
        str(b.get("payload") or "").startswith("/rate_clarity") for b in offered_buttons(tracker)
    )


def offer_change(
    dispatcher: CollectingDispatcher, tracker: Tracker, plan: goals.PlanView, text: str
) -> bool:
    """A time or days typed on their own about a plan: offer to change its check-ins to
    them (read back in words) rather than change them unasked. False if it is neither."""
    language = tracker_language(tracker)
    detail = corrections.value_detail(text)
    if detail == corrections.CHECKIN_TIME and (at := parse.time_of_day(text)) is not None:
        say_reply(
            dispatcher,
            goals_replies.reply(
                "offer_change_time",
                language,
                plan=plan.summary,
                time=readback.time_words(at, language),
                plan_id=str(plan.id),
                value=at.strftime("%H:%M"),
            ),
        )
        return True
    if detail == corrections.CHECKIN_DAYS and (days := parse.weekdays(text)):
        say_reply(
            dispatcher,
            goals_replies.reply(
                "offer_change_days",
                language,
                plan=plan.summary,
                days=readback.days_words(days, language),
                plan_id=str(plan.id),
                value=",".join(str(d) for d in sorted(days)),
            ),
        )
        return True
    return False


def offer_plan_change(
    dispatcher: CollectingDispatcher, tracker: Tracker, plans: list[goals.PlanView], text: str
) -> bool:
    """For the fallback: offer a change of the newest plan's check-ins to a typed time or
    days; False when the text is neither or there is no plan."""
    return bool(plans) and offer_change(dispatcher, tracker, plans[-1], text)


class ActionAnswerOffer(CoachAction):
    """A typed yes or no outside a form answers the last question with buttons: yes is its
    first button, no its last ("yes show me" to the option grid offer, "no" to a check-in).
    A check-in sent since is what a yes or no answers first. Anything else: what next?"""

    action_name = "action_answer_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        yes = intent == "affirm"
        sender_id: str = tracker.sender_id
        open_checkin = await run_in_store(lambda s: checkins.open_checkin(s, sender_id))
        if open_checkin is not None and open_checkin.sent_at.timestamp() > _last_bot_time(tracker):
            outcome = "checkin_done" if yes else "checkin_not_today"
            found = reread_as(tracker, f'/{outcome}{{"checkin_id":"{open_checkin.id}"}}', domain)
            if found is not None:
                return found
        buttons = [b for b in last_buttons(tracker) if str(b.get("payload", "")).startswith("/")]
        if 1 <= len(buttons) <= MAX_OFFER_BUTTONS:
            chosen = buttons[0] if yes else buttons[-1]
            payload = str(chosen["payload"])
            if payload.split("{", 1)[0] not in ("/affirm", "/deny"):
                found = reread_as(tracker, payload, domain)
                if found is not None:
                    return found
        dispatcher.utter_message(response="utter_what_next")
        return []


class ActionUnderstandFallback(CoachAction):
    """A message the NLU could not place, read in context before saying "sorry": a button's
    title typed, a plan typed after "my goals", or a time or days typed after a plan was
    saved ("6.30pm": change the check-in time?)."""

    action_name = "action_understand_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        text = typed_text(tracker)
        payload = typed_answer(tracker, text) if text else None
        if payload is not None and (found := reread_as(tracker, payload, domain)):
            return found
        if text and _last_action(tracker) in PLAN_CONTEXT:
            found = await self._about_plans(dispatcher, tracker, text, domain)
            if found is not None:
                return found
        if (_latest_user_event(tracker).get("metadata") or {}).get(AFTER_NO_KEY):
            # The safety net has just answered these words; no "sorry" on top of it.
            dispatcher.utter_message(response="utter_what_next")
            return []
        dispatcher.utter_message(response="utter_default")
        return []

    @staticmethod
    async def _about_plans(
        dispatcher: CollectingDispatcher, tracker: Tracker, text: str, domain: DomainDict
    ) -> Events | None:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        if offer_plan_change(dispatcher, tracker, plans, text):
            return []
        if prefill.looks_like_a_plan(text):
            return reread_as(tracker, "/start_action_plan", domain, as_button=False)
        return None
