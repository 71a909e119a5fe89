"""Conversations that follow the patient (issue 17), action by action: interruptions are
never answers, typed button titles and corrections count, stepping out and carrying on,
"stop", "go back", medicine questions and typed yes/no outside forms.

Each tracker is built from the events the action server receives; the assertions are on the
events returned and on what the patient is told.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select

from actions import conversation
from actions.ask3 import ValidateAsk3Form
from actions.goals import ValidateActionPlanForm
from bot.conversation import content
from bot.goals import replies
from bot.store import goals, people
from bot.store.db import unit_of_work
from bot.store.models import Ask3List
from tests.actions.conftest import TrackerFactory, asked, domain, form_turn, user

SENDER = "sender-1"
DOMAIN = domain()
AMOUNT_QUESTION = asked("How much will you do each time?")


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def plan_form_tracker(
    make_tracker: TrackerFactory,
    requested: str,
    said: str,
    intent: str,
    *,
    extracted: bool,
    filled: dict[str, Any] | None = None,
    question: dict[str, Any] = AMOUNT_QUESTION,
    language: str = "en",
) -> Any:
    values = {**(filled or {}), "requested_slot": requested, "language": language}
    if extracted:
        values[requested] = said
    return make_tracker(
        SENDER,
        slots=values,
        intent=intent,
        text=said,
        active_loop="action_plan_form",
        events=form_turn(
            "action_plan_form", requested, said, intent, extracted=extracted, question=question
        ),
    )


def consenting(store: Engine) -> None:
    with unit_of_work(str(store.url)) as session:
        people.ensure_person(session, SENDER, channel="web")
        people.record_consent(session, SENDER, given=True, notice_version="1")


async def test_forget_me_mid_plan_is_rejected_so_its_rule_answers(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = plan_form_tracker(
        make_tracker, "plan_amount", "forget me", "forget_me", extracted=False
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    assert events == []  # nothing validated: Rasa rejects the form and the rule runs
    assert dispatcher.messages == []


async def test_a_menu_button_tapped_mid_plan_leaves_the_form(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = plan_form_tracker(
        make_tracker, "plan_amount", "/start_teach_back", "start_teach_back", extracted=True
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("plan_amount", None) in events
    assert ActionExecutionRejected("action_plan_form") in events


async def test_half_6_in_the_evening_is_half_past_six_read_back(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = plan_form_tracker(
        make_tracker, "checkin_time", "half 6 in the evening", "nlu_fallback", extracted=True
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["checkin_time"] == "18:30"
    assert "OK: half past six in the evening (18:30)." in texts(dispatcher)


async def test_welsh_days_are_read_back_in_welsh(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = plan_form_tracker(
        make_tracker, "checkin_days", "llun a iau", "nlu_fallback", extracted=True, language="cy"
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["checkin_days"] == "1,4"
    assert "Iawn: ar ddydd Llun a dydd Iau." in texts(dispatcher)


async def test_actually_corrects_the_days_while_the_time_is_asked(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    said = "actually make it wednesday and saturday"
    tracker = plan_form_tracker(
        make_tracker,
        "checkin_time",
        said,
        "change_plan_detail",
        extracted=True,
        filled={"checkin_days": "1,4", "plan_days": "2", "plan_confidence": "8"},
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    found = slots(events)
    assert found["checkin_days"] == "3,6"
    assert found["checkin_time"] is None  # the correction is not the time: asked again
    assert "OK: on Wednesdays and Saturdays." in texts(dispatcher)


async def test_actually_make_it_15_minutes_while_the_time_is_asked_keeps_only_the_amount(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = plan_form_tracker(
        make_tracker,
        "plan_timing",
        "actually make it 15 minutes",
        "change_plan_detail",
        extracted=True,
        filled={"plan_activity": "walk", "plan_amount": "10 mins"},
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["plan_amount"] == "15 minutes"
    assert "OK: 15 minutes." in texts(dispatcher)


async def test_change_the_time_at_the_last_question_asks_just_the_time_again(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = plan_form_tracker(
        make_tracker,
        "checkin_time",
        "change the days",
        "change_plan_detail",
        extracted=True,
        filled={"checkin_days": "1,4", "plan_amount": "10 minutes", "plan_confidence": "8"},
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    found = slots(events)
    assert found["checkin_days"] is None and found["checkin_time"] is None
    assert "plan_amount" not in found and "plan_confidence" not in found


async def test_a_typed_button_title_counts_as_the_tap(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    question = asked("When is your appointment?", ("Skip", "/deny"))
    tracker = make_tracker(
        SENDER,
        slots={"requested_slot": "ask3_date", "ask3_decision": "knee", "ask3_options": "physio"},
        intent="cancel",  # "skip this" is also a way to say cancel: here it is the button
        text="skip",
        active_loop="ask3_form",
        events=form_turn(
            "ask3_form", "ask3_date", "skip", "cancel", extracted=False, question=question
        ),
    )
    events = await ValidateAsk3Form().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["ask3_date"] == "-"  # skipped, and the form goes on


async def test_use_these_words_typed_keeps_the_standard_question(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    question = asked("The first question...", ("Use these words", "/affirm"))
    tracker = make_tracker(
        SENDER,
        slots={"requested_slot": "ask3_q_options", "ask3_q_options": "use these words"},
        intent="nlu_fallback",
        text="use these words",
        active_loop="ask3_form",
        events=form_turn(
            "ask3_form", "ask3_q_options", "use these words", "nlu_fallback", extracted=True,
            question=question,
        ),
    )  # fmt: skip
    events = await ValidateAsk3Form().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["ask3_q_options"] == "What are my options?"


async def test_only_the_slot_asked_for_is_validated_when_a_form_comes_back(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    events_in = [
        user("/resume_activity", "resume_activity"),
        {"event": "action", "name": "action_resume_activity"},
        {"event": "action", "name": "action_plan_form"},
        {"event": "slot", "name": "checkin_days", "value": "1,4"},
    ]
    tracker = make_tracker(
        SENDER,
        slots={"checkin_days": "1,4", "requested_slot": None},
        intent="resume_activity",
        text="/resume_activity",
        active_loop="action_plan_form",
        events=events_in,
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("checkin_days", "1,4") in events
    assert dispatcher.messages == []  # no read-back said twice


async def test_stepping_out_of_a_form_remembers_it_and_stores_nothing(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = make_tracker(
        SENDER, slots={"requested_slot": "plan_amount"}, active_loop="action_plan_form"
    )
    events = await conversation.ActionPauseActivity().run(dispatcher, tracker, DOMAIN)
    assert ActiveLoop(None) in events
    assert SlotSet("paused_activity", "action_plan") in events
    offer = conversation.ActionOfferResume()
    await offer.run(
        dispatcher, make_tracker(SENDER, slots={"paused_activity": "action_plan"}), DOMAIN
    )
    said = dispatcher.messages[-1]
    assert "your action plan" in said["text"]
    assert [b["payload"] for b in said["buttons"]] == ["/resume_activity", "/not_now"]


async def test_nothing_to_step_out_of_says_nothing(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    assert await conversation.ActionPauseActivity().run(dispatcher, make_tracker(), DOMAIN) == []
    await conversation.ActionOfferResume().run(dispatcher, make_tracker(), DOMAIN)
    assert dispatcher.messages == []


async def test_carry_on_says_which_form_opens(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = make_tracker(slots={"paused_activity": "ask3"})
    events = await conversation.ActionResumeActivity().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("resume_target", "ask3") in events
    nothing = await conversation.ActionResumeActivity().run(dispatcher, make_tracker(), DOMAIN)
    assert SlotSet("resume_target", "nothing") in nothing
    assert texts(dispatcher) == [content.reply("nothing_to_resume", "en")["text"]]


async def test_stop_at_the_menu_asks_what_to_stop(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    tracker = make_tracker(SENDER, slots={"consent": "given"}, intent="stop", text="stop")
    assert await conversation.ActionStop().run(dispatcher, tracker, DOMAIN) == []
    [question] = dispatcher.messages
    payloads = [b["payload"] for b in question["buttons"]]
    assert "/withdraw_consent" in payloads and "/pause_reminders" in payloads
    assert "/nudges_off" in payloads
    assert "/stop_plan" not in payloads  # no plan to stop


async def test_stop_in_a_form_stops_it_and_keeps_the_place(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = make_tracker(
        SENDER, slots={"consent": "given", "language": "cy"}, active_loop="story_form"
    )
    events = await conversation.ActionStop().run(dispatcher, tracker, DOMAIN)
    assert ActiveLoop(None) in events and SlotSet("paused_activity", "story") in events
    assert "eich stori" in texts(dispatcher)[0]


async def test_safety_pause_only_from_the_gateways_payload(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    typed = make_tracker(SENDER, intent="safety_pause", text="pause", active_loop="prem_form")
    assert await conversation.ActionSafetyPause().run(dispatcher, typed, DOMAIN) == []
    sent = make_tracker(
        SENDER, intent="safety_pause", text="/safety_pause", active_loop="prem_form"
    )
    events = await conversation.ActionSafetyPause().run(dispatcher, sent, DOMAIN)
    assert ActiveLoop(None) in events and SlotSet("paused_activity", "prem") in events
    assert "questions about your care" in texts(dispatcher)[0]
    idle = make_tracker(SENDER, intent="safety_pause", text="/safety_pause")
    before = len(dispatcher.messages)
    assert await conversation.ActionSafetyPause().run(dispatcher, idle, DOMAIN) == []
    assert len(dispatcher.messages) == before  # nothing was going on: nothing to add


async def test_yes_to_the_grid_offer_is_read_as_its_button(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    offer = asked(
        "There's an option grid for knee osteoarthritis...",
        ("Show me the grid", '/show_option_grid{"option_grid":"knee-osteoarthritis"}'),
        ("No, thanks", "/help"),
    )
    tracker = make_tracker(
        SENDER,
        slots={"consent": "given"},
        intent="affirm",
        text="yes show me",
        events=[offer, user("yes show me", "affirm", turn="t-1")],
    )
    events = await conversation.ActionAnswerOffer().run(dispatcher, tracker, DOMAIN)
    assert [e["event"] for e in events] == ["rewind", "action", "user"]
    reread = events[-1]
    assert reread["parse_data"]["intent"]["name"] == "show_option_grid"
    assert reread["parse_data"]["entities"][0]["value"] == "knee-osteoarthritis"
    assert reread["text"] == "yes show me"  # the patient's own words are kept
    assert reread["metadata"]["turn"] == "t-1"  # and the gateway's turn id


async def test_a_yes_with_nothing_to_answer_asks_what_next(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = make_tracker(SENDER, intent="affirm", text="yes", events=[user("yes", "affirm")])
    assert await conversation.ActionAnswerOffer().run(dispatcher, tracker, DOMAIN) == []
    assert texts(dispatcher) == ["utter_what_next"]


async def test_a_time_typed_after_a_plan_was_saved_offers_to_change_it(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    with unit_of_work(str(store.url)) as session:
        from datetime import time

        plan = goals.create_plan(
            session, SENDER, activity="walk", amount="10 minutes", timing="after lunch",
            days_per_week=3, ratings=[(8, None)], weekdays=frozenset({1, 3, 5}),
            local_time=time(18, 0),
        )  # fmt: skip
    events_in = [
        {"event": "action", "name": "action_save_plan"},
        asked("Great, here's your plan..."),
        user("6.30pm", "nlu_fallback"),
    ]
    tracker = make_tracker(SENDER, intent="nlu_fallback", text="6.30pm", events=events_in)
    assert await conversation.ActionUnderstandFallback().run(dispatcher, tracker, DOMAIN) == []
    [offer] = dispatcher.messages
    assert "half past six in the evening (18:30)" in offer["text"]
    assert offer["buttons"][0]["payload"] == (
        f'/change_plan_detail{{"plan_detail":"checkin_time","plan_id":"{plan.id}",'
        '"detail_value":"18:30"}'
    )


async def test_a_medicine_question_is_signposted_and_kept_only_on_yes(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    consenting(store)
    said = "can I take ibuprofen with metformin?"
    tracker = make_tracker(
        SENDER, slots={"consent": "given"}, intent="medicine_question", text=said
    )
    events = await conversation.ActionMedicineSignpost().run(dispatcher, tracker, DOMAIN)
    signpost = texts(dispatcher)[0]
    assert "pharmacist" in signpost and "111" in signpost
    assert SlotSet("pending_question", said) in events
    with unit_of_work(str(store.url)) as session:
        assert session.scalars(select(Ask3List)).all() == []  # nothing kept yet
    kept = make_tracker(SENDER, slots={"consent": "given", "pending_question": said})
    await conversation.ActionAddMyQuestion().run(dispatcher, kept, DOMAIN)
    with unit_of_work(str(store.url)) as session:
        [row] = session.scalars(select(Ask3List)).all()
        assert row.own_questions == [said]
    assert content.reply("question_added", "en", question=said)["text"] in texts(dispatcher)


async def test_go_back_in_the_plan_asks_the_previous_question_again(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = make_tracker(
        SENDER,
        slots={
            "requested_slot": "plan_timing",
            "plan_activity": "walk",
            "plan_amount": "10 minutes",
        },
        intent="go_back",
        text="that's not what i meant",
        active_loop="action_plan_form",
    )
    events = await conversation.ActionGoBack().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("plan_amount", None) in events
    assert texts(dispatcher) == [content.reply("went_back", "en")["text"]]


async def test_go_back_at_the_first_question_leaves_the_dialogue(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = make_tracker(
        SENDER,
        slots={"requested_slot": "ask3_decision"},
        intent="go_back",
        text="no thats not what i meant",
        active_loop="ask3_form",
    )
    events = await conversation.ActionGoBack().run(dispatcher, tracker, DOMAIN)
    assert ActiveLoop(None) in events
    assert "your questions for the appointment" in texts(dispatcher)[0]


def test_the_saved_plan_reads_its_check_ins_back_in_words() -> None:
    reply = replies.reply(
        "plan_saved", "en", plan="walk", days=2, checkin_days="on Mondays and Thursdays",
        checkin_time="half past six in the evening (18:30)", plan_id="4",
    )  # fmt: skip
    assert "on Mondays and Thursdays at half past six in the evening (18:30)" in reply["text"]
    assert reply["buttons"][0]["title"] == "Change the time"


def ask3_question_tracker(
    make_tracker: TrackerFactory, said: str, intent: str, requested: str = "ask3_q_options"
) -> Any:
    question = asked("The first question...", ("Use these words", "/affirm"))
    return make_tracker(
        SENDER,
        slots={"requested_slot": requested, "ask3_decision": "knee", "ask3_options": "physio"},
        intent=intent,
        text=said,
        active_loop="ask3_form",
        events=form_turn("ask3_form", requested, said, intent, extracted=False, question=question),
    )


async def test_a_question_of_their_own_that_sounds_like_help_is_their_question(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = ask3_question_tracker(make_tracker, "What else could I do instead?", "help")
    events = await ValidateAsk3Form().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["ask3_q_options"] == "What else could I do instead?"


async def test_help_asked_as_a_question_in_the_ask3_form_still_interrupts(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    for said, intent in (("can you show me the menu?", "help"), ("can we go back?", "go_back")):
        tracker = ask3_question_tracker(make_tracker, said, intent)
        assert await ValidateAsk3Form().run(dispatcher, tracker, DOMAIN) == [], said


async def test_a_medicine_question_mid_plan_interrupts_even_without_a_question_mark(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = plan_form_tracker(
        make_tracker,
        "plan_amount",
        "i missed a dose of metformin, what should i do",
        "medicine_question",
        extracted=False,
    )
    assert await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN) == []
    # An answer that only mentions tablets is still the answer.
    tracker = plan_form_tracker(
        make_tracker,
        "plan_amount",
        "2 tablets with breakfast",
        "medicine_question",
        extracted=False,
    )
    events = await ValidateActionPlanForm().run(dispatcher, tracker, DOMAIN)
    assert slots(events).get("plan_amount") == "2 tablets with breakfast"


async def test_tomorrow_is_the_appointment_date_even_when_read_as_goodbye(
    dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    tracker = ask3_question_tracker(make_tracker, "tomorrow", "goodbye", requested="ask3_date")
    events = await ValidateAsk3Form().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["ask3_date"] not in (None, "-")
    # "bye" there is still goodbye: nothing is taken, the form is left for its rule.
    tracker = ask3_question_tracker(make_tracker, "bye for now", "goodbye", requested="ask3_date")
    assert await ValidateAsk3Form().run(dispatcher, tracker, DOMAIN) == []
