"""The hybrid retriever: dense and BM25 chunk rankings and two whole-article rankings,
fused by reciprocal rank and weighted by publish date (the default retriever)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from threadpoolctl import ThreadpoolController

from rag.config import Config, FusionConfig
from rag.embed import Embedder
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve.base import Retriever
from rag.retrieve.fusion import Ranking, reciprocal_rank_fusion, score_fusion
from rag.retrieve.recency import RecencyPrior, relevance
from rag.retrieve.temporal import time_scope
from rag.types import Passage


@dataclass(frozen=True)
class Candidates:
    """A question's candidate chunks before time is weighed: their rows (``ids``), their
    articles (``owners``), the chunk lists' fused score (``fused``), the whole-article
    lists' score (``article``), the dense cosine (``similarity``), whether each shares a
    search term with the question (``shares``), and the BM25 score by row."""

    ids: np.ndarray
    owners: np.ndarray
    fused: np.ndarray
    article: np.ndarray
    similarity: np.ndarray
    shares: np.ndarray
    bm25: dict[int, float]

    @property
    def score(self) -> np.ndarray:
        """The relevance score the time weight multiplies."""
        return self.fused + self.article


class HybridRetriever(Retriever):
    """Dense and BM25 chunk rankings and two whole-article rankings (BM25 over the text,
    and the article's mean chunk vector), fused by reciprocal rank and weighted by
    publish date.

    Each chunk list contributes ``1 / (rrf_k + rank)`` per chunk, and each article list
    ``weight / (k + rank)`` to every chunk of the article. Dense search finds
    paraphrases; chunk BM25 finds names and rare words the small embedder blurs; the
    article lists see what the whole story is about, which a chunk alone often does not
    say. ``fusion`` (a :class:`FusionConfig`) holds the constants: ``candidates`` (how
    deep each list is read: the chunk lists at least ``k`` deep, the article lists
    exactly ``candidates``, so the ranking does not change with ``k`` up to
    ``candidates``), ``rrf_k``, ``article_weight`` for article BM25, and
    ``article_vector_weight`` with its flat constant ``article_vector_rrf_k``.

    The flat constant matters: neighbouring ranks of the article-vector list differ by
    little, so articles on the same story are told apart by their passages, while an
    article far down the list or outside it (a digest that mentions the topic in one
    paragraph, another story) falls well behind. With the usual constant the same list
    helped RealTimeQA but cost the project's two-article eval set three first places.
    ``prior`` (a :class:`~rag.retrieve.recency.RecencyPrior`, None to ignore dates) then
    multiplies each score by a weight from its article's publish date relative to the
    question's "now" (``SearchFilter.now``, default today) and the dates it names. Every
    passage carries its dense cosine in ``scores`` (used downstream to judge whether the
    evidence is strong enough to answer).
    """

    name = "hybrid"

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        fusion: FusionConfig | None = None,
        prior: RecencyPrior | None = None,
    ):
        self.index, self.embedder = index, embedder
        self.fusion = fusion or FusionConfig()
        self.prior = prior

    @classmethod
    def create(cls, index: Index, embedder: Embedder, config: Config) -> HybridRetriever:
        """The retriever ``config`` describes (no prior when ``half_life_days`` is 0)."""
        prior = RecencyPrior(config.recency) if config.recency.half_life_days > 0 else None
        return cls(index, embedder, config.fusion, prior)

    def _retrieve(self, query: str, k: int, search_filter: SearchFilter | None) -> list[Passage]:
        vector = self.embedder.embed_query(query)
        with _one_blas_thread():
            return self._rank(query, vector, k, search_filter)

    def _article_rankings(
        self, query: str, vector: np.ndarray, articles: np.ndarray | None
    ) -> tuple[list[Ranking], np.ndarray]:
        """The whole-article rankings (article positions, best first) with their weights,
        and the articles that share a search term with the query (their BM25 ranking)."""
        fusion, rankings = self.fusion, []
        top, _ = self.index.article_bm25.search(query, fusion.candidates, articles)
        if fusion.article_weight:
            rankings.append(Ranking(top, fusion.article_weight, fusion.rrf_k))
        if fusion.article_vector_weight:
            nearest = _nearest(self.index.article_embeddings, vector, fusion.candidates, articles)
            rankings.append(
                Ranking(nearest, fusion.article_vector_weight, fusion.article_vector_rrf_k)
            )
        return rankings, np.asarray(top, dtype=np.int64)

    def _fuse_chunks(self, dense_ids, dense_scores, bm25_ids, bm25_scores, depth: int):
        """The chunk lists fused by rank, by min-max score, or (``auto``) by both, the
        score's share being the share of the collection the lists cover.

        Rank fusion is robust to scores on different scales, and when each list is a short
        head of a large collection, being in it at all says much. When the lists hold
        (nearly) every chunk, as in a small collection on one story, ranks say little: a
        list of near-equal cosines then outvotes a clear BM25 winner, and the scores' gaps
        are what tell them apart (docs/benchmarks.md, "Chunk fusion")."""
        mode = self.fusion.chunk_fusion
        top = 1.0 / (self.fusion.rrf_k + 1)  # a list's best chunk counts as much either way
        ranked = reciprocal_rank_fusion(
            [Ranking(dense_ids, 1.0, self.fusion.rrf_k), Ranking(bm25_ids, 1.0, self.fusion.rrf_k)]
        )
        share = {"rank": 0.0, "score": 1.0}.get(
            mode, min(1.0, depth / max(1, len(self.index.chunks)))
        )
        if share == 0.0:
            return ranked
        scored = score_fusion(
            [
                Ranking(dense_ids, top, scores=dense_scores),
                Ranking(bm25_ids, top, scores=bm25_scores),
            ]
        )
        return {i: (1 - share) * ranked[i] + share * scored.get(i, 0.0) for i in ranked}

    def candidates(
        self, query: str, vector: np.ndarray, k: int, search_filter: SearchFilter | None
    ) -> Candidates:
        """The chunks ``query`` (embedded as ``vector``) reaches through any list, scored
        by relevance alone."""
        index, fusion = self.index, self.fusion
        articles = index.article_mask(search_filter)
        allowed = articles[index.chunk_article] if articles is not None else None
        depth = max(fusion.candidates, k)
        dense_ids, dense_scores = index.store.search(vector, depth, allowed)
        bm25_ids, bm25_scores = index.bm25.search(query, depth, allowed)
        fused = self._fuse_chunks(dense_ids, dense_scores, bm25_ids, bm25_scores, depth)
        article_lists, matching = self._article_rankings(query, vector, articles)
        article_score = np.zeros(len(index.articles))
        by_article = reciprocal_rank_fusion(article_lists)
        if by_article:
            article_score[list(by_article)] = list(by_article.values())
        # an article found only as a whole enters through its closest chunk
        present = set(index.chunk_article[list(fused)].tolist()) if fused else set()
        listed = dict.fromkeys(int(a) for r in article_lists for a in r.ids)
        missing = [a for a in listed if a not in present]
        for chunk_id in _closest_chunks(index, missing, vector):
            fused[chunk_id] = 0.0
        ids = np.fromiter(fused, dtype=np.int64, count=len(fused))
        owners = index.chunk_article[ids]
        return Candidates(
            ids=ids,
            owners=owners,
            fused=np.fromiter(fused.values(), float, len(ids)),
            article=article_score[owners],
            similarity=index.embeddings[ids] @ vector if len(ids) else np.zeros(0),
            # a chunk shares a search term with the question when BM25 found it, or its
            # article (the chunk BM25 list stops at its depth)
            shares=np.isin(owners, matching) | np.isin(ids, bm25_ids),
            bm25=dict(zip(map(int, bm25_ids), map(float, bm25_scores), strict=True)),
        )

    def time_weights(
        self, query: str, found: Candidates, search_filter: SearchFilter | None
    ) -> np.ndarray:
        """Each candidate's weight from its article's date (ones without a prior)."""
        if self.prior is None:
            return np.ones(len(found.ids))
        scope = time_scope(query, (search_filter or SearchFilter()).today())
        published = self.index.published_days[found.owners]
        return self.prior.chunk_weights(published, scope, relevance(found.similarity, found.shares))

    def _rank(
        self, query: str, vector: np.ndarray, k: int, search_filter: SearchFilter | None
    ) -> list[Passage]:
        index = self.index
        found = self.candidates(query, vector, k, search_filter)
        weight = self.time_weights(query, found, search_filter)
        final = found.score * weight
        order = found.ids[np.lexsort((found.ids, -final))]
        top = index.one_per_story(order, k) if self.fusion.one_per_story else order[:k]
        row = {int(i): n for n, i in enumerate(found.ids)}
        passages = []
        for i in map(int, top):
            n = row[i]
            scores = {
                "rrf": float(found.fused[n]),
                "article": float(found.article[n]),
                "time": float(weight[n]),
                "dense": float(found.similarity[n]),
                "bm25": found.bm25.get(i, 0.0),
            }
            passages.append(index.passage(i, float(final[n]), scores))
        return passages


def _nearest(vectors: np.ndarray, query: np.ndarray, k: int, allowed: np.ndarray | None):
    """Rows of the ``k`` vectors most similar to ``query`` (exact: one per article is few)."""
    similarity = vectors @ query
    if allowed is not None:
        similarity = np.where(allowed, similarity, -np.inf)
    k = min(k, int(np.isfinite(similarity).sum()))
    top = np.argpartition(-similarity, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
    return top[np.argsort(-similarity[top], kind="stable")]


def _closest_chunks(index: Index, articles: list[int], query: np.ndarray) -> list[int]:
    """Each article's chunk most similar to ``query``, scored in one pass over their rows
    (one read of the memory-mapped vectors, not one per article)."""
    groups = [rows for rows in map(index.article_rows, articles) if len(rows)]
    if not groups:
        return []
    rows, sizes = np.concatenate(groups), [len(g) for g in groups]
    similarity = np.asarray(index.embeddings[rows]) @ query
    owner = np.repeat(np.arange(len(groups)), sizes)
    best = np.lexsort((-similarity, owner))  # by article, most similar first
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return rows[best[starts]].tolist()


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # built on first use, once torch and FAISS are loaded


def _one_blas_thread():
    """Limit BLAS to one thread: its idle threads spin after each call and made the next
    question's embedding 2-4x slower on 2 cores (retrieval p50 40 ms against 16 ms on
    RealTimeQA); the products here are far too small to gain from threads."""
    return _blas().limit(limits=1, user_api="blas")
