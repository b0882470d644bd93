"""Citation markers: parse ``[n]``, verify each sentence against what it cites, renumber."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.answer.support import support, support_terms
from rag.answer.types import Citation, Evidence
from rag.text import content_terms, figures, split_sentences
from rag.types import Passage

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")
_OPEN_MARKER = re.compile(r"\s*\[[\d,\s]*$")  # a marker still being written: "[", "[1,"


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """Strip ``[n]`` / ``[n, m]`` markers; return the bare sentence and the numbers in order."""
    numbers: list[int] = []
    for match in _MARKER.finditer(sentence):
        numbers += [int(n) for n in match.group(1).split(",")]
    return _MARKER.sub("", sentence).strip(), list(dict.fromkeys(numbers))


def shift_markers(sentence: str, offset: int) -> str:
    """``sentence`` with every marker number raised by ``offset`` ("x [1, 2]" + 3 ->
    "x [4, 5]")."""
    if not offset:
        return sentence
    return _MARKER.sub(
        lambda m: " [" + ", ".join(str(int(n) + offset) for n in m.group(1).split(",")) + "]",
        sentence,
    )


def draft_text(text: str) -> str:
    """Unverified text as a reader may see it: no markers, whole or half-written (their
    numbers change once verified)."""
    return _OPEN_MARKER.sub("", parse_markers(text)[0])


class SentenceBuffer:
    """Collects streamed text and releases whole sentences, each with its trailing markers.

    A sentence is released once the next one has begun, so ``text. [1] Next`` keeps its
    marker, and sentence splitting is the chunker's (abbreviations such as "U.S." hold).
    :attr:`tail` is the text written but not yet released: the draft a reader may see.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._pending: str | None = None

    @property
    def tail(self) -> str:
        return " ".join(t for t in (self._pending, self._buffer.strip()) if t)

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        spans = list(_spans(self._buffer))
        released = self._release(spans[:-1])
        if len(spans) > 1:
            self._buffer = self._buffer[spans[-1][0] :]
        return released

    def flush(self) -> list[str]:
        released = self._release(list(_spans(self._buffer)))
        self._buffer = ""
        if self._pending:
            released.append(self._pending)
        self._pending = None
        return released

    def _release(self, spans: list[tuple[int, int]]) -> list[str]:
        released = []
        for start, end in spans:
            self._pending, sentence = _merge(self._pending, self._buffer[start:end])
            if sentence:
                released.append(sentence)
        return released


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """Sentences, with line breaks as hard boundaries (list items end without a period)."""
    offset = 0
    for line in text.split("\n"):
        yield from ((offset + s, offset + e) for s, e in split_sentences(line))
        offset += len(line) + 1


def _merge(pending: str | None, sentence: str) -> tuple[str | None, str | None]:
    """Markers opening ``sentence`` belong to ``pending``. Returns (pending, released)."""
    leading = _LEADING_MARKERS.match(sentence)
    if leading and pending is not None:
        pending = f"{pending} {leading.group(0).strip()}"
        sentence = sentence[leading.end() :].strip()
        if not sentence:
            return pending, None
    return sentence, pending


@dataclass
class VerifiedSentence:
    text: str  # with renumbered markers
    numbers: list[int]


class CitationVerifier:
    """Checks generated sentences against the passages they cite.

    A sentence is kept when a sentence of a cited passage supports it (content-word
    overlap of at least ``threshold``, default 0.5, over the whole sentence and over what
    it adds to the ``question``, and every figure it states that the question did not:
    :func:`~rag.answer.support.support`). Markers that point at no passage are dropped; a
    sentence whose citations all fail is re-attached to the best supporting retrieved
    sentence if one clears the threshold, else dropped.
    Citations are numbered 1..n in order of first use; each resolves to the exact
    supporting sentence.
    """

    def __init__(
        self,
        passages: list[Passage],
        evidence: list[Evidence],
        threshold: float = 0.5,
        question: str = "",
    ):
        self.passages = passages
        self.evidence = evidence
        self.threshold = threshold
        self.asked = frozenset(support_terms(question))
        self.given = frozenset(figures(question))
        self.citations: list[Citation] = []
        self._numbers: dict[tuple[str, int, int], int] = {}
        self.dropped: list[str] = []

    def check(self, sentence: str) -> VerifiedSentence | None:
        text, cited = parse_markers(sentence)
        if not text or not any(ch.isalnum() for ch in text):
            return None
        supported = [
            self._best_support(text, {n - 1}) for n in cited if 1 <= n <= len(self.passages)
        ]
        found = [e for e in supported if e is not None]
        if not found:
            fallback = self._best_support(text, set(range(len(self.passages))))
            found = [fallback] if fallback else []
        if not found:
            self.dropped.append(text)
            return None
        numbers = list(dict.fromkeys(self._number(e) for e in found))
        return VerifiedSentence(place_markers(text, numbers), numbers)

    def _best_support(self, claim: str, passages: set[int]) -> Evidence | None:
        terms = content_terms(claim)

        def strength(e: Evidence) -> tuple[float, int]:
            # ties go to the sentence that supports the claim on its own, not via its lead
            title = self.passages[e.passage].title
            share = support(claim, e, self.asked, title, self.given)
            return share, len(terms & content_terms(e.text))

        scored = [(strength(e), e) for e in self.evidence if e.passage in passages]
        scored = [(s, e) for s, e in scored if s[0] >= self.threshold]
        return max(scored, key=lambda pair: pair[0])[1] if scored else None

    def _number(self, evidence: Evidence) -> int:
        passage = self.passages[evidence.passage]
        key = (passage.article_id, evidence.start, evidence.end)
        if key not in self._numbers:
            self._numbers[key] = len(self._numbers) + 1
            self.citations.append(
                Citation(
                    n=self._numbers[key],
                    article_id=passage.article_id,
                    title=passage.title,
                    source=passage.source,
                    date=passage.published,
                    start=evidence.start,
                    end=evidence.end,
                    text=evidence.text,
                    passage_start=passage.start,
                    passage_end=passage.end,
                    passage=passage.text,
                    copies=list(passage.copies),
                )
            )
        return self._numbers[key]


def place_markers(text: str, numbers: list[int]) -> str:
    """``"It rained."`` + [1, 2] -> ``"It rained [1][2]."``; after a closing quote, at the end."""
    markers = "".join(f"[{n}]" for n in numbers)
    text = text.rstrip()
    if text[-1:] in ".!?" and text[-2:-1] not in "”\"'’":
        return f"{text[:-1]} {markers}{text[-1]}"
    return f"{text} {markers}"
