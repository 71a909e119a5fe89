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
    CoachAction,
    CoachValidation,
    run_in_store,
    say_reply,
    tracker_language,
)
from bot.goals import measures, parse, replies
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
CONFIDENT = 7
# After this many ratings the plan is kept even below 7 (the person knows best).
MAX_RATINGS = 3
OUTCOME_OF_INTENT = {
    "checkin_done": "done",
    "checkin_partly": "partly",
    "checkin_not_today": "not_today",
}
DomainDict = dict[str, Any]
Events = list[dict[str, Any]]


def _int_slot(tracker: Tracker, name: str) -> int | None:
    value = tracker.get_slot(name)
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _ratings(tracker: Tracker) -> list[dict[str, Any]]:
    value = tracker.get_slot("plan_ratings")
    return [dict(r) for r in value] if isinstance(value, list) else []


def _typed(value: Any) -> str:
    """What the person typed; a button's payload (e.g. "/my_goals") is not an answer."""
    text = str(value or "").strip()
    return "" if text.startswith("/") else text


def _reset(*names: str) -> Events:
    return [SlotSet(name, None) for name in names]


def _say(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **values: Any) -> None:
    """Send one reply from data/content/goals_dialogue.yml in the conversation's language."""
    say_reply(dispatcher, replies.reply(key, tracker_language(tracker), **values))


def _show_plans(
    dispatcher: CollectingDispatcher, tracker: Tracker, plans: list[goals.PlanView]
) -> None:
    for plan in plans:
        _say(
            dispatcher,
            tracker,
            "plan_item",
            plan=plan.summary,
            days=plan.days_per_week,
            plan_id=str(plan.id),
        )


class ActionStartPlan(CoachAction):
    """Begin a new plan (plan_next "form"), unless three are active (plan_next "done")."""

    action_name = "action_start_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        events = _reset(*PLAN_FORM_SLOTS, "plan_ratings", "plan_replaces", "plan_id")
        if len(plans) >= goals.MAX_ACTIVE_PLANS:
            _say(dispatcher, tracker, "plan_limit")
            return [*events, SlotSet("plan_next", "done")]
        return [*events, SlotSet("plan_next", "form")]


class ActionChangePlan(CoachAction):
    """Change a plan: the plan form again, and the new plan replaces the old one."""

    action_name = "action_change_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        wanted = _int_slot(tracker, "plan_id")
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        chosen = [p for p in plans if p.id == wanted] if wanted is not None else []
        if not chosen and wanted is None and len(plans) == 1:
            chosen = plans
        events = _reset(*PLAN_FORM_SLOTS, "plan_ratings", "plan_id")
        if not chosen:
            if not plans:
                _say(dispatcher, tracker, "no_plans")
            elif wanted is not None:
                _say(dispatcher, tracker, "plan_not_found")
            else:
                _say(dispatcher, tracker, "which_plan")
                _show_plans(dispatcher, tracker, plans)
            return [*events, SlotSet("plan_replaces", None), SlotSet("plan_next", "done")]
        plan = chosen[0]
        _say(dispatcher, tracker, "change_plan", plan=plan.summary)
        return [*events, SlotSet("plan_replaces", str(plan.id)), SlotSet("plan_next", "form")]


