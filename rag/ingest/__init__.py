"""Loading articles from files, folders and JSON lines."""

from rag.ingest.loaders import (
    LoadResult,
    Skipped,
    latest_per_page,
    load_paths,
    load_records,
    load_sample_corpus,
    one_per_story,
    sample_corpus_dir,
)

__all__ = [
    "LoadResult",
    "Skipped",
    "latest_per_page",
    "load_paths",
    "load_records",
    "load_sample_corpus",
    "one_per_story",
    "sample_corpus_dir",
]
