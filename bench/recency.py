"""Time that generalises (#23.3): the recency prior's constants chosen on some weeks and
scored on others.

The RealTimeQA dev split is 11 weekly quizzes. Each question's candidate chunks are found
once with dates ignored (``HybridRetriever.candidates``). Every setting of the prior's
constants (``GRID``: half-life, bonus, recency-cue bonus, window bonus; 500 settings)
re-weighs them with the product's own ``RecencyPrior``, and the labelled article's rank
gives each question's MRR@10 term. Leave-one-week-out: each week is ranked by the real
retriever with the setting best on the other ten weeks; those rows pooled are the
out-of-fold figures, beside the in-sample best and the shipped defaults. Each constant is
dropped in turn (held at its neutral value, the rest chosen in the folds): one whose
removal does not lower the out-of-fold MRR@10 does not pay.

For comparison, a prior *fitted* as a function rather than chosen from a grid: a
log-linear weight over time features (freshness at 7 and 30 days, a recency cue, inside
or outside a named window), fitted as a conditional logit of the labelled article among
each question's candidates, in sample and out of fold. Prints a table, writes JSON.

    python bench/recency.py [--data DIR] [--out FILE]

Reuses the index bench/realtimeqa.py builds (bench/out/realtimeqa-index; built here when
absent). Skips cleanly (exit 0) when the data folder is absent.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from common import save  # sibling script modules
from fusion_cv import QueryCache
from realtimeqa import (
    DEPTH,
    ROOT,
    Judge,
    article_ranking,
    bench_parser,
    dev_queries,
    gold_articles,
    has_data,
    mean_scores,
    open_index,
)
from scipy.optimize import minimize
from scipy.special import logsumexp

from rag.config import Config, RecencyConfig
from rag.embed import create_embedder
from rag.retrieve import HybridRetriever, RecencyPrior, SearchFilter, TimeScope, time_scope
from rag.retrieve.recency import relevance

GRID = {
    "half_life_days": (7.0, 14.0, 30.0, 60.0, 120.0),
    "boost": (0.0, 0.25, 0.5, 1.0, 2.0),
    "cue_boost": (0.0, 0.5, 1.0, 2.0, 4.0),
    "window_boost": (0.0, 1.0, 2.0, 4.0),
}
NEUTRAL = {  # each constant's value when it is dropped ("same": the cue gets the plain bonus)
    "boost": 0.0,
    "cue_boost": "same",
    "window_boost": 0.0,
}
L2 = 1.0  # the log-linear fit's pull of each weight towards 0


@dataclass
class Group:
    """One question's candidates before time is weighed."""

    week: str
    scope: TimeScope
    log_score: np.ndarray
    published: np.ndarray
    relevance: np.ndarray
    owners: np.ndarray  # article rows
    gold: np.ndarray  # per candidate: its article is a labelled one


def collect(retriever: HybridRetriever, queries: list[dict], ids: dict) -> list[Group]:
    index, groups = retriever.index, []
    for q in queries:
        asked = SearchFilter(now=q["question_date"])
        vector = retriever.embedder.embed_query(q["question"])
        found = retriever.candidates(q["question"], vector, DEPTH, asked)
        labelled = gold_articles(q, ids)
        groups.append(
            Group(
                week=q["question_date"],
                scope=time_scope(q["question"], asked.today()),
                log_score=np.log(found.score),
                published=index.published_days[found.owners],
                relevance=relevance(found.similarity, found.shares),
                owners=found.owners,
                gold=np.array([index.articles[o].id in labelled for o in found.owners]),
            )
        )
    return groups


def reciprocal_rank(group: Group, log_weight: np.ndarray) -> float:
    """The MRR@10 term of the labelled article when articles rank by their best chunk."""
    if not group.gold.any():
        return 0.0
    articles, position = np.unique(group.owners, return_inverse=True)
    best = np.full(len(articles), -np.inf)
    np.maximum.at(best, position, group.log_score + log_weight)
    labelled = np.isin(articles, group.owners[group.gold])
    rank = 1 + int(np.sum(best[~labelled] > best[labelled].max()))
    return 1.0 / rank if rank <= 10 else 0.0


def table(groups: list[Group], settings: list[RecencyConfig]) -> np.ndarray:
    """settings x questions: each question's MRR@10 term under each setting."""
    return np.array(
        [
            [
                reciprocal_rank(g, np.log(prior.chunk_weights(g.published, g.scope, g.relevance)))
                for g in groups
            ]
            for prior in map(RecencyPrior, settings)
        ]
    )


def judged(retriever: HybridRetriever, queries: list[dict], judge: Judge) -> list[dict]:
    """Each question's article-level scores (and retrieval ms) with ``retriever``."""
    rows = []
    for q in queries:
        started = time.perf_counter()
        passages = retriever.retrieve(q["question"], DEPTH, SearchFilter(now=q["question_date"]))
        ms = (time.perf_counter() - started) * 1000
        rows.append({**judge(article_ranking(passages), q), "ms": ms})
    return rows


def by_week(queries, fitted, run) -> list[dict]:
    """Rows when each week is ranked with ``fitted(other weeks' indices)``'s prior."""
    weeks = [q["question_date"] for q in queries]
    rows: list = [None] * len(queries)
    for week in sorted(set(weeks)):
        prior = fitted([i for i, w in enumerate(weeks) if w != week])
        held = [i for i, w in enumerate(weeks) if w == week]
        for i, row in zip(held, run(prior, [queries[i] for i in held]), strict=True):
            rows[i] = row
    return rows


