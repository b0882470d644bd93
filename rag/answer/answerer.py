"""The answer step: retrieve, weigh evidence, generate, verify each sentence, stream, or
abstain. It depends on a Retriever, an EvidenceScorer and a Generator only."""

from __future__ import annotations

import time
from collections.abc import Iterator

from rag.answer.citations import CitationVerifier, complete_sentences
from rag.answer.evidence import EvidenceScorer
from rag.answer.followup import standalone_query
from rag.answer.generator import Generator
from rag.answer.instructions import adds_contact_details
from rag.answer.screening import strip_instructions
from rag.answer.support import missing_names
from rag.answer.types import Answer, Context, Delta, Evidence
from rag.config import AnswerConfig
from rag.errors import InputError
from rag.filters import SearchFilter
from rag.retrieve import Retriever
from rag.text import MAX_QUESTION_CHARS, printable
from rag.types import Passage

ABSTAIN_TEXT = "The articles don't say. The closest passages are listed below."
MAX_PASSAGES = 50  # passages one question may retrieve: bounds the work of a request
MAX_HISTORY = 20  # earlier messages a follow-up may refer to (the newest are kept)


class Answerer:
    """Answers questions with verified citations, over any :class:`Retriever`.

    The ``generator`` writes text with ``[n]`` markers over the (focused) passages; every
    sentence is checked against the passage it cites by a :class:`CitationVerifier` and
    kept, re-attached or dropped; citations are renumbered 1..n. The answerer abstains
    when the evidence is weak (``config.min_evidence``), when the question names someone
    no passage mentions, or when no generated sentence survives verification.
    """

    def __init__(
        self,
        retriever: Retriever,
        scorer: EvidenceScorer,
        generator: Generator,
        config: AnswerConfig | None = None,
    ):
        self.retriever, self.scorer, self.generator = retriever, scorer, generator
        self.config = config or AnswerConfig()

    @property
    def name(self) -> str:
        return self.generator.name

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

        ``history`` holds earlier turns (``{"role", "content"}`` dicts, the last 20 are
        read) for follow-ups; ``search_filter`` restricts retrieval (dates, sources);
        ``passages`` (1 to 50) overrides how many are retrieved (``config.passages``).
        """
        question = _clean(question)
        if passages is not None and not 1 <= passages <= MAX_PASSAGES:
            raise InputError(f"passages must be 1 to {MAX_PASSAGES} (got {passages}).")
        history = [m for m in (history or []) if isinstance(m, dict)][-MAX_HISTORY:]
        timings: dict[str, float] = {}
        started = time.perf_counter()
        asked = strip_instructions(question)
        if not asked:  # nothing but instructions to the model: nothing to look up
            yield self._abstain(question, [], timings)
            return
        question = asked
        query = standalone_query(question, history)
        found = self.retriever.retrieve(query, passages or self.config.passages, search_filter)
        evidence = self.scorer.score(query, found)
        timings["retrieve"] = time.perf_counter() - started
        if self._weak(query, found, evidence):
            yield self._abstain(query, found, timings)
            return
        context = Context(question, query, found, evidence, history)
        context = self.generator.focus(context)
        verifier = CitationVerifier(context.passages, context.evidence, self.config.support)
        parts: list[str] = []
        verify_seconds = 0.0
        generate_started = time.perf_counter()
        for sentence in complete_sentences(self.generator.generate(context)):
            if adds_contact_details(sentence, question):  # where an injection sends readers
                continue
            tick = time.perf_counter()
            verified = verifier.check(sentence)
            verify_seconds += time.perf_counter() - tick
            if verified is None:
                continue
            delta = verified.text if not parts else " " + verified.text
            parts.append(verified.text)
            yield Delta(delta)
            if len(parts) >= self.config.max_sentences:
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
        return evidence[0].score < self.config.min_evidence

    @staticmethod
    def _abstain(query: str, passages: list[Passage], timings: dict[str, float]) -> Answer:
        timings.setdefault("generate", 0.0)
        timings.setdefault("verify", 0.0)
        timings["total"] = sum(v for k, v in timings.items() if k != "total")
        return Answer(ABSTAIN_TEXT, [], True, query, timings, passages)


def _clean(question: str) -> str:
    cleaned = printable(question)
    if not cleaned:
        raise InputError("The question is empty: type a question about the articles.")
    return " ".join(cleaned.split())[:MAX_QUESTION_CHARS]
