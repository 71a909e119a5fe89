"""The action server registers exactly the domain's custom actions, and every reply is bilingual."""

from __future__ import annotations

from typing import Any

import yaml
from rasa_sdk.executor import ActionExecutor

from bot.config import ROOT

DOMAIN = ROOT / "domain.yml"


def _domain() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    return data


def test_action_server_registers_the_domain_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")

    assert set(executor.actions) == set(_domain()["actions"])


def _is_welsh(variation: dict[str, Any]) -> bool:
    return variation.get("condition") == [{"type": "slot", "name": "language", "value": "cy"}]


def test_every_response_has_one_english_and_one_welsh_variation() -> None:
    for name, variations in _domain()["responses"].items():
        welsh = [v for v in variations if _is_welsh(v)]
        english = [v for v in variations if "condition" not in v]
        assert len(welsh) == 1 and len(english) == 1 and len(variations) == 2, name
        cy, en = welsh[0], english[0]
        assert cy["text"].strip() and en["text"].strip() and cy["text"] != en["text"], name
        # Same buttons in the same order; only the language switch offers the other language.
        cy_payloads = [b["payload"] for b in cy.get("buttons", [])]
        en_payloads = [b["payload"] for b in en.get("buttons", [])]
        assert [p.replace('"en"', '"cy"') for p in cy_payloads] == en_payloads, name
