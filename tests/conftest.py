"""Shared fixtures: the real default embedder and a sample index, built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import Config
from rag.embed import create_embedder
from rag.index import IndexBuilder

CANONICAL = "What did Peskov say about timelines?"
PESKOV_QUOTE = "It is not worth setting any rigid time frames"


@pytest.fixture(scope="session")
def embedder():
    return create_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory, embedder) -> Path:
    folder = tmp_path_factory.mktemp("sample-index")
    IndexBuilder(Config(index_dir=str(folder)), embedder=embedder).build()
    return folder


@pytest.fixture
def index_copy(sample_index_dir, tmp_path) -> Path:
    """A private copy of the sample index for tests that change or damage it."""
    target = tmp_path / "index"
    shutil.copytree(sample_index_dir, target)
    return target


def write_articles(folder: Path, count: int, words: int = 120, stem: str = "article") -> Path:
    """Synthetic, distinct articles (for incremental and crash tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["harbour", "election", "vaccine", "railway", "drought", "satellite", "orchestra"]
    for i in range(count):
        topic = topics[i % len(topics)]
        body = " ".join(
            f"Report {i} on the {topic} story says item {j} matters for district {i * 7 + j}."
            for j in range(words // 12)
        )
        (folder / f"{stem}-{i:04d}.txt").write_text(f"{topic.title()} news number {i}\n\n{body}\n")
    return folder
