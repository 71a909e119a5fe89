"""Teach-back modules from data/content/teachback/*.yml, loaded into typed objects.

A module has chunks; a chunk has key points; every text is in English and Welsh. The
checker (`bot.content.check`) says what a valid file looks like; this module trusts it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT

MODULES_DIR = ROOT / "data" / "content" / "teachback"
LANGUAGES = ("en", "cy")
REQUIRE_SIGNOFF_ENV = "TEACHBACK_REQUIRE_SIGNOFF"
_YES = ("1", "true", "yes", "on")
_NO = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Bilingual:
    """One text in both languages."""

    en: str
    cy: str

    def in_language(self, language: str) -> str:
        """The text in `language`, English for anything else."""
        return self.cy if language == "cy" else self.en


@dataclass(frozen=True)
class KeyPoint:
    """Something the patient should be able to say back, how to explain it again, and the
    short follow-up question to ask when the grader is unsure."""

    id: str
    text: Bilingual
    re_explain: Bilingual
    accepted: dict[str, tuple[str, ...]]
    probe: Bilingual | None = None

    def wordings(self, language: str) -> list[str]:
        """What the grader compares an answer with: the key point's text, its accepted
        phrasings and its re-explanation (the module's own words always count)."""
        return [
            self.text.in_language(language),
            *self.accepted.get(language, ()),
            self.re_explain.in_language(language),
        ]


@dataclass(frozen=True)
class Chunk:
    """One short piece of information, the question that asks for it back, its points."""

    id: str
    text: Bilingual
    ask: Bilingual
    key_points: tuple[KeyPoint, ...]


@dataclass(frozen=True)
class Module:
    """A teach-back module: a topic explained in chunks."""

    id: str
    version: int
    title: Bilingual
    condition: str
    review_notice: Bilingual
    names: dict[str, tuple[str, ...]]
    chunks: tuple[Chunk, ...]
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None

    @property
    def signed_off(self) -> bool:
        """Whether a clinician has signed the module off (who and when are both recorded)."""
        return bool(self.reviewed_by) and self.reviewed_on is not None

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The chunk with this id, if the module still has it."""
        return next((c for c in self.chunks if c.id == chunk_id), None)

    def chunk_index(self, chunk_id: str) -> int:
        """Where a chunk comes in the module (0 if it is no longer there)."""
        return next((i for i, c in enumerate(self.chunks) if c.id == chunk_id), 0)


def _bilingual(data: Any) -> Bilingual:
    return Bilingual(en=" ".join(str(data["en"]).split()), cy=" ".join(str(data["cy"]).split()))


def _phrasings(data: Any) -> dict[str, tuple[str, ...]]:
    data = data or {}
    return {lang: tuple(str(p) for p in data.get(lang) or ()) for lang in LANGUAGES}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        return dt.date.fromisoformat(value.strip())
    return None


def parse_module(data: dict[str, Any]) -> Module:
    """A module from its parsed YAML (already checked)."""
    return Module(
        id=str(data["id"]),
        version=int(data["version"]),
        title=_bilingual(data["title"]),
        condition=str(data["condition"]),
        review_notice=_bilingual(data["review_notice"]),
        names=_phrasings(data.get("names")),
        reviewed_by=str(data["reviewed_by"]).strip() or None if data.get("reviewed_by") else None,
        reviewed_on=_date(data.get("reviewed_on")),
        chunks=tuple(
            Chunk(
                id=str(chunk["id"]),
                text=_bilingual(chunk["text"]),
                ask=_bilingual(chunk["ask"]),
                key_points=tuple(
                    KeyPoint(
                        id=str(point["id"]),
                        text=_bilingual(point["text"]),
                        re_explain=_bilingual(point["re_explain"]),
                        accepted=_phrasings(point.get("accepted")),
                        probe=_bilingual(point["probe"]) if point.get("probe") else None,
                    )
                    for point in chunk["key_points"]
                ),
            )
            for chunk in data["chunks"]
        ),
    )


def read_yaml(path: Path) -> Any:
    """A YAML file's contents."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.cache
def load_modules(directory: Path = MODULES_DIR) -> dict[str, Module]:
    """Every module in the directory, by id, in file-name order."""
    modules: dict[str, Module] = {}
    for path in sorted(directory.glob("*.yml")):
        module = parse_module(read_yaml(path))
        modules[module.id] = module
    return modules


def find_module(name: str, directory: Path = MODULES_DIR) -> Module | None:
    """A module by id, or by one of the names people use for it, in either language."""
    wanted = " ".join(name.lower().split())
    modules = load_modules(directory)
    if wanted in modules:
        return modules[wanted]
    for module in modules.values():
        for names in module.names.values():
            if wanted in (n.lower() for n in names):
                return module
    for module in modules.values():  # "my inhaler" when only "inhaler" is listed
        for names in module.names.values():
            if any(n.lower() in wanted for n in names if len(n) > 3):
                return module
    return None


def require_signoff() -> bool:
    """Whether this deployment refuses to serve modules no clinician has signed off
    (`TEACHBACK_REQUIRE_SIGNOFF=1`)."""
    raw = os.environ.get(REQUIRE_SIGNOFF_ENV, "").strip().lower()
    if raw not in _YES + _NO:
        raise ValueError(f"{REQUIRE_SIGNOFF_ENV} must be 1 or 0, not {raw!r}")
    return raw in _YES


def servable(module: Module) -> bool:
    """Whether patients may be given this module here: signed off, or sign-off not required."""
    return module.signed_off or not require_signoff()


DIALOGUE_FILE = ROOT / "data" / "content" / "teachback_dialogue.yml"


@dataclass(frozen=True)
class Dialogue:
    """What the coach says around the chunks: intro, praise, re-asking, summary, pausing."""

    texts: dict[str, tuple[Bilingual, ...]]

    def say(self, key: str, language: str, variant: int = 0) -> str:
        """One text in `language`; `variant` picks among the varied ones, round robin."""
        options = self.texts[key]
        return options[variant % len(options)].in_language(language)


def parse_dialogue(data: dict[str, Any]) -> Dialogue:
    """The dialogue texts from their parsed YAML (a text, or a list of varied texts)."""
    return Dialogue(
        {
            key: tuple(_bilingual(v) for v in (value if isinstance(value, list) else [value]))
            for key, value in data.items()
        }
    )


@functools.cache
def load_dialogue(path: Path = DIALOGUE_FILE) -> Dialogue:
    """The teach-back dialogue texts."""
    return parse_dialogue(read_yaml(path))
