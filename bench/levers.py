"""Retrieval levers measured on RealTimeQA (bench/realtimeqa.py) and not shipped: each wraps
the project's retriever, so it is measured exactly against the defaults."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index import Index
from rag.retrieve import HybridRetriever, Retriever
from rag.retrieve.fusion import Ranking
from rag.store.bm25 import BM25Index
from rag.text import tokenize
from rag.types import Passage


def _articles(passages: list[Passage]) -> list[str]:
    """Article ids in the order of their best chunk."""
    return list(dict.fromkeys(p.article_id for p in passages))


class DenseFeedback(Retriever):
    """Rocchio feedback on the query vector: retrieve with ``retriever``, move the query
    vector toward the mean vector of the ``articles`` best articles by ``beta``, retrieve
    again (one query embedding, two rankings)."""

    name = "dense-feedback"

    def __init__(self, retriever: HybridRetriever, index: Index, beta=0.5, articles=1):
        self.retriever, self.index, self.beta, self.articles = retriever, index, beta, articles

    def _with_vector(self, vector: np.ndarray) -> HybridRetriever:
        fixed = copy.copy(self.retriever)
        fixed.embedder = _Fixed(vector)
        return fixed

    def _retrieve(self, query, k, search_filter):
        vector = self.retriever.embedder.embed_query(query)
        first = self._with_vector(vector).retrieve(query, k, search_filter)
        rows = [self.index.position[a] for a in _articles(first)[: self.articles]]
        shifted = vector + self.beta * self.index.article_embeddings[rows].mean(axis=0)
        return self._with_vector(shifted / np.linalg.norm(shifted)).retrieve(
            query, k, search_filter
        )


@dataclass
class _Fixed:
    """An embedder that answers every query with one vector."""

    vector: np.ndarray

    def embed_query(self, query: str) -> np.ndarray:
        return self.vector.astype(np.float32)


class Rescore(Retriever):
    """Re-scores the best chunk of each of the ``articles`` (default 3) top articles with a
    second, larger sentence-transformers model (the issue's all-mpnet-base-v2 lever) and
    reorders them by reciprocal-rank fusion of the two orders (constant 1; a tie keeps the
    first order). The second model embeds the chunks at question time: about 0.4 s a chunk
    for mpnet on two cores, which is why it is measured here and not shipped."""

    name = "rescore"

    def __init__(self, retriever: Retriever, model: Path, articles: int = 3):
        from sentence_transformers import SentenceTransformer  # loaded only when measured

        self.retriever, self.articles = retriever, articles
        self.model = SentenceTransformer(str(model), device="cpu")

    def _retrieve(self, query, k, search_filter):
        passages = self.retriever.retrieve(query, k, search_filter)
        best: dict[str, Passage] = {}
        for p in passages:
            best.setdefault(p.article_id, p)
        top = list(best.values())[: self.articles]
        vectors = self.model.encode(
            [query] + [f"{p.title}\n{p.text}" for p in top], normalize_embeddings=True
        )
        order = fused_order([p.article_id for p in top], vectors[1:] @ vectors[0])
        place = {a: i for i, a in enumerate(order)}
        return sorted(passages, key=lambda p: place.get(p.article_id, len(order)))[:k]


def fused_order(top: list[str], similarity: np.ndarray) -> list[str]:
    """``top`` reordered by reciprocal-rank fusion (constant 1) of its own order and the
    order of ``similarity`` (a second model's score per item); a tie keeps the first order."""
    fused = {item: 1 / (1 + rank) for rank, item in enumerate(top)}
    for rank, j in enumerate(np.argsort(-similarity, kind="stable")):
        fused[top[j]] += 1 / (1 + rank)
    return sorted(top, key=lambda item: -fused[item])  # stable


class BM25Feedback(HybridRetriever):
    """The hybrid retriever with its article BM25 query expanded by pseudo-relevance
    feedback (RM3-like): the ``terms`` heaviest BM25 terms of the first pass's best
    ``articles`` articles, added with a total weight of ``weight`` relative to the
    query's own terms."""

    def __init__(self, *args, articles: int = 3, terms: int = 10, weight: float = 0.5, **kw):
        super().__init__(*args, **kw)
        self.feedback, self.terms, self.weight = articles, terms, weight
        self._rows = self.index.article_bm25.matrix.tocsr()  # row access, built once

    def _article_rankings(self, query, vector, articles):
        rankings, first = super()._article_rankings(query, vector, articles)
        if not self.fusion.article_weight:
            return rankings, first
        bm25 = self.index.article_bm25
        expanded = feedback_scores(
            bm25, self._rows, query, first[: self.feedback], self.terms, self.weight
        )
        top, _ = bm25.top(expanded, self.fusion.candidates, articles)
        rankings[0] = Ranking(top, self.fusion.article_weight, self.fusion.rrf_k)
        return rankings, first


def feedback_scores(
    bm25: BM25Index, rows, query: str, documents: np.ndarray, terms: int = 10, weight=0.5
) -> np.ndarray:
    """BM25 scores for ``query`` expanded by the heaviest terms of ``documents``."""
    own = {bm25.vocab[t] for t in tokenize(query) if t in bm25.vocab}
    if not own or not len(documents):
        return bm25.scores(query)
    mass = np.asarray(rows[documents].sum(axis=0)).ravel()
    mass[sorted(own)] = 0.0
    extra = np.argpartition(-mass, terms)[:terms] if len(mass) > terms else np.arange(len(mass))
    extra = extra[mass[extra] > 0]
    columns = np.array(sorted(own) + extra.tolist())
    weights = np.concatenate(
        [np.ones(len(own)), weight * len(own) * mass[extra] / max(mass[extra].sum(), 1e-9)]
    )
    return np.asarray(bm25.matrix[:, columns] @ weights).ravel()
