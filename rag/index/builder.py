"""Full builds and incremental updates, each written as a new index version atomically."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rag.chunking import Chunker
from rag.config import Config
from rag.embed import Embedder
from rag.errors import IndexMismatchError, InputError, RagError
from rag.index.index import EMBEDDINGS_FILE, Index, article_text, embed_text
from rag.index.layout import current_version, new_version, writer_lock
from rag.index.manifest import Manifest
from rag.index.stories import NUM_PERM, signatures
from rag.ingest import Skipped, latest_per_page
from rag.ingest.urls import page_key
from rag.store import check_store, create_store, describe_store
from rag.store.bm25 import BM25Index
from rag.types import Article, Chunk


@dataclass
class BuildReport:
    """What a build or update did; ``str()`` is the one-line summary the CLI prints."""

    index_dir: str
    articles: int = 0
    chunks: int = 0
    added: int = 0
    removed: int = 0
    embedded: int = 0
    replaced: list[str] = field(default_factory=list)  # sources of the articles an add replaced
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
    """Builds and updates the index in ``config.index_dir`` with ``embedder``.

    Only new or changed articles (by content hash) are chunked and embedded; the rest
    reuse their stored vectors. Every write goes to a new version folder that becomes
    live only once complete, so a failure or kill leaves the previous index usable. Each
    method returns the index it wrote (the caller serves it with no reload) and a report.
    ``current`` is the caller's loaded index: the base of the write when it is still the
    live version, else the live version is loaded.
    """

    def __init__(self, config: Config, embedder: Embedder, progress: bool = False):
        self.config = config
        self.embedder = embedder
        self.progress = progress

    def build(
        self, articles: Sequence[Article], current: Index | None = None
    ) -> tuple[Index, BuildReport]:
        """Index exactly ``articles`` with the configuration's chunking, embedding and store.

        Vectors of articles already in the index under the same settings are reused.
        """
        started = time.perf_counter()
        with writer_lock(self.config.index_path):
            try:
                live = self._live(current)
            except RagError:  # no index yet, or a broken one: everything is embedded
                live = None
            reusable = live if live is not None and _same_vectors(live, self.config) else None
            index, report = self._write(list(articles), reusable, self.config)
        report.added = len({a.id for a in articles} - _ids(live))
        report.removed = len(_ids(live) - {a.id for a in articles})
        return index, self._finish(report, started)

    def add(
        self, articles: Sequence[Article], current: Index | None = None
    ) -> tuple[Index, BuildReport]:
        """Add ``articles``. A new version of an indexed file replaces it; of two copies of
        a web page (see ``rag.ingest.urls``) the later published stays, the added one on a
        tie (the others are reported in ``skipped``). Uses the index's own settings."""
        started = time.perf_counter()
        with writer_lock(self.config.index_path):
            live = self._live(current)
            new = [a for a in articles if a.id not in live.by_id]
            kept, new, older = _merge(live.articles, new)
            index, report = self._write(kept + new, live, settings_of(live, self.config))
        kept_ids = {a.id for a in kept}
        report.replaced = [a.source for a in live.articles if a.id not in kept_ids]
        report.added, report.removed = len(new), len(report.replaced)
        report.skipped = older
        return index, self._finish(report, started)

    def remove(
        self, selectors: Sequence[str], current: Index | None = None
    ) -> tuple[Index, BuildReport]:
        """Remove articles named by id, id prefix (6+ characters) or exact source."""
        started = time.perf_counter()
        with writer_lock(self.config.index_path):
            live = self._live(current)
            doomed = {a.id for a in live.articles for s in selectors if _selects(s, a)}
            if not doomed:
                raise InputError(
                    f"No indexed article matches {', '.join(map(repr, selectors))}. "
                    "`rag index info` lists article ids and sources."
                )
            kept = [a for a in live.articles if a.id not in doomed]
            if not kept:
                raise InputError("Refusing to remove every article; build a new index instead.")
            index, report = self._write(kept, live, settings_of(live, self.config))
        report.removed = len(doomed)
        return index, self._finish(report, started)

    # -- internals ---------------------------------------------------------------------

    def _live(self, current: Index | None) -> Index:
        """The live version: ``current`` when it is that version, else loaded (in the lock)."""
        if current is not None and current.folder == current_version(self.config.index_path):
            return current
        return Index.load(self.config.index_dir)

    def _write(
        self, articles: list[Article], previous: Index | None, settings: Config
    ) -> tuple[Index, BuildReport]:
        embedding = settings.embedding
        if not self.embedder.matches(embedding):
            raise IndexMismatchError(
                f"The embedder is '{self.embedder.name}' "
                f"({getattr(self.embedder, 'quantize', 'none')}), but the index in "
                f"'{self.config.index_dir}' uses '{embedding.model}' ({embedding.quantize})."
            )
        check_store(settings.store, self.config.index_path)
        chunker = Chunker(settings.chunking)
        with_title = embedding.embed_title
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
        dim = self.embedder.dim
        vectors = np.zeros((len(chunks), dim), dtype=np.float32)
        for i, vector in enumerate(rows):
            if vector is not None:
                vectors[i] = vector
        # identical texts (syndicated copies, boilerplate) are embedded once
        unique = list(dict.fromkeys(text for _, text in pending))
        if unique:
            fresh = self.embedder.embed(unique, progress=self.progress)
            slot = {text: i for i, text in enumerate(unique)}
            vectors[[r for r, _ in pending]] = fresh[[slot[t] for _, t in pending]]
        by_id = {a.id: a for a in articles}
        store = create_store(vectors, settings.store, self.config.index_path)
        manifest = Manifest(
            chunking=settings.chunking,
            embedding=embedding,
            store=settings.store,
            dim=dim,
            index_factory=describe_store(settings.store, len(chunks), dim),
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
            minhash=_signatures(articles, previous),
        )
        try:
            with new_version(self.config.index_path) as staging:
                index.save(staging)
        except BaseException:
            store.discard()
            raise
        store.retire_others(keep=previous.store if previous is not None else None)
        index.folder = current_version(self.config.index_path)  # exact: the lock is held
        # served like a loaded index: the vectors memory-mapped from the file just written
        index.embeddings = np.load(index.folder / EMBEDDINGS_FILE, mmap_mode="r")
        report = BuildReport(str(self.config.index_dir), len(articles), len(chunks))
        report.embedded = len(unique)
        return index, report

    @staticmethod
    def _finish(report: BuildReport, started: float) -> BuildReport:
        report.seconds = time.perf_counter() - started
        return report


