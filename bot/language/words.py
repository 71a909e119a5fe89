"""How common an English word is, from spaCy's lookup tables (`spacy-lookups-data`).

The normaliser uses it to tell "paaain" (pain) from "weeek" (week); the teach-back grader
weights rare, specific words above "take" or "glass". Loaded once per process.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

# A word at least this probable (natural log) is taken as an ordinary English word.
COMMON_LOGPROB = -14.5


@functools.cache
def lookups_dir() -> Path:
    """The data folder of the installed spacy-lookups-data package."""
    import spacy_lookups_data  # type: ignore[import-untyped]

    return Path(spacy_lookups_data.__file__).parent / "data"


@functools.cache
def english_logprob() -> dict[str, float]:
    """English word log-probabilities, kept only for words common enough to matter."""
    with gzip.open(lookups_dir() / "en_lexeme_prob.json.gz", "rt", encoding="utf-8") as f:
        table: dict[str, float] = json.load(f)
    return {word: prob for word, prob in table.items() if prob > -17.0}


def is_common_english(word: str) -> bool:
    """Whether a lower-case word is an ordinary English word."""
    return english_logprob().get(word, -99.0) >= COMMON_LOGPROB
