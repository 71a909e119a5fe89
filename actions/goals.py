"""Action plans, check-in answers, problem-solving, measures and pausing reminders.

Thin adapters: understanding the words is bot.goals.parse, storing is bot.store.goals, and
every reply is a domain response (English and Welsh) named here.
"""

from __future__ import annotations

import abc
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import (
    AskSlot,
    CoachAction,
    CoachValidation,
    latest_intent,
    run_in_store,
    say_reply,
    tracker_language,
    typed_text,
)
from actions.conversation import (
    clarity_offered,
    offer_change,
    reread_as,
    stands_for_a_button,
    typed_answer,
)
from bot.conversation import answers
from bot.goals import changes, confidence, corrections, measures, parse, prefill, readback, replies
from bot.logs import pseudonym
from bot.store import goals

logger = logging.getLogger(__name__)

PLAN_FORM_SLOTS = (
    "plan_activity",
    "plan_amount",
    "plan_timing",
    "plan_days",
    "plan_confidence",
    "plan_barrier",
    "checkin_days",
    "checkin_time",
)
# The plan form's own bookkeeping, reset with its slots.
PLAN_STATE_SLOTS = ("plan_ratings", "plan_replaces", "plan_aim")
CONFIDENT = confidence.CONFIDENT
MAX_RATINGS = confidence.MAX_RATINGS
OUTCOME_OF_INTENT = {
    "checkin_done": "done",
    "checkin_partly": "partly",
    "checkin_not_today": "not_today",
}
# Changing these details makes a different plan, so confidence is asked again.
RERATED = frozenset({corrections.ACTIVITY, corrections.AMOUNT, corrections.DAYS})
DomainDict = dict[str, Any]
Events = list[dict[str, Any]]


def _int_slot(tracker: Tracker, name: str) -> int | None:
    value = tracker.get_slot(name)
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _ratings(tracker: Tracker) -> list[dict[str, Any]]:
    return confidence.ratings_of(tracker.get_slot("plan_ratings"))


def _typed(value: Any) -> str:
    """What the person typed; a button's payload (e.g. "/my_goals") is not an answer."""
    text = str(value or "").strip()
    return "" if text.startswith("/") else text


def _reset(*names: str) -> Events:
    return [SlotSet(name, None) for name in names]


def _say(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **values: Any) -> None:
    """Send one reply from data/content/goals_dialogue.yml in the conversation's language."""
    say_reply(dispatcher, replies.reply(key, tracker_language(tracker), **values))


def _read_back(dispatcher: CollectingDispatcher, tracker: Tracker, value: str) -> None:
    """ "OK: half past six in the evening (18:30)." """
    _say(dispatcher, tracker, "readback", value=value)


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(iter(tracker.get_latest_entity_values(name)), None)
    return str(value) if value is not None else None


def _weekdays_of(value: object) -> frozenset[int]:
    return frozenset(int(d) for d in str(value or "").split(",") if d.strip().isdigit())


def plan_words(tracker: Tracker, plan: goals.PlanView) -> dict[str, Any]:
    """A saved plan's values as its replies show them, in the conversation's language."""
    language = tracker_language(tracker)
    at = changes._clock(plan.local_time)
    return {
        "plan": plan.summary,
        "days": plan.days_per_week,
        "checkin_days": readback.days_words(plan.weekdays, language),
        "checkin_time": readback.time_words(at, language, after_at=True),
        "plan_id": str(plan.id),
    }


def _show_plans(
    dispatcher: CollectingDispatcher, tracker: Tracker, plans: list[goals.PlanView]
) -> None:
    for plan in plans:
        _say(dispatcher, tracker, "plan_item", **plan_words(tracker, plan))


