"""Typed answers in the Ask 3 dialogues (word lists in data/content/ask3.yml) and the
rehearsal's state (bot.decisions.rehearsal)."""

from __future__ import annotations

import pytest

from bot.decisions import content, rehearsal, words


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("yes, all of them", "yes"),
        ("Some of them", "partly"),
        ("rhannol", "partly"),
        ("naddo", "no"),
        ("/affirm", "yes"),
        ("/deny", "no"),
        ("hmm", None),
    ],
)
def test_did_you_get_answers(said: str, answer: str | None) -> None:
    assert words.got_answers(said) == answer


@pytest.mark.parametrize("said", ["I've finished!", "done", "wedi gorffen", "/affirm"])
def test_finished_typed_or_tapped(said: str) -> None:
    assert words.is_finished(said)


def test_a_rehearsal_turn_answers_as_the_clinician_and_counts_the_turn() -> None:
    scenario = content.find_scenario("knee")
    turn = rehearsal.practise("what are the risks", "en", scenario, rehearsal.Practice())
    assert turn.practice.asked == ("benefits_risks",)
    assert turn.answers == [scenario.answers["benefits_risks"].en]
    assert not turn.other_question and not turn.done
    asked, evidence, turns = turn.practice.for_record()
    assert asked == ["benefits_risks"] and "_turns" not in evidence and turns == 1
    other = rehearsal.practise("where do I park", "en", scenario, turn.practice)
    assert other.other_question and other.practice.turns == 2


def test_a_rehearsal_ends_after_its_last_turn() -> None:
    practice = rehearsal.Practice()
    scenario = content.find_scenario(None)
    for _ in range(rehearsal.MAX_PRACTICE_TURNS):
        turn = rehearsal.practise("how likely is it", "en", scenario, practice)
        practice = turn.practice
    assert turn.done
