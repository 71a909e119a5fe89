"""The confidence step of an action plan (EPP): rate 0-10; below 7, what would make it a 7,
a smaller step, and the amount and days again; after three ratings the plan is kept as it
is, because the person knows best. Every rating is kept, with what would help.

Pure functions over the list of ratings the plan form carries in its `plan_ratings` slot,
each {"rating": int, "barrier": str | None}; nothing here talks to Rasa or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONFIDENT = 7
# After this many ratings the plan is kept even below 7 (the person knows best).
MAX_RATINGS = 3
Rating = dict[str, Any]


def ratings_of(value: object) -> list[Rating]:
    """The ratings in a slot's value, copied (a slot's list is never changed in place)."""
    return [dict(r) for r in value] if isinstance(value, list) else []


def needs_barrier(ratings: list[Rating]) -> bool:
    """Whether to ask what would make it a 7: the last rating is low, unexplained, and there
    are ratings left."""
    return (
        bool(ratings)
        and int(ratings[-1]["rating"]) < CONFIDENT
        and ratings[-1].get("barrier") is None
        and len(ratings) < MAX_RATINGS
    )


@dataclass(frozen=True)
class Rated:
    """After a rating: every rating so far, and whether to ask what would make it a 7."""

    ratings: list[Rating]
    ask_barrier: bool


def rate(ratings: list[Rating], rating: int) -> Rated:
    """Add a rating."""
    updated = [*ratings, {"rating": rating, "barrier": None}]
    return Rated(updated, needs_barrier(updated))


@dataclass(frozen=True)
class SmallerStep:
    """After saying what would help: the ratings, and the smaller step to suggest."""

    ratings: list[Rating]
    days: int
    fewer_days: int


def explain(ratings: list[Rating], barrier: str, days: int | None) -> SmallerStep:
    """Keep what would make it a 7 with the last rating; suggest one day fewer."""
    updated = [dict(r) for r in ratings]
    if updated:
        updated[-1]["barrier"] = barrier
    planned = days or 1
    return SmallerStep(updated, planned, max(1, planned - 1))


def undo(ratings: list[Rating]) -> list[Rating]:
    """The ratings without the last one (the patient went back to re-rate)."""
    return [dict(r) for r in ratings[:-1]]


def kept(rating: int) -> list[Rating]:
    """A plan whose detail changes keeps its last rating, already explained."""
    return [{"rating": rating, "barrier": ""}]
