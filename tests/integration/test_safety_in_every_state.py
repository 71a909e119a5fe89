"""The safety net in every state, through the real gateway, engine and actions (issue 15).

Before consent, and inside each dialogue's form, in English and Welsh: a message that
signals danger gets the safety reply first, is never stored (not as a form's answer, not in
the conversation history, nowhere in the database), and the care team's flag is raised.
With the engine down, `tests/unit/test_safety_net.py` shows the same.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.stack import LocalStack
from bot.store.db import unit_of_work
from bot.store.models import SafetyFlag
from tests.support import WebChat, rows_mentioning, said, texts

pytestmark = pytest.mark.engine

# Each danger carries a marker word, so that the database can be searched for it.
DANGER = {
    "en": "crushing chest pain going down my left arm and im sweating buckets zq{n}",
    "cy": "poen ofnadwy yn fy mrest yn mynd lawr fy mraich chwith a dw i'n chwysu zq{n}",
}
# How each dialogue is started, in each language; after these turns a form is waiting.
DIALOGUES = {
    "action plan": {"en": ["make an action plan"], "cy": ["gwneud cynllun gweithredu"]},
    "teach-back": {
        "en": ["teach me about my inhaler", "yes"],
        "cy": ["dysga fi am fy anadlydd", "ie"],
    },
    "Ask 3": {
        "en": ["prepare questions for my appointment"],
        "cy": ["paratoi cwestiynau ar gyfer fy apwyntiad"],
    },
    "story": {"en": ["share my story", "yes"], "cy": ["rhannu fy stori", "ie"]},
}
CASES = [(d, lang) for d in DIALOGUES for lang in ("en", "cy")]


def agreed(stack: LocalStack, language: str) -> WebChat:
    conversation = WebChat(stack.gateway_url, language=language).start()
    conversation.say("hello")
    conversation.say("/affirm")
    return conversation


def flags_of(stack: LocalStack) -> list[tuple[str, str]]:
    with unit_of_work(stack.database_url) as session:
        return [(f.category, f.sign) for f in session.scalars(select(SafetyFlag))]


@pytest.mark.parametrize("language", ["en", "cy"])
def test_before_consent(live_stack: LocalStack, language: str) -> None:
    conversation = WebChat(live_stack.gateway_url, language=language).start()
    marker = f"before-{language}"
    reply = conversation.say(DANGER[language].format(n=marker))
    assert "999" in reply[0]["text"]
    assert rows_mentioning(live_stack.database_url, f"zq{marker}") == []


@pytest.mark.parametrize(("dialogue", "language"), CASES)
def test_inside_each_form(live_stack: LocalStack, dialogue: str, language: str) -> None:
    conversation = agreed(live_stack, language)
    for turn in DIALOGUES[dialogue][language]:
        conversation.say(turn)
    marker = f"{dialogue.replace(' ', '')}-{language}"
    before = len(flags_of(live_stack))
    reply = conversation.say(DANGER[language].format(n=marker))
    assert "999" in reply[0]["text"], texts(reply)
    assert flags_of(live_stack)[before:] == [("emergency", "chest_pain")]
    # Never a form's answer, never in the history, nowhere in the database.
    assert rows_mentioning(live_stack.database_url, f"zq{marker}") == []
    # The coach goes on answering afterwards, in the patient's language.
    assert said(conversation.say("help"), "utter_help", language)


# Words that raise the direct question and that the dialogue cannot place on their own.
QUESTIONED = {"en": "cant breathe properly", "cy": "methu anadlu"}
NO = {"en": "no", "cy": "na"}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_no_to_the_question_carries_on_without_a_sorry(
    live_stack: LocalStack, language: str
) -> None:
    """After "no", the words that raised the question go on to the dialogue; when it cannot
    place them, the patient is asked what next, not told "sorry, I didn't understand" just
    after the safety net answered them."""
    conversation = agreed(live_stack, language)
    before = len(flags_of(live_stack))
    question = conversation.say(QUESTIONED[language])
    assert question[-1]["text"].endswith("?"), texts(question)
    reply = conversation.say(NO[language])
    assert "999" in reply[0]["text"] and "111" in reply[0]["text"], texts(reply)
    assert not said(reply, "utter_default", language), texts(reply)
    assert said(reply, "utter_what_next", language), texts(reply)
    assert flags_of(live_stack)[before:] == []  # "no" raises no flag
