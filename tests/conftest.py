"""Shared fixtures: the real default embedder and a sample index, built once per session,
all wired by the one composition root (rag.Pipeline)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import Config
from rag.embed import create_embedder
from rag.pipeline import Pipeline

CANONICAL = "What did Peskov say about timelines?"
PESKOV_QUOTE = "It is not worth setting any rigid time frames"


@pytest.fixture(scope="session")
def embedder():
    return create_embedder()


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory, embedder) -> Path:
    folder = tmp_path_factory.mktemp("sample-index")
    Pipeline(Config(index_dir=str(folder)), embedder=embedder).build()
    return folder


@pytest.fixture(scope="session")
def sample(sample_index_dir, embedder) -> Pipeline:
    """A pipeline over the sample index (read-only: tests that write use ``index_copy``)."""
    return Pipeline(Config(index_dir=str(sample_index_dir)), embedder=embedder)


@pytest.fixture
def index_copy(sample_index_dir, tmp_path) -> Path:
    """A private copy of the sample index for tests that change or damage it."""
    target = tmp_path / "index"
    shutil.copytree(sample_index_dir, target)
    return target


def pipeline_at(folder: Path, embedder, **settings) -> Pipeline:
    """A pipeline over ``folder`` with the shared embedder and ``settings`` (flat names)."""
    return Pipeline(Config(index_dir=str(folder)).with_(**settings), embedder=embedder)


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