def _prefilled(tracker: Tracker) -> tuple[Events, str | None]:
    """The plan form's slots from a plan said in one message ("i want to walk more"), and
    the activity understood, to say back."""
    text = typed_text(tracker)
    if latest_intent(tracker) != "start_action_plan" or not text or stands_for_a_button(tracker):
        return [], None
    start = prefill.plan_from_text(text)
    events: Events = []
    if start.activity:
        events.append(SlotSet("plan_activity", start.activity))
    if start.amount and parse.amount_is_specific(start.amount):
        events.append(SlotSet("plan_amount", start.amount))
    if start.timing and parse.timing_is_specific(start.timing):
        events.append(SlotSet("plan_timing", start.timing))
    if start.days is not None and 1 <= start.days <= 7:
        events.append(SlotSet("plan_days", str(start.days)))
    if start.aim and start.aim_kind:
        events.append(SlotSet("plan_aim", start.aim_kind))
    return events, start.activity


class ActionStartPlan(CoachAction):
    """Begin a new plan (plan_next "form"), unless three are active (plan_next "done"). What
    the message already said ("i want to walk more for my diabetes") fills the form."""

    action_name = "action_start_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        events = _reset(*PLAN_FORM_SLOTS, *PLAN_STATE_SLOTS, "plan_id")
        if len(plans) >= goals.MAX_ACTIVE_PLANS:
            _say(dispatcher, tracker, "plan_limit")
            return [*events, SlotSet("plan_next", "done")]
        filled, activity = _prefilled(tracker)
        if activity:
            _say(dispatcher, tracker, "plan_started_with", activity=activity)
        return [*events, *filled, SlotSet("plan_next", "form")]


def _which_plan(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    plans: list[goals.PlanView],
    wanted: int | None,
) -> goals.PlanView | None:
    """The plan meant: the one whose button was tapped, or the only one; else say why not."""
    chosen = [p for p in plans if p.id == wanted] if wanted is not None else []
    if not chosen and wanted is None and len(plans) == 1:
        chosen = plans
    if chosen:
        return chosen[0]
    if not plans:
        _say(dispatcher, tracker, "no_plans")
    elif wanted is not None:
        _say(dispatcher, tracker, "plan_not_found")
    else:
        _say(dispatcher, tracker, "which_plan")
        _show_plans(dispatcher, tracker, plans)
    return None


class ActionChangePlan(CoachAction):
    """ "Change my plan": ask what to change (each detail on its own, or all of it); "All of
    it" runs the plan form again, and the new plan replaces the old one."""

    action_name = "action_change_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        plan = _which_plan(dispatcher, tracker, plans, _int_slot(tracker, "plan_id"))
        events = _reset(*PLAN_FORM_SLOTS, *PLAN_STATE_SLOTS, "plan_id")
        done = [*events, SlotSet("plan_replaces", None), SlotSet("plan_next", "done")]
        if plan is None:
            return done
        detail = _entity(tracker, "plan_detail")
        if detail != "all":
            _say(dispatcher, tracker, "change_plan", **plan_words(tracker, plan))
            return done
        _say(dispatcher, tracker, "change_plan_all", plan=plan.summary)
        return [*events, SlotSet("plan_replaces", str(plan.id)), SlotSet("plan_next", "form")]


