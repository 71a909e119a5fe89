"""Welsh initial mutations: the radical forms a mutated word may come from.

"fy mrecwast" (nasal) comes from "brecwast", "ei chymryd" (aspirate) from "cymryd",
"dwy ddiod" (soft) from "diod". Grading compares radicals, so a key point and an answer
match whatever the grammar around each word did to its first letter.
"""

from __future__ import annotations

import functools

# Mutated onset -> radical onsets it can come from, longest onsets first.
_UNMUTATE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ngh", ("c",)),
    ("mh", ("p",)),
    ("nh", ("t",)),
    ("ng", ("g",)),
    ("ch", ("c",)),
    ("ph", ("p",)),
    ("th", ("t",)),
    ("dd", ("d",)),
    ("ll", ()),
    ("rh", ()),
    ("ff", ()),
    ("g", ("c",)),
    ("b", ("p",)),
    ("d", ("t",)),
    ("f", ("b", "m")),
    ("l", ("ll",)),
    ("r", ("rh",)),
    ("m", ("b",)),
    ("n", ("d",)),
)
_VOWELS = set("aeiouwyâêîôûŵŷ")

# Endings of verb-nouns, imperatives and plurals, stripped to compare stems.
_ENDINGS = (
    "iwch",
    "wch",
    "iau",
    "au",
    "ion",
    "odd",
    "ais",
    "ith",
    "ydd",
    "yd",
    "io",
    "ed",
    "u",
    "o",
    "i",
    "a",
    "wn",
)


@functools.cache
def radicals(word: str) -> frozenset[str]:
    """The word itself and every radical form its first letters could be a mutation of."""
    forms = {word}
    for onset, sources in _UNMUTATE:
        if word.startswith(onset) and len(word) > len(onset) + 1:
            rest = word[len(onset) :]
            forms.update(source + rest for source in sources)
            break
    if word[:1] in _VOWELS and len(word) > 2:
        forms.add("g" + word)  # soft mutation drops g: "gwaed" -> "waed"
    if word.startswith("h") and word[1:2] in _VOWELS and len(word) > 3:
        forms.add(word[1:])  # h before a vowel after "ei" (hers), "ein", "eu"
    return frozenset(forms)


@functools.cache
def stem(word: str) -> str:
    """A rough stem: the word without a common ending, keeping at least three letters."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


@functools.cache
def stems(word: str) -> frozenset[str]:
    """Stems of every radical form of a word."""
    return frozenset(stem(form) for form in radicals(word))


# Radical onset -> its soft, nasal and aspirate mutations.
_MUTATE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ll", ("l",)),
    ("rh", ("r",)),
    ("p", ("b", "mh", "ph")),
    ("t", ("d", "nh", "th")),
    ("c", ("g", "ngh", "ch")),
    ("b", ("f", "m")),
    ("d", ("dd", "n")),
    ("g", ("", "ng")),
    ("m", ("f",)),
)


@functools.cache
def mutations(word: str) -> frozenset[str]:
    """The forms a radical word takes after the grammar mutates it ("munud" -> "funud")."""
    for onset, targets in _MUTATE:
        if word.startswith(onset) and len(word) > len(onset) + 1:
            return frozenset(target + word[len(onset) :] for target in targets)
    if word[:1] in _VOWELS:
        return frozenset({"h" + word})
    return frozenset()
