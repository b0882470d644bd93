"""The eval-set format (JSON lines) and the text normalisation every match uses."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError

DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})


def normalize(text: str) -> str:
    """Case-folded, NFKC, straight quotes, single spaces: the basis of every match."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return re.sub(r"\s+", " ", text).strip()


def contains(haystack: str, needle: str) -> bool:
    return normalize(needle) in normalize(haystack)


@dataclass(frozen=True)
class EvalQuestion:
    """One question. ``answers``: acceptable key phrases; ``evidence``: verbatim snippets of
    the supporting passages; ``sources``: article file names; ``forbidden``: phrases an
    answer must never contain (prompt-injection checks). Turns of one ``conversation``
    (consecutive lines, in order) are asked with the earlier turns as history;
    ``refers_back`` says whether a turn leans on them (and so must be rewritten) or is a
    topic switch that must be left as asked."""

    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    answerable: bool = True
    type: str = "fact"
    forbidden: list[str] = field(default_factory=list)
    conversation: str = ""
    refers_back: bool = False


def load_questions(path: str | Path = DEFAULT_QUESTIONS) -> list[EvalQuestion]:
    """Read and validate an eval set; a bad line is reported with its number."""
    questions, seen = [], set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"Cannot read eval set '{path}': {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            known = {k: row[k] for k in EvalQuestion.__dataclass_fields__ if k in row}
            question = EvalQuestion(**known)
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{path}, line {number}: not an eval question ({exc})") from None
        if not question.question.strip():
            raise InputError(f"{path}, line {number}: empty question")
        if question.answerable and not question.evidence:
            raise InputError(f"{path}, line {number}: an answerable question needs evidence")
        if question.id in seen:
            raise InputError(f"{path}, line {number}: duplicate id '{question.id}'")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise InputError(f"Eval set '{path}' has no questions.")
    return questions
