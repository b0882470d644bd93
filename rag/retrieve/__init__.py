"""Retrievers (dense, BM25, hybrid) chosen by name from ``RETRIEVERS``, metadata filters,
time awareness and the LangChain adapters."""

from __future__ import annotations

from rag.config import Config
from rag.embed import Embedder
from rag.errors import ConfigError
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve.base import Retriever
from rag.retrieve.dense import DenseRetriever
from rag.retrieve.hybrid import HybridRetriever
from rag.retrieve.keyword import BM25Retriever
from rag.retrieve.recency import RecencyPrior
from rag.retrieve.temporal import TimeScope, time_scope

RETRIEVERS: dict[str, type[Retriever]] = {
    "hybrid": HybridRetriever,
    "dense": DenseRetriever,
    "bm25": BM25Retriever,
}

__all__ = [
    "RETRIEVERS",
    "BM25Retriever",
    "DenseRetriever",
    "HybridRetriever",
    "RecencyPrior",
    "Retriever",
    "SearchFilter",
    "TimeScope",
    "create_retriever",
    "time_scope",
]


def create_retriever(kind: str, index: Index, embedder: Embedder, config: Config) -> Retriever:
    """The ``kind`` retriever (a ``RETRIEVERS`` name) over ``index``, set up by ``config``."""
    if kind not in RETRIEVERS:
        raise ConfigError(f"unknown retriever '{kind}' (choose from {', '.join(RETRIEVERS)}).")
    return RETRIEVERS[kind].create(index, embedder, config)