class ActionChangePlanDetail(CoachAction):
    """ "change the time", "can we do different days": change just that. A new value said
    with it ("move my check-in to 7pm") is saved at once and read back; otherwise the plan
    form asks only for that detail (and confidence again when the plan itself changed)."""

    action_name = "action_change_plan_detail"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        done = [SlotSet("plan_id", None), SlotSet("plan_next", "done")]
        plan = _which_plan(dispatcher, tracker, plans, _int_slot(tracker, "plan_id"))
        if plan is None:
            return done
        text = typed_text(tracker)
        named = corrections.detail_from_name(_entity(tracker, "plan_detail"))
        named = named or corrections.detail_by_words(text)
        if named is None and corrections.asks_for_a_change(text):
            named = corrections.value_detail(" ".join(text.lower().split()))
        if named is None and offer_change(dispatcher, tracker, plan, text):
            return done  # "6.30pm" on its own: asked first, never changed unasked
        detail = named or corrections.value_detail(text)
        if detail is None:
            _say(dispatcher, tracker, "change_plan", **plan_words(tracker, plan))
            return done
        value = _entity(tracker, "detail_value") or (
            text if corrections.has_value_for(detail, text) else None
        )
        if value is not None and detail in (corrections.CHECKIN_TIME, corrections.CHECKIN_DAYS):
            changed = await self._change_schedule(sender_id, plan, detail, value)
            if changed is not None:
                logger.info("plan %d: %s changed for %s", plan.id, detail, pseudonym(sender_id))
                _say(dispatcher, tracker, "plan_changed", **plan_words(tracker, changed))
                return done
        rating = await run_in_store(lambda s: changes.last_rating(s, sender_id, plan.id))
        slots = changes.form_slots(plan, rating, keep_rating=detail not in RERATED)
        slots[detail] = None
        _say(dispatcher, tracker, "change_plan_detail", plan=plan.summary)
        return [
            *_reset(*PLAN_FORM_SLOTS, *PLAN_STATE_SLOTS),
            *[SlotSet(name, found) for name, found in slots.items()],
            SlotSet("plan_replaces", str(plan.id)),
            SlotSet("plan_id", None),
            SlotSet("plan_next", "form"),
        ]

    @staticmethod
    async def _change_schedule(
        sender_id: str, plan: goals.PlanView, detail: str, value: str
    ) -> goals.PlanView | None:
        if detail == corrections.CHECKIN_TIME:
            at = parse.time_of_day(value)
            if at is None:
                return None
            return await run_in_store(
                lambda s: changes.change_schedule(s, sender_id, plan.id, local_time=at)
            )
        days = _weekdays_of(value) or parse.weekdays(value)
        if not days:
            return None
        return await run_in_store(
            lambda s: changes.change_schedule(s, sender_id, plan.id, weekdays=days)
        )


