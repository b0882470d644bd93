"""Question answering over news articles, with every claim cited to its passage."""

from rag.config import Config
from rag.types import Article, Chunk, Passage

__all__ = ["Article", "Chunk", "Config", "Passage", "Pipeline"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # ``rag.Pipeline`` pulls in FAISS, torch and the rest: imported on first use, so that
    # ``rag --help`` and ``import rag.config`` stay light
    if name == "Pipeline":
        from rag.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