class LogLinearPrior:
    """``exp(relevance * w . features)``: the fitted alternative to the grid's prior."""

    def __init__(self, weights: np.ndarray):
        self.weights = weights

    @staticmethod
    def features(published: np.ndarray, scope: TimeScope) -> np.ndarray:
        age = scope.now.toordinal() - published
        past = ~np.isnan(age) & (age >= 0)
        week, month = (np.where(past, np.exp2(-np.where(past, age, 0) / h), 0) for h in (7, 30))
        inside = outside = np.zeros(len(published))
        if scope.window:
            within = (published >= scope.start.toordinal()) & (published <= scope.end.toordinal())
            inside, outside = within, ~np.isnan(published) & ~within
        return np.column_stack((week, month, month * scope.recent, inside, outside)).astype(float)

    def chunk_weights(self, published, scope, relevance) -> np.ndarray:
        return np.exp(relevance * (self.features(published, scope) @ self.weights))


def fit_log_linear(groups: list[Group]) -> LogLinearPrior:
    """Maximises the labelled article's softmax share among each question's candidates
    over ``a * log score + w . features`` (L2 on ``w``); the prior's weights are ``w / a``."""
    data = [
        (g.log_score, LogLinearPrior.features(g.published, g.scope) * g.relevance[:, None], g.gold)
        for g in groups
        if g.gold.any()
    ]

    def loss(theta: np.ndarray) -> float:
        a, w = theta[0], theta[1:]
        total = L2 * 0.5 * w @ w
        for log_score, x, gold in data:
            s = a * log_score + x @ w
            total -= logsumexp(s[gold]) - logsumexp(s)
        return total

    theta = minimize(loss, np.r_[1.0, np.zeros(data[0][1].shape[1])], method="L-BFGS-B").x
    return LogLinearPrior(theta[1:] / theta[0])


def main() -> int:
    args = bench_parser(__doc__, "recency.json").parse_args()
    if not has_data(args.data):
        return 0
    started = time.perf_counter()
    queries = dev_queries(args.data)
    config = Config(index_dir=str(ROOT / "bench" / "out" / "realtimeqa-index"))
    embedder = QueryCache(create_embedder(config.embedding))
    pipeline, ids, _ = open_index(args.data, config, embedder.embedder)
    judge = Judge(pipeline.index, ids)
    base = HybridRetriever(pipeline.index, embedder, config.fusion, prior=None)
    groups = collect(base, queries, ids)
    settings = [
        replace(config.recency, **dict(zip(GRID, values, strict=True)))
        for values in itertools.product(*GRID.values())
    ]
    assert config.recency in settings, "the grid must hold the shipped defaults"
    scores = table(groups, settings)  # settings x questions
    weeks = np.array([g.week for g in groups])

    def run(prior, asked):
        return judged(HybridRetriever(base.index, embedder, base.fusion, prior), asked, judge)

    def chooser(allowed: list[int]):
        def choose(train: list[int]) -> RecencyPrior:
            best = allowed[int(np.argmax(scores[allowed][:, train].mean(axis=1)))]
            chosen.append(best)
            return RecencyPrior(settings[best])

        chosen: list[int] = []
        return choose, chosen

    best_all = int(np.argmax(scores.mean(axis=1)))
    rows = {
        "no time awareness": run(None, queries),
        "shipped defaults (in-sample)": run(RecencyPrior(config.recency), queries),
        "best setting on all weeks (in-sample)": run(RecencyPrior(settings[best_all]), queries),
    }
    choose, chosen = chooser(list(range(len(settings))))
    rows["**chosen on the other weeks (out of fold)**"] = by_week(queries, choose, run)
    for constant, neutral in NEUTRAL.items():
        allowed = [
            i
            for i, s in enumerate(settings)
            if getattr(s, constant) == (s.boost if neutral == "same" else neutral)
        ]
        rows[f"  without {constant}, out of fold"] = by_week(queries, chooser(allowed)[0], run)
    log_linear = fit_log_linear(groups)
    rows["log-linear prior, fitted on all weeks (in-sample)"] = run(log_linear, queries)
    rows["log-linear prior, fitted on the other weeks (out of fold)"] = by_week(
        queries, lambda train: fit_log_linear([groups[i] for i in train]), run
    )
    figures = {
        name: {
            **{k: v for k, v in mean_scores(r).items() if k != "ms"},
            "p50_ms": statistics.median(x["ms"] for x in r),
        }
        for name, r in rows.items()
    }
    results = {
        "date": date.today().isoformat(),
        "questions": len(queries),
        "weeks": len(set(weeks)),
        "settings": len(settings),
        "grid": GRID,
        "defaults": {k: getattr(config.recency, k) for k in GRID},
        "best_on_all_weeks": {k: getattr(settings[best_all], k) for k in GRID},
        "chosen_per_week": [{k: getattr(settings[i], k) for k in GRID} for i in chosen],
        "log_linear_weights": log_linear.weights.round(3).tolist(),
        "rows": figures,
        "seconds": round(time.perf_counter() - started),
    }
    print(
        f"RealTimeQA dev: {len(queries)} questions in {results['weeks']} weeks, "
        f"{len(settings)} settings of the recency prior"
    )
    print("| time prior | R@1 | R@5 | R@10 | MRR@10 | answer@1 | p50 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, s in figures.items():
        print(
            f"| {name} | {s['recall@1']:.3f} | {s['recall@5']:.3f} | {s['recall@10']:.3f} "
            f"| {s['mrr@10']:.3f} | {s['answer@1']:.3f} | {s['p50_ms']:.0f} |"
        )
    print("best on all weeks:", results["best_on_all_weeks"])
    distinct = {json.dumps(c, sort_keys=True) for c in results["chosen_per_week"]}
    print(f"{len(distinct)} different settings chosen across {len(chosen)} held-out weeks")
    print(
        "log-linear weights (week, month, cue x month, in window, outside):",
        results["log_linear_weights"],
    )
    save(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
