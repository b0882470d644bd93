"""A loaded index: articles, chunks, their vectors, the FAISS store and the BM25 indexes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import IndexCorruptError
from rag.filters import SearchFilter, ordinal_days
from rag.index.layout import live_version
from rag.index.manifest import Manifest
from rag.index.stories import NUM_PERM, group, signatures
from rag.store import VectorStore, load_store
from rag.store.bm25 import BM25Index
from rag.types import Article, Chunk, Passage

ARTICLES_FILE = "articles.jsonl"
CHUNKS_FILE = "chunks.jsonl"
EMBEDDINGS_FILE = "embeddings.npy"
ARTICLE_EMBEDDINGS_FILE = "article_embeddings.npy"
ARTICLE_BM25 = "bm25_articles"
MINHASH_FILE = "minhash.npy"
STORIES_FILE = "stories.npy"
MAX_COPIES = 10  # other sources a passage lists


def article_text(article: Article) -> str:
    """What whole-article keyword search sees: the title, then the text."""
    return f"{article.title}\n{article.text}"


def article_vectors(embeddings: np.ndarray, chunk_article: np.ndarray, count: int) -> np.ndarray:
    """Each article's vector: the normalised mean of its chunk vectors (zero when it has
    none). A story about one thing keeps a sharp mean; a digest of many topics averages
    out, so it ranks below an article about the asked topic even when one of its
    paragraphs matches as well. Read in blocks, so a memory-mapped matrix is never copied
    whole."""
    sums = np.zeros((count, embeddings.shape[1]), dtype=np.float32)
    for start in range(0, len(embeddings), 65536):
        block = slice(start, start + 65536)
        np.add.at(sums, chunk_article[block], np.asarray(embeddings[block], dtype=np.float32))
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)


def embed_text(article: Article, chunk: Chunk, with_title: bool) -> str:
    """What the embedder sees for a chunk: the article title gives short chunks context."""
    return f"{article.title}\n{chunk.text}" if with_title else chunk.text


@dataclass
class Index:
    """Everything retrieval needs, loaded into memory from one index version."""

    folder: Path
    manifest: Manifest
    articles: list[Article]
    chunks: list[Chunk]
    embeddings: np.ndarray
    store: VectorStore
    bm25: BM25Index
    article_bm25: BM25Index
    article_embeddings: np.ndarray | None = None  # computed from ``embeddings`` when None
    minhash: np.ndarray | None = None  # one signature per article; computed when None
    story: np.ndarray | None = None  # each article's story row; grouped when None

    def __post_init__(self) -> None:
        self.by_id = {a.id: a for a in self.articles}
        self.position = {a.id: i for i, a in enumerate(self.articles)}  # article id -> row
        self.chunk_article = np.array(
            [self.position[c.article_id] for c in self.chunks], dtype=np.int64
        )
        # article a's chunk rows are _by_article[_starts[a]:_starts[a + 1]] (no per-query scan)
        self._by_article = np.argsort(self.chunk_article, kind="stable")
        self._starts = np.searchsorted(
            self.chunk_article[self._by_article], np.arange(len(self.articles) + 1)
        )
        self.published_days = ordinal_days([a.published for a in self.articles])
        if self.article_embeddings is None:
            self.article_embeddings = article_vectors(
                self.embeddings, self.chunk_article, len(self.articles)
            )
        if self.minhash is None:  # an index written before stories were grouped
            self.minhash = signatures([a.text for a in self.articles])  # headlines differ
        if self.story is None:  # grouped when the index is written, then stored
            self.story = group(
                self.minhash,
                [a.published for a in self.articles],
                [a.title for a in self.articles],
            )
        members: dict[int, list[int]] = {}
        for row, story in enumerate(self.story.tolist()):
            members.setdefault(story, []).append(row)
        # story row -> member rows, for stories with copies only
        self._copies = {story: rows for story, rows in members.items() if len(rows) > 1}

    @classmethod
    def load(cls, index_dir: str | Path, verify: bool = True) -> Index:
        """Load the live version of ``index_dir``.

        ``verify`` checks every file's checksum first (a corrupted file is reported, never
        used).
        """
        version = live_version(Path(index_dir))
        folder = version.folder
        manifest = Manifest.read(folder, verify=verify, sha256=version.manifest_sha256)
        try:
            articles = [Article(**json.loads(line)) for line in _lines(folder / ARTICLES_FILE)]
            by_id = {a.id: a for a in articles}
            chunks = [_chunk(json.loads(line), by_id) for line in _lines(folder / CHUNKS_FILE)]
            # memory-mapped: a question reads only the rows it scores; the store has its own copy
            embeddings = np.load(folder / EMBEDDINGS_FILE, mmap_mode="r", allow_pickle=False)
            # absent in an index written by an older version: computed on load
            means = folder / ARTICLE_EMBEDDINGS_FILE
            article_embeddings = np.load(means, allow_pickle=False) if means.exists() else None
            hashes, stories = folder / MINHASH_FILE, folder / STORIES_FILE
            minhash = np.load(hashes, allow_pickle=False) if hashes.exists() else None
            story = np.load(stories, allow_pickle=False) if stories.exists() else None
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexCorruptError(
                f"Index data in '{folder}' is unreadable ({exc}). Rebuild with `rag index build`."
            ) from None
        store, bm25 = load_store(folder, manifest.store), BM25Index.load(folder)
        if BM25Index.exists(folder, ARTICLE_BM25):
            article_bm25 = BM25Index.load(folder, ARTICLE_BM25)
        else:  # written by an older version: rebuilt in memory (seconds per thousand articles)
            article_bm25 = BM25Index.build([article_text(a) for a in articles])
        sizes = {len(chunks), len(embeddings), store.size, bm25.matrix.shape[0]}
        if (
            len(sizes) != 1
            or embeddings.shape[1:] != (manifest.dim,)
            or article_bm25.matrix.shape[0] != len(articles)
            or (article_embeddings is not None and len(article_embeddings) != len(articles))
            or (minhash is not None and minhash.shape != (len(articles), NUM_PERM))
            or (story is not None and not _valid_stories(story, len(articles)))
        ):
            raise IndexCorruptError(
                f"Index files in '{folder}' disagree in size. Rebuild with `rag index build`."
            )
        return cls(
            folder,
            manifest,
            articles,
            chunks,
            embeddings,
            store,
            bm25,
            article_bm25,
            article_embeddings,
            minhash,
            story,
        )

    def save(self, folder: Path) -> None:
        """Write every file of this index into ``folder`` (an empty staging folder)."""
        with open(folder / ARTICLES_FILE, "w", encoding="utf-8") as handle:
            for article in self.articles:
                handle.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
        with open(folder / CHUNKS_FILE, "w", encoding="utf-8") as handle:
            for chunk in self.chunks:
                row = {"article_id": chunk.article_id, "start": chunk.start, "end": chunk.end}
                handle.write(json.dumps(row) + "\n")
        np.save(folder / EMBEDDINGS_FILE, self.embeddings, allow_pickle=False)
        np.save(folder / ARTICLE_EMBEDDINGS_FILE, self.article_embeddings, allow_pickle=False)
        np.save(folder / MINHASH_FILE, self.minhash, allow_pickle=False)
        np.save(folder / STORIES_FILE, self.story, allow_pickle=False)
        self.store.save(folder)
        self.bm25.save(folder)
        self.article_bm25.save(folder, ARTICLE_BM25)
        self.manifest.write(folder)

    def article_rows(self, article: int) -> np.ndarray:
        """The chunk rows of the article at position ``article``."""
        return self._by_article[self._starts[article] : self._starts[article + 1]]

    def article_mask(self, search_filter: SearchFilter | None) -> np.ndarray | None:
        """Boolean mask over articles admitted by the filter (None when nothing is filtered)."""
        if search_filter is None or not search_filter.active:
            return None
        return np.array([search_filter.admits(a) for a in self.articles], dtype=bool)

    def mask(self, search_filter: SearchFilter | None) -> np.ndarray | None:
        """Boolean mask over chunks admitted by the filter (None when nothing is filtered)."""
        admitted = self.article_mask(search_filter)
        if admitted is None:
            return None
        return admitted[self.chunk_article] if len(self.articles) else np.zeros(0, dtype=bool)

    def copies(self, row: int) -> list[int]:
        """The other articles of the story of the article at ``row`` (empty: no copy)."""
        return [r for r in self._copies.get(int(self.story[row]), []) if r != row]

    def one_per_story(self, chunk_ids, k: int) -> list[int]:
        """The first ``k`` of ``chunk_ids`` (best first) with copies of a story already
        represented left out: passages of the first article met of each story only."""
        chosen, standing = [], {}  # story row -> the article row standing for it
        for chunk_id in chunk_ids:
            row = int(self.chunk_article[chunk_id])
            if standing.setdefault(int(self.story[row]), row) == row:
                chosen.append(int(chunk_id))
                if len(chosen) == k:
                    break
        return chosen

    def passage(
        self, chunk_id: int, score: float, scores: dict[str, float] | None = None
    ) -> Passage:
        chunk = self.chunks[chunk_id]
        article = self.by_id[chunk.article_id]
        others = self.copies(self.position[article.id])[:MAX_COPIES]
        return Passage(
            text=chunk.text,
            score=float(score),
            article_id=article.id,
            title=article.title,
            source=article.source,
            published=article.published,
            start=chunk.start,
            end=chunk.end,
            chunk_id=int(chunk_id),
            scores=dict(scores or {}),
            copies=[self.articles[r].source for r in others],
        )


def _valid_stories(story: np.ndarray, count: int) -> bool:
    """One row per article, each naming an article row."""
    return story.shape == (count,) and (count == 0 or 0 <= story.min() <= story.max() < count)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _chunk(row: dict, by_id: dict[str, Article]) -> Chunk:
    # The chunk text is not stored twice: it is the article text between the offsets.
    article = by_id[row["article_id"]]
    start, end = int(row["start"]), int(row["end"])
    if not 0 <= start < end <= len(article.text):
        raise ValueError(f"chunk offsets {start}:{end} outside article {article.id}")
    return Chunk(article.id, start, end, article.text[start:end])
