"""FAISS index types: what --index-type builds, and that approximate search keeps recall."""

from __future__ import annotations

import numpy as np
import pytest

from rag.store import FaissStore
from rag.store.faiss_store import factory_string


def clustered(n: int, dim: int = 64, topics: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around topics and subtopics, like embeddings of stories in subjects."""
    rng, fixed = np.random.default_rng(seed), np.random.default_rng(99)
    centres, offsets = (
        fixed.standard_normal((topics, dim)),
        fixed.standard_normal((topics * 20, dim)),
    )
    sub = rng.integers(0, topics * 20, n)
    points = centres[sub // 20] + 0.8 * offsets[sub] + 0.6 * rng.standard_normal((n, dim))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_auto_is_exact_then_a_graph_then_ivf_sq8_by_size():
    assert factory_string("auto", 19_999, 384) == "Flat"
    assert factory_string("auto", 50_000, 384) == "HNSW32,Flat"
    assert factory_string("auto", 1_000_000, 384) == "IVF1000,SQ8"
    assert factory_string("ivf-pq", 10_000, 384) == "IVF100,PQ48x8"
    with pytest.raises(ValueError, match="unknown index type"):
        factory_string("annoy", 10, 384)


@pytest.mark.parametrize("index_type", ["hnsw", "ivf-sq8", "ivf-pq"])
def test_approximate_types_keep_recall_with_their_search_defaults(index_type):
    vectors, queries = clustered(8_000), clustered(40, seed=1)
    exact = FaissStore.from_vectors(vectors, "flat")
    store = FaissStore.from_vectors(vectors, index_type)
    truth = [set(exact.search(q, 10)[0]) for q in queries]
    found = [set(store.search(q, 10)[0]) for q in queries]
    recall = np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= (0.5 if index_type == "ivf-pq" else 0.9), recall


@pytest.mark.parametrize("index_type", ["flat", "hnsw", "ivf-sq8"])
def test_filters_apply_inside_every_index_type(index_type):
    vectors = clustered(3_000)
    store = FaissStore.from_vectors(vectors, index_type)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::7] = True
    ids, scores = store.search(vectors[5], 10, allowed)
    assert len(ids) == 10 and allowed[ids].all()
    assert list(scores) == sorted(scores, reverse=True)


@pytest.mark.parametrize("index_type", ["hnsw", "ivf-sq8"])
def test_a_narrow_filter_still_returns_k_rows(index_type):
    vectors = clustered(6_000)
    store = FaissStore.from_vectors(vectors, index_type)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[[17, 900, 2_345, 4_000, 5_999]] = True  # 5 rows, scattered over the lists/graph
    ids, _ = store.search(vectors[3], 4, allowed)
    exact = FaissStore.from_vectors(vectors, "flat").search(vectors[3], 4, allowed)[0]
    assert list(ids) == list(exact)
