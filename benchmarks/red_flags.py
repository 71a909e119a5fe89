"""The safety net on every labelled set: recall per category, wrong categories, false alarms.

    .venv/bin/python -m benchmarks.red_flags            # the figures
    .venv/bin/python -m benchmarks.red_flags --misses   # and every message it got wrong
    .venv/bin/python -m benchmarks.red_flags --fit      # grouped CV of the decision levels

Sets, each reported apart and with English and Welsh apart:

- **own**: `tests/data/red_flags*.jsonl`, the team's first sets. They are in the exemplar
  bank, so they are scored out of fold (grouped cross-validation, below).
- **blind dev, trained part**: the rows of `../shared/benchmarks/blind-dev/redflags_dev.jsonl`
  that are in the bank (`data/safety/exemplars/blind_dev_train.jsonl`), out of fold.
- **blind dev, held out by topic**: its other topics (stroke, anaphylaxis, seizures,
  bleeding, infection and sepsis, self-harm and suicide, idioms and jokes), never trained on.
- **fresh**: `tests/data/safety/redflags_fresh.jsonl`, written blind by a helper who never saw
  the code, before any tuning; never trained on.
- **second blind set**: `data/safety/exemplars/blind2.jsonl`, 900 messages (450 English,
  450 Welsh; 600 hard look-alikes and ordinary chat, 300 dangers in everyday words), written
  the same way on 2026-12-02, reported untouched then, and in the bank since 2026-12-03, so
  scored out of fold.
- **third blind set**: `tests/data/safety/redflags_blind3.jsonl`, 640 messages (320 English,
  320 Welsh; 320 look-alikes, 320 dangers over more signs: meningitis, vision loss, GI
  bleeding, pregnancy, carbon monoxide, choking...), written the same way on 2026-12-03 and
  reported untouched before any change it could have informed; never trained on.
- **feelings set**: `tests/data/safety/feelings_blind4.jsonl`, 299 messages written the same
  way on 2026-12-03: ordinary low mood (140, benign), explanations of a self-care plan that
  name warning signs as conditions (100, benign), and low mood with thoughts of not living
  (60). Never trained on: adding it to the bank lowered false alarms but lost suicidal
  messages on the third blind set, so it stayed a test set (see the issue 15 notes).
- **ordinary**: every NLU example (`data/nlu`, `tests/nlu`), every teach-back answer under
  `tests/data/` (the third blind teach-back set among them) and in the blind dev set: none
  should get a safety reply.

An alert or a question counts as caught. The right category is the alert's category, or
for a question, the category of the danger it asks about. Out of fold: the bank is cut
into 5 folds by groups of similar messages (cosine 0.92 or more, joined transitively), and
each fold is scored by a model fitted on the others. Times are the live path (rules,
embedding, model) for one message at a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.config import ROOT
from bot.language.embeddings import cached_embeddings
from bot.language.normalise import normalise
from bot.safety.detector import Assessment, assess, decide
from bot.safety.rules import read as read_rules
from bot.safety.semantic import (
    LABEL_NAMES,
    Exemplar,
    SemanticModel,
    Settings,
    load_exemplars,
    model,
    rule_features,
    settings,
)

SHARED = ROOT.parent / "shared" / "benchmarks" / "blind-dev"
CATEGORIES = ("emergency", "distress", "urgent")
FOLDS = 5
# Sets written blind by helpers who never saw the code, never trained on.
FRESH_SETS = (
    ("fresh (blind, never trained)", ROOT / "tests" / "data" / "safety" / "redflags_fresh.jsonl"),
    (
        "third blind set (never trained)",
        ROOT / "tests" / "data" / "safety" / "redflags_blind3.jsonl",
    ),
    (
        "feelings set (blind, never trained)",
        ROOT / "tests" / "data" / "safety" / "feelings_blind4.jsonl",
    ),
)
GROUP_SIMILARITY = 0.92


@dataclass(frozen=True)
class Row:
    """One labelled message: what it needs ("ask" for an ambiguous emergency mention)."""

    text: str
    lang: str
    expect: str


def _rows(path: Path, label_key: str) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        raw = str(data[label_key])
        expect = "ask" if raw == "ask" else LABEL_NAMES[raw]
        rows.append(Row(str(data["text"]), str(data.get("lang", "en")), expect))
    return rows


def ordinary_messages() -> list[Row]:
    """Messages that must never get a safety reply."""
    texts: list[tuple[str, str]] = []
    for path in sorted(
        [*(ROOT / "data" / "nlu").glob("*.yml"), *(ROOT / "tests" / "nlu").glob("*.yml")]
    ):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                if line.startswith("- "):
                    texts.append((_strip_entities(line[2:]), "en"))
    answers = [
        ROOT / "tests" / "data" / "teachback_answers.jsonl",
        ROOT / "tests" / "data" / "teachback_blind3.jsonl",
        SHARED / "teachback_dev.jsonl",
    ]
    for path in answers:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    texts.append((str(row["answer"]), str(row.get("lang", "en"))))
    seen: set[str] = set()
    rows = []
    for text, lang in texts:
        if text.strip() and text not in seen and not text.startswith("/"):
            seen.add(text)
            rows.append(Row(text, lang, "none"))
    return rows


def _strip_entities(text: str) -> str:
    import re

    text = re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", text)
    return re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)


# ------------------------------------------------------------------ scoring


def got_category(found: Assessment) -> str | None:
    """The category a reply answers (a question answers the danger it asks about)."""
    return found.category if found.action != "none" else None


def report(name: str, rows: Sequence[Row], found: Sequence[Assessment], misses: bool) -> None:
    """Print one set's figures, English and Welsh apart."""
    for lang in sorted({r.lang for r in rows}):
        pairs = [(r, f) for r, f in zip(rows, found, strict=True) if r.lang == lang]
        print(f"{name} [{lang}] n={len(pairs)}")
        wrong = 0
        for category in (*CATEGORIES, "ask"):
            wanted = [(r, f) for r, f in pairs if r.expect == category]
            if not wanted:
                continue
            caught = [(r, f) for r, f in wanted if f.alarming]
            right = [(r, f) for r, f in caught if category == "ask" or got_category(f) == category]
            wrong += len(caught) - len(right)
            print(
                f"  {category:<10} caught {len(caught)}/{len(wanted)} = "
                f"{len(caught) / len(wanted):.1%}   right category {len(right)}/{len(wanted)}"
            )
            if misses:
                for r, f in wanted:
                    if not f.alarming:
                        print(f"      missed: {r.text}")
                    elif category != "ask" and got_category(f) != category:
                        print(f"      as {f.action} {f.category}/{f.sign}: {r.text}")
        benign = [(r, f) for r, f in pairs if r.expect == "none"]
        if benign:
            alarms = [(r, f) for r, f in benign if f.alarming]
            print(
                f"  false alarms {len(alarms)}/{len(benign)} = {len(alarms) / len(benign):.1%}"
                f"   wrong category {wrong}"
            )
            if misses:
                for r, f in alarms:
                    print(f"      alarm {f.action} {f.category}/{f.sign}: {r.text}")
        else:
            print(f"  wrong category {wrong}")


