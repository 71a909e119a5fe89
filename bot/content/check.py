"""`coach content check`: reject teach-back modules a patient should not see.

It rejects a missing language, a key point without a re-explanation, a chunk of more
than about 60 words or harder to read than the module's target, and duplicate ids; and,
checking all content, a module, grid or the check-ins changed without a version bump
against data/content/versions.lock (bot/content/versions.py).

It reports every module no clinician has signed off (`reviewed_by` and `reviewed_on`);
where the deployment requires sign-off (TEACHBACK_REQUIRE_SIGNOFF=1)
an unsigned module is a problem, because the coach will not serve it.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.content import versions
from bot.content.option_grids import GRIDS_DIR
from bot.content.option_grids import check_paths as check_grid_paths
from bot.content.readability import flesch_reading_ease, words
from bot.content.teachback import (
    DIALOGUE_FILE,
    LANGUAGES,
    MODULES_DIR,
    read_yaml,
    require_signoff,
)
from bot.decisions.content import ASK3_FILE
from bot.decisions.content import check as check_ask3

MAX_CHUNK_WORDS = 60
# Reading age about 11: Flesch reading ease of 70 or more ("fairly easy"; 80 and up is
# "easy", age 11). A module may ask for more; never less. Medicine names ("metformin",
# "diarrhoea") cost points that short sentences have to win back.
DEFAULT_FLESCH_MIN = 70.0
# Welsh has no Flesch calibration; its sentences are held to this average length.
MAX_WELSH_WORDS_PER_SENTENCE = 20
MIN_KEY_POINTS = 1
# Words that shame or reveal a grade; teach-back checks the explanation, not the patient.
FORBIDDEN_WORDS = ("wrong", "fail", "failed", "incorrect", "anghywir", "methu'r prawf")
DIALOGUE_KEYS = (
    "intro",
    "welcome_back",
    "own_words",
    "partly",
    "ask_again",
    "praise",
    "move_on",
    "move_on_last",
    "summary",
    "summary_follow_up",
    "summary_nothing",
    "paused",
    "another_way",
    "not_sure",
    "correct_kindly",
    "probe_intro",
    "probe_generic",
    "move_on_after_correction",
    "move_on_last_after_correction",
    "not_signed_off",
)


def _forbidden(where: str, data: Any) -> list[str]:
    """Every text in `data` that uses a forbidden word."""
    if isinstance(data, str):
        return [
            f"{where}: uses the word {word!r}"
            for word in FORBIDDEN_WORDS
            if re.search(rf"(?<![\w']){re.escape(word)}(?![\w'])", data.lower())
        ]
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _forbidden(f"{where}.{k}", v)]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _forbidden(f"{where}[{i}]", v)]
    return []


def check_dialogue(data: Any, source: str = "dialogue") -> list[str]:
    """Problems with the dialogue texts: a missing key or language, a forbidden word."""
    if not isinstance(data, dict):
        return [f"{source}: not a mapping"]
    problems = [f"{source}: missing {key!r}" for key in DIALOGUE_KEYS if key not in data]
    for key, value in data.items():
        for i, text in enumerate(value if isinstance(value, list) else [value]):
            problems += _text_problems(f"{source}: {key}[{i}]", text)
    return problems + _forbidden(source, data)


def _text_problems(where: str, value: Any, *, required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, dict):
        return [f"{where}: needs an 'en' and a 'cy' text"]
    return [
        f"{where}: missing {lang!r} text"
        for lang in LANGUAGES
        if not isinstance(value.get(lang), str) or not value[lang].strip()
    ]


def _chunk_readability(where: str, text: dict[str, str], flesch_min: float) -> list[str]:
    problems = []
    for lang in LANGUAGES:
        body = text.get(lang) or ""
        count = len(body.split())
        if count > MAX_CHUNK_WORDS:
            problems.append(f"{where}: {lang} text has {count} words (at most {MAX_CHUNK_WORDS})")
    english = text.get("en") or ""
    if english and (score := flesch_reading_ease(english)) < flesch_min:
        problems.append(
            f"{where}: too hard to read (Flesch reading ease {score:.0f}, "
            f"needs at least {flesch_min:.0f})"
        )
    welsh = text.get("cy") or ""
    sentences = max(1, sum(welsh.count(mark) for mark in ".!?"))
    if welsh and len(words(welsh)) / sentences > MAX_WELSH_WORDS_PER_SENTENCE:
        problems.append(f"{where}: cy sentences are too long on average")
    return problems


def check_module(data: Any, source: str = "module") -> list[str]:
    """Every problem with one module's parsed YAML; empty when it is fine."""
    if not isinstance(data, dict):
        return [f"{source}: not a mapping"]
    problems: list[str] = []
    for field in ("id", "version", "condition", "reading_level"):
        if field not in data or data[field] in (None, ""):
            problems.append(f"{source}: missing {field!r}")
    for field in ("title", "review_notice"):
        problems += _text_problems(f"{source}: {field}", data.get(field))
    problems += _signoff_problems(source, data)
    level = data.get("reading_level") or {}
    flesch_min = float(level.get("flesch_reading_ease_min", DEFAULT_FLESCH_MIN))
    flesch_min = max(flesch_min, DEFAULT_FLESCH_MIN)
    chunks = data.get("chunks")
    if not isinstance(chunks, list) or not chunks:
        return [*problems, f"{source}: needs at least one chunk"]
    seen: set[str] = set()

    def unique(kind: str, value: Any) -> None:
        if not isinstance(value, str) or not value:
            problems.append(f"{source}: a {kind} without an id")
        elif value in seen:
            problems.append(f"{source}: duplicate id {value!r}")
        else:
            seen.add(value)

    problems += _forbidden(source, chunks)
    for chunk in chunks:
        if not isinstance(chunk, dict):
            problems.append(f"{source}: a chunk is not a mapping")
            continue
        unique("chunk", chunk.get("id"))
        where = f"{source}: chunk {chunk.get('id')!r}"
        problems += _text_problems(f"{where} text", chunk.get("text"))
        problems += _text_problems(f"{where} ask", chunk.get("ask"))
        if isinstance(chunk.get("text"), dict):
            problems += _chunk_readability(where, chunk["text"], flesch_min)
        points = chunk.get("key_points")
        if not isinstance(points, list) or len(points) < MIN_KEY_POINTS:
            problems.append(f"{where}: needs at least one key point")
            continue
        for point in points:
            if not isinstance(point, dict):
                problems.append(f"{where}: a key point is not a mapping")
                continue
            unique("key point", point.get("id"))
            point_where = f"{where} key point {point.get('id')!r}"
            problems += _text_problems(f"{point_where} text", point.get("text"))
            if not point.get("re_explain"):
                problems.append(f"{point_where}: no re-explanation")
            else:
                problems += _text_problems(f"{point_where} re_explain", point["re_explain"])
                problems += _reworded(point_where, point)
            if point.get("probe") is not None:
                problems += _text_problems(f"{point_where} probe", point["probe"])
            accepted = point.get("accepted")
            if accepted is not None and not isinstance(accepted, dict):
                problems.append(f"{point_where}: accepted must map en/cy to lists")
    return problems


