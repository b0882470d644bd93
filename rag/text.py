"""Text tools shared by chunking, keyword search and answering: sentences, headings,
keyword tokens and stop words, figures, names, and question cleaning."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# -- sentences and lines --------------------------------------------------------------

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a new start.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr st jr sr prof gen sen rep gov lt col u.s u.k u.n e.g i.e vs no inc corp
    co jan feb mar apr jun jul aug sep sept oct nov dec a.m p.m""".split()  # noqa: SIM905
)
BULLET = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
_HEADING_MAX_CHARS = 120
_SENTENCE_CLOSERS = (".", "!", "?", "”", '"', "…")  # a short line ending so is no heading


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", text[max(0, dot - 24) : dot])  # a short window: O(1)
    if not word:
        return False
    token = word.group(1).lower().rstrip(".")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield (start, end) offsets of the sentences in ``text[start:end]``, trimmed of spaces.

    Abbreviations ("U.S.", "Dr.", initials) do not end a sentence.
    """
    end = len(text) if end is None else end
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if text[match.start()] == "." and _is_abbreviation(text, match.start()):
            continue
        stop = match.start() + len(match.group(0).rstrip())
        if text[cursor:stop].strip():
            yield trim(text, cursor, stop)
        cursor = match.end()
    if text[cursor:end].strip():
        yield trim(text, cursor, end)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved inwards past white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def lines(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank line of ``text[start:end]``."""
    end = len(text) if end is None else end
    cursor = start
    while cursor < end:
        stop = text.find("\n", cursor, end)
        stop = end if stop < 0 else stop
        if text[cursor:stop].strip():
            yield cursor, stop
        cursor = stop + 1


def is_heading(line: str) -> bool:
    """Headings, photo titles and list lead-ins introduce the text after them. A line cut
    off with an ellipsis (a scraped teaser: "The United States struck three nuclear sites
    in Iran on…") is a sentence, not a heading."""
    stripped = line.strip()
    if stripped.endswith(":"):
        return True
    if BULLET.match(stripped):
        return False
    return len(stripped) <= _HEADING_MAX_CHARS and not stripped.endswith(_SENTENCE_CLOSERS)


# -- keyword tokens -------------------------------------------------------------------

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves said says say""".split()  # noqa: SIM905 (a word list reads better as prose)
)
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def tokenize(text: str) -> list[str]:
    """NFKC-folded, lower-cased, stop words dropped, Snowball-stemmed word tokens."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    return [_stem(w) for w in words if w not in STOP_WORDS]


def content_terms(text: str) -> set[str]:
    """The distinct keyword tokens of ``text``."""
    return set(tokenize(text))


# -- figures --------------------------------------------------------------------------

# A figure: digits standing alone or joined to words by a hyphen ("$4.02", "10,000", "17th",
# "1990s", "a 17-year-old", "2020-2022"), not inside a name ("Covid-19", "F-35", "G7"), or
# a number word. "one" is left out: it is mostly no number ("one of the largest", "no one").
_FIGURE = re.compile(r"(?<![\w.,])(?<![^\W\d_]-)(\d+(?:[.,]\d+)*)(?:st|nd|rd|th|s)?(?!\w)")
_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
}
_NUMBER_WORD = re.compile(r"\b(?:{})\b".format("|".join(_NUMBER_WORDS)), re.IGNORECASE)


def as_digits(text: str) -> str:
    """``text`` with its number words written as digits ("six months" -> "6 months"): a
    claim and its evidence may write the same figure either way."""
    return _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(0).lower()], text)


def figures(text: str) -> set[str]:
    """The numbers ``text`` states, as digits: "six months, $10,000 and 4.5%" ->
    {"6", "10000", "4.5"}. A number word and its digits are the same figure."""
    return {m.group(1).replace(",", "") for m in _FIGURE.finditer(as_digits(text))}


# -- names ----------------------------------------------------------------------------

# Words that look like names in a question but are question scaffolding.
QUESTION_WORDS = frozenset(
    """what who when where why how which did does is are was were and according do can will
    has have""".split()  # noqa: SIM905
)
_NAME = re.compile(r"\b[A-Z][\w’'-]*[a-z][\w’'-]*\b|\b[A-Z]{2,}\b")


def question_names(question: str) -> set[str]:
    """Capitalised words that name something (people, places, bodies), lower-cased. A
    capital at the start of a sentence or list item proves nothing, so such words count
    only when they are all capitals (NATO)."""
    names = set()
    for match in _NAME.finditer(question):
        before = question[: match.start()].rstrip()
        if (not before or before[-1] in '.!?:-•–\n"“(') and not match.group(0).isupper():
            continue
        word = re.sub(r"[’']s?$", "", match.group(0))  # Hoffman's -> Hoffman
        if word.lower() in QUESTION_WORDS or word.lower() in STOP_WORDS:
            continue
        names.add(word.lower())
    return names


# -- questions ------------------------------------------------------------------------

MAX_QUESTION_CHARS = 2_000
# Terminal escape sequences: CSI (colours, cursor moves) and OSC (window titles, links)
_TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters, stripped."""
    text = _TERMINAL_ESCAPE.sub("", text)
    return "".join(ch for ch in text if ch.isprintable() or ch.isspace()).strip()


def terminal_safe(text: str) -> str:
    """``text`` without escape sequences and control characters (an article title can
    carry them; a terminal would obey them), line breaks and tabs kept."""
    return _CONTROL.sub("", _TERMINAL_ESCAPE.sub("", text))
