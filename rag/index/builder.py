"""Full builds and incremental updates, each written as a new index version atomically."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.chunking import Chunker
from rag.config import Config
from rag.embed import Embedder, create_embedder
from rag.errors import InputError
from rag.index.index import Index, article_text, embed_text
from rag.index.layout import new_version, writer_lock
from rag.index.manifest import Manifest
from rag.ingest import Skipped, latest_per_page, load_paths, load_sample_corpus
from rag.ingest.urls import page_key
from rag.store import check_store, create_store
from rag.store.bm25 import BM25Index
from rag.store.faiss_store import factory_string
from rag.types import Article, Chunk

EmbedderFactory = Callable[[str], Embedder]


@dataclass
class BuildReport:
    """What a build or update did; ``str()`` is the one-line summary the CLI prints."""

    index_dir: str
    articles: int = 0
    chunks: int = 0
    added: int = 0
    removed: int = 0
    embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.articles} articles, {self.chunks} chunks in '{self.index_dir}' "
            f"(+{self.added} -{self.removed} articles, {self.embedded} chunks embedded, "
            f"{len(self.skipped)} skipped, {self.seconds:.1f}s)"
        )

    def to_dict(self) -> dict:
        data = dict(vars(self))
        data["skipped"] = [{"path": s.path, "reason": s.reason} for s in self.skipped]
        return data


class IndexBuilder:
    """Builds and updates the index in ``config.index_dir``.

    Only new or changed articles (by content hash) are chunked and embedded; the rest
    reuse their stored vectors. Every write goes to a new version folder that becomes
    live only once complete, so a failure or kill leaves the previous index usable.
    """

    def __init__(self, config: Config, embedder: Embedder | None = None, progress: bool = False):
        self.config = config
        self._embedder = embedder
        self.progress = progress

    def embedder(self, model: str, quantize: str) -> Embedder:
        current = self._embedder
        # an embedder without ``quantize`` (a duck-typed one) runs its model as it is
        wanted = (model, quantize)
        if current is None or (current.name, getattr(current, "quantize", "none")) != wanted:
            self._embedder = create_embedder(model, self.config.batch_size, quantize)
        return self._embedder

    def build(self, paths: Sequence[str | Path] = ()) -> BuildReport:
        """Index exactly the articles under ``paths`` (the sample articles when empty).

        Vectors of articles already in the index under the same settings are reused.
        """
        started = time.perf_counter()
        loaded = load_paths(paths, self.config.max_file_bytes) if paths else load_sample_corpus()
        if not loaded.articles:
            raise InputError(_nothing_loaded(paths, loaded.skipped))
        with writer_lock(self.config.index_path):
            previous = self._previous(compatible_with=self.config)
            report = self._write(loaded.articles, previous, self.config.model, self._settings())
        report.added = len({a.id for a in loaded.articles} - _ids(previous))
        report.removed = len(_ids(previous) - {a.id for a in loaded.articles})
        return self._finish(report, loaded.skipped, started)

    def add(self, paths: Sequence[str | Path], relative: bool = False) -> BuildReport:
        """Add the articles under ``paths``. A new version of an indexed file replaces it;
        of two copies of a web page (see ``rag.ingest.urls``) the later published stays,
        the added one on a tie. Uses the index's own model and chunk settings.
        ``relative`` names files in a folder by their path inside it (uploads)."""
        started = time.perf_counter()
        loaded = load_paths(paths, self.config.max_file_bytes, relative=relative)
        if not loaded.articles:
            raise InputError(_nothing_loaded(paths, loaded.skipped))
        with writer_lock(self.config.index_path):
            current = Index.load(self.config.index_dir)
            new = [a for a in loaded.articles if a.id not in current.by_id]
            kept, new, older = _merge(current.articles, new)
            report = self._write(kept + new, current, current.manifest.model, _settings_of(current))
        report.added = len(new)
        report.removed = len(current.articles) - len(kept)
        return self._finish(report, loaded.skipped + older, started)

    def remove(self, selectors: Sequence[str]) -> BuildReport:
        """Remove articles named by id, id prefix (6+ characters) or exact source."""
        started = time.perf_counter()
        with writer_lock(self.config.index_path):
            current = Index.load(self.config.index_dir)
            doomed = {a.id for a in current.articles for s in selectors if _selects(s, a)}
            if not doomed:
                raise InputError(
                    f"No indexed article matches {', '.join(map(repr, selectors))}. "
                    "`rag index info` lists article ids and sources."
                )
            kept = [a for a in current.articles if a.id not in doomed]
            if not kept:
                raise InputError("Refusing to remove every article; build a new index instead.")
            report = self._write(kept, current, current.manifest.model, _settings_of(current))
        report.removed = len(doomed)
        return self._finish(report, [], started)

    # -- internals ---------------------------------------------------------------------

    def _settings(self) -> dict:
        return {
            "chunk_tokens": self.config.chunk_tokens,
            "chunk_overlap": self.config.chunk_overlap,
            "embed_title": True,
            "index_type": self.config.index_type,
            "quantize": self.config.quantize,
            "store": self.config.store,
            "milvus_uri": self.config.milvus_uri,
        }

    def _previous(self, compatible_with: Config) -> Index | None:
        """The live index when its vectors can be reused for ``compatible_with``'s settings."""
        try:
            index = Index.load(compatible_with.index_dir)
        except Exception:  # no index yet, or a broken one: rebuild everything
            return None
        settings = _settings_of(index)
        wanted = self._settings()
        same = index.manifest.model == compatible_with.model and all(
            settings[k] == wanted[k]
            for k in ("chunk_tokens", "chunk_overlap", "embed_title", "quantize")
        )
        return index if same else None

    def _write(
        self, articles: list[Article], previous: Index | None, model: str, settings: dict
    ) -> BuildReport:
        check_store(settings["store"], settings["milvus_uri"], self.config.index_path)
        chunker = Chunker(settings["chunk_tokens"], settings["chunk_overlap"])
        with_title = settings["embed_title"]
        known = _vectors_by_article(previous)
        known_text = _rows_by_text(previous, with_title)
        chunks: list[Chunk] = []
        rows: list[np.ndarray] = []  # one vector (or None: to embed) per chunk
        pending: list[tuple[int, str]] = []  # (chunk row, text to embed)
        for article in articles:
            if article.id in known:  # unchanged article: its chunks and vectors as they are
                old_chunks, old_vectors = known[article.id]
                chunks.extend(old_chunks)
                rows.extend(old_vectors)
                continue
            for chunk in chunker.split(article):
                text = embed_text(article, chunk, with_title)
                row = known_text.get(_digest(text))
                # an edited or re-titled article re-embeds only the chunks whose text changed
                if row is None:
                    pending.append((len(chunks), text))
                rows.append(previous.embeddings[row] if row is not None else None)
                chunks.append(chunk)
        embedder = self.embedder(model, settings["quantize"])
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for i, vector in enumerate(rows):
            if vector is not None:
                vectors[i] = vector
        # identical texts (syndicated copies, boilerplate) are embedded once
        unique = list(dict.fromkeys(text for _, text in pending))
        if unique:
            fresh = embedder.embed(unique, progress=self.progress)
            slot = {text: i for i, text in enumerate(unique)}
            vectors[[r for r, _ in pending]] = fresh[[slot[t] for _, t in pending]]
        by_id = {a.id: a for a in articles}
        store = create_store(
            settings["store"],
            vectors,
            settings["index_type"],
            settings["milvus_uri"],
            self.config.index_path,
        )
        manifest = Manifest(
            model=model,
            dim=embedder.dim,
            chunk_tokens=settings["chunk_tokens"],
            chunk_overlap=settings["chunk_overlap"],
            embed_title=settings["embed_title"],
            index_type=settings["index_type"],
            index_factory=(
                factory_string(settings["index_type"], len(chunks), embedder.dim)
                if settings["store"] == "faiss"
                else "milvus AUTOINDEX"
            ),
            quantize=settings["quantize"],
            store=settings["store"],
            articles=len(articles),
            chunks=len(chunks),
            corpus_fingerprint=_fingerprint(by_id),
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        index = Index(
            folder=self.config.index_path,
            manifest=manifest,
            articles=articles,
            chunks=chunks,
            embeddings=vectors,
            store=store,
            bm25=BM25Index.build([embed_text(by_id[c.article_id], c, True) for c in chunks]),
            article_bm25=BM25Index.build([article_text(a) for a in articles]),
        )
        try:
            with new_version(self.config.index_path) as staging:
                index.save(staging)
        except BaseException:
            store.discard()
            raise
        store.retire_others(keep=previous.store if previous is not None else None)
        return BuildReport(
            str(self.config.index_dir), len(articles), len(chunks), embedded=len(unique)
        )

    @staticmethod
    def _finish(report: BuildReport, skipped: list[Skipped], started: float) -> BuildReport:
        report.skipped = list(skipped)
        report.seconds = time.perf_counter() - started
        return report


def _settings_of(index: Index) -> dict:
    m = index.manifest
    return {
        "chunk_tokens": m.chunk_tokens,
        "chunk_overlap": m.chunk_overlap,
        "embed_title": m.embed_title,
        "index_type": m.index_type,
        "quantize": m.quantize,
        "store": m.store,
        "milvus_uri": getattr(index.store, "uri", ""),
    }


def _vectors_by_article(index: Index | None) -> dict[str, tuple[list[Chunk], np.ndarray]]:
    """Each indexed article's chunks and their vectors, for reuse as they are."""
    if index is None:
        return {}
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(index.chunks):
        rows.setdefault(chunk.article_id, []).append(row)
    return {a: ([index.chunks[r] for r in rs], index.embeddings[rs]) for a, rs in rows.items()}


def _merge(
    current: list[Article], new: list[Article]
) -> tuple[list[Article], list[Article], list[Skipped]]:
    """The indexed articles an update keeps, the new ones it adds, and the new ones it
    skips because the index holds a later copy of their page."""
    files = {a.source for a in new if page_key(a.source) is None}  # re-added: replaced
    kept = [a for a in current if a.source not in files]
    survivors = {a.id for a in latest_per_page(kept + new)[0]}
    older = [
        Skipped(a.source, "the index holds a later copy of this page, which is kept")
        for a in new
        if a.id not in survivors
    ]
    return (
        [a for a in kept if a.id in survivors],
        [a for a in new if a.id in survivors],
        older,
    )


def _rows_by_text(index: Index | None, with_title: bool) -> dict[bytes, int]:
    """Each indexed chunk's row, keyed by a digest of the exact text that was embedded."""
    if index is None:
        return {}
    return {
        _digest(embed_text(index.by_id[chunk.article_id], chunk, with_title)): row
        for row, chunk in enumerate(index.chunks)
    }


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _ids(index: Index | None) -> set[str]:
    return set(index.by_id) if index is not None else set()


def _selects(selector: str, article: Article) -> bool:
    return (
        selector == article.id
        or (len(selector) >= 6 and article.id.startswith(selector))
        or selector == article.source
    )


def _fingerprint(by_id: dict[str, Article]) -> str:
    return hashlib.sha256("\n".join(sorted(by_id)).encode()).hexdigest()[:16]


def _nothing_loaded(paths: Sequence[str | Path], skipped: list[Skipped]) -> str:
    where = ", ".join(map(str, paths)) or "the sample corpus"
    lines = [f"No articles could be loaded from {where}; the index was not changed."]
    lines += [f"  {s}" for s in skipped[:20]]
    return "\n".join(lines)
