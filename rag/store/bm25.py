"""BM25 keyword index over chunks, built once and persisted as plain numpy/JSON files."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

from rag.errors import IndexCorruptError

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves said says say""".split()  # noqa: SIM905 (a word list reads better as prose)
)
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def tokenize(text: str) -> list[str]:
    """NFKC-folded, lower-cased, stop words dropped, Snowball-stemmed word tokens."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    return [_stem(w) for w in words if w not in STOP_WORDS]


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

    def feedback_scores(
        self, query: str, documents: np.ndarray, terms: int = 10, weight: float = 0.5
    ) -> np.ndarray:
        """Scores for ``query`` expanded by pseudo-relevance feedback (RM3-like): the
        ``terms`` heaviest BM25 terms of ``documents`` (the first pass's best), added with
        a total weight of ``weight`` relative to the query's own terms."""
        own = {self.vocab[t] for t in tokenize(query) if t in self.vocab}
        if not own or not len(documents):
            return self.scores(query)
        if not hasattr(self, "_rows"):
            self._rows = self.matrix.tocsr()  # row access; built once, on first use
        mass = np.asarray(self._rows[documents].sum(axis=0)).ravel()
        mass[sorted(own)] = 0.0
        extra = np.argpartition(-mass, terms)[:terms] if len(mass) > terms else np.arange(len(mass))
        extra = extra[mass[extra] > 0]
        columns = np.array(sorted(own) + extra.tolist())
        weights = np.concatenate(
            [np.ones(len(own)), weight * len(own) * mass[extra] / max(mass[extra].sum(), 1e-9)]
        )
        return np.asarray(self.matrix[:, columns] @ weights).ravel()

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
