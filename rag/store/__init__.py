"""Vector stores behind one contract, chosen by name from ``STORES``: FAISS (default) or Milvus."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.config import StoreConfig
from rag.errors import InputError
from rag.store.base import VectorStore
from rag.store.faiss_store import FaissStore, factory_string
from rag.store.milvus_store import MilvusStore, client, normalize_uri

STORES: dict[str, type[VectorStore]] = {"faiss": FaissStore, "milvus": MilvusStore}

__all__ = [
    "STORES",
    "FaissStore",
    "MilvusStore",
    "VectorStore",
    "check_store",
    "create_store",
    "describe_store",
    "load_store",
]


def _kind(config: StoreConfig) -> type[VectorStore]:
    if config.kind not in STORES:
        raise InputError(f"unknown vector store '{config.kind}' (choose from {', '.join(STORES)})")
    return STORES[config.kind]


def milvus_uri(config: StoreConfig, index_dir: Path) -> str:
    """The Milvus to use: ``milvus_uri``, by default Milvus Lite in ``index_dir/milvus.db``."""
    return config.milvus_uri or str(Path(index_dir) / "milvus.db")


def check_store(config: StoreConfig, index_dir: Path) -> None:
    """Fail fast, before any embedding, on an unknown store or an unreachable Milvus."""
    if _kind(config) is MilvusStore:
        client(normalize_uri(milvus_uri(config, index_dir)))


def create_store(vectors: np.ndarray, config: StoreConfig, index_dir: Path) -> VectorStore:
    """A store holding ``vectors`` (row i is chunk i).

    ``faiss`` keeps them in the index folder (``index_type`` picks exact or approximate);
    ``milvus`` writes them to the configured Milvus, for corpora beyond one machine's memory.
    """
    if _kind(config) is MilvusStore:
        return MilvusStore.from_vectors(vectors, milvus_uri(config, index_dir), index_dir)
    return FaissStore.from_vectors(vectors, config.index_type)


def describe_store(config: StoreConfig, n: int, dim: int) -> str:
    """What the store's index resolves to for ``n`` vectors (recorded in the manifest)."""
    if _kind(config) is MilvusStore:
        return "milvus AUTOINDEX"
    return factory_string(config.index_type, n, dim)


def load_store(folder: Path, config: StoreConfig) -> VectorStore:
    """The store of the index version in ``folder``, as its manifest names it."""
    return _kind(config).load(folder)
