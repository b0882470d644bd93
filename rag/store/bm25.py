"""BM25 keyword index over chunks, built once and persisted as plain numpy/JSON files."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from rag.errors import IndexCorruptError
from rag.text import tokenize


class BM25Index:
    """Okapi BM25 (Lucene idf) with every document-term weight precomputed.

    Query scoring is a sum of sparse columns, so it costs little even at a million chunks.
    ``k1`` 1.2 and ``b`` 0.75 are the standard defaults.
    """

    def __init__(self, matrix: sparse.csc_matrix, vocab: dict[str, int]):
        self.matrix = matrix  # (documents x terms) BM25 weights
        self.vocab = vocab

    @classmethod
    def build(cls, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            counts = Counter(tokenize(text))
            lengths[row] = sum(counts.values())
            for term, tf in counts.items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        rows_a = np.asarray(rows, dtype=np.int64)
        cols_a = np.asarray(cols, dtype=np.int64)
        tf_a = np.asarray(tfs, dtype=np.float32)
        n = len(texts)
        df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        avg = float(lengths.mean()) if n and lengths.mean() > 0 else 1.0
        norm = k1 * (1 - b + b * lengths[rows_a] / avg)
        weights = idf[cols_a] * tf_a * (k1 + 1) / (tf_a + norm)
        matrix = sparse.csc_matrix(
            (weights, (rows_a, cols_a)), shape=(n, len(vocab)), dtype=np.float32
        )
        return cls(matrix, vocab)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros where no term matches)."""
        terms = {self.vocab[t] for t in tokenize(query) if t in self.vocab}
        if not terms:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return np.asarray(self.matrix[:, sorted(terms)].sum(axis=1)).ravel()

    def search(
        self, query: str, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.top(self.scores(query), k, allowed)

    @staticmethod
    def top(
        scores: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best-scoring documents (only ``allowed`` ones), best first."""
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        return order, scores[order]

    def save(self, folder: Path, name: str = "bm25") -> None:
        """Write ``<name>.npz`` and ``<name>_vocab.json`` into ``folder``."""
        sparse.save_npz(folder / f"{name}.npz", self.matrix, compressed=False)
        (folder / f"{name}_vocab.json").write_text(json.dumps(self.vocab), encoding="utf-8")

    @staticmethod
    def exists(folder: Path, name: str = "bm25") -> bool:
        return (folder / f"{name}.npz").is_file()

    @classmethod
    def load(cls, folder: Path, name: str = "bm25") -> BM25Index:
        try:
            # allow_pickle=False inside load_npz
            matrix = sparse.load_npz(folder / f"{name}.npz").tocsc()
            vocab = json.loads((folder / f"{name}_vocab.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorruptError(
                f"Keyword index in '{folder}' is unreadable ({exc}). "
                "Rebuild with `rag index build`."
            ) from None
        return cls(matrix, vocab)
