"""BM25 keyword scoring: building, scoring, filtering and persisting without pickle."""

from __future__ import annotations

import numpy as np

from rag.store.bm25 import BM25Index

DOCS = [
    "Yellowstone flooding closed the park; rangers evacuated visitors from Gardiner.",
    "Record flooding in Yellowstone washed out roads near Gardiner and Cooke City.",
    "Gardiner businesses count losses as Cooke City roads stay closed.",
    "The central bank raised interest rates by three quarters of a point.",
]


def test_top_applies_the_filter_and_orders_best_first():
    index = BM25Index.build(DOCS)
    allowed = np.array([False, True, True, True])
    ids, scores = index.top(index.scores("Gardiner flooding"), 5, allowed)
    assert list(ids) == [1, 2] and scores[0] >= scores[1]
