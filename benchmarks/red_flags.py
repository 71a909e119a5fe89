"""Red-flag detection on the labelled sets: recall per category and the false-alarm rate.

    .venv/bin/python -m benchmarks.red_flags

`tests/data/red_flags.jsonl` was written before the rules and the rules were then tuned
on it; `tests/data/red_flags_holdout.jsonl` was written afterwards and first measured
untouched (see the issue notes for those first figures). A message labelled "ask" counts
as caught when the detector asks or alerts. A false alarm is any reply (alert or question)
to a message labelled "none".
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from bot.config import ROOT
from bot.safety.detector import assess

SETS = ("red_flags.jsonl", "red_flags_holdout.jsonl")
CATEGORIES = ("emergency", "urgent", "distress", "ask")


def outcome(text: str) -> str:
    found = assess(text)
    return found.category if found.action == "alert" and found.category else found.action


def report(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    started = time.perf_counter()
    got = [outcome(row["text"]) for row in rows]
    elapsed = time.perf_counter() - started
    print(f"{path.name}: {len(rows)} messages ({Counter(r['lang'] for r in rows)})")
    for category in CATEGORIES:
        wanted = [(r, g) for r, g in zip(rows, got, strict=True) if r["label"] == category]
        if not wanted:
            continue
        if category == "ask":
            caught = sum(g != "none" for _, g in wanted)
        else:
            caught = sum(g == category for _, g in wanted)
        print(f"  recall {category:<10} {caught}/{len(wanted)} = {caught / len(wanted):.1%}")
        for row, g in wanted:
            if (g == "none") if category == "ask" else (g != category):
                print(f"      missed ({g}): {row['text']}")
    benign = [(r, g) for r, g in zip(rows, got, strict=True) if r["label"] == "none"]
    alarms = [(r, g) for r, g in benign if g != "none"]
    print(f"  false alarms     {len(alarms)}/{len(benign)} = {len(alarms) / len(benign):.1%}")
    for row, g in alarms:
        print(f"      alarm ({g}): {row['text']}")
    print(f"  {elapsed / len(rows) * 1e6:.0f} µs per message")


def main() -> None:
    for name in SETS:
        report(ROOT / "tests" / "data" / name)


if __name__ == "__main__":
    main()
