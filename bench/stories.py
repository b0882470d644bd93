"""Syndicated copies on RealTimeQA: how many stories have copies, and what counting each
story once (``fusion.one_per_story``) does to recall, MRR and answer@1 (gold unchanged).

    python bench/stories.py [--data ../shared/bench/realtimeqa] [--out bench/out/stories.json]

Uses the index bench/realtimeqa.py builds (bench/out/realtimeqa-index; built when absent,
40-60 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import report  # noqa: E402
from bench.realtimeqa import (  # noqa: E402
    DEFAULT_DATA,
    DEPTH,
    Judge,
    article_ranking,
    dev_queries,
    mean_scores,
    open_index,
)
from rag.config import Config  # noqa: E402
from rag.embed import create_embedder  # noqa: E402
from rag.retrieve import SearchFilter, create_retriever  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index-dir", type=Path, default=ROOT / "bench/out/realtimeqa-index")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "stories.json")
    args = parser.parse_args()
    if not (args.data / "corpus.jsonl.gz").is_file():
        print(f"RealTimeQA data not found in {args.data}: skipping.")
        return 0
    config = Config(index_dir=str(args.index_dir))
    embedder = create_embedder(config.embedding)
    pipeline, ids, _ = open_index(args.data, config, embedder)
    index, queries = pipeline.index, dev_queries(args.data)
    sizes = Counter(index.story.tolist())
    grouped = {s: n for s, n in sizes.items() if n > 1}
    gold_copied = sum(
        any(index.copies(index.position[ids[d]]) for d in q["gold_doc_ids"] if d in ids)
        for q in queries
    )
    result = {
        "articles": len(index.articles),
        "stories with copies": len(grouped),
        "articles in them": sum(grouped.values()),
        "largest story (articles)": max(grouped.values(), default=1),
        "questions whose gold article has copies": gold_copied,
        "retrieval": {},
    }
    judge = Judge(index, ids)
    for kind in ("hybrid", "bm25"):
        for once in (True, False):
            settings = replace(config, fusion=replace(config.fusion, one_per_story=once))
            retriever = create_retriever(kind, index, embedder, settings)
            rows, latencies = [], []
            for q in queries:
                started = time.perf_counter()
                found = retriever.retrieve(
                    q["question"], DEPTH, SearchFilter(now=q["question_date"])
                )
                latencies.append((time.perf_counter() - started) * 1000)
                rows.append(judge(article_ranking(found), q))
            name = f"{kind}, {'each story once' if once else 'every copy'}"
            result["retrieval"][name] = {
                **{k: round(v, 3) for k, v in mean_scores(rows).items()},
                "p50_ms": round(statistics.median(latencies), 1),
            }
    return report(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