def settings_of(index: Index, config: Config) -> Config:
    """``config`` with the settings that shaped ``index`` (adds and removes keep them)."""
    m = index.manifest
    uri = getattr(index.store, "uri", "") or m.store.milvus_uri  # where its vectors are
    return replace(
        config,
        chunking=m.chunking,
        embedding=replace(m.embedding, batch_size=config.embedding.batch_size),
        store=replace(m.store, milvus_uri=uri),
    )


def _same_vectors(index: Index, config: Config) -> bool:
    """Whether ``index``'s vectors can be reused under ``config``'s settings."""
    m = index.manifest
    return m.chunking == config.chunking and m.embedding.same_vectors(config.embedding)


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


def _signatures(articles: list[Article], previous: Index | None) -> np.ndarray:
    """Each article's MinHash signature: an indexed article's as stored, new ones computed."""
    known = {}
    if previous is not None and previous.minhash is not None:
        known = {a.id: previous.minhash[i] for i, a in enumerate(previous.articles)}
    rows = np.zeros((len(articles), NUM_PERM), dtype=np.uint64)
    todo = []
    for i, article in enumerate(articles):
        if article.id in known:
            rows[i] = known[article.id]
        else:
            todo.append(i)
    if todo:
        rows[todo] = signatures([articles[i].text for i in todo])  # headlines differ
    return rows


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
