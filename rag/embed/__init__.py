"""Text embedders behind one small contract, chosen by name."""

from rag.embed.base import Embedder
from rag.embed.sentence_transformer import (
    QUANTIZATIONS,
    SentenceTransformerEmbedder,
    resolve_model,
)

__all__ = [
    "QUANTIZATIONS",
    "Embedder",
    "SentenceTransformerEmbedder",
    "create_embedder",
    "resolve_model",
]


def create_embedder(model: str, batch_size: int = 32, quantize: str = "none") -> Embedder:
    """The embedder for ``model`` (a sentence-transformers name or local path)."""
    return SentenceTransformerEmbedder(model, batch_size=batch_size, quantize=quantize)
