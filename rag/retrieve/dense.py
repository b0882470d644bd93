"""Dense retrieval: the nearest chunks by cosine similarity of their embeddings."""

from __future__ import annotations

from rag.config import Config
from rag.embed import Embedder
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve.base import Retriever
from rag.types import Passage


class DenseRetriever(Retriever):
    """Nearest chunks by cosine similarity of sentence embeddings (paraphrases)."""

    name = "dense"

    def __init__(self, index: Index, embedder: Embedder):
        self.index, self.embedder = index, embedder

    @classmethod
    def create(cls, index: Index, embedder: Embedder, config: Config) -> DenseRetriever:
        return cls(index, embedder)

    def _retrieve(self, query: str, k: int, search_filter: SearchFilter | None) -> list[Passage]:
        vector = self.embedder.embed_query(query)
        ids, scores = self.index.store.search(vector, k, self.index.mask(search_filter))
        return [
            self.index.passage(i, s, {"dense": float(s)}) for i, s in zip(ids, scores, strict=True)
        ]