class ValidateActionPlanForm(CoachValidation):
    """What, how much, when, how many days; confidence (below 7: what would make it a 7, a
    smaller step, and a re-rating); then the check-in days and time. Each value understood is
    read back; "actually ..." and "change the time" change just that answer."""

    typed_buttons = True
    corrections = True
    free_text_slots = frozenset({"plan_activity", "plan_amount", "plan_timing", "plan_barrier"})

    def name(self) -> str:
        return "validate_action_plan_form"

    def parses_as_answer(self, requested: str, text: str) -> bool:
        readers = {
            "plan_days": parse.days_per_week,
            "plan_confidence": parse.rating,
            "checkin_days": parse.weekdays,
            "checkin_time": parse.time_of_day,
        }
        reader = readers.get(requested)
        return reader is not None and bool(reader(text) not in (None, frozenset()))

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        needs_barrier = confidence.needs_barrier(_ratings(tracker))
        return [s for s in PLAN_FORM_SLOTS if s != "plan_barrier" or needs_barrier]

    def validate_plan_activity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _typed(value)
        verdict = parse.assess_activity(text)
        if verdict == "not_behaviour":
            _say(dispatcher, tracker, "plan_not_behaviour")
            return {"plan_activity": None, "plan_aim": None}
        if verdict == "vague":
            _say(dispatcher, tracker, "plan_vague")
            return {"plan_activity": None, "plan_aim": None}
        return {"plan_activity": text, "plan_aim": None}

    def validate_plan_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _typed(value)
        if not parse.amount_is_specific(text):
            _say(dispatcher, tracker, "plan_amount_vague")
            return {"plan_amount": None}
        _read_back(dispatcher, tracker, text)
        return {"plan_amount": text}

    def validate_plan_timing(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _typed(value)
        if not parse.timing_is_specific(text):
            _say(dispatcher, tracker, "plan_timing_vague")
            return {"plan_timing": None}
        return {"plan_timing": text}

    def validate_plan_days(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        days = parse.days_per_week(_typed(value))
        if days is None:
            _say(dispatcher, tracker, "plan_days_invalid")
            return {"plan_days": None}
        _read_back(
            dispatcher, tracker, readback.days_per_week_words(days, tracker_language(tracker))
        )
        return {"plan_days": str(days)}

    def validate_plan_confidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        rating = parse.rating(_typed(value))
        if rating is None:
            _say(dispatcher, tracker, "confidence_invalid")
            return {"plan_confidence": None}
        rated = confidence.rate(_ratings(tracker), rating)
        slots: dict[str, Any] = {"plan_confidence": str(rating), "plan_ratings": rated.ratings}
        if rated.ask_barrier:
            slots["plan_barrier"] = None
        return slots

    def validate_plan_barrier(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _typed(value)
        step = confidence.explain(_ratings(tracker), text, _int_slot(tracker, "plan_days"))
        _say(dispatcher, tracker, "smaller_step", days=step.days, fewer_days=step.fewer_days)
        # Set the amount and days again, then re-rate.
        return {
            "plan_barrier": text,
            "plan_ratings": step.ratings,
            "plan_amount": None,
            "plan_days": None,
            "plan_confidence": None,
        }

    def validate_checkin_days(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        days = parse.weekdays(_typed(value))
        if not days:
            _say(dispatcher, tracker, "checkin_days_invalid")
            return {"checkin_days": None}
        _read_back(dispatcher, tracker, readback.days_words(days, tracker_language(tracker)))
        return {"checkin_days": ",".join(str(d) for d in sorted(days))}

    def validate_checkin_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        at = parse.time_of_day(_typed(value))
        if at is None:
            _say(dispatcher, tracker, "checkin_time_invalid")
            return {"checkin_time": None}
        _read_back(dispatcher, tracker, readback.time_words(at, tracker_language(tracker)))
        return {"checkin_time": at.strftime("%H:%M")}

    def reset_events(self, slot: str, tracker: Tracker) -> Events:
        """Asking the amount or days again asks confidence again too."""
        events = [SlotSet(slot, None)]
        ratings = _ratings(tracker)
        if slot == "plan_confidence" and ratings:
            events.append(SlotSet("plan_ratings", confidence.undo(ratings)))
        elif slot in RERATED and tracker.get_slot("plan_confidence") is not None:
            events += [SlotSet("plan_confidence", None), SlotSet("plan_barrier", None)]
            events.append(SlotSet("plan_ratings", confidence.undo(ratings)))
        return events

    async def correction_target(
        self,
        requested: str,
        rest: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> str | None:
        """The detail the new value is for ("wednesday and saturday": the check-in days),
        if it was answered or is being asked; else the last answer."""
        detail = corrections.value_detail(rest)
        if detail is not None and (detail == requested or tracker.get_slot(detail) is not None):
            return detail
        return await self.previous_slot(requested, dispatcher, tracker, domain)

    async def change_detail(
        self,
        requested: str,
        text: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Events | None:
        """ "change the time" mid-form: that detail again (its new value at once, if said);
        which detail, when it is not clear. Words that ask for no change are the answer to
        the question asked ("amser brecwast", breakfast time, to "when?"; "mondays and
        thursdays" to "which days?"), however the NLU read them."""
        entity = _entity(tracker, "plan_detail")
        if entity is None and not corrections.asks_for_a_change(text):
            return None
        detail = corrections.detail_from_name(entity)
        detail = detail or corrections.detail_named(text)
        if detail is None or detail not in PLAN_FORM_SLOTS:
            _say(dispatcher, tracker, "change_in_form")
            return [SlotSet(requested, None)]
        if detail == requested:
            return await self.answer(requested, text, dispatcher, tracker, domain)
        if corrections.has_value_for(detail, text):
            # "actually make it 15 minutes": the new value without the words around it.
            rest = answers.correction(text) or text
            return await self.correct(requested, rest, dispatcher, tracker, domain)
        events = [*self.reset_events(detail, tracker), SlotSet(requested, None)]
        return await self.finish(events, dispatcher, tracker, domain)


class ActionSavePlan(CoachAction):
    """Save the finished plan with every rating, its check-ins, review and measures."""

    action_name = "action_save_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        slot = tracker.get_slot
        weekdays = _weekdays_of(slot("checkin_days"))
        at = parse.time_of_day(str(slot("checkin_time") or ""))
        days = _int_slot(tracker, "plan_days")
        events = _reset(*PLAN_FORM_SLOTS, *PLAN_STATE_SLOTS)
        if not weekdays or at is None or days is None:
            logger.warning("plan not saved for %s: incomplete form", pseudonym(sender_id))
            dispatcher.utter_message(response="utter_form_cancelled")  # a domain response
            return events
        ratings = [(int(r["rating"]), r.get("barrier") or None) for r in _ratings(tracker)]
        replaces = _int_slot(tracker, "plan_replaces")

        def save(session: Session) -> goals.PlanView | None:
            try:
                return goals.create_plan(
                    session,
                    sender_id,
                    activity=str(slot("plan_activity")),
                    amount=str(slot("plan_amount")),
                    timing=str(slot("plan_timing")),
                    days_per_week=days,
                    ratings=ratings,
                    weekdays=weekdays,
                    local_time=at,
                    replaces=replaces,
                )
            except goals.PlanLimitReached:
                return None

        plan = await run_in_store(save)
        if plan is None:
            _say(dispatcher, tracker, "plan_limit")
            return events
        logger.info("action plan %d saved for %s", plan.id, pseudonym(sender_id))
        _say(dispatcher, tracker, "plan_saved", **plan_words(tracker, plan))
        return events


class ActionListPlans(CoachAction):
    """ "My goals": the active plans, each with Change and Stop buttons."""

    action_name = "action_list_plans"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        if not plans:
            _say(dispatcher, tracker, "no_plans")
            return []
        _say(dispatcher, tracker, "plans_header")
        _show_plans(dispatcher, tracker, plans)
        return []


class ActionStopPlan(CoachAction):
    """Stop a plan (by its button's id; or the only one; or ask which)."""

    action_name = "action_stop_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        target = _which_plan(dispatcher, tracker, plans, _int_slot(tracker, "plan_id"))
        if target is None:
            return [SlotSet("plan_id", None)]
        await run_in_store(lambda s: goals.stop_plan(s, sender_id, target.id))
        logger.info("action plan %d stopped for %s", target.id, pseudonym(sender_id))
        _say(dispatcher, tracker, "plan_stopped", plan=target.summary)
        return [SlotSet("plan_id", None)]


class ActionRecordCheckin(CoachAction):
    """Done / Partly / Not today: record it, answer honestly and kindly, and offer
    problem-solving after two missed check-ins in a row (or review the idea being tried)."""

    action_name = "action_record_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        if clarity_offered(tracker):  # "partly" to "how clear was this?" rates it
            payload = typed_answer(tracker, typed_text(tracker))
            found = reread_as(tracker, payload, domain) if payload else None
            if found is not None:
                return found
        text = typed_text(tracker)
        if corrections.value_detail(text) in (corrections.CHECKIN_TIME, corrections.CHECKIN_DAYS):
            # "half 6 in the evening" is a time, not how a check-in went: about the plan.
            found = reread_as(tracker, "/change_plan_detail", domain)
            if found is not None:
                return found
        intent = latest_intent(tracker)
        outcome = OUTCOME_OF_INTENT.get(str(intent))
        if outcome is None:
            return []
        checkin_id = _int_slot(tracker, "checkin_id")
        answer = await run_in_store(
            lambda s: goals.record_checkin(s, sender_id, outcome, checkin_id=checkin_id)
        )
        if answer is None:
            _say(dispatcher, tracker, "checkin_no_plan")
            return [SlotSet("checkin_id", None)]
        logger.info("check-in %s recorded for %s", outcome, pseudonym(sender_id))
        _say(dispatcher, tracker, f"checkin_{outcome}", plan=answer.plan.summary)
        if answer.idea_outcome == "worked":
            _say(dispatcher, tracker, "idea_worked", idea=answer.tried_idea)
        elif answer.idea_outcome == "not_worked":
            _say(dispatcher, tracker, "idea_not_worked", idea=answer.tried_idea)
        elif answer.missed_in_a_row >= goals.MISSED_IN_A_ROW:
            _say(dispatcher, tracker, "offer_problem_solving")
        return [SlotSet("checkin_id", None)]


class ActionSaveCheckinNote(CoachAction):
    """Keep the optional note with the latest check-in answer."""

    action_name = "action_save_checkin_note"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        note = str(tracker.get_slot("checkin_note") or "").strip()
        if note:
            await run_in_store(lambda s: goals.add_checkin_note(s, sender_id, note))
        _say(dispatcher, tracker, "checkin_note_saved")
        return [SlotSet("checkin_note", None)]


async def _set_reminders_paused(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, paused: bool
) -> Events:
    """Hold back or allow check-ins and reminders, and say which."""
    sender_id: str = tracker.sender_id
    await run_in_store(lambda s: goals.set_reminders_paused(s, sender_id, paused))
    _say(dispatcher, tracker, "reminders_paused" if paused else "reminders_resumed")
    return []


class ActionPauseReminders(CoachAction):
    """Hold back check-ins and reminders on every channel."""

    action_name = "action_pause_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        return await _set_reminders_paused(dispatcher, tracker, paused=True)


class ActionResumeReminders(CoachAction):
    """Check-ins and reminders again."""

    action_name = "action_resume_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        return await _set_reminders_paused(dispatcher, tracker, paused=False)


class ActionSaveProblemSolving(CoachAction):
    """Keep the problem, the ideas and the one to try; it is checked at the next check-in."""

    action_name = "action_save_problem_solving"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        problem = str(tracker.get_slot("ps_problem") or "")
        ideas = str(tracker.get_slot("ps_ideas") or "")
        choice = str(tracker.get_slot("ps_choice") or "")

        def save(session: Session) -> None:
            plan = goals.latest_plan_needing_help(session, sender_id)
            goals.save_problem_solving(
                session,
                sender_id,
                problem=problem,
                ideas=ideas,
                chosen=choice,
                plan_id=plan.id if plan else None,
            )

        await run_in_store(save)
        _say(dispatcher, tracker, "ps_saved", choice=choice)
        return _reset("ps_problem", "ps_ideas", "ps_choice")


class ActionAcceptUnsolved(CoachAction):
    """The person accepts the problem may not be solvable now."""

    action_name = "action_accept_unsolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        await run_in_store(lambda s: goals.accept_unsolved(s, sender_id))
        _say(dispatcher, tracker, "accept_unsolved")
        return []


class ActionWeeklyReview(CoachAction):
    """How many planned days were done; then renew, change or make a new plan."""

    action_name = "action_weekly_review"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        wanted = _int_slot(tracker, "plan_id")

        def summaries(session: Session) -> list[goals.WeekSummary]:
            ids = (
                [wanted]
                if wanted is not None
                else [p.id for p in goals.active_plans(session, sender_id)]
            )
            found = [goals.week_summary(session, sender_id, plan_id) for plan_id in ids]
            return [s for s in found if s is not None]

        found = await run_in_store(summaries)
        if not found:
            _say(dispatcher, tracker, "plan_not_found" if wanted is not None else "no_plans")
        for summary in found:
            _say(
                dispatcher,
                tracker,
                "weekly_review",
                plan=summary.plan.summary,
                done=summary.done,
                partly=summary.partly,
                planned=summary.planned,
                plan_id=str(summary.plan.id),
            )
        return [SlotSet("plan_id", None)]


class ActionRenewPlan(CoachAction):
    """Keep the plan for another week."""

    action_name = "action_renew_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        wanted = _int_slot(tracker, "plan_id")
        renewed = wanted is not None and await run_in_store(
            lambda s: goals.renew_plan(s, sender_id, wanted)
        )
        _say(dispatcher, tracker, "plan_renewed" if renewed else "plan_not_found")
        return [SlotSet("plan_id", None)]


class ValidateCheckinNoteForm(CoachValidation):
    """The note in the patient's words (interruptions are stepped out of, actions/base.py)."""

    def name(self) -> str:
        return "validate_checkin_note_form"


class ValidateProblemSolvingForm(CoachValidation):
    """The problem, the ideas and the one to try, in the patient's words."""

    typed_buttons = True

    def name(self) -> str:
        return "validate_problem_solving_form"


class _MeasureValidation(CoachValidation, abc.ABC):
    """Checks each item's answer is on its scale; re-asks otherwise.

    Abstract, so the action server registers only the two concrete forms' validations."""

    instrument = ""
    invalid_response = ""

    @abc.abstractmethod
    def name(self) -> str:
        """The validation action's name."""

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        requested = tracker.get_slot("requested_slot")
        events: Events = []
        for item in measures.items(self.instrument):
            slot = measures.slot_of(self.instrument, item)
            if slot != requested or tracker.get_slot(slot) is None:
                continue
            low, high = measures.scale(self.instrument, item)
            value = parse.rating(str(tracker.get_slot(slot)), low, high)
            if value is None:
                _say(dispatcher, tracker, self.invalid_response)
            events.append(SlotSet(slot, None if value is None else str(value)))
        return events


class ValidateMeasuresForm(_MeasureValidation):
    """Weekly self-rated health and confidence to manage, 0-10."""

    instrument = measures.WEEKLY
    invalid_response = "measure_invalid"

    def name(self) -> str:
        return "validate_measures_form"


class ValidatePremForm(_MeasureValidation):
    """The monthly five-item experience check, 1-5."""

    instrument = measures.PREM
    invalid_response = "prem_invalid"

    def name(self) -> str:
        return "validate_prem_form"


async def _save_measures(tracker: Tracker, instrument: str) -> Events:
    sender_id: str = tracker.sender_id
    slots = {item: measures.slot_of(instrument, item) for item in measures.items(instrument)}
    values = {item: _int_slot(tracker, slot) for item, slot in slots.items()}
    answered = {item: value for item, value in values.items() if value is not None}
    versions = measures.versions(instrument)
    await run_in_store(
        lambda s: goals.record_measures(s, sender_id, instrument, answered, versions)
    )
    logger.info("%s measures recorded for %s", instrument, pseudonym(sender_id))
    return _reset(*slots.values())


class ActionSaveMeasures(CoachAction):
    """Keep the weekly measures with their wording versions."""

    action_name = "action_save_measures"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        events = await _save_measures(tracker, measures.WEEKLY)
        _say(dispatcher, tracker, "measures_thanks")
        return events


class ActionSavePrem(CoachAction):
    """Keep the experience check with its wording versions."""

    action_name = "action_save_prem"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        events = await _save_measures(tracker, measures.PREM)
        _say(dispatcher, tracker, "prem_thanks")
        return events


# The forms' questions: `action_ask_<slot>` for every slot the goals forms fill, each saying
# the reply "ask_<slot>" (Rasa's forms call action_ask_<slot> when the domain lists it).
ASKED_SLOTS = (
    *PLAN_FORM_SLOTS,
    "checkin_note",
    "ps_problem",
    "ps_ideas",
    "ps_choice",
    *(measures.slot_of(measures.WEEKLY, item) for item in measures.items(measures.WEEKLY)),
    *(measures.slot_of(measures.PREM, item) for item in measures.items(measures.PREM)),
)


class _AskGoalsSlot(AskSlot, abc.ABC):
    """Ask for one goals form slot with its reply from goals_dialogue.yml. Abstract: the
    concrete ones are made below, one per slot."""

    def reply(self, key: str, language: str) -> dict[str, Any]:
        return replies.reply(key, language)


class ActionAskPlanActivity(_AskGoalsSlot):
    """What will you do? Coached from the aim a plan started with ("i want to lose weight")."""

    action_name = "action_ask_plan_activity"
    key = "ask_plan_activity"

    def key_for(self, tracker: Tracker) -> str:
        aim = tracker.get_slot("plan_aim")
        return {"not_behaviour": "plan_not_behaviour", "vague": "plan_vague"}.get(
            str(aim), self.key
        )


def _ask_action(slot: str) -> type[AskSlot]:
    name = "ActionAsk" + "".join(part.title() for part in slot.split("_"))
    cls = type(
        name,
        (_AskGoalsSlot,),
        {
            "action_name": f"action_ask_{slot}",
            "key": f"ask_{slot}",
            "__doc__": f"Ask for {slot}.",
            "__module__": __name__,
            "__qualname__": name,
        },
    )
    # A module attribute, so the action server's worker processes can unpickle it.
    globals()[name] = cls
    return cls


ASK_ACTIONS = {
    slot: ActionAskPlanActivity if slot == "plan_activity" else _ask_action(slot)
    for slot in ASKED_SLOTS
}
