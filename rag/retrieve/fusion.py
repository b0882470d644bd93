"""Reciprocal-rank fusion of several weighted rankings into one score per item."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Ranking:
    """Item ids best first, with the weight and rank constant fusion gives the list."""

    ids: Sequence[int]
    weight: float = 1.0
    k: float = 60


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
