"""Follow-up questions: rewrite into a standalone retrieval query only when they refer back."""

from __future__ import annotations

import re

from rag.text import STOP_WORDS, question_names

_WH_WORDS = frozenset(["what", "who", "how", "why", "when", "where", "which", "did", "does"])

# Openers and pronouns that only make sense with an earlier turn.
_REFERS_BACK = re.compile(
    r"^\s*(and|also|what about|how about|but|so|then)\b"
    r"|\b(he|she|they|him|her|them|his|hers|their|it|its|this|that|these|those|the same|"
    r"there|else|more|too|as well)\b",
    re.IGNORECASE,
)


_PRONOUN = re.compile(r"\b(he|she|they|him|her|them|his|hers|their)\b", re.IGNORECASE)


def last_user_question(history: list[dict] | None) -> str | None:
    """The most recent user message of an OpenAI/Gradio-style ``history`` list."""
    for message in reversed(history or []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return None


def refers_back(question: str) -> bool:
    return bool(_REFERS_BACK.search(question))


def standalone_query(question: str, history: list[dict] | None) -> str:
    """The query to retrieve with.

    A self-contained question is used as is. A follow-up ("And what did Koffler say?")
    gets the earlier question's topic words appended, minus the names it asked about
    (the follow-up names its own subject): "And what did Koffler say? timelines".
    """
    previous = last_user_question(history)
    if not previous or not refers_back(question):
        return question
    names = question_names(previous)
    topic = [
        w
        for w in re.findall(r"[\w’'-]+", previous)
        if w.lower() not in STOP_WORDS
        and w.lower() not in names
        and len(w) > 2
        and w.lower() not in _WH_WORDS
    ]
    if names and (_PRONOUN.search(question) or not question_names(question)):
        topic += [w for w in re.findall(r"[\w’'-]+", previous) if w.lower() in names]
    extra = " ".join(dict.fromkeys(topic))
    return f"{question.strip()} {extra}".strip()
