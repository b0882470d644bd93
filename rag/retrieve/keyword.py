"""Keyword retrieval: Okapi BM25 over stemmed chunk text."""

from __future__ import annotations

from rag.config import Config
from rag.embed import Embedder
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve.base import COPIES_DEPTH, Retriever, distinct
from rag.types import Passage


class BM25Retriever(Retriever):
    """Keyword ranking with Okapi BM25 (names and rare words the small embedder blurs)."""

    name = "bm25"

    def __init__(self, index: Index, one_per_story: bool = True):
        self.index, self.one_per_story = index, one_per_story

    @classmethod
    def create(cls, index: Index, embedder: Embedder | None, config: Config) -> BM25Retriever:
        return cls(index, config.fusion.one_per_story)

    def _retrieve(self, query: str, k: int, search_filter: SearchFilter | None) -> list[Passage]:
        depth = k + COPIES_DEPTH if self.one_per_story else k
        ids, scores = self.index.bm25.search(query, depth, self.index.mask(search_filter))
        return distinct(self.index, ids, scores, k, "bm25", self.one_per_story)
