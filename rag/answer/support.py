"""Whether evidence supports a claim, whether a claim says more than the question, and
whether the passages mention what was asked."""

from __future__ import annotations

import re

from rag.answer.types import Evidence
from rag.text import as_digits, content_terms, figures, question_names
from rag.types import Passage


def support_terms(text: str) -> set[str]:
    """The content words support compares, number words read as digits: "6 months" is
    what "six months" says. The question's terms (``asked``) must be read the same way."""
    return content_terms(as_digits(text))


# Words that put a claim in the future or in someone's plans: "X is expected to meet Y"
# says more than "X has met Y", with nearly the same content words. Evidence may say so in
# more ways ("threatened to", "could"), so it is read with a wider net. ("due to" is left
# out: it mostly means "because of".)
_PROSPECTIVE = (
    r"will|would|shall|going to|expect(?:s|ed|ing|ation)?|plan(?:s|ned|ning)?|set to|"
    r"scheduled|intend(?:s|ed)?|aim(?:s|ed)? to|upcoming|next|soon|future|later|poised|"
    r"prepar(?:e|es|ed|ing) to"
)
_CLAIMS_PROSPECT = re.compile(rf"\b(?:{_PROSPECTIVE})\b|[’']ll\b|won[’']t\b", re.IGNORECASE)
_STATES_PROSPECT = re.compile(
    rf"\b(?:{_PROSPECTIVE}|could|may|might|hope(?:s|d)? to|want(?:s|ed)? to|seek(?:s)? to|"
    r"(?:threaten|vow|promise|pledge)(?:s|d|ed)? to)\b|[’']ll\b|won[’']t\b",
    re.IGNORECASE,
)


def support(
    claim: str,
    evidence: Evidence,
    asked: frozenset[str] = frozenset(),
    title: str = "",
    given: frozenset[str] = frozenset(),
) -> float:
    """How well ``evidence`` supports ``claim``, from 0 to 1: the share of the claim's
    content words found in the sentence, read with its lead and its article's ``title``
    (the model sees the title: "mustard" may be named there and the sentence say "France's
    most famous condiment"). A claim that names someone or
    something the evidence never mentions is not supported at all, however much else
    overlaps ("Biden said ..." cannot rest on a sentence about someone else).

    With the question's content words (``asked``, :func:`support_terms` of it), the words
    the claim adds to them (its answer) must be found as well: the lower of the two shares
    counts. "Witkoff and Putin ate dinner together" repeats the question's names, which any
    passage about the meeting holds; what it adds, the dinner, no passage says.

    A figure the claim states must be in the evidence too, unless the question gave it
    (``given``, :func:`~rag.text.figures` of the question): one wrong digit ("69%" for the
    passage's "79%") changes the answer and hardly the overlap. Number words are read as
    digits throughout ("6 months" is what "six months" says). A claim about the future or
    someone's plans ("is expected to", "will", "plans to") needs evidence that speaks of
    them too: "he is expected to take part in talks" does not rest on "he has taken part
    in talks"."""
    grounded = f"{title} {evidence.lead} {evidence.text}"
    lowered = grounded.lower()
    if any(name not in lowered for name in question_names(claim)):
        return 0.0
    stated = figures(claim) - given
    if stated and stated - figures(grounded):  # most claims state none: no scan of the evidence
        return 0.0
    if _CLAIMS_PROSPECT.search(claim) and not _STATES_PROSPECT.search(grounded):
        return 0.0  # a plan or a forecast the evidence does not state
    claim_terms = support_terms(claim)
    if not claim_terms:
        return 0.0
    found = support_terms(grounded)
    share = len(claim_terms & found) / len(claim_terms)
    added = claim_terms - asked
    if asked and added:
        share = min(share, len(added & found) / len(added))
    return share


def missing_names(question: str, passages: list[Passage]) -> set[str]:
    """Names in the question that no retrieved passage mentions: a strong sign the
    articles are about something else (asked about X, found only Y)."""
    text = " ".join(p.text.lower() for p in passages)
    return {name for name in question_names(question) if name not in text}


# stop words that carry an answer: "Peskov said there are no timelines" says something
_NEGATION = re.compile(r"\b(?:no|not|never|none|nothing|neither|nor)\b|n[’']t\b", re.IGNORECASE)
_YES_NO = re.compile(r"^\W*(?:yes|no)\b", re.IGNORECASE)


def restates(claim: str, question: str) -> bool:
    """Whether ``claim`` only restates ``question``: no content word (nor negation) that
    the question lacks. "Koffler expects Putin to pursue the same strategy regardless of
    Trump's actions" is supported by the article and answers nothing of "What strategy
    does Koffler expect Putin to pursue regardless of Trump's actions?". A claim that
    opens with yes or no answers a yes/no question however much it repeats."""
    if _YES_NO.match(claim):
        return False
    added = content_terms(claim) - content_terms(question)
    negated = bool(_NEGATION.search(claim)) and not _NEGATION.search(question)
    return not added and not negated