def timed(rows: Sequence[Row]) -> tuple[list[Assessment], list[float]]:
    """The live decision on each message, one at a time, and its time in ms."""
    found, times = [], []
    for row in rows:
        started = time.perf_counter()
        found.append(assess(row.text))
        times.append((time.perf_counter() - started) * 1000)
    return found, times


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ------------------------------------------------------------------ out of fold


def similarity_groups(vectors: np.ndarray[Any, Any]) -> list[int]:
    """Groups of similar messages (cosine at least GROUP_SIMILARITY, transitively)."""
    parent = list(range(len(vectors)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sims = vectors @ vectors.T
    for i, j in zip(*np.nonzero(np.triu(sims, 1) >= GROUP_SIMILARITY), strict=True):
        parent[find(int(i))] = find(int(j))
    return [find(i) for i in range(len(vectors))]


def fold_of(groups: Sequence[int]) -> list[int]:
    """A fold per message, whole groups together, folds of about equal size."""
    sizes = Counter(groups)
    load = [0] * FOLDS
    assigned: dict[int, int] = {}
    for group, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        fold = min(range(FOLDS), key=lambda f: load[f])
        assigned[group] = fold
        load[fold] += size
    return [assigned[g] for g in groups]


@dataclass
class OutOfFold:
    """Every bank message's chances from a model that never saw its group."""

    bank: list[Exemplar]
    readings: list[Any]
    rules: list[Any]

    def decisions(self, config: Settings) -> list[Assessment]:
        return [decide(r, s, config) for r, s in zip(self.rules, self.readings, strict=True)]


def out_of_fold(bank: list[Exemplar], config: Settings) -> OutOfFold:
    vectors = cached_embeddings([normalise(e.text) for e in bank])
    folds = fold_of(similarity_groups(vectors))
    rules = [read_rules(e.text) for e in bank]
    rows = np.vstack([rule_features(r, e.text) for r, e in zip(rules, bank, strict=True)])
    readings: list[Any] = [None] * len(bank)
    for fold in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != fold]
        test = [i for i, f in enumerate(folds) if f == fold]
        fitted = SemanticModel.fit([bank[i] for i in train], config, vectors[train], rows[train])
        fold_readings = fitted.read_vectors(
            vectors[test], [rules[i] for i in test], [bank[i].text for i in test]
        )
        for i, reading in zip(test, fold_readings, strict=True):
            readings[i] = reading
    return OutOfFold(bank, readings, rules)


def bank_rows(bank: Iterable[Exemplar]) -> list[Row]:
    return [Row(e.text, e.lang, e.label) for e in bank]


# ------------------------------------------------------------------ the bank's coach messages

COACH_MESSAGES = ROOT / "data" / "safety" / "exemplars" / "coach_messages.jsonl"


# Low mood sits next to distress ("tired of it all"): the semantic layer is left to weigh
# those messages itself rather than be taught that they are never a safety question.
NOT_EXPORTED_INTENTS = frozenset({"mood_low"})


def export_coach_messages() -> int:
    """Write the coach's own NLU examples and teach-back module texts (key points,
    re-explanations, accepted phrasings) as benign exemplars: what patients say to the coach,
    and the health information they explain back. Run after the NLU data changes."""
    import re

    welsh = re.compile(
        r"\b(fy|yn|dw|mae|ydw|eisiau|isio|gyda|efo|hoffwn|ddim|beth|sut|nawr|rwan|diolch|"
        r"helo|shwmae|ie|na|oes)\b|[ŵŷâêîôû]"
    )
    rows: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(text: str, lang: str, kind: str) -> None:
        text = " ".join(str(text).split())
        if text and not text.startswith("/") and text.lower() not in seen:
            seen.add(text.lower())
            rows.append({"text": text, "lang": lang, "label": "none", "sign": "none", "kind": kind})

    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if item.get("intent") in NOT_EXPORTED_INTENTS:
                continue
            for line in str(item.get("examples", "")).splitlines():
                if line.startswith("- "):
                    text = _strip_entities(line[2:])
                    lang = "cy" if welsh.search(text.lower()) else "en"
                    add(text, lang, f"nlu:{item.get('intent', '')}")
    for path in sorted((ROOT / "data" / "content" / "teachback").glob("*.yml")):
        module = yaml.safe_load(path.read_text(encoding="utf-8"))
        for chunk in module["chunks"]:
            for lang in ("en", "cy"):
                add(chunk["text"][lang], lang, "module_text")
                for point in chunk["key_points"]:
                    add(point["text"][lang], lang, "key_point")
                    add(point["re_explain"][lang], lang, "re_explain")
                    for phrase in (point.get("accepted") or {}).get(lang) or []:
                        add(phrase, lang, "accepted")
    COACH_MESSAGES.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return len(rows)


# ------------------------------------------------------------------ main


def fit(config: Settings) -> None:
    """Grouped CV over the bank for a grid of decision levels; prints, never writes."""
    bank = load_exemplars()
    oof = out_of_fold(bank, config)
    rows = bank_rows(bank)
    ordinary = [r for r in ordinary_messages() if r.text not in {e.text for e in bank}]
    full = model()
    ordinary_rules = [read_rules(r.text) for r in ordinary]
    vectors = cached_embeddings([normalise(r.text) for r in ordinary])
    ordinary_readings = full.read_vectors(vectors, ordinary_rules, [r.text for r in ordinary])
    print(f"bank {len(bank)}; ordinary messages not in the bank {len(ordinary)}")
    print(
        "alert ask share overrule | caught em/dis/urg en | cy | right cat em/dis | FA look-alike"
        " | FA ordinary"
    )
    levels = [
        (share, overrule, alert_at, ask_at)
        for share in (0.2, 0.3)
        for overrule in (1.01, 0.9, 0.8)  # 1.01: the semantic layer never overrules the rules
        for alert_at in (0.7, 0.8, 0.9)
        for ask_at in (0.4, 0.5, 0.6, 0.7)
        if ask_at < alert_at
    ]
    for share, overrule, alert_at, ask_at in levels:
        c = replace(
            config,
            alert_at=alert_at,
            ask_at=ask_at,
            emergency_share=share,
            overrule_at=overrule,
        )
        found = [
            decide(r, replace(s, emergency_share=share), c)
            for r, s in zip(oof.rules, oof.readings, strict=True)
        ]
        parts = []
        for lang in ("en", "cy"):
            rec = []
            for cat in CATEGORIES:
                w = [
                    f
                    for r, f in zip(rows, found, strict=True)
                    if r.lang == lang and r.expect == cat
                ]
                rec.append(f"{sum(f.alarming for f in w) / max(1, len(w)):.3f}")
            parts.append("/".join(rec))
        right = []
        for cat in ("emergency", "distress"):
            w = [f for r, f in zip(rows, found, strict=True) if r.expect == cat]
            right.append(f"{sum(got_category(f) == cat for f in w) / max(1, len(w)):.2f}")
        benign = [f for r, f in zip(rows, found, strict=True) if r.expect == "none"]
        fa = sum(f.alarming for f in benign) / len(benign)
        od = [
            decide(rl, replace(rd, emergency_share=share), c)
            for rl, rd in zip(ordinary_rules, ordinary_readings, strict=True)
        ]
        ofa = sum(f.alarming for f in od) / max(1, len(od))
        print(
            f"{alert_at:.2f} {ask_at:.2f} {share:.1f} {overrule:.2f} | {' | '.join(parts)} | "
            f"{'/'.join(right)} | {fa:.3f} | {ofa:.4f}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="print every miss and alarm")
    parser.add_argument("--fit", action="store_true", help="grouped CV of the decision levels")
    parser.add_argument(
        "--export-coach-messages",
        action="store_true",
        help="rewrite data/safety/exemplars/coach_messages.jsonl from data/nlu and the modules",
    )
    args = parser.parse_args(argv)
    if args.export_coach_messages:
        print(f"{export_coach_messages()} coach messages written to {COACH_MESSAGES}")
        return
    config = settings()
    if args.fit:
        fit(config)
        return
    bank = load_exemplars()
    print(
        f"exemplar bank: {len(bank)} messages {dict(Counter(e.lang for e in bank))} "
        f"{dict(Counter(e.label for e in bank))}"
    )
    started = time.perf_counter()
    oof = out_of_fold(bank, config)
    print(f"(out-of-fold fits: {time.perf_counter() - started:.1f} s)")
    found = oof.decisions(config)
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(bank):
        by_source[e.source].append(i)
    for source, index in sorted(by_source.items()):
        report(
            f"bank/{source} (out of fold)",
            bank_rows(bank[i] for i in index),
            [found[i] for i in index],
            args.misses,
        )

    in_bank = {e.text for e in bank}
    dev_path = SHARED / "redflags_dev.jsonl"
    all_times: list[float] = []
    if dev_path.exists():
        dev = _rows(dev_path, "expect")
        held = [r for r in dev if r.text not in in_bank]
        got, times = timed(held)
        all_times += times
        report("blind dev, held out by topic", held, got, args.misses)
        got_all, _ = timed(dev)
        report("blind dev, whole set (part trained, in-sample)", dev, got_all, False)
    for name, fresh_path in FRESH_SETS:
        if fresh_path.exists():
            fresh = _rows(fresh_path, "expect")
            got, times = timed(fresh)
            all_times += times
            report(name, fresh, got, args.misses)
    # Ordinary messages in the bank are scored out of fold above (bank/coach_messages,
    # bank/teachback_answers); these are the rest, never trained on.
    ordinary = [r for r in ordinary_messages() if r.text not in in_bank]
    got, times = timed(ordinary)
    all_times += times
    report("ordinary messages not in the bank", ordinary, got, args.misses)
    print(
        f"time per message: p50 {statistics.median(all_times):.1f} ms, "
        f"p95 {percentile(all_times, 0.95):.1f} ms (n={len(all_times)})"
    )


if __name__ == "__main__":
    main()
