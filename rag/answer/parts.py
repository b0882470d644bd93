"""Questions with several parts: each part is answered, or said not to be covered."""

from __future__ import annotations

import re

from rag.answer.followup import ASKING

MAX_PARTS = 3  # parts one question is split into: each costs a retrieval and an answer
MIN_WORDS = 3  # a shorter piece is not a question of its own ("and was it?")

# "..., and what ...", "... and when ...": a conjunction that opens a new question
_JOIN = re.compile(
    r"\s*[,;]?\s+(?:and|but|also)\s+(?=(?:{})\b)".format("|".join(sorted(ASKING))), re.IGNORECASE
)
_QUESTIONS = re.compile(r"(?<=\?)\s+")  # "Who is X? What did he say?"


def split_parts(question: str) -> list[str]:
    """The parts of ``question`` that are questions of their own, in order: "Who is Steve
    Witkoff and what is he expected to do in Moscow?" gives "Who is Steve Witkoff?" and
    "What is he expected to do in Moscow?" (a later part may lean on an earlier one: the
    answerer reads it as a follow-up). "What did Trump and Putin discuss?" is one part.
    Pieces under ``MIN_WORDS`` words stay with the part before; past ``MAX_PARTS`` the
    rest stays with the last."""
    parts: list[str] = []
    for sentence in _QUESTIONS.split(question.strip()):
        for piece in _JOIN.split(sentence):
            piece = piece.strip(" ,;")
            if not piece:
                continue
            if parts and (len(piece.split()) < MIN_WORDS or len(parts) == MAX_PARTS):
                parts[-1] = f"{parts[-1].rstrip('?')} and {piece}"
            else:
                parts.append(piece)
    return [_as_question(p) for p in parts] if len(parts) > 1 else [question]


def _as_question(part: str) -> str:
    part = part.strip()
    return part[:1].upper() + part[1:].rstrip("?.! ") + "?"
