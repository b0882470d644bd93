"""The vector store contract: add normalised vectors, search them by inner product."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np


class VectorStore(ABC):
    """Rows are identified by their position (0..n-1), the chunk id of the index."""

    @abstractmethod
    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (ids, scores) for one query vector, best first.

        ``allowed`` is a boolean mask over rows; the filter is applied inside the
        search, so ``k`` results come back whenever ``k`` rows are allowed.
        """

    @classmethod
    @abstractmethod
    def load(cls, folder: Path) -> VectorStore:
        """The store saved in the index version ``folder``."""

    @abstractmethod
    def save(self, folder: Path) -> None: ...

    @property
    @abstractmethod
    def size(self) -> int: ...

    def discard(self) -> None:
        """Free storage this store holds outside the index folder (a failed write)."""
        return None  # a store kept inside the version folder is removed with it

    def retire_others(self, keep: VectorStore | None) -> None:
        """Free storage of this index's older versions, except ``keep``'s."""
        return None