class ValidateActionPlanForm(CoachValidation):
    """What, how much, when, how many days; confidence (below 7: what would make it a 7, a
    smaller step, and a re-rating); then the check-in days and time."""

    def name(self) -> str:
        return "validate_action_plan_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        ratings = _ratings(tracker)
        needs_barrier = (
            bool(ratings)
            and ratings[-1]["rating"] < CONFIDENT
            and ratings[-1].get("barrier") is None
            and len(ratings) < MAX_RATINGS
        )
        return [s for s in PLAN_FORM_SLOTS if s != "plan_barrier" or needs_barrier]

    def validate_plan_activity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _typed(value)
        verdict = parse.assess_activity(text)
        if verdict == "not_behaviour":
            _say(dispatcher, tracker, "plan_not_behaviour")
            return {"plan_activity": None}
        if verdict == "vague":
            _say(dispatcher, tracker, "plan_vague")
            return {"plan_activity": None}
        return {"plan_activity": text}

    def validate_plan_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _typed(value)
        if not parse.amount_is_specific(text):
            _say(dispatcher, tracker, "plan_amount_vague")
            return {"plan_amount": None}
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
        return {"plan_days": str(days)}

    def validate_plan_confidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        rating = parse.rating(_typed(value))
        if rating is None:
            _say(dispatcher, tracker, "confidence_invalid")
            return {"plan_confidence": None}
        ratings = [*_ratings(tracker), {"rating": rating, "barrier": None}]
        slots: dict[str, Any] = {"plan_confidence": str(rating), "plan_ratings": ratings}
        if rating < CONFIDENT and len(ratings) < MAX_RATINGS:
            slots["plan_barrier"] = None
        return slots

    def validate_plan_barrier(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _typed(value)
        ratings = _ratings(tracker)
        if ratings:
            ratings[-1]["barrier"] = text
        days = _int_slot(tracker, "plan_days") or 1
        _say(dispatcher, tracker, "smaller_step", days=days, fewer_days=max(1, days - 1))
        # Set the amount and days again, then re-rate.
        return {
            "plan_barrier": text,
            "plan_ratings": ratings,
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
        return {"checkin_days": ",".join(str(d) for d in sorted(days))}

    def validate_checkin_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        at = parse.time_of_day(_typed(value))
        if at is None:
            _say(dispatcher, tracker, "checkin_time_invalid")
            return {"checkin_time": None}
        return {"checkin_time": at.strftime("%H:%M")}


class ActionSavePlan(CoachAction):
    """Save the finished plan with every rating, its check-ins, review and measures."""

    action_name = "action_save_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        sender_id: str = tracker.sender_id
        slot = tracker.get_slot
        weekdays = frozenset(int(d) for d in str(slot("checkin_days") or "").split(",") if d)
        at = parse.time_of_day(str(slot("checkin_time") or ""))
        days = _int_slot(tracker, "plan_days")
        events = _reset(*PLAN_FORM_SLOTS, "plan_ratings", "plan_replaces")
        if not weekdays or at is None or days is None:
            logger.warning("plan not saved for %s: incomplete form", pseudonym(sender_id))
            dispatcher.utter_message(response="utter_form_cancelled")  # a domain response
            return events
        ratings = [(int(r["rating"]), r.get("barrier")) for r in _ratings(tracker)]
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
        _say(
            dispatcher,
            tracker,
            "plan_saved",
            plan=plan.summary,
            days=plan.days_per_week,
            checkin_days=_day_words(tracker, weekdays),
            checkin_time=at.strftime("%H:%M"),
        )
        return events


def _day_words(tracker: Tracker, weekdays: frozenset[int]) -> str:
    """The check-in days in the conversation's language: "every day", "Mondays and Fridays"."""

    def word(key: str) -> str:
        language = tracker_language(tracker)
        return str(replies.reply(key, language)["text"])

    if weekdays == frozenset(range(1, 8)):
        return word("days_every_day")
    if weekdays == frozenset(range(1, 6)):
        return word("days_weekdays")
    names = [word(f"day_{day}") for day in sorted(weekdays)]
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {word('days_and')} {names[-1]}"


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
        wanted = _int_slot(tracker, "plan_id")
        plans = await run_in_store(lambda s: goals.active_plans(s, sender_id))
        if wanted is None and len(plans) == 1:
            wanted = plans[0].id
        target = next((p for p in plans if p.id == wanted), None)
        if target is None:
            if not plans:
                _say(dispatcher, tracker, "no_plans")
            elif wanted is not None:
                _say(dispatcher, tracker, "plan_not_found")
            else:
                _say(dispatcher, tracker, "which_plan")
                _show_plans(dispatcher, tracker, plans)
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
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
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


def _ask_action(slot: str) -> type[CoachAction]:
    async def run(
        self: CoachAction, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        _say(dispatcher, tracker, f"ask_{slot}")
        return []

    name = "ActionAsk" + "".join(part.title() for part in slot.split("_"))
    cls = type(
        name,
        (CoachAction,),
        {
            "action_name": f"action_ask_{slot}",
            "run": run,
            "__doc__": f"Ask for {slot}.",
            "__module__": __name__,
            "__qualname__": name,
        },
    )
    # A module attribute, so the action server's worker processes can unpickle it.
    globals()[name] = cls
    return cls


ASK_ACTIONS = {slot: _ask_action(slot) for slot in ASKED_SLOTS}
