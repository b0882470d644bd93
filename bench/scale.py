"""Vector search at a million chunks: exact search against the approximate index types the
project offers (``rag index build --index-type``), built by the project's own ``FaissStore``.

The vectors are synthetic, 384-d and unit length. Uniformly random directions have no
neighbourhood structure (every point is nearly equidistant), unlike text embeddings, so
they are drawn around a two-level hierarchy of random centres (``--topics`` topics of 50
subtopics each, like stories within subjects), which gives a query's top-1 and top-10
neighbours cosines of about 0.8 and 0.55, as MiniLM's on news. Queries come from the same
distribution and are not in the index. For every index: build time, bytes per vector, and
for each search setting (the project's default included) the p50/p95 latency of one query
at a time (as the product searches) and recall@10 against exact search.

Synthetic clusters can suit one index type better than real text does, so ``--real``
repeats the measurement on a real index's vectors (the RealTimeQA index that
bench/realtimeqa.py builds: 47,939 MiniLM chunk vectors) with its real questions.

    python bench/scale.py [--n 1000000] [--queries 200] [--types flat ivf-sq8 ivf-pq hnsw]
    python bench/scale.py --real-only   # just the real-vectors rows
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np
from common import percentile  # a sibling script module

from rag.store.faiss_store import FaissStore, factory_string

ROOT = Path(__file__).resolve().parents[1]
REAL_QUERIES = ROOT.parent / "shared" / "bench" / "realtimeqa" / "queries_dev.jsonl"
DIM, K = 384, 10
SWEEPS = {  # search settings tried per type: IVF lists probed, HNSW beam width
    "ivf-sq8": ("nprobe", (1, 4, 16, 64)),
    "ivf-pq": ("nprobe", (1, 4, 16, 64)),
    "hnsw": ("ef_search", (32, 64, 128, 256, 512)),
    "flat": (None, (None,)),
}


def synthetic(n: int, topics: int, seed: int, subtopics: int = 50) -> np.ndarray:
    """``n`` unit vectors: topic centre + 0.8 x subtopic offset + 0.6 x own noise."""
    rng = np.random.default_rng(seed)
    fixed = np.random.default_rng(12345)  # the same centres for the index and the queries
    scale = 1 / np.sqrt(DIM)
    centres = fixed.standard_normal((topics, DIM), dtype=np.float32) * scale
    offsets = fixed.standard_normal((topics * subtopics, DIM), dtype=np.float32) * scale
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        sub = rng.integers(0, topics * subtopics, m)
        noise = rng.standard_normal((m, DIM), dtype=np.float32) * scale
        block = centres[sub // subtopics] + 0.8 * offsets[sub] + 0.6 * noise
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    index = faiss.IndexFlatIP(DIM)
    index.add(vectors)
    return index.search(queries, K)[1]


def measure(store: FaissStore, queries: np.ndarray, truth: np.ndarray, params) -> dict:
    times, found = [], []
    for query in queries:
        started = time.perf_counter()
        _, ids = store.index.search(query.reshape(1, -1), K, params=params)
        times.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    recall = np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)])
    return {
        "p50_ms": round(percentile(times, 0.5), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "recall@10": round(float(recall), 4),
    }


def real_data(index_dir: Path, questions: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """A built index's chunk vectors and its embedded questions (None when absent)."""
    from rag.embed import create_embedder
    from rag.index.layout import current_version

    try:
        folder = current_version(index_dir)
    except Exception:
        return None
    if not questions.is_file():
        return None
    vectors = np.load(folder / "embeddings.npy", allow_pickle=False).astype(np.float32)
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    queries = create_embedder("all-MiniLM-L6-v2").embed([r["question"] for r in rows if r])
    return np.ascontiguousarray(vectors), queries


