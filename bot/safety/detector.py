"""Red-flag detection: rules over normalised text, English and Welsh, tolerant of typos.

A *sign* is a pattern for one danger (chest pain, stroke signs, overdose...) with the
category it raises: emergency (999), urgent (NHS 111 Wales) or distress (Samaritans).
Each match is then read in its clause: negated ("no chest pain today"), hypothetical or
educational ("if I get chest pain I...", "what are the signs of a stroke?"), in the past
("I had a stroke five years ago"), about someone else in the past, or an idiom ("this
diet is killing me") do not alarm. A bare or recent-past mention of an emergency sign
("chest pain", "I had chest pain this morning") asks a direct yes/no question instead.

The detector is pure: text in, `Assessment` out. It never sees who sent the message.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Category = Literal["emergency", "urgent", "distress"]
Action = Literal["alert", "ask", "none"]

# Which decision wins when a message matches several signs: an emergency alert, then a
# distress alert, then a question about an emergency, then an urgent alert.
RANK: dict[tuple[str, str], int] = {
    ("alert", "emergency"): 5,
    ("alert", "distress"): 4,
    ("ask", "emergency"): 3,
    ("alert", "urgent"): 2,
}


@dataclass(frozen=True)
class Sign:
    """One red-flag pattern. `requires` must also occur somewhere in the message."""

    code: str
    category: Category
    pattern: str
    lang: str = "en"
    ask_only: bool = False
    requires: str | None = None


@dataclass(frozen=True)
class Assessment:
    """What to do about a message: alert (reply now), ask (yes/no question) or none."""

    action: Action
    category: Category | None = None
    sign: str | None = None
    lang: str | None = None

    @property
    def alarming(self) -> bool:
        """Whether the message gets any safety reply at all."""
        return self.action != "none"


NONE = Assessment("none")

W = r"(?: \w+)"  # one more word
CONFUSED = (
    r"\b(confused|confusion|cant think|disorientated|disoriented|not making sense|"
    r"very drowsy|wont wake|drysu|ddryslyd|dryslyd|cymysglyd|methu meddwl)\b"
)
DROWSY = r"\b(drowsy|sleepy|confused|unwell|dizzy|cysglyd|drysu|sal)\b"
LOW_SUGAR = (
    r"\b(hypo\w*|(sugars?|glucose|bms?|siwgr|siwgwr)(?: (is|are|was|of|at|level|levels|gwaed|yn))?"
    r"(?: \w+){0,2} (low|isel|[0-3](\.\d+)?(?![\d.])))"
)
CANT = (
    r"(cant|cannot|can not|cnat|couldnt|could not|unable to|struggling to|struggle to|"
    r"fighting to|can hardly|can barely|could hardly|could barely|hardly|barely)"
)

SIGNS: tuple[Sign, ...] = (
    # ---- emergency: chest pain or pressure
    Sign("chest_pain", "emergency",
         r"\bchest (pains?|tightness|pressure|hurts?|hurting|ache|aching)\b"),
    Sign("chest_pain", "emergency",
         r"\b(pains?|pressure|tightness|heaviness|crushing|aching|ache)\b(?: \w+){0,3} "
         r"(in|on|across|around) (my |the |his |her )?chest\b"),
    Sign("chest_pain", "emergency",
         r"\bchest (feels?|is|has gone|went|feeling)(?: \w+){0,2} (tight|heavy|painful|crushed|sore)\b"),
    Sign("chest_pain", "emergency",
         r"\b(elephant|weight|something heavy)(?: \w+){0,2} (on|sitting on) my chest\b"),
    Sign("chest_pain", "emergency", r"\bheart attacks?\b"),
    Sign("chest_pain", "emergency",
         r"\b(poen|boen|phoen)\b(?: \w+){0,3} (yn|ar|yng|ar draws) (fy |y |yr )?(mrest|frest|brest)\b",
         lang="cy"),
    Sign("chest_pain", "emergency",
         r"\b(mrest|frest|brest)\b(?: \w+){0,2} (yn )?(dynn|tynn|boenus|brifo|gwasgu)\b", lang="cy"),
    Sign("chest_pain", "emergency", r"\b(trawiad|drawiad|thrawiad) ar y galon\b", lang="cy"),
    # ---- emergency: severe breathlessness, blue lips
    Sign("breathing", "emergency", rf"\b{CANT} (properly )?breath(e|ing)?\b"),
    Sign("breathing", "emergency", r"\b(cant|cannot|couldnt) (get|catch) (my )?breath\b"),
    Sign("breathing", "emergency", r"\bgasping\b"),
    Sign("breathing", "emergency", r"\bnot breathing\b"),
    Sign("breathing", "emergency",
         r"\b(lips?|face|fingers?|fingertips)\b(?: \w+){0,3} (blue|bluish|grey|gray)\b"),
    Sign("breathing", "emergency",
         r"\b(cant|cannot|unable to|too breathless to) (finish|speak|talk|say)"
         r"(?: \w+){0,2} (sentences?|words?)\b"),
    Sign("breathing", "emergency", r"\btoo breathless to (speak|talk)\b"),
    Sign("breathing", "emergency", r"(?<!more )\bbreathless\b(?! than)", ask_only=True),
    Sign("breathing", "emergency",
         r"\b(methu|ffaelu|ddim yn gallu|dim yn gallu|alla i ddim|allai ddim) (ag )?anadlu\b",
         lang="cy"),
    Sign("breathing", "emergency", r"\btrafferth (i |yn )?anadlu\b", lang="cy"),
    Sign("breathing", "emergency", r"\bddim yn anadlu\b", lang="cy"),
    Sign("breathing", "emergency",
         r"\b(gwefusau|wefusau|ngwefusau)\b(?: \w+){0,3} (las|glas|llwyd)\b", lang="cy"),
    # ---- emergency: stroke signs (face, arm, speech)
    Sign("stroke", "emergency",
         r"\b(face|mouth)\b(?: \w+){0,3} (dropped|drooping|droopy|droops|fallen|lopsided|"
         r"gone numb|numb|sagging)\b"),
    Sign("stroke", "emergency",
         r"\b(cant|cannot|unable to|couldnt) (lift|raise|move) (my |his |her )?(\w+ )?arms?\b"),
    Sign("stroke", "emergency",
         r"\barms?\b(?: \w+){0,3} (weak|numb|dead|heavy|floppy)\b(?=.*\b(sudden|suddenly)\b)"),
    Sign("stroke", "emergency",
         r"\b(arm|arms)\b(?: \w+){0,3} (weak|numb)\b(?: \w+){0,4} (sudden|suddenly)\b"),
    Sign("stroke", "emergency",
         r"\b(speech|words?|talking|voice)\b(?: \w+){0,3} (slurred|slurring|garbled|jumbled)\b"),
    Sign("stroke", "emergency", r"\bslurr(ed|ing)\b"),
    Sign("stroke", "emergency", r"\b(cant|cannot) get (my |the )?words out\b"),
    Sign("stroke", "emergency", r"\b(having|had|have|having had) a stroke\b"),
    Sign("stroke", "emergency", r"\bstrokes?\b", ask_only=True),
    Sign("stroke", "emergency",
         r"\b(wyneb|hwyneb|ngheg|ceg)\b(?: \w+){0,3} (disgyn|cwympo|syrthio|gollwng|llipa|cam)\b",
         lang="cy"),
    Sign("stroke", "emergency",
         r"\b(methu|ddim yn gallu|alla i ddim) (codi|symud) (fy |ei )?(mraich|braich|fraich)\b",
         lang="cy"),
    Sign("stroke", "emergency",
         r"\b(lleferydd|siarad)\b(?: \w+){0,3} (aneglur|floesg|dryslyd|rhyfedd)\b", lang="cy"),
    Sign("stroke", "emergency", r"\b(cael|gael|chael) stroc\b", lang="cy"),
    Sign("stroke", "emergency", r"\bstroc\b", lang="cy", ask_only=True),
    # ---- emergency: collapse
    Sign("collapse", "emergency",
         r"\b(collapsed|collapsing|passed out|passing out|fainted|fainting|blacking out|"
         r"blacked out|keep blacking|unconscious|unresponsive)\b"),
    Sign("collapse", "emergency", r"\b(wont|will not|cant|doesnt|isnt) (wake|waking)( up)?\b"),
    Sign("collapse", "emergency",
         r"\b(llewygu|lewygu|llewyg|anymwybodol|wedi cwympo|wedi syrthio|ddim yn deffro)\b",
         lang="cy"),
    # ---- emergency: severe hypo with confusion
    Sign("hypo", "emergency", LOW_SUGAR, requires=CONFUSED),
    Sign("hypo", "emergency", r"\bhypos?\b", ask_only=True),
    # ---- emergency: overdose
    Sign("overdose", "emergency", r"\b(overdose|overdosed|overdosing|gorddos|orddos)\b"),
    Sign("overdose", "emergency",
         r"\b(taken|took|swallowed|had|take)\b(?: \w+){0,3} (too many|all (of )?my|a whole "
         r"(box|packet|bottle|pack)|handfuls? of|loads of|lots of)(?: \w+)? (pills|tablets|meds|"
         r"medication|medicines?|paracetamol|insulin|painkillers)\b"),
    Sign("overdose", "emergency",
         r"\b(double|extra|too much|twice the) (dose|insulin|medication)\b", requires=DROWSY),
    Sign("overdose", "urgent", r"\b(double|extra|too much|twice the) (dose|insulin|medication)\b"),
    Sign("overdose", "emergency",
         r"\b(cymryd|gymryd|llyncu|lyncu)\b(?: \w+){0,3} (gormod|y cyfan|bob un|i gyd)\b", lang="cy"),
    # ---- emergency: suicidal intent, self-harm in progress
    Sign("self_harm", "emergency",
         r"\b(going to|gonna|about to|will|plan to|planning to|im going to|decided to) "
         r"(kill myself|end (my life|it|it all|things)|take my (own )?life|hang myself)\b"),
    Sign("self_harm", "emergency",
         r"(?<!about )(?<!of )\b(cut|cutting|slit|slitting) (myself|my wrists?|my arms?)\b"),
    Sign("self_harm", "emergency",
         r"\b(pills|tablets) (are )?ready\b"),
    Sign("self_harm", "emergency",
         r"\b(mynd i|am) (ladd|lladd|orffen|gorffen) (fy hun|fy mywyd|y cyfan)\b", lang="cy"),
    Sign("self_harm", "emergency",
         r"(?<!am )\b(wedi )?(torri|dorri) fy hun\b", lang="cy"),
    # ---- distress: hopelessness, thoughts of self-harm
    Sign("distress", "distress", r"\b(hopeless|hopelessness)\b"),
    Sign("distress", "distress",
         r"\b(want|wanna|wish|wished|wanted) (to|i could|i was|i were) (die|be dead|dead|not wake up|"
         r"disappear|not be here)\b"),
    Sign("distress", "distress",
         r"\bwhats the point (in |of )?(anything|it all|living|life|going on|carrying on|any of it)\b"),
    Sign("distress", "distress",
         r"\b(thinking|thoughts?|think|thought) (about|of) (hurting|harming|cutting|killing|ending) "
         r"(myself|my life|it all)\b"),
    Sign("distress", "distress", r"\bself ?harm(ing)?\b"),
    Sign("distress", "distress",
         r"\bno point (in |to )?(living|going on|carrying on|anything|life|being here)\b"),
    Sign("distress", "distress",
         r"\b(cant|cannot) (go on|carry on)\b|\bcant cope (anymore|any more|with (life|anything))\b"),
    Sign("distress", "distress", r"\bbetter off (without me|dead|if i (wasnt|was not) here)\b"),
    Sign("distress", "distress",
         r"\b(dont|do not) want to (live|be alive|wake up|be here (anymore|any more)|go on)\b"),
    Sign("distress", "distress", r"\bend(ing)? it all\b"),
    Sign("distress", "distress", r"\bsuicid(e|al)\b"),
    Sign("distress", "distress", r"\bkill(ing)? myself\b"),
    Sign("distress", "distress", r"\banobeithiol\b", lang="cy"),
    Sign("distress", "distress", r"\b(eisiau|isio|moyn|am) marw\b", lang="cy"),
    Sign("distress", "distress",
         r"\bdim pwynt(?: \w+){0,2} (ddim byd|dim byd|byw|unrhyw beth|mynd ymlaen)\b", lang="cy"),
    Sign("distress", "distress", r"\b(niweidio|anafu|brifo|lladd|ladd) fy hun\b", lang="cy"),
    Sign("distress", "distress",
         r"\b(methu|alla i ddim|ddim yn gallu) (cario|mynd) ymlaen\b", lang="cy"),
    Sign("distress", "distress", r"\bwell (eu|ei|ein) byd heb(ddo|ddi|dda) ?i\b", lang="cy"),
    Sign("distress", "distress", r"\bhunanladd(iad)?\b", lang="cy"),
    # ---- urgent: worsening, not immediately life-threatening
    Sign("worsening", "urgent",
         r"\b(getting|got|gotten|gone|feel|feeling|is|are|been|much|lot|far|even) (\w+ ){0,2}"
         r"(worse|worsening)\b"),
    Sign("worsening", "urgent",
         r"\bmore (swollen|breathless|short of breath|painful|puffy) than (usual|normal|before)\b"),
    Sign("worsening", "urgent",
         r"\b(swollen|swelling|swelled)\b(?: \w+){0,3} (a lot|more|since|than usual|getting)\b"),
    Sign("worsening", "urgent",
         r"\b(sugars?|glucose|blood sugar)\b(?: \w+){0,4} (over|above) (1[5-9]|[2-3]\d)\b"),
    Sign("worsening", "urgent",
         r"\b(sugars?|glucose|readings?)\b(?: \w+){0,3} (really |very |so )?high\b"),
    Sign("worsening", "urgent", r"\b(looks|is|getting|seems|gone) infected\b"),
    Sign("worsening", "urgent", r"\b(high temperature|a fever|temperature of (3[89]|4\d))\b"),
    Sign("worsening", "urgent", r"\b(temperature|temp|fever)\b(?: \w+){0,3} (high|up|raised)\b"),
    Sign("worsening", "urgent", r"\bcant keep (anything|fluids|food|water|drinks?)( \w+)? down\b"),
    Sign("worsening", "urgent", r"\b(vomiting|throwing up|being sick) (all day|for)\b"),
    Sign("worsening", "urgent", r"\binhaler (isnt|is not|not|wasnt) (helping|working)\b"),
    Sign("worsening", "urgent", r"\b(gwaethygu|waethygu|gwaeth|waeth)\b", lang="cy"),
    Sign("worsening", "urgent",
         r"\b(wedi chwyddo|chwyddedig)\b(?: \w+){0,2} (mwy|llawer|ers)\b", lang="cy"),
    Sign("worsening", "urgent",
         r"\b(siwgr|siwgwr)\b(?: \w+){0,5} (uchel)\b", lang="cy"),
    Sign("worsening", "urgent", r"\b(gwres uchel|wres uchel|twymyn|dwymyn)\b", lang="cy"),
)  # fmt: skip

# ------------------------------------------------------------------ context cues

# Figures of speech that only look like red flags; masked before any sign is matched.
IDIOMS = re.compile(
    r"\b(is|are|was|were|its|theyre|thats)? ?killing me\b|\bdying (for|to)\b|\bto die for\b|"
    r"\b(could|would|i?d) kill for\b|\b(nearly|almost) died? (of|from|laughing)\b|"
    r"\bdie(d)? (of|from) (embarrassment|laughter|laughing|boredom|shame)\b|"
    r"\b(bored|sick|scared|frightened|worried|tired) to death\b|"
    r"\b(nearly |almost )?(gave|give|giving) me a heart attack\b|\bdead (tired|on my feet)\b|"
    r"\b(take|takes|took|taking) (my|your) breath away\b|\b(legs|feet) (were|are) dead\b|"
    r"\bkill two birds\b|\bdrop dead gorgeous\b|\bkill(ing)? time\b|"
    r"\b(yn )?fy lladd i\b|\bbron (a|i mi|iddo) (marw|farw)\b|\b(marw|farw) o (gywilydd|chwerthin|eisiau)\b|"
    r"\bbron a marw eisiau\b"
)
NEGATION = re.compile(
    r"\b(no|not|never|without|dont|doesnt|didnt|havent|hasnt|hadnt|isnt|arent|wasnt|werent|"
    r"nothing|none|any|free of|dim|ddim|heb|nid|nac|na)\b"
)
HYPOTHETICAL = re.compile(
    r"\b(if|what if|in case|incase|whenever|when i get|when i have|when i feel|should i|"
    r"what should|what do i do|what to do|how do i know|how do you know|how can i tell|"
    r"signs? of|symptoms? of|tell me about|explain|what is|what are|whats|information about|"
    r"learn about|leaflet|avoid|prevent|risk of|chance of|reduce|os|pe bai|pe tawn|petawn|beth os|beth yw|beth ddylwn|arwyddion|"
    r"symptomau|sut dw i|sut ydw i|sut mae)\b"
)
QUESTION_START = re.compile(
    r"^(is|are|what|how|can|could|does|do|should|why|when|which|where|beth|sut|ydy|oes|pa|pam|a)\b"
)
FIRST_PERSON_NOW = re.compile(
    r"\b(i have|ive got|ive|im|i am|my|i feel|im having|dw i|mae gen i|fy|rydw i)\b"
)
DISTANT_PAST = re.compile(
    r"\b(years? ago|months? ago|weeks? ago|last (year|month|week|summer|winter|spring|autumn)|"
    r"(in|yn) (19|20)\d\d|(i|he|she|we|they|\w+) used to (have|get|be)|(?<!at )once|when i was|"
    r"when he was|when she was|as a child|llynedd|flynyddoedd yn ol|mlynedd yn ol|"
    r"blynyddoedd yn ol|fis diwethaf|wythnos diwethaf|yn arfer)\b"
)
PAST_VERB = re.compile(r"\b(had|was|were|felt|ces|cefais|cafodd|ges|roedd|roeddwn|cawson)\b")
RECENT_TIME = re.compile(
    r"\b(this morning|earlier|last night|yesterday|the other day|bore ma|neithiwr|ddoe|gynnau|"
    r"yn gynharach)\b"
)
ONGOING = re.compile(
    r"\b(now|still|right now|at the moment|wont go|won t go|getting|nawr|o hyd|ar hyn o bryd)\b"
)
THIRD_PARTY = re.compile(
    r"\b(my (husband|wife|partner|mum|mother|mam|dad|father|son|daughter|friend|neighbour|"
    r"neighbours|brother|sister|nan|gran|grandad|grandma|child|boss|aunt|uncle)|he|she|they|"
    r"someone|somebody|cafodd|fy (ngwr|ngwraig|mam|nhad|ffrind|mab|merch|mhartner|mrawd|chwaer))\b"
)
PERSON_OR_NOW = re.compile(
    r"\b(i|im|ive|id|me|my|myself|mine|we|us|our|he|hes|she|shes|they|him|her|his|someone|"
    r"somebody|husband|wife|partner|mum|dad|son|daughter|friend|started|starting|now|today|"
    r"tonight|mins|minutes|fi|dw|dwi|wi|rwy|rydw|fy|gen|mae|hi|fe|nawr|heno|heddiw)\b"
)
CLAUSE_BREAK = re.compile(r"[.!?;,\n]+(?:\s|$)|[!?;\n]")
SCOPE_BREAK = re.compile(r"\b(and|but|so|because|ac|a|ond|felly|achos)\b")
NEGATION_WINDOW = 4

# ------------------------------------------------------------------ normalisation

# Key words that typos are corrected towards (same first letter, one or two edits).
VOCABULARY = frozenset(
    """chest pain pains pressure tightness breathe breathing breathless breath stroke slurred
    drooping dropped collapsed unconscious overdose tablets pills paracetamol confused
    hopeless suicidal myself kill killing swollen worse worsening infected temperature
    vomiting gasping fainted insulin hypo sugar glucose lips blue heart attack speech
    anadlu brest mrest frest poen boen llewygu anymwybodol gorddos tabledi dabledi
    anobeithiol marw gwaethygu gwefusau ngwefusau lleferydd aneglur wyneb mraich
    hunanladdiad""".split()
)
# Real words one edit away from a key word, which must stay as they are.
PROTECTED = frozenset(
    """been seen bean beer boat boss bone born both bowl burn bury chat cheat chose paint
    plain poor pour pan pin pen pun kit kid kin lid lie lip lap lab blow blew glue wore word
    work works wire wise sign sing shop stop step strong spend heart hear here sugars
    sure suga gone good goes tablespoon bread break breach brass brest frost first fist
    marc mark mart myth mail main pair pace pale page past post mount mouse more morning
    chess paid pail pile kilt kiln strike stoke worst horse blur pins pans best rest test
    pall wise lisp lips pill pills hype sugary hippo heat hears heard earth tablet speed
    spend speeds march brent worse worst bret poem boon boes""".split()
)


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (adjacent swaps count once), stopping past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@functools.lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    """The key word a typo most likely meant, or the word itself."""
    if word in VOCABULARY or word in PROTECTED or not word.isalpha() or len(word) < 3:
        return word
    if len(word) == 3:
        doubled = word + word[-1]
        return doubled if doubled in VOCABULARY else word
    limit = 1 if len(word) < 8 else 2
    best, best_distance = word, limit + 1
    for candidate in VOCABULARY:
        if candidate[0] != word[0] or len(candidate) < 4:
            continue
        if len(word) == 4 and sorted(word) != sorted(candidate):
            continue  # four letters: only swapped letters ("pian"), too many real words else
        distance = _edit_distance(word, candidate, limit)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def normalise(text: str) -> str:
    """Lower case, no accents, no apostrophes (Welsh 'n and 'r kept as words), typos fixed."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[\u2018\u2019\u02bc`]", "'", text)
    text = re.sub(r"(\w)'n\b", r"\1 yn", text)
    text = re.sub(r"(\w)'r\b", r"\1 y", text)
    text = text.replace("'", "")
    # Keep clause punctuation and decimal points; everything else becomes a space.
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " . ", text)
    text = re.sub(r"[^\w.,!?;\n]+", " ", text)
    text = re.sub(r"([,!?;\n])", r" \1 ", text)
    words = [correct_word(w) for w in text.split(" ") if w]
    return " ".join(words)


