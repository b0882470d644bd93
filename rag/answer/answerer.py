"""The answer step: retrieve, weigh evidence, decide answerability, generate, verify each
sentence, stream, or abstain. It depends on a Retriever, an EvidenceScorer, a Generator
and the answerability gates only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from itertools import chain

from rag.answer.answerability import EntityTagger, Gate, Signals, mark_answer_types, measure
from rag.answer.citations import (
    CitationVerifier,
    SentenceBuffer,
    draft_text,
    parse_markers,
    shift_markers,
)
from rag.answer.evidence import EvidenceScorer
from rag.answer.followup import Rewrite, standalone
from rag.answer.generator import Generator
from rag.answer.instructions import adds_contact_details
from rag.answer.parts import split_parts
from rag.answer.screening import strip_instructions
from rag.answer.selection import SentenceRanker
from rag.answer.support import missing_names, restates
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
UNCOVERED = "The articles don't answer"  # one part of a question with several
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
    that signal is off); ``ranker`` marks which evidence sentences carry the answer, the
    order the generators choose by (None: the evidence score's order).
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
        ranker: SentenceRanker | None = None,
    ):
        self.retriever, self.scorer, self.generator = retriever, scorer, generator
        self.config = config or AnswerConfig()
        self.gates, self.tagger, self.fallback = gates or {}, tagger, fallback
        self.ranker = ranker

    @property
    def name(self) -> str:
        return self.generator.name

    def forget(self) -> None:
        """Drop what is remembered of passages met before (sentence vectors, the instruction
        detector's verdicts, entities): the next question costs what a new story does
        (benchmarks time both)."""
        self.scorer.forget()
        if self.tagger is not None and hasattr(self.tagger, "forget"):
            self.tagger.forget()

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
        asked = strip_instructions(question, self.scorer.detector)
        if not asked:  # nothing but instructions to the model: nothing to look up
            yield self._abstain(question, [], timings)
            return
        rewrites = self._rewrites(asked, history)
        query = " / ".join(r.query for r in rewrites)
        depth = passages or self.config.passages
        found = [self.retriever.retrieve(r.query, depth, search_filter) for r in rewrites]
        retrieved = _union(found)
        yield Retrieved(query, retrieved)
        weighed = [self._weigh(r, f, history) for r, f in zip(rewrites, found, strict=True)]
        timings["retrieve"] = time.perf_counter() - started
        tick = time.perf_counter()
        contexts = [self._covered(w) for w in weighed]
        if self.gates:
            timings["assess"] = time.perf_counter() - tick  # entities, the model's opinion
        if not any(contexts):
            yield self._abstain(query, retrieved, timings)
            return
        # what the user asked of the whole answer: a link asked for in one part may be
        # quoted in another's sentence
        asked_all = " ".join(r.question for r in rewrites)
        verifier, offsets = self._verifier(contexts, asked_all)
        said: list[str] = []
        answered = False
        generate_started = time.perf_counter()
        timings["verify"] = 0.0
        for rewrite, context, offset in zip(rewrites, contexts, offsets, strict=True):
            kept: list[str] = []
            for event in self._answer_part(context, verifier, asked_all, timings, offset):
                if isinstance(event, Delta):
                    if said and not kept:  # a later part's first sentence
                        event = Delta(" " + event.text.lstrip())
                    kept.append(event.text.strip())
                yield event
            answered = answered or bool(kept)
            if not kept and len(rewrites) > 1:  # say which part the articles don't cover
                kept.append(f"{UNCOVERED} “{rewrite.question}”")
                yield Delta((" " if said else "") + kept[-1])
            said += kept
        timings["generate"] = time.perf_counter() - generate_started - timings["verify"]
        if not answered:
            yield self._abstain(query, retrieved, timings)
            return
        timings["total"] = time.perf_counter() - started
        yield Answer(" ".join(said), verifier.citations, False, query, timings, verifier.passages)

    def _rewrites(self, asked: str, history: list[dict]) -> list[Rewrite]:
        """Each part of the question (:func:`split_parts`) made standalone: a follow-up is
        read as the question it stands for, and a later part as a follow-up of the
        earlier ones ("... and what is he expected to do?"). The earlier turns' subject
        words go into the retrieval query only."""
        rewrites: list[Rewrite] = []
        for part in split_parts(asked):
            earlier = [{"role": "user", "content": r.question} for r in rewrites]
            rewrites.append(standalone(part, history + earlier))
        return rewrites

    def _covered(self, weighed: tuple[list[Evidence], Context] | None) -> Context | None:
        """The focused context to answer from, or None when the evidence rules or the
        answerability gate find that it does not answer."""
        if weighed is None:
            return None
        evidence, context = weighed
        if self.gates and not self._answerable(self.signals(evidence, context)):
            return None
        return context

    def _verifier(
        self, contexts: list[Context | None], question: str
    ) -> tuple[CitationVerifier, list[int]]:
        """One verifier over every covered part's passages, so citations are numbered 1..n
        across parts, and where each part's passages start in it."""
        passages: list[Passage] = []
        evidence: list[Evidence] = []
        offsets = []
        for context in contexts:
            offsets.append(len(passages))
            if context is not None:
                evidence += [
                    replace(e, passage=e.passage + len(passages)) for e in context.evidence
                ]
                passages += context.passages
        return CitationVerifier(passages, evidence, self.config.support, question), offsets

    def _answer_part(
        self,
        context: Context | None,
        verifier: CitationVerifier,
        question: str,
        timings: dict,
        offset: int,
    ) -> Iterator[Draft | Delta | Withdrawn]:
        """The generator's checked sentences for one part (nothing when it is not
        covered); the fallback's when none of the generator's held up."""
        if context is None:
            return
        for generator in (self.generator, self.fallback):
            if generator is None:
                return
            kept = False
            for event in self._sentences(generator, context, verifier, question, timings, offset):
                kept = kept or isinstance(event, Delta)
                yield event
            if kept:
                return

    def _sentences(
        self,
        generator: Generator,
        context: Context,
        verifier: CitationVerifier,
        question: str,
        timings: dict,
        offset: int = 0,
    ) -> Iterator[Draft | Delta | Withdrawn]:
        """``generator``'s text as drafts, each completed sentence verified: kept (Delta)
        or withdrawn. Its markers count from ``offset`` in the verifier's passages (a
        later part's). Generation stops at ``config.max_sentences`` kept sentences, and
        when the consumer stops reading (the stream is closed: the model stops too)."""
        buffer, kept, shown = SentenceBuffer(), 0, ""
        with closing(generator.generate(context)) as pieces:
            for piece in chain(pieces, [None]):  # None: the end, flush what is left
                for sentence in buffer.feed(piece) if piece is not None else buffer.flush():
                    tick = time.perf_counter()
                    event = self._judge(shift_markers(sentence, offset), verifier, question, kept)
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
        bare = parse_markers(sentence)[0]
        if adds_contact_details(sentence, question):  # where an injection sends readers
            return Withdrawn(bare, "contact details the question did not ask for")
        if bare and restates(bare, question):
            return Withdrawn(bare, "it restates the question without answering it")
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

    def assess(
        self,
        question: str,
        history: list[dict] | None = None,
        search_filter: SearchFilter | None = None,
    ) -> Signals | None:
        """The signals the gate reads for ``question``, as :meth:`stream` finds them
        (``None`` when a rule abstains first: only instructions, or names no passage
        mentions). For fitting and inspecting the gates."""
        weighed = self.evidence(question, history, search_filter)
        return self.signals(*weighed) if weighed is not None else None

    def evidence(
        self,
        question: str,
        history: list[dict] | None = None,
        search_filter: SearchFilter | None = None,
    ) -> tuple[list[Evidence], Context] | None:
        """The scored evidence and the generator's focused context for ``question``, as
        :meth:`stream` weighs them (``None`` when a rule abstains first). The question is
        read whole: :meth:`stream` weighs each part of one with several. For fitting the
        gates and the sentence ranker, and for inspection."""
        asked = strip_instructions(_clean(question), self.scorer.detector)
        if not asked:
            return None
        rewrite = standalone(asked, history or [])
        found = self.retriever.retrieve(rewrite.query, self.config.passages, search_filter)
        return self._weigh(rewrite, found, history or [])

    def _weigh(
        self, rewrite: Rewrite, found: list[Passage], history: list[dict]
    ) -> tuple[list[Evidence], Context] | None:
        """The scored evidence (answer types marked) and the generator's focused context,
        or None when a rule finds the evidence too weak to answer (:meth:`_weak`)."""
        question = rewrite.question
        evidence = mark_answer_types(question, self.scorer.score(question, found), self.tagger)
        if self._weak(question, found, evidence):
            return None
        if self.ranker is not None:
            evidence = self.ranker.mark(question, evidence)
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


def _union(found: list[list[Passage]]) -> list[Passage]:
    """The passages of every part, each once, in order."""
    seen: dict[tuple[str, int, int], Passage] = {}
    for passage in (p for passages in found for p in passages):
        seen.setdefault((passage.article_id, passage.start, passage.end), passage)
    return list(seen.values())


def _clean(question: str) -> str:
    cleaned = printable(question)
    if not cleaned:
        raise InputError("The question is empty: type a question about the articles.")
    return " ".join(cleaned.split())[:MAX_QUESTION_CHARS]
