"""Clarity ratings, suggestions and stories below the dialogue: what typed words mean, which
item a rating is about, and what is stored (real SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.content.option_grids import find_grid
from bot.feedback import content, ratings, stories
from bot.store import people
from bot.store.db import unit_of_work
from bot.store.models import ContentFeedback, PatientStory
from bot.teachback import flow
from tests.goals.conftest import enrol_in


@pytest.mark.parametrize(
    ("said", "clarity"),
    [
        ("very clear", 5),
        ("It was clear, thanks", 5),
        ("mostly clear", 3),
        ("quite clear", 3),
        ("not clear", 1),
        ("it wasn't clear", 1),
        ("I found it confusing", 1),
        ("clir iawn", 5),
        ("clir ar y cyfan", 3),
        ("ddim yn glir", 1),
        ("dryslyd", 1),
        ("4", 4),
    ],
)
def test_typed_ratings_are_read_on_the_one_to_five_scale(said: str, clarity: int) -> None:
    assert ratings.parse_clarity(said) == clarity


@pytest.mark.parametrize("said", ["banana", "", "9", "0"])
def test_words_that_are_no_rating_are_asked_again(said: str) -> None:
    assert ratings.parse_clarity(said) is None


def test_the_buttons_carry_the_rating_and_the_item_in_both_languages() -> None:
    en = content.clarity_offer("module:inhaler:1", "module", "en")
    cy = content.clarity_offer("module:inhaler:1", "module", "cy")
    assert [b["title"] for b in en["buttons"]] == ["Very clear", "Mostly clear", "Not clear"]
    assert [b["title"] for b in cy["buttons"]] == ["Clir iawn", "Clir ar y cyfan", "Ddim yn glir"]
    assert en["text"] != cy["text"] and "explanation" in en["text"]
    first = en["buttons"][0]["payload"]
    assert first.startswith("/rate_clarity")
    assert json.loads(first.removeprefix("/rate_clarity")) == {
        "clarity": "5",
        "feedback_item": "module:inhaler:1",
    }
    assert [b["payload"] for b in en["buttons"]] == [b["payload"] for b in cy["buttons"]]
    assert "option grid" in content.clarity_offer("grid:carpal-tunnel:1", "grid", "en")["text"]


def test_every_feedback_reply_is_in_english_and_welsh() -> None:
    for key, entry in content.load()["replies"].items():
        assert entry["en"]["text"].strip() and entry["cy"]["text"].strip(), key
        assert entry["en"]["text"] != entry["cy"]["text"], key
        en = [b["payload"] for b in entry["en"].get("buttons", [])]
        assert en == [b["payload"] for b in entry["cy"].get("buttons", [])], key


def test_an_item_must_name_real_content() -> None:
    assert ratings.decode("module:inhaler:3") == ratings.Item("module", "inhaler", 3)
    assert ratings.decode("grid:knee-osteoarthritis:1") is not None
    for bad in ("module:no-such-module:1", "grid:inhaler:1", "module:inhaler", "x:y:1", None):
        assert ratings.decode(bad) is None
    grid = find_grid("knee-osteoarthritis")
    assert grid is not None
    assert ratings.grid_item(grid).encode() == f"grid:knee-osteoarthritis:{grid.version}"


@pytest.mark.parametrize("said", ["no thanks", "No", "nothing", "/deny", "dim diolch", "stop", " "])
def test_no_thanks_is_nothing_to_keep(said: str) -> None:
    assert ratings.own_words(said) is None


def test_story_consent_needs_a_yes() -> None:
    assert stories.consent_answer("/affirm") == stories.YES
    assert stories.consent_answer("yes") == stories.YES
    assert stories.consent_answer("ydw") == stories.YES
    assert stories.consent_answer("/deny") == stories.NO
    assert stories.consent_answer("na") == stories.NO
    assert stories.consent_answer("stop") == stories.NO
    assert stories.consent_answer("maybe later perhaps") is None


def test_a_rating_and_suggestion_are_stored_with_version_language_and_channel(db: str) -> None:
    sender = enrol_in(db, "web-rater", language="cy")
    with unit_of_work(db) as session:
        started = flow.start_or_resume(session, sender, "hypo", "cy")
        assert started is not None
        started[0].status = flow.COMPLETED
        started[0].module_version = 7  # they were taught version 7, whatever is current now
    with unit_of_work(db) as session:
        item = ratings.finished_module(session, sender)
        assert item == ratings.Item("module", "hypo", 7)
        feedback_id = ratings.record(session, sender, item, 3, "cy")
    other = enrol_in(db, "web-other")
    with unit_of_work(db) as session:
        assert ratings.add_suggestion(session, sender, str(feedback_id), "Llun fyddai'n help")
        assert not ratings.add_suggestion(session, other, str(feedback_id), "not theirs")
        assert not ratings.add_suggestion(session, sender, "not-a-number", "x")
    with unit_of_work(db) as session:
        row = session.scalars(select(ContentFeedback)).one()
        assert (row.item_kind, row.item_id, row.content_version, row.clarity) == (
            "module",
            "hypo",
            7,
            3,
        )
        assert (row.language, row.channel, row.chunk_id) == ("cy", "web", None)
        assert row.suggestion == "Llun fyddai'n help"


def test_a_story_is_kept_only_with_consent_and_some_words(db: str) -> None:
    sender = enrol_in(db, "web-teller")
    with unit_of_work(db) as session:
        assert not stories.save(session, sender, stories.NO, "my story", "en")
        assert not stories.save(session, sender, stories.YES, "-", "en")
        assert not stories.save(session, sender, stories.YES, "no thanks", "en")
        assert stories.save(session, sender, stories.YES, "The reminders got me walking.", "en")
    with unit_of_work(db) as session:
        kept = session.execute(select(PatientStory.text, PatientStory.share_consent)).all()
    assert [tuple(k) for k in kept] == [("The reminders got me walking.", True)]


def test_a_telegram_rating_records_the_telegram_channel(db: str) -> None:
    with unit_of_work(db) as session:
        people.ensure_person(session, "tg-42", channel="telegram")
    with unit_of_work(db) as session:
        item = ratings.Item("grid", "carpal-tunnel", 1)
        ratings.record(session, "tg-42", item, 5, "en")
    with unit_of_work(db) as session:
        row = session.scalars(select(ContentFeedback)).one()
        assert (row.channel, row.item_kind, row.clarity) == ("telegram", "grid", 5)
