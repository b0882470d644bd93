"""Text embedders behind one small contract, chosen by name from ``EMBEDDERS``."""

from rag.config import QUANTIZATIONS, EmbeddingConfig
from rag.embed.base import Embedder
from rag.embed.gguf import GGUFEmbedder
from rag.embed.sentence_transformer import SentenceTransformerEmbedder, resolve_model
from rag.errors import ConfigError

EMBEDDERS: dict[str, type[Embedder]] = {
    "sentence-transformers": SentenceTransformerEmbedder,
    "gguf": GGUFEmbedder,
}

__all__ = [
    "EMBEDDERS",
    "QUANTIZATIONS",
    "Embedder",
    "GGUFEmbedder",
    "SentenceTransformerEmbedder",
    "create_embedder",
    "resolve_model",
]


def create_embedder(config: EmbeddingConfig | None = None) -> Embedder:
    """The embedder ``config`` names (default: all-MiniLM-L6-v2 from its PyPI package)."""
    config = config or EmbeddingConfig()
    if config.kind not in EMBEDDERS:
        raise ConfigError(f"unknown embedder '{config.kind}' (choose from {', '.join(EMBEDDERS)}).")
    return EMBEDDERS[config.kind].from_config(config)
