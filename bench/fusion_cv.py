"""How much of a fusion-constant sweep on RealTimeQA carries over to unseen questions.

Ranks every dev question with the hybrid retriever under a grid of its fusion constants
(``rrf_k``, ``article_weight``, ``article_vector_weight``, ``article_vector_rrf_k``) and
the recency prior's ``cue_boost``, then splits the questions in half many times: the
best setting on one half is scored on the other. The gap between the in-sample best and
the held-out score is what tuning to this split buys that would not carry over to new
questions; the shipped defaults are scored on the same halves beside it.
Prints a table, writes JSON.

    python bench/fusion_cv.py [--data DIR] [--splits 20] [--out FILE]

Reuses the index bench/realtimeqa.py builds (bench/out/realtimeqa-index; built here when
absent). Skips cleanly (exit 0) when the data folder is absent.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
from realtimeqa import (  # a sibling script module
    DEFAULT_DATA,
    DEPTH,
    ROOT,
    article_ranking,
    dev_queries,
    gold_articles,
    open_index,
    scores,
)

from rag.config import Config
from rag.embed import Embedder, create_embedder
from rag.retrieve import HybridRetriever, SearchFilter
from rag.retrieve.temporal import RecencyPrior

GRID = {
    "rrf_k": (20, 60, 120),
    "article_weight": (1.0, 2.0, 4.0),
    "article_vector_weight": (16.0, 32.0, 64.0),
    "article_vector_rrf_k": (250, 500, 1000),
    "cue_boost": (1.0, 2.0, 4.0),  # the recency prior's bonus when a question says "recently"
}


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
    fusion = replace(config.fusion, **{k: v for k, v in setting.items() if k != "cue_boost"})
    prior = RecencyPrior(replace(config.recency, cue_boost=setting["cue_boost"]))
    return HybridRetriever(index, embedder, fusion, prior)


def reciprocal_ranks(retriever: HybridRetriever, queries: list[dict], ids) -> np.ndarray:
    """Each question's MRR@10 term: 1 / rank of its first gold article (0 when absent)."""
    ranks = []
    for q in queries:
        passages = retriever.retrieve(q["question"], DEPTH, SearchFilter(now=q["question_date"]))
        ranks.append(scores(article_ranking(passages), gold_articles(q, ids))["mrr@10"])
    return np.array(ranks)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--splits", type=int, default=20, help="random halvings (seeded)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "fusion_cv.json")
    args = parser.parse_args()
    if not (args.data / "corpus.jsonl.gz").is_file():
        print(f"RealTimeQA data not found in {args.data}: skipping.")
        return 0
    queries = dev_queries(args.data)
    config = Config(index_dir=str(ROOT / "bench" / "out" / "realtimeqa-index"))
    embedder = QueryCache(create_embedder(config.embedding))
    pipeline, ids, _ = open_index(args.data, config, embedder.embedder)
    index = pipeline.index
    settings = [
        dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())
    ]
    shipped = {
        "rrf_k": config.fusion.rrf_k,
        "article_weight": config.fusion.article_weight,
        "article_vector_weight": config.fusion.article_vector_weight,
        "article_vector_rrf_k": config.fusion.article_vector_rrf_k,
        "cue_boost": config.recency.cue_boost,
    }
    assert shipped in settings, "the grid must hold the shipped defaults"
    rr = np.stack(
        [
            reciprocal_ranks(tuned_retriever(index, embedder, config, s), queries, ids)
            for s in settings
        ]
    )  # settings x questions
    default_row = settings.index(shipped)
    rng, half = random.Random(0), len(queries) // 2
    in_sample, held_out, defaults_held_out, chosen = [], [], [], []
    for _ in range(args.splits):
        order = list(range(len(queries)))
        rng.shuffle(order)
        for tune, test in ((order[:half], order[half:]), (order[half:], order[:half])):
            best = int(np.argmax(rr[:, tune].mean(axis=1)))  # first best: ties keep grid order
            in_sample.append(float(rr[best, tune].mean()))
            held_out.append(float(rr[best, test].mean()))
            defaults_held_out.append(float(rr[default_row, test].mean()))
            chosen.append(best)
    full_best = int(np.argmax(rr.mean(axis=1)))
    results = {
        "questions": len(queries),
        "settings": len(settings),
        "splits": args.splits,
        "defaults": {**shipped, "mrr@10": float(rr[default_row].mean())},
        "best_on_all_questions": {**settings[full_best], "mrr@10": float(rr[full_best].mean())},
        "tuned_on_half_in_sample": statistics.mean(in_sample),
        "tuned_on_half_held_out": statistics.mean(held_out),
        "tuned_on_half_held_out_sd": statistics.stdev(held_out),
        "defaults_on_the_same_halves": statistics.mean(defaults_held_out),
        "distinct_settings_chosen": len(set(chosen)),
    }
    print(f"RealTimeQA dev: {len(queries)} questions, {len(settings)} settings")
    print("| MRR@10 | value |")
    print("| --- | --- |")
    print(f"| shipped defaults, all questions | {results['defaults']['mrr@10']:.3f} |")
    full_best_mrr = results["best_on_all_questions"]["mrr@10"]
    print(f"| best setting, all questions (in-sample) | {full_best_mrr:.3f} |")
    print(
        f"| best on one half, on that half (in-sample) | {results['tuned_on_half_in_sample']:.3f} |"
    )
    print(
        f"| best on one half, on the other half (held out) | "
        f"{results['tuned_on_half_held_out']:.3f} ± {results['tuned_on_half_held_out_sd']:.3f} |"
    )
    print(
        f"| shipped defaults, on the same halves | {results['defaults_on_the_same_halves']:.3f} |"
    )
    print(f"best on all questions: {settings[full_best]}")
    print(
        f"{results['distinct_settings_chosen']} different settings won across {len(chosen)} halves"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
