"""Reading plans and changes from what patients type (issue 17): a plan in one message,
which detail a change names, corrections, and the confidence step."""

from __future__ import annotations

import pytest

from bot.goals import confidence, corrections, prefill


@pytest.mark.parametrize(
    ("said", "activity", "amount", "timing", "days"),
    [
        ("i want to walk more for my diabetes", "walk", None, None, None),
        ("walk 10 minutes after lunch, 4 days a week", "walk", "10 minutes", "after lunch", 4),
        ("drink 2 glasses of water every day", "drink", "2 glasses of water", None, 7),
        ("dw i eisiau cerdded mwy oherwydd fy niabetes", "cerdded", None, None, None),
        ("i want to stop smoking", "stop smoking", None, None, None),
        ("make an action plan", None, None, None, None),
        ("id like to set myself a goal", None, None, None, None),
        ("hoffwn i osod nod newydd plis", None, None, None, None),
        ("/start_action_plan", None, None, None, None),
    ],
)  # fmt: skip
def test_a_plan_is_read_from_one_message(
    said: str, activity: str | None, amount: str | None, timing: str | None, days: int | None
) -> None:
    start = prefill.plan_from_text(said)
    assert (start.activity, start.amount, start.timing, start.days) == (
        activity,
        amount,
        timing,
        days,
    )


def test_an_outcome_or_a_vague_aim_is_kept_to_coach_from_not_as_the_activity() -> None:
    weight = prefill.plan_from_text("I want to lose weight")
    assert weight.activity is None and weight.aim_kind == "not_behaviour"
    vague = prefill.plan_from_text("i want to exercise more")
    assert vague.activity is None and vague.aim_kind == "vague"


def test_a_plan_typed_on_its_own_looks_like_a_plan_and_a_question_does_not() -> None:
    assert prefill.looks_like_a_plan("walk 20 minutes after dinner")
    assert not prefill.looks_like_a_plan("can I take ibuprofen")
    assert not prefill.looks_like_a_plan("walk")


@pytest.mark.parametrize(
    ("said", "detail"),
    [
        ("change the time", corrections.CHECKIN_TIME),
        ("change the days", corrections.CHECKIN_DAYS),
        ("can we do different days", corrections.CHECKIN_DAYS),
        ("change the amount", corrections.AMOUNT),
        ("make it 15 minutes instead", corrections.AMOUNT),
        ("can i do fewer days", corrections.DAYS),
        ("move my check-in to 7pm", corrections.CHECKIN_TIME),
        ("newid yr amser", corrections.CHECKIN_TIME),
        ("newid y diwrnodau", corrections.CHECKIN_DAYS),
        ("hello", None),
    ],
)
def test_which_detail_a_change_names(said: str, detail: str | None) -> None:
    assert corrections.detail_named(said) == detail


def test_a_bare_number_is_not_taken_for_a_time() -> None:
    assert corrections.value_detail("4") is None
    assert corrections.value_detail("6.30pm") == corrections.CHECKIN_TIME
    assert corrections.value_detail("wednesday and saturday") == corrections.CHECKIN_DAYS
    assert corrections.has_value_for(corrections.CHECKIN_TIME, "move it to half 7")
    assert not corrections.has_value_for(corrections.CHECKIN_TIME, "change the time")


def test_confidence_below_7_asks_what_would_help_three_times_at_most() -> None:
    first = confidence.rate([], 5)
    assert first.ask_barrier
    step = confidence.explain(first.ratings, "if it's dry", 4)
    assert (step.days, step.fewer_days) == (4, 3)
    assert step.ratings == [{"rating": 5, "barrier": "if it's dry"}]
    second = confidence.rate(step.ratings, 6)
    third = confidence.rate(confidence.explain(second.ratings, "a friend", 3).ratings, 6)
    assert second.ask_barrier and not third.ask_barrier  # the person knows best
    assert not confidence.rate([], 8).ask_barrier
    assert confidence.undo(third.ratings) == third.ratings[:-1]
    assert not confidence.needs_barrier(confidence.kept(5))


@pytest.mark.parametrize(
    ("said", "asks"),
    [
        ("move my check-in to 7pm", True),
        ("actually make it wednesday and saturday", True),
        ("can we do different days", True),
        ("newid yr amser", True),
        ("6.30pm", False),  # a value on its own is asked about first
        ("amser brecwast", False),  # "breakfast time", the answer to "when?"
        ("mondays and thursdays", False),
    ],
)
def test_a_change_is_asked_for_in_words_not_only_by_a_value(said: str, asks: bool) -> None:
    assert corrections.asks_for_a_change(said) is asks
