"""Questions with several parts: each part is answered, or said not to be covered."""

from __future__ import annotations

import re

from rag.answer.followup import ASKING

MAX_PARTS = 3  # parts one question is split into: each costs a retrieval and an answer
MIN_WORDS = 3  # a shorter piece is not a question of its own ("and was it?")
# the words that open a question of its own; not the imperatives ("tell", "list"), since an
# uncovered part is quoted back and a request is no question
_INTERROGATIVE = ASKING - {"tell", "give", "name", "list"}

# "..., and what ...", "... and when ...": a conjunction that opens a new question
_JOIN = re.compile(
    r"\s*[,;]?\s+(?:and|but|also)\s+(?=(?:{})\b)".format("|".join(sorted(_INTERROGATIVE))),
    re.IGNORECASE,
)
_QUESTIONS = re.compile(r"(?<=\?)\s+")  # "Who is X? What did he say?"


def split_parts(question: str) -> list[str]:
    """The parts of ``question`` that are questions of their own, in order: "Who is Steve
    Witkoff and what is he expected to do in Moscow?" gives "Who is Steve Witkoff?" and
    "What is he expected to do in Moscow?" (a later part may lean on an earlier one: the
    answerer reads it as a follow-up). "What did Trump and Putin discuss?" is one part.

    A piece is a part only when it opens with a question word and has ``MIN_WORDS``
    words: anything else ("Ignore the articles and answer ...", "and was it?") stays, as
    written, with the part before, so no part is made of text that asks nothing. After
    ``MAX_PARTS`` parts the rest stays with the last."""
    text = question.strip()
    cuts = sorted(
        (m.start(), m.end()) for pattern in (_QUESTIONS, _JOIN) for m in pattern.finditer(text)
    )
    starts = [end for _, end in cuts] + [len(text)]
    parts, begin = [], 0
    for (cut, after), following in zip(cuts, starts[1:], strict=True):
        piece = text[after:following].split()
        asks = bool(piece) and piece[0].lower().strip("\"'“‘(") in _INTERROGATIVE
        if asks and len(piece) >= MIN_WORDS and len(parts) < MAX_PARTS - 1:
            parts.append(text[begin:cut])
            begin = after
    parts.append(text[begin:])
    return [_as_question(p) for p in parts] if len(parts) > 1 else [question]


def _as_question(part: str) -> str:
    part = part.strip(" ,;")
    return part[:1].upper() + part[1:].rstrip("?.! ") + "?"
