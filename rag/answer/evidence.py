"""Sentence-level evidence: which retrieved sentences answer the question, and how well."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.chunking import is_heading, split_sentences
from rag.embed import Embedder
from rag.store.bm25 import STOP_WORDS, tokenize
from rag.types import Passage

# Words that look like names in a question but are question scaffolding.
_QUESTION_WORDS = {
    "what",
    "who",
    "when",
    "where",
    "why",
    "how",
    "which",
    "did",
    "does",
    "is",
    "are",
    "was",
    "were",
    "and",
    "according",
    "do",
    "can",
    "will",
    "has",
    "have",
}
# Text addressed to a model rather than a reader: a paragraph with this is quarantined.
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(instructions?|prompts?|rules|above|"
    r"previous|prior)\b|\b(reply|respond|answer|output|say)\s+(only|with only)\b|"
    r"\byou are now\b|\bsystem prompt\b|\bnew instructions\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b[A-Z][\w’'-]*[a-z][\w’'-]*\b|\b[A-Z]{2,}\b")


@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved passage, scored against the question."""

    passage: int  # index into the retrieved passages
    start: int  # offsets in the article text
    end: int
    text: str
    score: float  # combined relevance (higher is better)
    similarity: float  # cosine(question, sentence with its lead-in)
    coverage: float  # share of the question's content words present


def looks_like_injection(text: str) -> bool:
    """True for text that gives instructions to an AI (prompt injection), not news."""
    return bool(_INJECTION.search(text))


def content_terms(text: str) -> set[str]:
    return set(tokenize(text))


def question_names(question: str) -> set[str]:
    """Capitalised words of the question that name something (people, places, bodies)."""
    names = set()
    for match in _NAME.finditer(question):
        word = match.group(0).strip("’'")
        if word.lower() in _QUESTION_WORDS or word.lower() in STOP_WORDS:
            continue
        names.add(word.lower())
    return names


def missing_names(question: str, passages: list[Passage]) -> set[str]:
    """Names in the question that no retrieved passage mentions: a strong sign the
    articles are about something else (asked about X, found only Y)."""
    text = " ".join(p.text.lower() for p in passages)
    return {name for name in question_names(question) if name not in text}


def sentences(passages: list[Passage], article_texts: dict[str, str]) -> list[tuple[int, int, int]]:
    """(passage index, start, end) of every sentence or line in the passages."""
    found = []
    for i, passage in enumerate(passages):
        text = article_texts[passage.article_id]
        for line_start, line_end in _lines(text, passage.start, passage.end):
            line = text[line_start:line_end]
            if is_heading(line) or looks_like_injection(line):
                # headings say what follows and answer nothing; instructions aimed at a
                # model are never evidence, so the whole paragraph is left out
                continue
            for start, end in split_sentences(text, line_start, line_end):
                found.append((i, start, end))
    return found


def _lines(text: str, start: int, end: int):
    cursor = start
    while cursor < end:
        stop = text.find("\n", cursor, end)
        stop = end if stop < 0 else stop
        if text[cursor:stop].strip():
            yield cursor, stop
        cursor = stop + 1


def score_evidence(
    question: str,
    passages: list[Passage],
    article_texts: dict[str, str],
    embedder: Embedder,
    lexical_weight: float = 0.5,
) -> list[Evidence]:
    """Score every sentence of ``passages`` against ``question``, best first.

    ``score = similarity + lexical_weight * coverage``. A sentence is embedded together
    with the one before it, so "..., he said." keeps the speaker named just before.
    Duplicate sentences (passages overlap) are scored once.
    """
    spans = sentences(passages, article_texts)
    seen, unique = set(), []
    for i, start, end in spans:
        key = (passages[i].article_id, start)
        if key not in seen:
            seen.add(key)
            unique.append((i, start, end))
    if not unique:
        return []
    texts, windows = [], []
    for number, (i, start, end) in enumerate(unique):
        text = article_texts[passages[i].article_id][start:end]
        previous = unique[number - 1] if number else None
        same = previous and previous[0] == i and previous[2] <= start
        lead = article_texts[passages[i].article_id][previous[1] : previous[2]] if same else ""
        texts.append(text)
        windows.append(f"{lead} {text}".strip())
    vectors = embedder.embed(windows)
    similarity = vectors @ embedder.embed_query(question)
    wanted = content_terms(question)
    evidence = []
    for (i, start, end), text, window, sim in zip(unique, texts, windows, similarity, strict=True):
        coverage = len(wanted & content_terms(window)) / len(wanted) if wanted else 0.0
        evidence.append(
            Evidence(
                i, start, end, text, float(sim + lexical_weight * coverage), float(sim), coverage
            )
        )
    return sorted(evidence, key=lambda e: -e.score)


def support(
    claim: str,
    evidence_text: str,
    claim_vector: np.ndarray | None = None,
    evidence_vector: np.ndarray | None = None,
) -> float:
    """How well ``evidence_text`` supports ``claim``: the share of the claim's content
    words found in the evidence, or the embedding cosine when vectors are given and higher."""
    claim_terms = content_terms(claim)
    overlap = (
        len(claim_terms & content_terms(evidence_text)) / len(claim_terms) if claim_terms else 0.0
    )
    if claim_vector is not None and evidence_vector is not None:
        return max(overlap, float(claim_vector @ evidence_vector))
    return overlap
