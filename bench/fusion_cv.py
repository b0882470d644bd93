"""How the retriever's constants meet weeks they were not chosen on: leave-one-week-out.

The RealTimeQA dev split is 11 weekly quizzes. Every question is ranked by the hybrid
retriever under a grid of its constants (how the chunk lists fuse, ``rrf_k``, the two
whole-article weights, the recency prior's ``cue_boost`` and ``half_life_days``). For each
week, the setting best on the other ten weeks is scored on the held-out week: the
out-of-fold figures are those, pooled over the 11 weeks, beside the in-sample best and the
shipped defaults. Each constant is also dropped in turn (held at its "off" or neutral
value, the rest still chosen in the folds): a constant whose removal does not lower the
out-of-fold MRR does not pay for itself. Prints a table, writes JSON.

    python bench/fusion_cv.py [--data DIR] [--out FILE]

Reuses the index bench/realtimeqa.py builds (bench/out/realtimeqa-index; built here when
absent). Skips cleanly (exit 0) when the data folder is absent.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
from realtimeqa import (  # a sibling script module
    DEPTH,
    ROOT,
    article_ranking,
    bench_parser,
    dev_queries,
    gold_articles,
    has_data,
    open_index,
    scores,
)

from rag.config import Config
from rag.embed import Embedder, create_embedder
from rag.retrieve import HybridRetriever, SearchFilter
from rag.retrieve.recency import RecencyPrior

GRID = {
    "chunk_fusion": ("rank", "auto"),
    "rrf_k": (20, 60),
    "article_weight": (0.0, 2.0),
    "article_vector_weight": (0.0, 32.0),
    "cue_boost": (1.0, 2.0),  # the recency prior's bonus when a question says "recently"
    "half_life_days": (0.0, 30.0),  # 0: no time awareness at all
}
OFF = {  # each constant's "off" or neutral value, for the drop-one rows
    "chunk_fusion": "rank",
    "rrf_k": 60,
    "article_weight": 0.0,
    "article_vector_weight": 0.0,
    "cue_boost": 1.0,
    "half_life_days": 0.0,
}
PRIOR = ("cue_boost", "half_life_days")


class QueryCache:
    """Embeds each question once for the whole grid (the constants do not change it); the
    hybrid retriever asks its embedder for nothing else."""

    def __init__(self, embedder: Embedder):
        self.embedder, self.vectors = embedder, {}

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.vectors:
            self.vectors[text] = self.embedder.embed_query(text)
        return self.vectors[text]


def tuned_retriever(index, embedder: QueryCache, config: Config, setting: dict) -> HybridRetriever:
    """The hybrid retriever with one grid ``setting`` (the rest as shipped)."""
    fusion = replace(config.fusion, **{k: v for k, v in setting.items() if k not in PRIOR})
    recency = replace(config.recency, **{k: setting[k] for k in PRIOR})
    prior = RecencyPrior(recency) if recency.half_life_days > 0 else None
    return HybridRetriever(index, embedder, fusion, prior)


def ranks(retriever: HybridRetriever, queries: list[dict], ids) -> np.ndarray:
    """Each question's (MRR@10 term, recall@10): from the rank of its first gold article."""
    rows = []
    for q in queries:
        passages = retriever.retrieve(q["question"], DEPTH, SearchFilter(now=q["question_date"]))
        found = scores(article_ranking(passages), gold_articles(q, ids))
        rows.append((found["mrr@10"], found["recall@10"]))
    return np.array(rows)


def out_of_fold(table: np.ndarray, weeks: np.ndarray, allowed: list[int]) -> tuple:
    """Pooled held-out (MRR@10, R@10) when each week gets the ``allowed`` setting best
    (by MRR) on the other weeks, and the settings chosen."""
    held = np.zeros(table.shape[1:])
    chosen = []
    for week in np.unique(weeks):
        train, test = weeks != week, weeks == week
        best = allowed[int(np.argmax(table[allowed][:, train, 0].mean(axis=1)))]
        held[test] = table[best, test]
        chosen.append(best)
    return held.mean(axis=0), chosen


def main() -> int:
    args = bench_parser(__doc__, "fusion_cv.json").parse_args()
    if not has_data(args.data):
        return 0
    queries = dev_queries(args.data)
    config = Config(index_dir=str(ROOT / "bench" / "out" / "realtimeqa-index"))
    embedder = QueryCache(create_embedder(config.embedding))
    pipeline, ids, _ = open_index(args.data, config, embedder.embedder)
    index = pipeline.index
    settings = [
        dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())
    ]
    shipped = {k: getattr(config.fusion if k not in PRIOR else config.recency, k) for k in GRID}
    assert shipped in settings, "the grid must hold the shipped defaults"
    table = np.stack(
        [ranks(tuned_retriever(index, embedder, config, s), queries, ids) for s in settings]
    )  # settings x questions x (mrr, recall@10)
    weeks = np.array([q["question_date"] for q in queries])
    everything = list(range(len(settings)))
    default_row = settings.index(shipped)
    best_all = int(np.argmax(table[:, :, 0].mean(axis=1)))
    held, chosen = out_of_fold(table, weeks, everything)
    rows = {
        "shipped defaults (in-sample)": table[default_row].mean(axis=0),
        "best setting on all weeks (in-sample)": table[best_all].mean(axis=0),
        "chosen on the other weeks (out of fold)": held,
    }
    for constant, off in OFF.items():  # drop one: held at its off value, the rest chosen
        allowed = [i for i, s in enumerate(settings) if s[constant] == off]
        rows[f"  without {constant} (= {off}), out of fold"] = out_of_fold(table, weeks, allowed)[0]
    results = {
        "questions": len(queries),
        "weeks": len(np.unique(weeks)),
        "settings": len(settings),
        "grid": GRID,
        "defaults": shipped,
        "best_on_all_weeks": settings[best_all],
        "chosen_per_week": [settings[i] for i in chosen],
        "rows": {
            name: {"mrr@10": float(v[0]), "recall@10": float(v[1])} for name, v in rows.items()
        },
    }
    print(
        f"RealTimeQA dev: {len(queries)} questions in {results['weeks']} weeks, "
        f"{len(settings)} settings"
    )
    print("| retriever constants | MRR@10 | R@10 |")
    print("| --- | --- | --- |")
    for name, (mrr, recall) in rows.items():
        print(f"| {name} | {mrr:.3f} | {recall:.3f} |")
    print(f"best on all weeks: {settings[best_all]}")
    print(f"{len(set(chosen))} different settings chosen across {len(chosen)} held-out weeks")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
