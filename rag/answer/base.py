"""The Answerer contract and the shared pipeline: retrieve, weigh evidence, generate,
verify each sentence, stream, or abstain."""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from rag.answer.citations import CitationVerifier, complete_sentences
from rag.answer.evidence import Evidence, missing_names, score_evidence, strip_instructions
from rag.answer.followup import standalone_query
from rag.answer.types import Answer, Delta
from rag.embed import Embedder
from rag.errors import InputError
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve import Retriever
from rag.types import Passage

ABSTAIN_TEXT = "The articles don't say. The closest passages are listed below."
MAX_QUESTION_CHARS = 2_000


@dataclass(frozen=True)
class AnswerSettings:
    """Knobs shared by every answerer (defaults calibrated on ``eval/questions.jsonl``).

    - ``passages``: passages retrieved per question (5).
    - ``min_evidence``: the best sentence's relevance (cosine + 0.5 x question-word
      coverage) below which the answerer abstains instead of answering (0.55: on the
      eval set 6.5 % of answerable questions fall below it; raising it to 0.65 catches
      77 % instead of 53 % of unanswerable ones but refuses 10 % of answerable ones).
    - ``support``: how well a cited sentence must support an answer sentence (0.5).
    - ``max_sentences``: the most sentences an answer has (3).
    """

    passages: int = 5
    min_evidence: float = 0.55
    support: float = 0.5
    max_sentences: int = 3


@dataclass
class Context:
    """What a generator gets: the question, the retrieval query and the numbered evidence."""

    question: str
    query: str
    passages: list[Passage]
    evidence: list[Evidence]
    history: list[dict]


class Answerer(ABC):
    """Subclasses implement :meth:`_generate` (a stream of text with ``[n]`` markers
    over ``context.passages`` numbered from 1); :meth:`stream` does the rest."""

    name = "answerer"

    def __init__(
        self,
        retriever: Retriever,
        index: Index,
        embedder: Embedder,
        settings: AnswerSettings | None = None,
    ):
        self.retriever, self.index, self.embedder = retriever, index, embedder
        self.settings = settings or AnswerSettings()

    @abstractmethod
    def _generate(self, context: Context) -> Iterator[str]: ...

    def _focus(self, context: Context) -> Context:
        """Narrow the context to what the generator will see (default: all of it)."""
        return context

    def answer(
        self,
        question: str,
        history: list[dict] | None = None,
        search_filter: SearchFilter | None = None,
        passages: int | None = None,
    ) -> Answer:
        """The finished answer (consumes :meth:`stream`)."""
        for event in self.stream(question, history, search_filter, passages):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("answerer stream ended without an answer")  # pragma: no cover

    def stream(
        self,
        question: str,
        history: list[dict] | None = None,
        search_filter: SearchFilter | None = None,
        passages: int | None = None,
    ) -> Iterator[Delta | Answer]:
        """Yield verified sentences as :class:`Delta` as they are ready, then the Answer.

        ``search_filter`` restricts retrieval (dates, sources); ``passages`` overrides
        how many are retrieved.
        """
        question = _clean(question)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        asked = strip_instructions(question)
        if not asked:  # nothing but instructions to the model: nothing to look up
            yield self._abstain(question, [], timings)
            return
        question = asked
        query = standalone_query(question, history)
        found = self.retriever.retrieve(query, passages or self.settings.passages, search_filter)
        texts = {p.article_id: self.index.by_id[p.article_id].text for p in found}
        evidence = score_evidence(query, found, texts, self.embedder)
        timings["retrieve"] = time.perf_counter() - started
        if self._weak(query, found, evidence):
            yield self._abstain(query, found, timings)
            return
        context = self._focus(Context(question, query, found, evidence, list(history or [])))
        verifier = CitationVerifier(context.passages, context.evidence, self.settings.support)
        parts: list[str] = []
        verify_seconds = 0.0
        generate_started = time.perf_counter()
        for sentence in complete_sentences(self._generate(context)):
            tick = time.perf_counter()
            verified = verifier.check(sentence)
            verify_seconds += time.perf_counter() - tick
            if verified is None:
                continue
            delta = verified.text if not parts else " " + verified.text
            parts.append(verified.text)
            yield Delta(delta)
            if len(parts) >= self.settings.max_sentences:
                break
        timings["generate"] = time.perf_counter() - generate_started - verify_seconds
        timings["verify"] = verify_seconds
        if not parts:
            yield self._abstain(query, found, timings)
            return
        timings["total"] = time.perf_counter() - started
        yield Answer(" ".join(parts), verifier.citations, False, query, timings, context.passages)

    def _weak(self, query: str, passages: list[Passage], evidence: list[Evidence]) -> bool:
        """Too little evidence to answer: nothing retrieved, a name in the question that
        no passage mentions, names that no single passage mentions together (asked what
        X said about Y, found X in one story and Y in another), or no sentence relevant
        enough."""
        if not passages or not evidence:
            return True
        if missing_names(query, passages):
            return True
        if all(missing_names(query, [p]) for p in passages):
            return True
        return evidence[0].score < self.settings.min_evidence

    @staticmethod
    def _abstain(query: str, passages: list[Passage], timings: dict[str, float]) -> Answer:
        timings.setdefault("generate", 0.0)
        timings.setdefault("verify", 0.0)
        timings["total"] = sum(v for k, v in timings.items() if k != "total")
        return Answer(ABSTAIN_TEXT, [], True, query, timings, passages)


_TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # colours etc. pasted from a shell


def _clean(question: str) -> str:
    question = _TERMINAL_ESCAPE.sub("", question)
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch.isspace()).strip()
    if not cleaned:
        raise InputError("The question is empty: type a question about the articles.")
    return " ".join(cleaned.split())[:MAX_QUESTION_CHARS]
