"""Which option grid fits a decision: by the grid's condition and keywords."""

from __future__ import annotations

import re

from bot.content.option_grids import OptionGrid, load_grids
from bot.content.teachback import LANGUAGES


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[\w'-]+", text.lower())) + " "


def match_grid(*texts: str) -> OptionGrid | None:
    """The grid whose keywords best match what the person wrote (decision, options).

    A keyword counts when it appears as whole words, in either language; the grid with the
    most (then the longest) matching keywords wins. None when nothing matches.
    """
    said = _words(" ".join(texts))
    best: tuple[int, int, str] | None = None
    chosen: OptionGrid | None = None
    for grid in load_grids().values():
        keywords = {grid.condition, *(k for lang in LANGUAGES for k in grid.keywords[lang])}
        hits = [k for k in keywords if _words(k) in said]
        if not hits:
            continue
        score = (len(hits), max(len(k) for k in hits), grid.id)
        if best is None or score[:2] > best[:2]:
            best, chosen = score, grid
    return chosen