def _signoff_problems(source: str, data: dict[str, Any]) -> list[str]:
    """Sign-off needs both who and when, and a real date not in the future."""
    who, when = data.get("reviewed_by"), data.get("reviewed_on")
    if who is None and when is None:
        return []
    if not isinstance(who, str) or not who.strip() or when is None:
        return [f"{source}: a sign-off needs both reviewed_by and reviewed_on"]
    if isinstance(when, str):
        try:
            when = dt.date.fromisoformat(when)
        except ValueError:
            return [f"{source}: reviewed_on must be a date (YYYY-MM-DD), not {when!r}"]
    if not isinstance(when, dt.date):
        return [f"{source}: reviewed_on must be a date (YYYY-MM-DD)"]
    if when > dt.date.today():
        return [f"{source}: reviewed_on {when} is in the future"]
    return []


def unsigned(paths: Iterable[Path]) -> list[str]:
    """The modules (by file) that no clinician has signed off."""
    found = []
    for path in paths:
        data = read_yaml(path)
        if isinstance(data, dict) and not (data.get("reviewed_by") and data.get("reviewed_on")):
            found.append(path.name)
    return found


def _reworded(where: str, point: dict[str, Any]) -> list[str]:
    text, again = point.get("text") or {}, point.get("re_explain") or {}
    return [
        f"{where}: the {lang} re-explanation repeats the key point word for word"
        for lang in LANGUAGES
        if isinstance(text.get(lang), str)
        and isinstance(again.get(lang), str)
        and " ".join(text[lang].lower().split()) == " ".join(again[lang].lower().split())
    ]


def check_paths(paths: Iterable[Path]) -> dict[Path, list[str]]:
    """Problems per file, and module ids used by two files."""
    results: dict[Path, list[str]] = {}
    owners: dict[str, Path] = {}
    for path in paths:
        try:
            data = read_yaml(path)
        except Exception as exc:
            results[path] = [f"{path.name}: cannot be read ({exc})"]
            continue
        problems = check_module(data, path.name)
        module_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(module_id, str):
            if module_id in owners:
                problems.append(f"{path.name}: duplicate module id {module_id!r}")
            owners.setdefault(module_id, path)
        results[path] = problems
    return results


def main(arguments: Sequence[str] = ()) -> int:
    """Check the named files, or every module; print problems; 1 if there are any."""
    strict = require_signoff()
    given = [Path(a) for a in arguments]
    # Option grids (Ask 3, issue 5): files in an option_grids folder are checked as grids.
    grid_paths = [p for p in given if p.resolve().parent.name == GRIDS_DIR.name]
    paths = [p for p in given if p not in grid_paths]
    if not arguments:
        paths = sorted(MODULES_DIR.glob("*.yml"))
        grid_paths = sorted(GRIDS_DIR.glob("*.yml"))
    if not paths and not grid_paths:
        print(f"no teach-back modules in {MODULES_DIR}", file=sys.stderr)
        return 1
    results = check_paths(paths)
    results.update(check_grid_paths(grid_paths))
    if not arguments:
        results[DIALOGUE_FILE] = check_dialogue(read_yaml(DIALOGUE_FILE), DIALOGUE_FILE.name)
        results[ASK3_FILE] = check_ask3(read_yaml(ASK3_FILE), ASK3_FILE.name)
        # Issue 10: changed content needs a higher version than the lock's (PDSA marks).
        results[versions.LOCK_FILE] = versions.check()
    waiting = unsigned(paths)
    if strict:
        results[MODULES_DIR] = [
            f"{name}: not signed off (sign-off is required)" for name in waiting
        ]
    problems = [p for found in results.values() for p in found]
    for problem in problems:
        print(problem, file=sys.stderr)
    if waiting and not strict:
        print(
            f"not signed off by a clinician (patients see the review notice): {', '.join(waiting)}"
        )
    print(
        f"content check: {len(paths)} module(s), {len(grid_paths)} option grid(s), "
        f"{len(waiting)} unsigned, {len(problems)} problem(s)"
    )
    return 1 if problems else 0


def lock_main() -> int:
    """`coach content lock`: record the current content versions in the lock."""
    code, messages = versions.lock()
    for message in messages:
        print(message, file=sys.stderr if code else sys.stdout)
    if code == 0:
        print(f"content lock: {versions.LOCK_FILE.name} up to date")
    return code
