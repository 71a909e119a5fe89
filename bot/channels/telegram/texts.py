"""The Telegram channel's own texts and command menu, from data/content/telegram.yml."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR, LANGUAGES

COMMANDS = ("start", "help", "language", "mydata", "forget", "pause", "resume", "stop")


@functools.cache
def _content() -> dict[str, Any]:
    with (CONTENT_DIR / "telegram.yml").open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError("telegram.yml must hold a mapping")
    return data


def text(key: str, language: str, **values: str) -> str:
    """A Telegram channel text in the person's language (English if missing), filled in."""
    texts: dict[str, str] = _content()["messages"][key]
    template = texts.get(language) or texts["en"]
    return template.format(**values) if values else template


def command_menu(language: str) -> list[tuple[str, str]]:
    """(command, description) pairs for set_my_commands, in the menu's order."""
    descriptions: dict[str, dict[str, str]] = _content()["commands"]
    return [
        (name, descriptions[name].get(language) or descriptions[name]["en"]) for name in COMMANDS
    ]


def commands_list(language: str) -> str:
    """The commands and what each does, for /help, in the person's language."""
    lines = [f"/{name}: {description}" for name, description in command_menu(language)]
    return "\n".join([text("commands_list", language), *lines])


def menu_languages() -> tuple[str, ...]:
    """The languages the command menu is registered in."""
    return LANGUAGES
