"""The GGUF embedder: nomic-embed-text-v1.5 from its packages, on llama.cpp, behind the
embedder contract, and a whole index built and searched with it."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import Config, EmbeddingConfig
from rag.embed import GGUFEmbedder, create_embedder
from rag.errors import IndexMismatchError, RagError
from rag.pipeline import Pipeline
from tests.conftest import CANONICAL, PESKOV_QUOTE

pytestmark = pytest.mark.slow
NOMIC = EmbeddingConfig(kind="gguf", model="nomic-embed-text-v1.5")


@pytest.fixture(scope="module")
def nomic() -> GGUFEmbedder:
    return create_embedder(NOMIC)


def test_vectors_are_unit_length_and_rank_by_meaning(nomic):
    assert nomic.dim == 768 and nomic.query_prefix == "search_query: "
    texts = [
        "Kremlin spokesman Dmitry Peskov said there is no deadline for the talks.",
        "Heavy rain flooded the roads of the national park.",
    ]
    vectors = nomic.embed(texts)
    assert vectors.shape == (2, 768) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ nomic.embed_query("What did the Kremlin say about a deadline?")
    assert similarity[0] > similarity[1] + 0.1
    assert nomic.embed([]).shape == (0, 768)


def test_queries_and_documents_get_their_own_prefixes(nomic):
    text = "flooding in Yellowstone"
    as_query, as_document = nomic.embed_query(text), nomic.embed([text])[0]
    assert float(as_query @ as_document) < 0.999  # the task prefixes changed the input
    plain = GGUFEmbedder.from_config(EmbeddingConfig(**{**NOMIC.__dict__, "query_prefix": ""}))
    assert not np.allclose(plain.embed_query(text), nomic.embed_query(text))


def test_a_text_too_long_for_the_model_is_a_one_line_error(nomic):
    with pytest.raises(RagError, match="too large") as caught:
        nomic.embed(["word " * 5000])
    assert "\n" not in str(caught.value)


def test_an_index_built_with_it_answers_and_remembers_its_embedder(tmp_path, nomic):
    config = Config(index_dir=str(tmp_path / "index")).with_(
        embedder="gguf", model="nomic-embed-text-v1.5"
    )
    Pipeline(config, embedder=nomic).build()
    reader = Pipeline(config)
    assert reader.index.manifest.embedding.kind == "gguf"
    assert isinstance(reader.embedder, GGUFEmbedder)
    assert any(PESKOV_QUOTE in p.text for p in reader.search(CANONICAL, k=3))
    with pytest.raises(IndexMismatchError, match="nomic-embed-text-v1.5"):
        Pipeline(Config(index_dir=config.index_dir)).search(CANONICAL)
