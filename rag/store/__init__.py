"""Vector stores behind one contract; FAISS is the default."""

from rag.store.base import VectorStore
from rag.store.faiss_store import FaissStore

__all__ = ["FaissStore", "VectorStore"]
