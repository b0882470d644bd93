"""Metric functions: retrieval ranks, answer matching, citations, abstention, latency."""

from __future__ import annotations

import math
import re
from collections import Counter

from eval.dataset import EvalQuestion, contains, normalize

KS = (1, 3, 5, 10)


def first_relevant_rank(relevant: list[bool]) -> int | None:
    """1-based rank of the first relevant result, or None."""
    return next((rank for rank, hit in enumerate(relevant, 1) if hit), None)


def retrieval_scores(relevant: list[bool], n_relevant: int) -> dict[str, float]:
    """hit@k, reciprocal rank within 10, and binary nDCG@10 for one ranked list.

    ``n_relevant`` is how many relevant chunks the whole index holds (for the ideal DCG).
    """
    rank = first_relevant_rank(relevant)
    scores = {f"hit@{k}": float(rank is not None and rank <= k) for k in KS}
    scores["mrr@10"] = 1.0 / rank if rank is not None and rank <= 10 else 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, hit in enumerate(relevant[:10]) if hit)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_relevant, 10)))
    scores["ndcg@10"] = dcg / ideal if ideal else 0.0
    return scores


def strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)


def answer_correct(question: EvalQuestion, answer_text: str) -> bool:
    return any(contains(strip_markers(answer_text), phrase) for phrase in question.answers)


def token_f1(prediction: str, references: list[str]) -> float:
    """SQuAD-style token F1 (words, punctuation dropped) against the best acceptable phrase."""
    predicted = re.findall(r"\w+", normalize(strip_markers(prediction)))
    best = 0.0
    for reference in references:
        gold = re.findall(r"\w+", normalize(reference))
        common = sum((Counter(predicted) & Counter(gold)).values())
        if common:
            precision, recall = common / len(predicted), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def citation_scores(
    question: EvalQuestion, citations: list[dict], passage_texts: list[str]
) -> tuple[float, float]:
    """(precision, recall) of an answer's citations.

    A citation is right when its passage holds a gold evidence snippet, or its cited
    sentence holds an acceptable answer. Recall is the share of evidence snippets that some
    cited passage holds.
    """
    if not citations:
        return 0.0, 0.0
    right = 0
    for citation, passage in zip(citations, passage_texts, strict=True):
        if any(contains(passage, e) for e in question.evidence) or any(
            contains(citation["text"], a) for a in question.answers
        ):
            right += 1
    found = sum(1 for e in question.evidence if any(contains(p, e) for p in passage_texts))
    return right / len(citations), (found / len(question.evidence) if question.evidence else 0.0)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
