"""The answer step: retrieve, weigh evidence, decide answerability, generate, verify each
sentence, stream, or abstain. It depends on a Retriever, an EvidenceScorer, a Generator
and the answerability gates only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from itertools import chain

from rag.answer.answerability import EntityTagger, Gate, Signals, mark_answer_types, measure
from rag.answer.citations import CitationVerifier, SentenceBuffer, draft_text, parse_markers
from rag.answer.evidence import EvidenceScorer
from rag.answer.followup import Rewrite, standalone
from rag.answer.generator import Generator
from rag.answer.instructions import adds_contact_details
from rag.answer.screening import strip_instructions
from rag.answer.support import missing_names
from rag.answer.types import (
    Answer,
    Context,
    Delta,
    Draft,
    Event,
    Evidence,
    Retrieved,
    Withdrawn,
)
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
    when the question names someone no passage mentions, when the answerability
    ``gates`` judge the evidence does not answer it (``llm`` when the generator gives its
    own opinion, else ``evidence``; without gates, below ``config.min_evidence``), or
    when no generated sentence survives verification and there is no ``fallback``:
    a generator (the extractive one, for an LLM) whose verified sentences answer when
    the gate found the question answerable but none of the model's sentences held up.
    ``tagger`` finds the named entities the expected-answer-type signal reads (None:
    that signal is off).
    """

    def __init__(
        self,
        retriever: Retriever,
        scorer: EvidenceScorer,
        generator: Generator,
        config: AnswerConfig | None = None,
        gates: dict[str, Gate] | None = None,
        tagger: EntityTagger | None = None,
        fallback: Generator | None = None,
    ):
        self.retriever, self.scorer, self.generator = retriever, scorer, generator
        self.config = config or AnswerConfig()
        self.gates, self.tagger, self.fallback = gates or {}, tagger, fallback

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
    ) -> Iterator[Event | Answer]:
        """Yield the passages found (:class:`Retrieved`), the text as it is written
        (:class:`Draft`), each sentence once checked (:class:`Delta` kept, or
        :class:`Withdrawn`), then the :class:`Answer`. Readers that want only verified
        text take the Deltas.

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
        # a follow-up is read as the question it stands for; the earlier turns' subject
        # words go into the retrieval query only
        rewrite = standalone(asked, history)
        query = rewrite.query
        found = self.retriever.retrieve(query, passages or self.config.passages, search_filter)
        yield Retrieved(query, found)
        weighed = self._weigh(rewrite, found, history)
        timings["retrieve"] = time.perf_counter() - started
        if weighed is None:
            yield self._abstain(query, found, timings)
            return
        evidence, context = weighed
        if self.gates:
            tick = time.perf_counter()
            answerable = self._answerable(self.signals(evidence, context))
            timings["assess"] = time.perf_counter() - tick  # entities, the model's opinion
            if not answerable:
                yield self._abstain(query, found, timings)
                return
        verifier = CitationVerifier(context.passages, context.evidence, self.config.support)
        parts: list[str] = []
        generate_started = time.perf_counter()
        timings["verify"] = 0.0
        for generator in (self.generator, self.fallback):  # the fallback: nothing held up
            if generator is None or parts:
                break
            for event in self._sentences(generator, context, verifier, rewrite.question, timings):
                if isinstance(event, Delta):
                    parts.append(event.text.strip())
                yield event
        timings["generate"] = time.perf_counter() - generate_started - timings["verify"]
        if not parts:
            yield self._abstain(query, found, timings)
            return
        timings["total"] = time.perf_counter() - started
        yield Answer(" ".join(parts), verifier.citations, False, query, timings, context.passages)

    def _sentences(
        self,
        generator: Generator,
        context: Context,
        verifier: CitationVerifier,
        question: str,
        timings: dict,
    ) -> Iterator[Draft | Delta | Withdrawn]:
        """``generator``'s text as drafts, each completed sentence verified: kept (Delta)
        or withdrawn. Generation stops at ``config.max_sentences`` kept sentences, and
        when the consumer stops reading (the stream is closed: the model stops too)."""
        buffer, kept, shown = SentenceBuffer(), 0, ""
        with closing(generator.generate(context)) as pieces:
            for piece in chain(pieces, [None]):  # None: the end, flush what is left
                for sentence in buffer.feed(piece) if piece is not None else buffer.flush():
                    tick = time.perf_counter()
                    event = self._judge(sentence, verifier, question, kept)
                    timings["verify"] += time.perf_counter() - tick
                    if event is not None:
                        kept += isinstance(event, Delta)
                        shown = ""
                        yield event
                    if kept >= self.config.max_sentences:
                        return
                draft = draft_text(buffer.tail)
                if draft and draft != shown:
                    shown = draft
                    yield Draft(draft)

    @staticmethod
    def _judge(
        sentence: str, verifier: CitationVerifier, question: str, kept: int
    ) -> Delta | Withdrawn | None:
        if adds_contact_details(sentence, question):  # where an injection sends readers
            return Withdrawn(
                parse_markers(sentence)[0], "contact details the question did not ask for"
            )
        dropped = len(verifier.dropped)
        verified = verifier.check(sentence)
        if verified is not None:
            return Delta(verified.text if not kept else " " + verified.text)
        if len(verifier.dropped) > dropped:
            return Withdrawn(verifier.dropped[-1], "no retrieved passage supports it")
        return None  # markers or punctuation only

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
        return not self.gates and evidence[0].score < self.config.min_evidence

    def assess(self, question: str, history: list[dict] | None = None) -> Signals | None:
        """The signals the gate reads for ``question``, as :meth:`stream` finds them
        (``None`` when a rule abstains first: only instructions, or names no passage
        mentions). For fitting and inspecting the gates."""
        asked = strip_instructions(_clean(question))
        if not asked:
            return None
        rewrite = standalone(asked, history or [])
        found = self.retriever.retrieve(rewrite.query, self.config.passages)
        weighed = self._weigh(rewrite, found, history or [])
        return self.signals(*weighed) if weighed is not None else None

    def _weigh(
        self, rewrite: Rewrite, found: list[Passage], history: list[dict]
    ) -> tuple[list[Evidence], Context] | None:
        """The scored evidence (answer types marked) and the generator's focused context,
        or None when a rule finds the evidence too weak to answer (:meth:`_weak`)."""
        question = rewrite.question
        evidence = mark_answer_types(question, self.scorer.score(question, found), self.tagger)
        if self._weak(question, found, evidence):
            return None
        context = Context(question, rewrite.query, found, evidence, history)
        return evidence, self.generator.focus(context)

    def signals(self, evidence: list[Evidence], context: Context) -> Signals:
        """What the evidence says about answering: the scored sentences' signals and the
        generator's own opinion of the focused ``context``."""
        return measure(context.question, evidence, self.generator.judge(context))

    def _answerable(self, signals: Signals) -> bool:
        """The gate's decision: ``llm`` when the generator gave its opinion, else
        ``evidence``."""
        gate = self.gates.get("llm" if signals.judge is not None else "evidence")
        return gate is None or gate.answerable(signals)

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
