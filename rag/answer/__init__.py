"""Answering with verified citations: the Answerer, its evidence scorer, and the
generators chosen by name (``extractive``, or an LLM backend's name)."""

from rag.answer.answerer import ABSTAIN_TEXT, Answerer
from rag.answer.evidence import EvidenceScorer
from rag.answer.extractive import ExtractiveGenerator
from rag.answer.generative import LLMGenerator
from rag.answer.generator import Generator
from rag.answer.types import (
    Answer,
    Citation,
    Context,
    Delta,
    Draft,
    Event,
    Evidence,
    Retrieved,
    Withdrawn,
)
from rag.llm.backends import BACKENDS

#: Every answerer name: ``auto`` picks ``local`` when its model is installed, else
#: ``extractive``; the rest are LLM backends.
ANSWERERS = ("auto", "extractive", *BACKENDS)

__all__ = [
    "ABSTAIN_TEXT",
    "ANSWERERS",
    "Answer",
    "Answerer",
    "Citation",
    "Context",
    "Delta",
    "Draft",
    "Event",
    "Evidence",
    "EvidenceScorer",
    "ExtractiveGenerator",
    "Generator",
    "LLMGenerator",
    "Retrieved",
    "Withdrawn",
]
