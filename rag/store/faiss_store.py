"""FAISS vector store persisted with ``faiss.write_index`` (no pickle)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from rag.errors import IndexCorruptError
from rag.store.base import VectorStore

FILENAME = "vectors.faiss"

# Index types by name -> FAISS factory string (inner product on normalised vectors).
# Bytes per vector at 384 dimensions: flat 1536, hnsw ~1800, ivf-sq8 ~394, ivf-pq ~58.
INDEX_TYPES = {
    "flat": "Flat",
    "hnsw": "HNSW32,Flat",
    "ivf-sq8": "IVF{nlist},SQ8",
    "ivf-pq": "IVF{nlist},PQ{m}x8",
}
# ``auto`` by corpus size, measured by bench/scale.py and on RealTimeQA (docs/performance.md):
AUTO_EXACT_BELOW = 20_000  # exact search: ~3 ms a query up to here, memory-bound beyond
AUTO_GRAPH_BELOW = 200_000  # HNSW: ~0.3 ms, recall@10 0.99 on news; then ~1.8 KB a vector
# Search-time settings.
HNSW_EF_SEARCH = 64
IVF_PROBE_FRACTION = 1 / 16  # lists probed per query, as a share of all lists (at least 16)
TRAIN_PER_LIST = 64  # k-means training vectors per IVF list (a random sample)


def resolve_index_type(index_type: str, n: int) -> str:
    """``auto`` becomes ``flat`` below 20k vectors, ``hnsw`` below 200k, then ``ivf-sq8``
    (~392 bytes a vector; recall@10 0.98 in a few ms at a million)."""
    if index_type != "auto":
        return index_type
    if n < AUTO_EXACT_BELOW:
        return "flat"
    return "hnsw" if n < AUTO_GRAPH_BELOW else "ivf-sq8"


def factory_string(index_type: str, n: int, dim: int) -> str:
    """The FAISS factory string for ``index_type`` (``auto`` resolved by ``n``)."""
    index_type = resolve_index_type(index_type, n)
    if index_type not in INDEX_TYPES:
        raise ValueError(
            f"unknown index type '{index_type}' (choose from auto, {', '.join(INDEX_TYPES)})"
        )
    nlist = max(1, min(65_536, int(np.sqrt(max(n, 1)))))
    return INDEX_TYPES[index_type].format(nlist=nlist, m=dim // 8)


class FaissStore(VectorStore):
    """Exact (``flat``) by default; approximate types trade recall for speed at scale."""

    def __init__(self, index: faiss.Index):
        self.index = index
        self._ivf = faiss.try_extract_index_ivf(index)
        self._nprobe = (
            min(self._ivf.nlist, max(16, round(self._ivf.nlist * IVF_PROBE_FRACTION)))
            if self._ivf
            else 0
        )
        self._hnsw = isinstance(index, faiss.IndexHNSW)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, index_type: str = "flat") -> FaissStore:
        n, dim = vectors.shape
        index = faiss.index_factory(
            dim, factory_string(index_type, n, dim), faiss.METRIC_INNER_PRODUCT
        )
        if not index.is_trained:
            ivf = faiss.try_extract_index_ivf(index)
            if isinstance(ivf, faiss.IndexIVFPQ):  # polysemous codes: hours, unused here
                ivf.do_polysemous_training = False
            nlist = getattr(ivf, "nlist", 1)
            size = min(n, TRAIN_PER_LIST * nlist)  # k-means on a sample: minutes, not hours
            rows = np.sort(np.random.default_rng(0).choice(n, size, replace=False))
            index.train(np.ascontiguousarray(vectors[rows]) if size < n else vectors)
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
        query = query.reshape(1, -1).astype(np.float32)
        if allowed is None:
            return self._search(self.index, query, k, self.search_parameters())
        bitmap = np.packbits(allowed.astype(bool), bitorder="little")
        selector = faiss.IDSelectorBitmap(bitmap)  # locals keep both alive for the search
        params = self.search_parameters()
        params.sel = selector
        ids, scores = self._search(self.index, query, k, params)
        if len(ids) < min(k, int(np.count_nonzero(allowed))) and (self._ivf or self._hnsw):
            # an approximate index visits only part of the data, where a narrow filter may
            # admit too few rows: search every row the filter admits instead
            if self._ivf:  # every list
                target, wide = self.index, faiss.SearchParametersIVF(nprobe=self._ivf.nlist)
            else:  # the graph's flat storage, exact
                target, wide = self.index.storage, faiss.SearchParameters()
            wide.sel = selector
            ids, scores = self._search(target, query, k, wide)
        return ids, scores

    @staticmethod
    def _search(index, query: np.ndarray, k: int, params) -> tuple[np.ndarray, np.ndarray]:
        scores, ids = index.search(query, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def search_parameters(
        self, nprobe: int | None = None, ef_search: int | None = None
    ) -> faiss.SearchParameters:
        """Per-search settings: lists probed (IVF) or beam width (HNSW), defaults above."""
        if self._ivf:
            return faiss.SearchParametersIVF(nprobe=nprobe or self._nprobe)
        if self._hnsw:
            return faiss.SearchParametersHNSW(efSearch=ef_search or HNSW_EF_SEARCH)
        return faiss.SearchParameters()
