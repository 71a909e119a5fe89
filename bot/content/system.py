"""The gateway's own texts and the privacy notice version, from data/content/system.yml."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT

CONTENT_DIR = ROOT / "data" / "content"
LANGUAGES = ("en", "cy")


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} must hold a mapping")
    return data


def privacy_notice_version() -> str:
    """The version of the privacy notice that consent records refer to."""
    return str(_load(CONTENT_DIR / "system.yml")["privacy_notice_version"])


def system_message(key: str, language: str) -> str:
    """A gateway text in the person's language, falling back to English."""
    texts: dict[str, str] = _load(CONTENT_DIR / "system.yml")["messages"][key]
    return texts.get(language) or texts["en"]


def ui_text() -> dict[str, dict[str, str]]:
    """The widget's labels in both languages, from data/content/widget.yml."""
    data = _load(CONTENT_DIR / "widget.yml")
    return {lang: dict(data[lang]) for lang in LANGUAGES}
