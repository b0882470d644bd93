"""The sample index's retrieval parts and an extractive answerer, shared per module."""

import pytest

from rag.answer import ExtractiveAnswerer
from rag.index import Index
from rag.retrieve import HybridRetriever


@pytest.fixture(scope="module")
def parts(sample_index_dir, embedder):
    index = Index.load(sample_index_dir)
    return HybridRetriever(index, embedder), index, embedder


@pytest.fixture(scope="module")
def extractive(parts):
    return ExtractiveAnswerer(*parts)
