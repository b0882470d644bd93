"""Sentence-level evidence: which retrieved sentences answer the question, and how well."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunking import BULLET, is_heading, split_sentences
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
    lead: str = ""  # the text that gives the sentence its context


def looks_like_injection(text: str) -> bool:
    """True for text that gives instructions to an AI (prompt injection), not news."""
    return bool(_INJECTION.search(text))


def strip_instructions(question: str) -> str:
    """The question without sentences that instruct a model ("Ignore previous
    instructions ..."): what is left is what the user asks about the articles."""
    kept = [
        question[start:end]
        for start, end in split_sentences(question)
        if not looks_like_injection(question[start:end])
    ]
    return " ".join(kept).strip()


def content_terms(text: str) -> set[str]:
    return set(tokenize(text))


def question_names(question: str) -> set[str]:
    """Capitalised words that name something (people, places, bodies). A capital at the
    start of a sentence or list item proves nothing, so such words count only when they
    are all capitals (NATO)."""
    names = set()
    for match in _NAME.finditer(question):
        before = question[: match.start()].rstrip()
        if (not before or before[-1] in '.!?:-•–\n"“(') and not match.group(0).isupper():
            continue
        word = re.sub(r"[’']s?$", "", match.group(0))  # Hoffman's -> Hoffman
        if word.lower() in _QUESTION_WORDS or word.lower() in STOP_WORDS:
            continue
        names.add(word.lower())
    return names


def missing_names(question: str, passages: list[Passage]) -> set[str]:
    """Names in the question that no retrieved passage mentions: a strong sign the
    articles are about something else (asked about X, found only Y)."""
    text = " ".join(p.text.lower() for p in passages)
    return {name for name in question_names(question) if name not in text}


@dataclass(frozen=True)
class Span:
    """A candidate sentence and the text that gives it its context (``lead``): the
    heading or list lead-in above a bullet, else the sentence before it."""

    passage: int
    start: int
    end: int
    lead: str


def sentences(passages: list[Passage], article_texts: dict[str, str]) -> list[Span]:
    """Every candidate sentence of the passages, with its lead."""
    found = []
    for i, passage in enumerate(passages):
        text = article_texts[passage.article_id]
        heading, previous = "", ""
        for line_start, line_end in _lines(text, passage.start, passage.end):
            line = text[line_start:line_end]
            if looks_like_injection(line):
                continue  # instructions aimed at a model are never evidence
            if is_heading(line):
                heading, previous = line.strip(), ""  # headings frame what follows
                continue
            bullet = bool(BULLET.match(line))
            for start, end in split_sentences(text, line_start, line_end):
                lead = heading if bullet or not previous else previous
                found.append(Span(i, start, end, lead))
                previous = text[start:end]
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
    spans, seen = [], set()
    for span in sentences(passages, article_texts):
        key = (passages[span.passage].article_id, span.start)
        if key not in seen:  # overlapping passages repeat sentences: score each once
            seen.add(key)
            spans.append(span)
    if not spans:
        return []
    texts = [article_texts[passages[s.passage].article_id][s.start : s.end] for s in spans]
    windows = [f"{s.lead} {text}".strip() for s, text in zip(spans, texts, strict=True)]
    vectors = embedder.embed(windows)
    similarity = vectors @ embedder.embed_query(question)
    wanted = content_terms(question)
    evidence = []
    for span, text, window, sim in zip(spans, texts, windows, similarity, strict=True):
        coverage = len(wanted & content_terms(window)) / len(wanted) if wanted else 0.0
        score = float(sim + lexical_weight * coverage)
        evidence.append(
            Evidence(
                span.passage, span.start, span.end, text, score, float(sim), coverage, span.lead
            )
        )
    return sorted(evidence, key=lambda e: -e.score)


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
