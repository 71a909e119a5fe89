"""The measures' items and wording versions, from data/content/measures.yml."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR

WEEKLY, PREM = "weekly", "prem"
# The form slot that holds each instrument's item.
SLOT_PREFIX = {WEEKLY: "measure_", PREM: "prem_"}


@functools.cache
def _items() -> dict[str, dict[str, dict[str, Any]]]:
    with (CONTENT_DIR / "measures.yml").open(encoding="utf-8") as handle:
        data: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(handle)
    return data


def items(instrument: str) -> list[str]:
    """The instrument's items in the order they are asked."""
    return list(_items()[instrument])


def versions(instrument: str) -> dict[str, str]:
    """Item → version of its wording."""
    return {item: str(spec["version"]) for item, spec in _items()[instrument].items()}


def scale(instrument: str, item: str) -> tuple[int, int]:
    """The item's lowest and highest answer."""
    low, high = _items()[instrument][item]["scale"]
    return int(low), int(high)


def slot_of(instrument: str, item: str) -> str:
    """The form slot for an item, e.g. measure_health, prem_welcomed."""
    return SLOT_PREFIX[instrument] + item
