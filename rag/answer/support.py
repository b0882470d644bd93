"""Whether evidence supports a claim, and whether the passages mention what was asked."""

from __future__ import annotations

from rag.answer.types import Evidence
from rag.text import content_terms, question_names
from rag.types import Passage


def support(claim: str, evidence: Evidence) -> float:
    """How well ``evidence`` supports ``claim``, from 0 to 1: the share of the claim's
    content words found in the sentence (with its lead). A claim that names someone or
    something the evidence never mentions is not supported at all, however much else
    overlaps ("Biden said ..." cannot rest on a sentence about someone else)."""
    grounded = f"{evidence.lead} {evidence.text}"
    lowered = grounded.lower()
    if any(name not in lowered for name in question_names(claim)):
        return 0.0
    claim_terms = content_terms(claim)
    if not claim_terms:
        return 0.0
    return len(claim_terms & content_terms(grounded)) / len(claim_terms)


def missing_names(question: str, passages: list[Passage]) -> set[str]:
    """Names in the question that no retrieved passage mentions: a strong sign the
    articles are about something else (asked about X, found only Y)."""
    text = " ".join(p.text.lower() for p in passages)
    return {name for name in question_names(question) if name not in text}
