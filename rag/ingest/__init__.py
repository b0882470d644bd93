"""Loading articles from files, folders and JSON lines."""

from rag.ingest.loaders import (
    LoadResult,
    Skipped,
    load_paths,
    load_sample_corpus,
    page_of,
    sample_corpus_dir,
)

__all__ = [
    "LoadResult",
    "Skipped",
    "load_paths",
    "load_sample_corpus",
    "page_of",
    "sample_corpus_dir",
]
