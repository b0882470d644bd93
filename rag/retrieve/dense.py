"""Dense retrieval: the nearest chunks by cosine similarity of their embeddings."""

from __future__ import annotations

from rag.config import Config
from rag.embed import Embedder
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve.base import COPIES_DEPTH, Retriever, distinct
from rag.types import Passage


class DenseRetriever(Retriever):
    """Nearest chunks by cosine similarity of sentence embeddings (paraphrases)."""

    name = "dense"

    def __init__(self, index: Index, embedder: Embedder, one_per_story: bool = True):
        self.index, self.embedder, self.one_per_story = index, embedder, one_per_story

    @classmethod
    def create(cls, index: Index, embedder: Embedder, config: Config) -> DenseRetriever:
        return cls(index, embedder, config.fusion.one_per_story)

    def _retrieve(self, query: str, k: int, search_filter: SearchFilter | None) -> list[Passage]:
        vector = self.embedder.embed_query(query)
        depth = k + COPIES_DEPTH if self.one_per_story else k
        ids, scores = self.index.store.search(vector, depth, self.index.mask(search_filter))
        return distinct(self.index, ids, scores, k, "dense", self.one_per_story)
