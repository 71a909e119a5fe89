"""`coach teachback grade`: grade JSON lines from stdin, one JSON line out per line in.

Input  {"key_points": ["..."], "answer": "...", "lang": "en"|"cy"}
Output {"covered": [true, false, ...], "evidence": [["words", ...], ...]}

A line that cannot be graded gets {"error": "..."} in its place, so the output stays
in step with the input.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from bot.teachback.grader import grade_teachback, warm_up


def grade_line(line: str) -> dict[str, Any]:
    """The answer for one input line."""
    try:
        request = json.loads(line)
        points = request["key_points"]
        answer = request["answer"]
        lang = request.get("lang", "en")
        if not isinstance(points, list) or not all(isinstance(p, str) for p in points):
            raise ValueError("key_points must be a list of strings")
        if not isinstance(answer, str):
            raise ValueError("answer must be a string")
        results = grade_teachback(points, answer, lang)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"covered": [r.covered for r in results], "evidence": [r.evidence for r in results]}


def grade_stream(source: TextIO, sink: TextIO) -> int:
    """Grade every non-blank line of `source`; 1 if any line was bad, else 0."""
    warm_up()
    status = 0
    for line in source:
        if not line.strip():
            continue
        result = grade_line(line)
        status |= "error" in result
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
        sink.flush()
    return status
