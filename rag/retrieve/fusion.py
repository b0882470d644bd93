"""Fusion of several weighted rankings into one score per item: by rank or by score."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Ranking:
    """Item ids best first, with the weight and rank constant fusion gives the list, and
    (for :func:`score_fusion`) their scores."""

    ids: Sequence[int]
    weight: float = 1.0
    k: float = 60
    scores: Sequence[float] = ()


def reciprocal_rank_fusion(rankings: Iterable[Ranking]) -> dict[int, float]:
    """Each item's ``sum(weight / (k + rank))`` over the rankings it is in (ranks from 1).

    Insertion order is the order items are first met. A large ``k`` flattens a list: its
    neighbouring ranks differ by little, so it separates the items it ranks from those
    it does not more than it orders them.
    """
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking.ids):
            fused[int(item)] = fused.get(int(item), 0.0) + ranking.weight / (ranking.k + rank + 1)
    return fused


def score_fusion(rankings: Iterable[Ranking]) -> dict[int, float]:
    """Each item's ``sum(weight * (score - low) / (high - low))`` over the rankings it is
    in, ``low`` and ``high`` being the list's lowest and highest score.

    Unlike ranks, min-max scores keep how far ahead a list's best items are: a chunk that
    BM25 puts far ahead of the rest is not overtaken by one that a list of near-equal
    cosines happens to rank first. A list whose scores are all equal counts 1 for each.
    """
    fused: dict[int, float] = {}
    for ranking in rankings:
        if not len(ranking.ids):
            continue
        values = [float(x) for x in ranking.scores]  # plain floats, not NumPy scalars
        low, high = min(values), max(values)
        width = high - low
        for item, score in zip(ranking.ids, values, strict=True):
            share = (score - low) / width if width > 0 else 1.0
            fused[int(item)] = fused.get(int(item), 0.0) + ranking.weight * share
    return fused
