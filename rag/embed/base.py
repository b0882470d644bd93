"""The embedder contract: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class Embedder(ABC):
    """Maps texts to unit vectors so that inner product equals cosine similarity."""

    #: A name recorded in the index manifest; loading checks it matches.
    name: str
    #: How the model's weights were quantized ("none" or "int8"); recorded beside the name.
    quantize: str = "none"
    dim: int

    @abstractmethod
    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of normalised vectors."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
