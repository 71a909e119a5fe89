"""`coach safety assess`: assess JSON lines from stdin, one JSON line out per line in.

Input  {"text": "...", "lang": "en"|"cy"}
Output {"action": "alert"|"ask"|"none", "category": "emergency"|"urgent"|"distress"|null,
        "sign": "..."|null}

The decision is the gateway's own (`bot.safety.detector.assess`): rules and the semantic
layer. `lang` is accepted for the contract; the detector reads both languages itself. A
line that cannot be read gets {"error": "...", "action": null, ...} in its place, so the
output stays in step with the input.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from bot.safety.detector import assess
from bot.safety.semantic import warm_up


def assess_line(line: str) -> dict[str, Any]:
    """The answer for one input line."""
    try:
        request = json.loads(line)
        text = request["text"]
        if not isinstance(text, str):
            raise ValueError("text must be a string")
    except (ValueError, KeyError, TypeError) as exc:
        return {
            "error": f"{type(exc).__name__}: {exc}",
            "action": None,
            "category": None,
            "sign": None,
        }
    found = assess(text)
    if not found.alarming:
        return {"action": "none", "category": None, "sign": None}
    return {"action": found.action, "category": found.category, "sign": found.sign}


def assess_stream(source: TextIO, sink: TextIO) -> int:
    """Assess every non-blank line of `source`; 1 if any line was bad, else 0."""
    warm_up()
    status = 0
    for line in source:
        if not line.strip():
            continue
        result = assess_line(line)
        status |= "error" in result
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
        sink.flush()
    return status
