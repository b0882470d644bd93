"""Milvus vector store: the same contract as FAISS, served by Milvus Lite or a cluster.

``uri`` is a local ``*.db`` file (Milvus Lite, embedded, one process at a time) or a
server address such as ``http://milvus:19530`` (``$MILVUS_TOKEN`` authenticates). Each
index version writes its own collection, ``rag_<index key>_<stamp>``, so the atomic
version switch of the index folder still holds; the version folder keeps only
``milvus.json`` naming the collection.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from rag.errors import IndexCorruptError, InputError
from rag.store.base import VectorStore

FILENAME = "milvus.json"
_BATCH = 2_000  # rows per insert request (well under Milvus's 64 MB message limit)
_clients: dict[str, object] = {}  # one client per URI per process (Milvus Lite locks its file)


def normalize_uri(uri: str) -> str:
    """Server URIs pass through; a local Milvus Lite file becomes an absolute ``*.db`` path."""
    if uri.split("://", 1)[0] in ("http", "https", "tcp", "unix"):
        return uri
    if not uri.endswith(".db"):
        raise InputError(
            f"Milvus URI '{uri}' is neither a server address (http://host:19530) nor a "
            "Milvus Lite file ending in .db."
        )
    return str(Path(uri).expanduser().resolve())


def client(uri: str):
    if uri not in _clients:
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise InputError(
                "The Milvus store needs pymilvus (and milvus-lite for a local file): "
                "pip install 'newsrag[milvus]'."
            ) from None

        lite_log = logging.getLogger("milvus_lite")  # its traceback would repeat our error
        level = lite_log.level
        lite_log.setLevel(logging.CRITICAL)
        try:
            _clients[uri] = MilvusClient(uri=uri, token=os.environ.get("MILVUS_TOKEN", ""))
        except Exception as exc:  # pymilvus raises several unrelated types here
            hint = (
                " Milvus Lite opens its file from one process at a time: stop the other one "
                "(a `rag serve`?) or use a Milvus server (--uri http://host:19530)."
                if uri.endswith(".db")
                else ""
            )
            raise InputError(f"Cannot connect to Milvus at '{uri}': {exc}.{hint}") from None
        finally:
            lite_log.setLevel(level)
    return _clients[uri]


def collection_prefix(index_dir: Path) -> str:
    """Collections of one index folder share a prefix, so several indexes share a server."""
    key = hashlib.sha256(str(Path(index_dir).resolve()).encode()).hexdigest()[:12]
    return f"rag_{key}_"


class MilvusStore(VectorStore):
    """Exact-by-default Milvus search (``AUTOINDEX``, inner product on unit vectors)."""

    def __init__(self, uri: str, collection: str, size: int):
        self.uri, self.collection, self._size = uri, collection, size

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, uri: str, index_dir: Path) -> MilvusStore:
        uri = normalize_uri(uri)
        milvus = client(uri)
        collection = f"{collection_prefix(index_dir)}{time.time_ns()}"
        milvus.create_collection(
            collection, dimension=int(vectors.shape[1]), metric_type="IP", auto_id=False
        )
        try:
            for start in range(0, len(vectors), _BATCH):
                rows = vectors[start : start + _BATCH]
                milvus.insert(
                    collection,
                    [{"id": start + i, "vector": row.tolist()} for i, row in enumerate(rows)],
                )
            milvus.flush(collection)
        except BaseException:
            milvus.drop_collection(collection)
            raise
        return cls(uri, collection, len(vectors))

    @classmethod
    def load(cls, folder: Path) -> MilvusStore:
        try:
            meta = json.loads((folder / FILENAME).read_text(encoding="utf-8"))
            uri, collection = meta["uri"], meta["collection"]
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorruptError(
                f"Milvus store file in '{folder}' is unreadable ({exc}). "
                "Rebuild with `rag index build --store milvus`."
            ) from None
        milvus = client(uri)
        if not milvus.has_collection(collection):
            raise IndexCorruptError(
                f"Milvus collection '{collection}' is missing at '{uri}'. "
                "Rebuild with `rag index build --store milvus`."
            )
        milvus.load_collection(collection)  # a new process finds it released
        rows = int(milvus.get_collection_stats(collection)["row_count"])
        return cls(uri, collection, rows)

    def save(self, folder: Path) -> None:
        meta = {"uri": self.uri, "collection": self.collection}
        (folder / FILENAME).write_text(json.dumps(meta), encoding="utf-8")

    @property
    def size(self) -> int:
        return self._size

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        expression = ""
        if allowed is not None:
            admitted = np.flatnonzero(allowed)
            if len(admitted) == 0:
                k = 0
            elif len(admitted) < len(allowed):  # the shorter list makes the shorter filter
                excluded = np.flatnonzero(~allowed.astype(bool))
                expression = (
                    f"id in {admitted.tolist()}"
                    if len(admitted) <= len(excluded)
                    else f"id not in {excluded.tolist()}"
                )
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        hits = client(self.uri).search(
            self.collection,
            data=[query.astype(np.float32).tolist()],
            limit=k,
            filter=expression,
            output_fields=["id"],
        )[0]
        ids = np.array([hit["id"] for hit in hits], dtype=np.int64)
        return ids, np.array([hit["distance"] for hit in hits], dtype=np.float32)

    def discard(self) -> None:
        client(self.uri).drop_collection(self.collection)

    def retire_others(self, keep: VectorStore | None) -> None:
        """Drop this index's older collections, except ``keep``'s (still read by processes
        that loaded the previous version)."""
        milvus = client(self.uri)
        prefix = self.collection[: self.collection.rindex("_") + 1]
        wanted = {self.collection, getattr(keep, "collection", None)}
        for name in milvus.list_collections():
            if name.startswith(prefix) and name not in wanted:
                milvus.drop_collection(name)
