"""Question answering over news articles, with every claim cited to its passage."""

from rag.config import Config
from rag.types import Article, Chunk, Passage

__all__ = ["Article", "Chunk", "Config", "Passage"]
__version__ = "0.1.0"
