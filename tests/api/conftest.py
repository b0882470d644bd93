"""A served pipeline for the API tests: a private sample index plus one web article."""

import shutil

import pytest

from tests.conftest import pipeline_at

WEB_ARTICLE = {
    "title": "Harbour reopens",
    "text": "Harbour reopens\n\nThe Zeebrugge harbour reopened on Monday after the dredging "
    "of its main channel finished, the port authority said.",
    "source": "https://news.example.com/2026/11/harbour-reopens",
    "published": "2026-11-30",
}


@pytest.fixture(scope="module")
def served(sample_index_dir, tmp_path_factory, embedder):
    """``(url, pipeline)``: `rag serve`'s server (chat and /v1) over its own index."""
    from tests.ui.conftest import serving
    from ui.service import ChatService

    folder = tmp_path_factory.mktemp("api") / "index"
    shutil.copytree(sample_index_dir, folder)
    pipeline = pipeline_at(folder, embedder)
    pipeline.add_articles([WEB_ARTICLE])
    with serving(ChatService(pipeline)) as url:
        yield url, pipeline
