"""Which evidence sentences carry the answer: a fitted logistic ranker over sentence features."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from rag.answer.answerability import MARKED, Logistic
from rag.answer.types import Evidence
from rag.errors import RagError
from rag.text import content_terms

DEFAULT_RANKER = Path(__file__).with_name("data") / "sentences.json"
# What was kept of six candidates: relevance (the evidence score) and a sentence's length
# did not pay held out (bench/selection.py --ablate), the four below did.
FEATURES = ("similarity", "own_coverage", "novelty", "typed")


def sentence_features(asked: set[str], evidence: Evidence) -> dict[str, float]:
    """What tells the sentence that carries an answer from its neighbours.

    - ``similarity``: the cosine of the question and the sentence read with its lead
      (see :class:`~rag.answer.evidence.EvidenceScorer`).
    - ``own_coverage``: the share of the question's content words (``asked``) in the
      sentence itself, not its lead ("That isn't surprising." after a sentence that
      names everything has none).
    - ``novelty``: the share of the sentence's content words the question does not hold.
      Fitted, it counts against a sentence: beside similarity and coverage, words the
      question lacks mostly mean another topic.
    - ``typed``: it holds an entity of the type the question asks for (1) or not (0).
    """
    terms = content_terms(evidence.text)
    return {
        "similarity": evidence.similarity,
        "own_coverage": len(asked & terms) / len(asked) if asked else 0.0,
        "novelty": len(terms - asked) / len(terms) if terms else 0.0,
        "typed": float(bool(evidence.typed)),
    }


@dataclass(frozen=True)
class SentenceRanker(Logistic):
    """The probability that an evidence sentence carries the answer to the question.

    Fitted by ``bench/selection.py`` on the eval sets and RealTimeQA (sentences labelled
    by whether they hold an acceptable answer), with held-out figures. It orders what
    the answerers quote and show the model; it never changes the evidence scores the
    answerability gate reads. Only the best ``MARKED`` sentences (16, those checked for
    the answer type) are ranked: below them nothing is relevant enough to lead.
    """

    def mark(self, question: str, evidence: list[Evidence]) -> list[Evidence]:
        """``evidence`` in its order, its best ``MARKED`` sentences with ``carries`` set."""
        asked = content_terms(question)
        top = [
            replace(e, carries=self.of([sentence_features(asked, e)[f] for f in self.features]))
            for e in evidence[:MARKED]
        ]
        return top + evidence[MARKED:]


def by_carrying(evidence: list[Evidence]) -> list[Evidence]:
    """The ranked sentences, most likely to carry the answer first (all of ``evidence`` in
    its own order when none is ranked)."""
    ranked = [e for e in evidence if e.carries is not None]
    return sorted(ranked, key=lambda e: -e.carries) if ranked else list(evidence)


def choose(evidence: list[Evidence], keep: float, most: int) -> list[Evidence]:
    """The sentences to answer from, the one to lead with first: the sentence most likely
    to carry the answer, then the others in that order that score within ``keep`` of the
    best evidence score, ``most`` at most. Unranked evidence gives the best-scoring
    sentences within that band."""
    if not evidence:
        return []
    floor = keep * evidence[0].score
    lead, *rest = by_carrying(evidence)
    return [lead, *(e for e in rest if e.score >= floor)][:most]


def load_ranker(path: str | Path = "") -> SentenceRanker:
    """The fitted ranker from ``path`` or the packaged file."""
    source = Path(path) if path else DEFAULT_RANKER
    try:
        r = json.loads(source.read_text(encoding="utf-8"))["ranker"]
        return SentenceRanker(tuple(r["features"]), tuple(r["weights"]), float(r["bias"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RagError(f"Cannot read the sentence ranker '{source}': {exc}") from None


def save_ranker(ranker: SentenceRanker, path: str | Path, about: dict | None = None) -> None:
    payload = {"about": about or {}, "ranker": ranker.to_dict()}
    Path(path).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
