"""Keyword retrieval: Okapi BM25 over stemmed chunk text."""

from __future__ import annotations

from rag.config import Config
from rag.embed import Embedder
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve.base import Retriever
from rag.types import Passage


class BM25Retriever(Retriever):
    """Keyword ranking with Okapi BM25 (names and rare words the small embedder blurs)."""

    name = "bm25"

    def __init__(self, index: Index):
        self.index = index

    @classmethod
    def create(cls, index: Index, embedder: Embedder | None, config: Config) -> BM25Retriever:
        return cls(index)

    def _retrieve(self, query: str, k: int, search_filter: SearchFilter | None) -> list[Passage]:
        ids, scores = self.index.bm25.search(query, k, self.index.mask(search_filter))
        return [
            self.index.passage(i, s, {"bm25": float(s)}) for i, s in zip(ids, scores, strict=True)
        ]
