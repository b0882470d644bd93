"""Sentence-level evidence: which retrieved sentences answer the question, and how well."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.answer.instructions import InstructionDetector
from rag.answer.screening import looks_like_injection
from rag.answer.types import Evidence
from rag.embed import Embedder
from rag.memo import SENTENCES_REMEMBERED, BatchMemo
from rag.text import BULLET, content_terms, is_heading, lines, split_sentences
from rag.types import Passage

SCREENED = 12  # best sentences the instruction detector checks (the prompt shows 8 at most)


@dataclass(frozen=True)
class Span:
    """A candidate sentence (offsets in ``passage.text``) and the text that gives it its
    context (``lead``): the heading or list lead-in above a bullet, else the sentence
    before it."""

    passage: int
    start: int
    end: int
    lead: str


def sentences(passages: list[Passage]) -> list[Span]:
    """Every candidate sentence of the passages, with its lead. Lines that address
    instructions to a model are never evidence."""
    found = []
    for i, passage in enumerate(passages):
        text = passage.text
        heading, previous = "", ""
        for line_start, line_end in lines(text):
            line = text[line_start:line_end]
            if looks_like_injection(line):
                continue
            if is_heading(line):
                heading, previous = line.strip(), ""  # headings frame what follows
                continue
            bullet = bool(BULLET.match(line))
            for start, end in split_sentences(text, line_start, line_end):
                lead = heading if bullet or not previous else previous
                found.append(Span(i, start, end, lead))
                previous = text[start:end]
    return found


class EvidenceScorer:
    """Scores every sentence of the retrieved passages against the question.

    ``score = similarity + lexical_weight * coverage`` (``lexical_weight`` 0.5): the
    cosine of the question and the sentence embedded with its lead (so "..., he said."
    keeps the speaker named just before), plus the share of the question's content words
    the sentence and its lead contain. It needs only the passages' own text. With a
    ``detector``, the best sentences it finds addressed to an AI are never evidence.

    Embedding the ~30 sentences of five passages is most of a question's time before the
    model (~0.4 s on 2 cores), so the last ``SENTENCES_REMEMBERED`` sentence vectors are
    kept: a follow-up, or a question about a story asked about before, meets the same
    sentences.
    """

    def __init__(
        self,
        embedder: Embedder,
        lexical_weight: float = 0.5,
        detector: InstructionDetector | None = None,
    ):
        self.embedder, self.lexical_weight, self.detector = embedder, lexical_weight, detector
        self._vectors = BatchMemo(lambda texts: list(embedder.embed(texts)), SENTENCES_REMEMBERED)

    def score(self, question: str, passages: list[Passage]) -> list[Evidence]:
        """The evidence sentences, best first; offsets are in the article text.
        Sentences repeated by overlapping passages are scored once."""
        spans, seen = [], set()
        for span in sentences(passages):
            passage = passages[span.passage]
            key = (passage.article_id, passage.start + span.start)
            if key not in seen:
                seen.add(key)
                spans.append(span)
        if not spans:
            return []
        texts = [passages[s.passage].text[s.start : s.end] for s in spans]
        windows = [f"{s.lead} {text}".strip() for s, text in zip(spans, texts, strict=True)]
        vectors = np.stack(self._vectors(windows))
        similarity = vectors @ self.embedder.embed_query(question)
        wanted = content_terms(question)
        evidence = []
        for span, text, window, sim in zip(spans, texts, windows, similarity, strict=True):
            coverage = len(wanted & content_terms(window)) / len(wanted) if wanted else 0.0
            offset = passages[span.passage].start
            evidence.append(
                Evidence(
                    span.passage,
                    offset + span.start,
                    offset + span.end,
                    text,
                    float(sim + self.lexical_weight * coverage),
                    float(sim),
                    coverage,
                    span.lead,
                )
            )
        return self._screened(sorted(evidence, key=lambda e: -e.score))

    def forget(self) -> None:
        """Drop the remembered sentence vectors (and the detector's verdicts): the next
        question is scored as if its passages were new (``bench/sample.py`` times both)."""
        self._vectors.clear()
        if self.detector is not None:
            self.detector.forget()

    def _screened(self, evidence: list[Evidence]) -> list[Evidence]:
        """Without the best sentences the detector finds addressed to an AI. Only the top
        ``SCREENED`` are checked (one more embedding batch): the answerers quote, prompt
        with and lean on those; the rest serve as support and antecedents only."""
        if self.detector is None or not evidence:
            return evidence
        top = evidence[:SCREENED]
        flags = self.detector.flags([e.text for e in top])
        return [e for e, flag in zip(top, flags, strict=True) if not flag] + evidence[SCREENED:]
