"""Whole-message phrases the teach-back loop treats specially, in English and Welsh.

These are matching data, never shown to anyone: an acknowledgement ("ok", "I understand")
is not an explanation, a request to hear it again gets the re-explanation, and a stop
request pauses the module where it is.
"""

from __future__ import annotations

import re

_ACKNOWLEDGEMENTS = r"""
yes|yeah|yep|yup|ok|okay|ok then|okay then|fine|sure|right|alright|all right|got it|
i've got it|i got it|i understand|understood|i see|makes sense|that makes sense|
yes that makes sense|yes i understand|ok i understand|ok got it|thanks|thank you|
ok thanks|yes thanks|no problem|cool|great|good|perfect|understand|i know|
ydw|ie|iawn|ok diolch|iawn diolch|diolch|deall|rwy'n deall|dw i'n deall|dwi'n deall|
ydw rwy'n deall|wedi deall|gwych|da iawn|siŵr|wrth gwrs|ydy|do|yndw
"""
_EXPLAIN_AGAIN = r"""
i don't know|i dont know|dont know|don't know|not sure|i'm not sure|im not sure|
no idea|i have no idea|can you explain again|could you explain again|explain again|
explain it again|please explain again|say that again|can you say that again|repeat that|
can you repeat that|again please|i forgot|i've forgotten|i can't remember|
i don't remember|pardon|sorry what|what|huh|i don't understand|i didn't understand|
dwi ddim yn gwybod|dw i ddim yn gwybod|sa i'n gwybod|sai'n gwybod|dim syniad|
dydw i ddim yn siŵr|dwi ddim yn siŵr|esbonio eto|allwch chi esbonio eto|
esboniwch eto|dwedwch eto|dywedwch hynny eto|eto plis|dwi ddim yn cofio|
dw i ddim yn deall|dwi ddim yn deall
"""
_STOP = r"""
stop|stop please|please stop|can we stop|can we stop now|let's stop|lets stop|
i want to stop|i'd like to stop|stop for now|pause|pause please|that's enough|
that's enough for now|enough for now|not now|later|maybe later|another time|
i'll do it later|i have to go|i need to go|i've got to go|cancel|quit|
stopio|stopiwch|stopia|gad i ni stopio|gadewch i ni stopio|dyna ddigon|
dyna ddigon am nawr|digon am nawr|nid nawr|wedyn|rhywbryd arall|mae'n rhaid i mi fynd
"""


def _compile(alternatives: str) -> re.Pattern[str]:
    words = "|".join(a.strip() for a in alternatives.replace("\n", "").split("|") if a.strip())
    return re.compile(rf"^(?:{words})(?: (?:please|plis|thanks|diolch|now|nawr))?$")


_WELSH = r"""
cymraeg|welsh|in welsh|yn gymraeg|welsh please|switch to welsh|change to welsh|
can we do this in welsh|newid i gymraeg|newid i'r gymraeg|trwy gyfrwng y gymraeg
"""
_ENGLISH = r"""
english|in english|yn saesneg|saesneg|english please|switch to english|change to english|
can we do this in english|newid i saesneg|newid i'r saesneg
"""
_YES = r"""
yes|yeah|yep|yes please|ok|okay|sure|fine|that's fine|go ahead|ie|ydw|iawn|ie plis|
ie os gwelwch yn dda|iawn diolch|cei|cewch|/affirm
"""
_NO = r"""
no|nope|no thanks|no thank you|rather not|i'd rather not|don't|do not|na|nac ydw|
na diolch|dim diolch|well gen i beidio|/deny
"""

_PATTERNS = {
    "acknowledgement": _compile(_ACKNOWLEDGEMENTS),
    "explain_again": _compile(_EXPLAIN_AGAIN),
    "stop": _compile(_STOP),
}


_LANGUAGES = {"cy": _compile(_WELSH), "en": _compile(_ENGLISH)}
_CONSENT = {True: _compile(_YES), False: _compile(_NO)}


def normalise(text: str) -> str:
    """Lower case, one space, straight apostrophes, no punctuation at the edges."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w' ]+", " ", text)
    return " ".join(text.split())


def kind_of_reply(text: str) -> str | None:
    """What a reply is: "acknowledgement", "explain_again", "stop", "button" or None.

    None is an attempt to explain. A button's payload ("/start_teach_back", "/help")
    pressed mid-module is not an answer.
    """
    if text.strip().startswith("/"):
        return "button"
    said = normalise(text)
    if not said:
        return "acknowledgement"
    for kind, pattern in _PATTERNS.items():
        if pattern.match(said):
            return kind
    return None


def language_request(text: str) -> str | None:
    """The language ("en" or "cy") a whole message asks for, such as "Cymraeg"; else None."""
    said = normalise(text)
    for language, pattern in _LANGUAGES.items():
        if pattern.match(said):
            return language
    return None


def yes_or_no(text: str) -> bool | None:
    """A yes (True) or a no (False) to a yes/no question, typed or from its button."""
    said = text.strip().lower() if text.strip().startswith("/") else normalise(text)
    for answer, pattern in _CONSENT.items():
        if pattern.match(said):
            return answer
    return None
