"""Follow-up questions: rewritten into a standalone question only when they refer back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import STOP_WORDS, question_names

_WH_WORDS = frozenset(["what", "who", "how", "why", "when", "where", "which", "did", "does"])
# Openers that only make sense after an earlier turn ("And what did Koffler say?").
_OPENER = re.compile(r"^\s*(?:and|also|but|so|then|ok(?:ay)?|now)\b[\s,]*", re.IGNORECASE)
# "What about Koffler?": the earlier question, asked of someone or something else.
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(he|she|they|him|her|them|his|hers|their|theirs)\b", re.IGNORECASE)
# Words that stand for the earlier subject: "Why did he say that?", "Where is it?"
_BACK_WORDS = re.compile(
    r"\b(it|its|this|that|these|those|there|the same|else|more|too|as well|again)\s*[?.!]*\s*$"
    r"|\b(what|who|why|when|where|how)\s+else\b|\bthe same\b|\bmore about\b|\bsuch\b"
    r"|^\s*(is|was|are|were|does|did|do|why|how)\s+(that|this|it|those|these)\b",
    re.IGNORECASE,
)
# Words that start a question (anything else after "And" is a subject: "And Ukraine?")
ASKING = frozenset((
    "what", "who", "whom", "whose", "why", "when", "where", "which", "how", "is", "are", "was",
    "were", "do", "does", "did", "can", "could", "will", "would", "should", "has", "have",
    "had", "tell", "give", "name", "list",
))  # fmt: skip
_GENERIC = frozenset(["much", "many", "long", "often", "come", "exactly", "else", "more", "why"])
_NAME_PHRASE = re.compile(r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")


@dataclass(frozen=True)
class Rewrite:
    """A turn made standalone: ``question`` says what the user means; ``query`` is what to
    retrieve with (the question plus the earlier turns' subject words, which help find the
    right article but would distract the sentence scoring)."""

    question: str
    query: str


def refers_back(question: str) -> bool:
    """Whether ``question`` leans on an earlier turn: nothing of its own to look up
    ("Why?"), an opener ("And ..."), "what about X", a pronoun, or a word standing for the
    earlier subject ("that", "else")."""
    return bool(
        _says_nothing(question)
        or _OPENER.match(question)
        or _ELLIPSIS.match(question)
        or _outer_pronoun(question) is not None
        or _BACK_WORDS.search(question)
    )


def _outer_pronoun(question: str) -> re.Match | None:
    """The first pronoun that no name before it in ``question`` can stand behind: "he" in
    "Did he mention Witkoff?", not "their" in "What did Zelensky tell Witkoff on their
    call?"."""
    match = _PRONOUN.search(question)
    if match and not question_names(question[: match.start()]):
        return match
    return None


def _says_nothing(question: str) -> bool:
    """ "Why?", "How much?": no name and no word of its own to look up."""
    own = [w for w in _topic_words(question) if w.lower() not in _GENERIC]
    return not own and not question_names(question)


def user_questions(history: list[dict] | None) -> list[str]:
    """The user's messages of an OpenAI/Gradio-style ``history`` list, in order."""
    return [
        m["content"]
        for m in history or []
        if m.get("role") == "user" and isinstance(m.get("content"), str) and m["content"].strip()
    ]


def standalone(question: str, history: list[dict] | None) -> Rewrite:
    """The question a follow-up stands for, given the earlier turns.

    Each earlier user turn is resolved in order, so a third turn refers to what the second
    meant. A question that does not refer back (a topic switch) is left exactly as is.
    """
    previous: str | None = None
    for earlier in user_questions(history):
        previous = _resolve(earlier, previous).question
    return _resolve(question, previous)


def standalone_query(question: str, history: list[dict] | None) -> str:
    """The retrieval query for ``question`` (see :func:`standalone`)."""
    return standalone(question, history).query


def _resolve(question: str, previous: str | None) -> Rewrite:
    question = question.strip()
    if not previous or not refers_back(question):
        return Rewrite(question, question)
    names = _name_phrases(previous)
    topic = " ".join(_topic_words(previous))
    core = _OPENER.sub("", question).strip()
    core = core[:1].upper() + core[1:]
    if not re.search(r"\w", core):  # "And?", "So": the earlier question, asked again
        return Rewrite(previous, previous)
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis or (_OPENER.match(question) and core.split()[0].lower() not in ASKING):
        # "What about Koffler?", "And Ukraine's leadership?": the earlier question, asked
        # of the new subject
        subject = ellipsis.group(1) if ellipsis else core.rstrip("?.! ")
        asked = _swap(previous, names, subject)
        return Rewrite(asked, asked)
    pronoun = _outer_pronoun(core)
    if names and pronoun:  # "he": the earlier turn's person
        core = (
            core[: pronoun.start()] + _stand_in(pronoun.group(1), names[0]) + core[pronoun.end() :]
        )
    own_names = bool(question_names(core))
    if _says_nothing(core):  # "Why?": the earlier question's subject is the whole content
        subject = " ".join([*names, topic]).strip()
        asked = f"{core.rstrip('?.! ')} ({subject})?" if subject else core
        return Rewrite(asked, asked)
    # the question keeps its own words (they drive the sentence scoring); the retrieval
    # query adds the earlier subject, to find the article the conversation is about
    earlier = [] if own_names else [n for n in names if n not in core]
    return Rewrite(core, " ".join([core, *earlier, topic]).strip())


def _name_phrases(text: str) -> list[str]:
    """The names in ``text`` as written ("Steve Witkoff"), those question_names accepts."""
    accepted = question_names(text)
    phrases = []
    for match in _NAME_PHRASE.finditer(text):
        words = [w for w in match.group(0).split() if re.sub(r"[’']s?$", "", w).lower() in accepted]
        if words:
            phrases.append(" ".join(re.sub(r"[’']s?$", "", w) for w in words))
    return list(dict.fromkeys(phrases))


def _topic_words(text: str) -> list[str]:
    names = question_names(text)
    words = re.findall(r"[\w’'-]+", text)
    return list(
        dict.fromkeys(
            w
            for w in words
            if len(w) > 2
            and w.lower() not in STOP_WORDS
            and w.lower() not in _WH_WORDS
            and re.sub(r"[’']s?$", "", w).lower() not in names
        )
    )


def _swap(previous: str, names: list[str], subject: str) -> str:
    """``previous`` with its first name replaced by ``subject``; with no name to replace,
    ``subject`` added at its end."""
    swapped = previous.replace(names[0], subject, 1) if names else previous
    return swapped if swapped != previous else f"{previous.rstrip('?')} {subject}?"


def _stand_in(pronoun: str, name: str) -> str:
    return f"{name}’s" if pronoun.lower() in ("his", "their", "hers", "theirs") else name
