"""One configuration object for the whole pipeline, with documented defaults."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Config:
    """Settings shared by indexing, retrieval and answering.

    Every field can be set from the environment as ``RAG_<FIELD>`` (for example
    ``RAG_INDEX_DIR=/data/idx``) or on the command line.

    - ``index_dir``: where the index lives (default ``./index``).
    - ``model``: sentence-transformers model name or path. The default,
      ``all-MiniLM-L6-v2``, loads from its PyPI package with no download; any other
      name is loaded by sentence-transformers as usual.
    - ``chunk_tokens`` / ``chunk_overlap``: chunk size and overlap in cl100k tokens.
      Smaller chunks cite more precisely; larger ones keep more context per passage.
    - ``max_file_bytes``: larger input files are skipped, not read.
    - ``batch_size``: embedding batch size (texts are length-sorted first).
    - ``quantize``: ``none`` (default) or ``int8``: dynamic int8 embedder weights, ~1.8x
      faster indexing on CPUs with VNNI (~1.6x without), MRR within about a point of float
      (docs/performance.md).
      Recorded in the manifest; questions are embedded the same way.
    - ``index_type``: the FAISS index: ``flat`` (exact), ``hnsw``, ``ivf-sq8`` or
      ``ivf-pq`` (approximate: faster or smaller at scale, recall below 1); ``auto``
      (default) is exact below 20,000 chunks, HNSW below 200,000 (~0.3 ms, recall@10 0.99
      on news) and ``ivf-sq8`` above (~392 bytes a vector, recall@10 0.98 at a million);
      measured by ``bench/scale.py``.
    - ``store``: ``faiss`` (default: vectors in the index folder, in memory when served)
      or ``milvus`` (vectors in Milvus at ``milvus_uri``: a Milvus Lite ``*.db`` file, by
      default ``<index_dir>/milvus.db``, or a server such as ``http://host:19530``).
    - ``candidates``: how many chunks and articles each ranking feeds into fusion (100).
    - ``rrf_k``: the reciprocal-rank-fusion constant (60 is the literature default).
    - ``article_weight``: weight of the whole-article BM25 ranking in fusion (2.0; 0 off).
    - ``article_vector_weight``: weight of the whole-article vector ranking (each
      article's mean chunk vector) in fusion (32.0 with its own flat rank constant, 500;
      0 off). It ranks stories about the asked topic above digests that mention it in
      passing (see :class:`rag.retrieve.HybridRetriever`).
    - ``half_life_days``: how fast the recency bonus of fresh articles fades, relative to
      the question's "now" (30 days; 0 turns time awareness off).
    - ``answerer``: ``auto`` (the local LLM when its model is installed, else
      ``extractive``), ``local``, ``openai`` or ``extractive``.
    - ``llm``: the local model: a packaged name (``qwen2.5-1.5b``) or a
      GGUF path.
    - ``openai_base_url`` / ``openai_model``: the OpenAI-compatible server for ``openai``
      (empty: ``$OPENAI_BASE_URL`` / ``$OPENAI_MODEL``; the key is ``$OPENAI_API_KEY``).
    """

    index_dir: str = "index"
    model: str = DEFAULT_MODEL
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    max_file_bytes: int = 20_000_000
    batch_size: int = 32
    quantize: str = "none"
    index_type: str = "auto"
    store: str = "faiss"
    milvus_uri: str = ""
    candidates: int = 100
    rrf_k: int = 60
    article_weight: float = 2.0
    article_vector_weight: float = 32.0
    half_life_days: float = 30.0
    answerer: str = "auto"
    llm: str = "qwen2.5-1.5b"
    openai_base_url: str = ""
    openai_model: str = ""

    @classmethod
    def from_env(cls, **overrides) -> Config:
        """Defaults, then ``RAG_*`` environment variables, then explicit non-None overrides."""
        values: dict = {}
        for f in fields(cls):
            raw = os.environ.get(f"RAG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = {"int": int, "float": float}.get(f.type, str)(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes) -> Config:
        return replace(self, **changes)

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir)

    def to_dict(self) -> dict:
        return asdict(self)
