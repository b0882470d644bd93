"""Chooses and builds an answerer by name."""

from __future__ import annotations

from rag.answer.base import Answerer, AnswerSettings
from rag.answer.extractive import ExtractiveAnswerer
from rag.config import Config
from rag.embed import create_embedder
from rag.index import Index
from rag.retrieve import create_retriever

ANSWERERS = ("extractive",)


def create_answerer(
    config: Config, name: str = "extractive", settings: AnswerSettings | None = None
) -> Answerer:
    """An answerer over the index in ``config.index_dir``."""
    if name not in ANSWERERS:
        raise ValueError(f"unknown answerer '{name}' (choose from {', '.join(ANSWERERS)})")
    index = Index.load(config.index_dir, model=config.model)
    embedder = create_embedder(index.manifest.model, batch_size=config.batch_size)
    retriever = create_retriever(config, index=index, embedder=embedder)
    return ExtractiveAnswerer(retriever, index, embedder, settings)