def clauses(normalised: str) -> list[str]:
    """The message split at sentence and comma boundaries, without the punctuation."""
    parts = re.split(r"\s*[.,!?;\n]\s*", normalised)
    return [p.strip() for p in parts if p.strip()]


# ------------------------------------------------------------------ assessment


@functools.cache
def _compiled() -> tuple[tuple[Sign, re.Pattern[str], re.Pattern[str] | None], ...]:
    return tuple(
        (s, re.compile(s.pattern), re.compile(s.requires) if s.requires else None) for s in SIGNS
    )


def _negated(before: str) -> bool:
    scope = SCOPE_BREAK.split(before)[-1] if SCOPE_BREAK.search(before) else before
    words = scope.split()[-NEGATION_WINDOW:]
    return bool(NEGATION.search(" ".join(words)))


def _judge(sign: Sign, clause: str, start: int, message: str, asked: bool) -> Action:
    """How one matched sign reads in its clause."""
    before = clause[:start]
    if _negated(before):
        return "none"
    if HYPOTHETICAL.search(before):
        return "none"
    if asked and QUESTION_START.search(clause) and not FIRST_PERSON_NOW.search(clause):
        return "none"
    if DISTANT_PAST.search(clause):
        return "none"
    past = bool(PAST_VERB.search(before))
    if past and THIRD_PARTY.search(before):
        return "none"
    if sign.category == "urgent":
        return "alert"
    if sign.ask_only:
        return "ask"
    if past and not ONGOING.search(clause):
        return "alert" if sign.category == "distress" else "ask"
    if RECENT_TIME.search(clause) and not ONGOING.search(clause) and sign.category == "emergency":
        return "ask"
    if sign.category == "emergency" and not PERSON_OR_NOW.search(message):
        return "ask"
    return "alert"


def assess(text: str) -> Assessment:
    """Decide whether a message is a red flag, and what to do about it."""
    normalised = IDIOMS.sub(" ", normalise(text))
    normalised = re.sub(r" +", " ", normalised)
    asked = text.strip().endswith("?")
    message = " ".join(clauses(normalised))
    best: Assessment = NONE
    best_rank = 0
    for clause in clauses(normalised):
        for sign, pattern, requires in _compiled():
            if requires is not None and not requires.search(message):
                continue
            for match in pattern.finditer(clause):
                action = _judge(sign, clause, match.start(), message, asked)
                if action == "none":
                    continue
                rank = RANK.get((action, sign.category), 1)
                if rank > best_rank:
                    best_rank = rank
                    best = Assessment(action, sign.category, sign.code, sign.lang)
    return best
