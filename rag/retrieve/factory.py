"""Builds a ready retriever from the configuration: loads the index and its embedder."""

from __future__ import annotations

from rag.config import Config
from rag.embed import Embedder, create_embedder
from rag.index import Index
from rag.retrieve.base import Retriever
from rag.retrieve.hybrid import BM25Retriever, DenseRetriever, HybridRetriever
from rag.retrieve.temporal import RecencyPrior

RETRIEVERS = ("hybrid", "dense", "bm25")


def create_retriever(
    config: Config,
    kind: str = "hybrid",
    index: Index | None = None,
    embedder: Embedder | None = None,
) -> Retriever:
    """A retriever over the index in ``config.index_dir`` (``hybrid`` unless asked otherwise).

    The configured model must match the one the index was built with.
    """
    if kind not in RETRIEVERS:
        raise ValueError(f"unknown retriever '{kind}' (choose from {', '.join(RETRIEVERS)})")
    index = index or Index.load(config.index_dir, model=config.model)
    if kind == "bm25":
        return BM25Retriever(index)
    embedder = embedder or create_embedder(
        index.manifest.model, config.batch_size, index.manifest.quantize
    )
    if kind == "dense":
        return DenseRetriever(index, embedder)
    prior = RecencyPrior(half_life=config.half_life_days) if config.half_life_days > 0 else None
    return HybridRetriever(
        index,
        embedder,
        candidates=config.candidates,
        rrf_k=config.rrf_k,
        article_weight=config.article_weight,
        article_vector_weight=config.article_vector_weight,
        prior=prior,
    )
