"""FAISS vector store persisted with ``faiss.write_index`` (no pickle)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from rag.errors import IndexCorruptError
from rag.store.base import VectorStore

FILENAME = "vectors.faiss"

# Index types by name -> FAISS factory string (inner product on normalised vectors).
INDEX_TYPES = {
    "flat": "Flat",
    "hnsw": "HNSW32,Flat",
    "ivf-sq8": "IVF{nlist},SQ8",
    "ivf-pq": "IVF{nlist},PQ{m}x8",
}


def factory_string(index_type: str, n: int, dim: int) -> str:
    """The FAISS factory string for ``index_type``; ``auto`` is exact below 200k vectors."""
    if index_type == "auto":
        index_type = "flat" if n < 200_000 else "hnsw"
    if index_type not in INDEX_TYPES:
        raise ValueError(
            f"unknown index type '{index_type}' (choose from auto, {', '.join(INDEX_TYPES)})"
        )
    nlist = max(1, min(4096, int(4 * np.sqrt(max(n, 1)))))
    return INDEX_TYPES[index_type].format(nlist=nlist, m=dim // 8)


class FaissStore(VectorStore):
    """Exact (``flat``) by default; approximate types trade recall for speed at scale."""

    def __init__(self, index: faiss.Index):
        self.index = index

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, index_type: str = "flat") -> FaissStore:
        n, dim = vectors.shape
        index = faiss.index_factory(
            dim, factory_string(index_type, n, dim), faiss.METRIC_INNER_PRODUCT
        )
        if not index.is_trained:
            index.train(vectors)
        if n:
            index.add(vectors)
        return cls(index)

    @classmethod
    def load(cls, folder: Path) -> FaissStore:
        try:
            return cls(faiss.read_index(str(folder / FILENAME)))
        except RuntimeError as exc:
            raise IndexCorruptError(
                f"Vector file in '{folder}' is unreadable ({str(exc).splitlines()[0]}). "
                "Rebuild with `rag index build`."
            ) from None

    def save(self, folder: Path) -> None:
        faiss.write_index(self.index, str(folder / FILENAME))

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            bitmap = np.packbits(allowed.astype(bool), bitorder="little")
            params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(bitmap))
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]
