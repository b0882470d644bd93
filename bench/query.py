"""Query latency and serving memory on the full RealTimeQA index, side by side: the
project's hybrid retriever with its defaults (query embedding included), a full extractive
answer, and LangChain's ``similarity_search`` on its usual recipe's FAISS index.

Each side runs in a fresh process, which loads its index and model (timed apart) and then
asks every dev question ``--repeats`` times; its peak RSS is the memory serving takes.
Both indexes are built on first use and cached under bench/out (the project's in ~45 min,
LangChain's in ~1 h on two cores). Prints a table and writes JSON (bench/out/query.json).

    python bench/query.py [--repeats 2] [--k 10]

Skips cleanly (exit 0) when the RealTimeQA data folder is absent.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import peak_rss_mb, percentile, run_worker  # sibling script modules
from realtimeqa import DEFAULT_DATA, langchain_store, open_index

from rag.config import Config
from rag.embed import create_embedder
from rag.retrieve import SearchFilter

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SIDES = {
    "rag": "project: hybrid retrieval, defaults (embedding + dense + BM25 + time)",
    "rag-answer": "project: full extractive answer (retrieve + select + verify), new passages",
    "embed": "project: query embedding alone (part of both rows above)",
    "langchain": "LangChain recipe: FAISS similarity_search (embedding + exact search)",
}


def timed(call, items, repeats: int, before=lambda: None) -> list[float]:
    """Milliseconds of ``call`` on each item, ``repeats`` times; ``before`` runs untimed
    ahead of each call."""
    call(items[0])  # warm-up: first-call allocations are not a query's cost
    times = []
    for _ in range(repeats):
        for item in items:
            before()
            started = time.perf_counter()
            call(item)
            times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def worker(side: str, data: Path, repeats: int, k: int) -> dict:
    lines = (data / "queries_dev.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line) for line in lines if line.strip()]
    started = time.perf_counter()
    embedder = create_embedder()
    rows: dict[str, dict] = {}
    if side == "langchain":
        store = langchain_store(data, OUT / "realtimeqa-langchain", embedder)
        load_s = time.perf_counter() - started
        times = timed(lambda q: store.similarity_search(q["question"], k=k), queries, repeats)
        rows["langchain"] = summary(times)
    else:
        config = Config(index_dir=str(OUT / "realtimeqa-index"))
        pipeline, _, _ = open_index(data, config, embedder)
        retriever, answerer = pipeline.retriever, pipeline.answerer("extractive")
        load_s = time.perf_counter() - started

        def retrieve(q: dict):
            return retriever.retrieve(q["question"], k, SearchFilter(now=q["question_date"]))

        def answer(q: dict):
            return answerer.answer(
                q["question"], search_filter=SearchFilter(now=q["question_date"])
            )

        rows["embed"] = summary(
            timed(lambda q: embedder.embed_query(q["question"]), queries, repeats)
        )
        rows["rag"] = summary(timed(retrieve, queries, repeats))
        # each answer as if its story were new: the answerer remembers the evidence
        # sentences of passages it met, and a repeated question would time that memory
        rows["rag-answer"] = summary(timed(answer, queries, repeats, answerer.forget))
    for row in rows.values():
        row.update(load_s=round(load_s, 1), peak_rss_mb=round(peak_rss_mb()))
    return {"queries": len(queries) * repeats, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--k", type=int, default=10, help="passages per question")
    parser.add_argument("--out", type=Path, default=OUT / "query.json")
    parser.add_argument("--worker", choices=("rag", "langchain"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (args.data / "queries_dev.jsonl").is_file():
        print(f"RealTimeQA data not found in {args.data}; skipping.")
        return 0
    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.repeats, args.k)))
        return 0
    rows: dict[str, dict] = {}
    for side in ("rag", "langchain"):
        extra = ("--data", str(args.data), "--repeats", str(args.repeats), "--k", str(args.k))
        result = run_worker(__file__, "--worker", side, *extra)
        rows.update(result["rows"])
    langchain = rows["langchain"]["p50_ms"]
    print(f"RealTimeQA: {result['queries']} timed queries per row, k={args.k}")
    print("| query path | p50 ms | p95 ms | p50 vs LangChain | load s | peak RSS MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for side, label in SIDES.items():
        r = rows[side]
        print(
            f"| {label} | {r['p50_ms']} | {r['p95_ms']} | {r['p50_ms'] / langchain:.2f}x | "
            f"{r['load_s']} | {r['peak_rss_mb']} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"k": args.k, "repeats": args.repeats, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
