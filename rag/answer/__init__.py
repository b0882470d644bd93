"""Answering with verified citations: the Answerer contract and its implementations."""

from rag.answer.base import ABSTAIN_TEXT, Answerer, AnswerSettings, Context
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.factory import ANSWERERS, create_answerer
from rag.answer.generative import LLMAnswerer
from rag.answer.types import Answer, Citation, Delta

__all__ = [
    "ABSTAIN_TEXT",
    "ANSWERERS",
    "Answer",
    "AnswerSettings",
    "Answerer",
    "Citation",
    "Context",
    "Delta",
    "ExtractiveAnswerer",
    "LLMAnswerer",
    "create_answerer",
]
