"""The embedder contract: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from rag.config import EmbeddingConfig


class Embedder(ABC):
    """Maps texts to unit vectors so that inner product equals cosine similarity."""

    #: A name recorded in the index manifest; loading checks it matches.
    name: str
    #: How the model's weights were quantized ("none" or "int8"); recorded beside the name.
    quantize: str = "none"
    dim: int

    @classmethod
    def from_config(cls, config: EmbeddingConfig) -> Embedder:
        """The embedder an :class:`EmbeddingConfig` describes (``create_embedder`` calls it;
        implementations listed in ``rag.embed.EMBEDDERS`` provide it)."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a configuration")

    def matches(self, config: EmbeddingConfig) -> bool:
        """Whether this embedder makes the vectors ``config`` describes (model and
        quantization; an embedder without ``quantize`` runs its model as it is)."""
        return (self.name, getattr(self, "quantize", "none")) == (config.model, config.quantize)

    @abstractmethod
    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of normalised vectors."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
