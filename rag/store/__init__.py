"""Vector stores behind one contract, chosen by name: FAISS (default) or Milvus."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.errors import InputError
from rag.store.base import VectorStore
from rag.store.faiss_store import FaissStore
from rag.store.milvus_store import MilvusStore, client, normalize_uri

STORES = ("faiss", "milvus")

__all__ = [
    "STORES",
    "FaissStore",
    "MilvusStore",
    "VectorStore",
    "check_store",
    "create_store",
    "load_store",
]


def check_store(kind: str, uri: str, index_dir: Path) -> None:
    """Fail fast, before any embedding, on an unknown store or an unreachable Milvus."""
    if kind not in STORES:
        raise InputError(f"unknown vector store '{kind}' (choose from {', '.join(STORES)})")
    if kind == "milvus":
        client(normalize_uri(uri or str(Path(index_dir) / "milvus.db")))


def create_store(
    kind: str, vectors: np.ndarray, index_type: str, uri: str, index_dir: Path
) -> VectorStore:
    """A store holding ``vectors`` (row i is chunk i).

    ``faiss`` keeps them in the index folder (``index_type`` picks exact or approximate);
    ``milvus`` writes them to the Milvus at ``uri`` (default: Milvus Lite in
    ``index_dir/milvus.db``), for corpora beyond one machine's memory.
    """
    if kind == "faiss":
        return FaissStore.from_vectors(vectors, index_type)
    if kind == "milvus":
        return MilvusStore.from_vectors(
            vectors, uri or str(Path(index_dir) / "milvus.db"), index_dir
        )
    raise InputError(f"unknown vector store '{kind}' (choose from {', '.join(STORES)})")


def load_store(folder: Path, kind: str) -> VectorStore:
    """The store of the index version in ``folder``, as its manifest names it."""
    return MilvusStore.load(folder) if kind == "milvus" else FaissStore.load(folder)
