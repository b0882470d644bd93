"""Chooses and builds an answerer by name."""

from __future__ import annotations

from rag.answer.base import Answerer, AnswerSettings
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.generative import LLMAnswerer
from rag.config import Config
from rag.embed import create_embedder
from rag.index import Index
from rag.llm.backends import LlamaCppBackend, OpenAIBackend
from rag.llm.models import is_installed, resolve_llm
from rag.retrieve import create_retriever

ANSWERERS = ("auto", "local", "openai", "extractive")


def default_answerer(config: Config) -> str:
    """``local`` when the configured model is a file or an installed package, else extractive."""
    from pathlib import Path

    return "local" if Path(config.llm).is_file() or is_installed(config.llm) else "extractive"


def create_answerer(
    config: Config, name: str | None = None, settings: AnswerSettings | None = None
) -> Answerer:
    """An answerer over the index in ``config.index_dir`` (``config.answerer`` by default)."""
    name = name or config.answerer
    if name not in ANSWERERS:
        raise ValueError(f"unknown answerer '{name}' (choose from {', '.join(ANSWERERS)})")
    if name == "auto":
        name = default_answerer(config)
    index = Index.load(config.index_dir, model=config.model)
    embedder = create_embedder(index.manifest.model, config.batch_size, index.manifest.quantize)
    retriever = create_retriever(config, index=index, embedder=embedder)
    if name == "extractive":
        return ExtractiveAnswerer(retriever, index, embedder, settings)
    if name == "local":
        backend = LlamaCppBackend(resolve_llm(config.llm))
    else:
        backend = OpenAIBackend(config.openai_base_url or None, config.openai_model or None)
    return LLMAnswerer(retriever, index, embedder, backend, settings)