def bench_type(index_type: str, vectors: np.ndarray, queries: np.ndarray, truth) -> list[dict]:
    started = time.perf_counter()
    store = FaissStore.from_vectors(vectors, index_type)
    build_s = time.perf_counter() - started
    bytes_per_vector = len(faiss.serialize_index(store.index)) / len(vectors)
    knob, values = SWEEPS[index_type]
    shipped = params_of(store.search_parameters())
    if knob:  # the project's own setting is always among those measured
        values = sorted({*values, shipped[0] if knob == "nprobe" else shipped[1]})
    rows = []
    for value in values:
        params = store.search_parameters(**({knob: value} if knob else {}))
        default = shipped == params_of(params)
        rows.append(
            {
                "data": f"synthetic {len(vectors):,}",
                "index_type": index_type,
                "factory": factory_string(index_type, len(vectors), DIM),
                "setting": f"{knob}={value}" if knob else "exact",
                "default": default,
                "build_s": round(build_s, 1),
                "bytes_per_vector": round(bytes_per_vector),
                **measure(store, queries, truth, params),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def params_of(params) -> tuple:
    return tuple(getattr(params, name, None) for name in ("nprobe", "efSearch"))


def table(rows: list[dict]) -> str:
    lines = [
        "| vectors | index | factory | search setting | build s | bytes/vector | p50 ms | "
        "p95 ms | recall@10 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        setting = r["setting"] + (" (default)" if r["default"] and r["setting"] != "exact" else "")
        lines.append(
            f"| {r['data']} | {r['index_type']} | {r['factory']} | {setting} | {r['build_s']} | "
            f"{r['bytes_per_vector']} | {r['p50_ms']} | {r['p95_ms']} | {r['recall@10']} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    """Recall@10 against p95 latency, one line per index type (the trade-off curve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4))
    for kind in dict.fromkeys(r["index_type"] for r in rows):
        points = [r for r in rows if r["index_type"] == kind]
        label = f"{kind} ({points[0]['bytes_per_vector']} B/vector)"
        axes.plot(
            [r["p95_ms"] for r in points], [r["recall@10"] for r in points], "o-", label=label
        )
    axes.axhline(0.95, color="grey", linestyle=":", linewidth=1)
    axes.axvline(10, color="grey", linestyle=":", linewidth=1)
    axes.set_xscale("log")
    axes.set_xlabel("p95 latency per query, ms (log)")
    axes.set_ylabel("recall@10 vs exact")
    axes.set_title(f"{rows[0]['n']:,} x {DIM} vectors, 2 CPU cores")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--types", nargs="+", default=["flat", "ivf-sq8", "ivf-pq", "hnsw"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scale.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "bench" / "out" / "scale.png")
    parser.add_argument("--real", type=Path, default=ROOT / "bench" / "out" / "realtimeqa-index")
    parser.add_argument("--real-queries", type=Path, default=REAL_QUERIES)
    parser.add_argument("--real-only", action="store_true")
    args = parser.parse_args()
    rows: list[dict] = []
    if not args.real_only:
        started = time.perf_counter()
        vectors = synthetic(args.n, args.topics, seed=1)
        queries = synthetic(args.queries, args.topics, seed=2)
        truth = exact_neighbours(vectors, queries)
        print(f"data and exact neighbours: {time.perf_counter() - started:.1f}s", file=sys.stderr)
        rows = [row for kind in args.types for row in bench_type(kind, vectors, queries, truth)]
        del vectors
    real = real_data(args.real, args.real_queries)
    if real is None:
        print(f"no real index in {args.real}: real-vector rows skipped", file=sys.stderr)
    else:
        vectors, queries = real
        truth = exact_neighbours(vectors, queries)
        for kind in ("flat", "ivf-sq8", "hnsw"):
            for row in bench_type(kind, vectors, queries, truth):
                rows.append({**row, "data": f"real {len(vectors):,} (RealTimeQA)"})
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    synthetic_rows = [r for r in rows if r["data"].startswith("synthetic")]
    if synthetic_rows:
        plot([{**r, "n": args.n} for r in synthetic_rows], args.plot)
    meta = {"n": args.n, "dim": DIM, "queries": args.queries, "topics": args.topics}
    args.out.write_text(json.dumps({**meta, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
