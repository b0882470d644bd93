"""BM25 keyword scoring and its pseudo-relevance feedback."""

from __future__ import annotations

import numpy as np

from rag.store.bm25 import BM25Index

DOCS = [
    "Yellowstone flooding closed the park; rangers evacuated visitors from Gardiner.",
    "Record flooding in Yellowstone washed out roads near Gardiner and Cooke City.",
    "Gardiner businesses count losses as Cooke City roads stay closed.",
    "The central bank raised interest rates by three quarters of a point.",
]


def test_feedback_reaches_documents_that_share_the_top_documents_vocabulary():
    index = BM25Index.build(DOCS)
    plain = index.scores("Yellowstone flooding")
    expanded = index.feedback_scores("Yellowstone flooding", np.array([0, 1]), terms=20)
    assert plain[2] == 0 and expanded[2] > 0  # found through "Gardiner", "Cooke", "roads"
    assert expanded[3] == 0  # the unrelated story stays out
    assert np.argmax(expanded) in (0, 1)  # the query's own terms still lead


def test_feedback_without_documents_or_known_terms_is_the_plain_score():
    index = BM25Index.build(DOCS)
    assert np.allclose(
        index.feedback_scores("flooding", np.array([], dtype=int)), index.scores("flooding")
    )
    assert not index.feedback_scores("zzz unknown", np.array([0])).any()


def test_top_applies_the_filter_and_orders_best_first():
    index = BM25Index.build(DOCS)
    allowed = np.array([False, True, True, True])
    ids, scores = index.top(index.scores("Gardiner flooding"), 5, allowed)
    assert list(ids) == [1, 2] and scores[0] >= scores[1]
