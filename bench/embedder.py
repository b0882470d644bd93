"""A stronger embedder where it pays: nomic-embed-text-v1.5 (GGUF, llama.cpp) on RealTimeQA.

nomic embeds about 250 tokens/s on 2 cores, so it is measured first where it is cheap:
one vector per article from its title and lead (the first ``LEAD`` tokens), used

- alone, as an article-level ranking (beside MiniLM on the same texts, the control);
- as a third whole-article list in the hybrid retriever (weight chosen in the folds);
- to re-score the hybrid's top N articles (N chosen in the folds).

Every choice is made leave-one-week-out (the 11 weekly quizzes of the dev split, as in
bench/fusion_cv.py); the table quotes the out-of-fold figures beside the in-sample ones.
It also reports the cost: the lead vectors' build time, the query embedding p50 of both
models, and what a full chunk index with nomic would take at the measured rate. Prints a
table, writes JSON.

    python bench/embedder.py [--data DIR] [--model nomic-embed-text-v1.5] [--out FILE]

Reuses bench/realtimeqa.py's index (built when absent); the lead vectors are cached under
bench/out/realtimeqa-leads. Skips cleanly (exit 0) when the data folder is absent.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from pathlib import Path

import numpy as np
from common import save
from fusion_cv import QueryCache, out_of_fold  # sibling script modules
from levers import fused_order
from realtimeqa import (
    DEPTH,
    ROOT,
    Judge,
    article_ranking,
    bench_parser,
    dev_queries,
    has_data,
    open_index,
)

from rag.config import Config, EmbeddingConfig
from rag.embed import Embedder, create_embedder
from rag.retrieve import HybridRetriever, SearchFilter
from rag.retrieve.fusion import Ranking
from rag.retrieve.hybrid import _nearest
from rag.tokens import encoding

LEAD = 64  # tokens of the article's text after its title: the lead carries the story
LEAD_WEIGHTS = (0.0, 8.0, 16.0, 32.0, 64.0)  # the third article list's weight (0: off)
RESCORE_DEPTHS = (0, 3, 5, 10, 20)  # top articles re-scored (0: off)
COLUMNS = ("mrr@10", "recall@10", "recall@1", "answer@1")


def lead_texts(index) -> list[str]:
    """Each article's title and the first ``LEAD`` tokens of its text."""
    enc = encoding()
    return [f"{a.title}\n{enc.decode(enc.encode_ordinary(a.text)[:LEAD])}" for a in index.articles]


def cached_vectors(embedder: Embedder, texts: list[str], folder: Path, name: str):
    """The texts' vectors (cached by model and texts) and the seconds embedding took (None
    when cached)."""
    key = hashlib.sha256("\n\0".join([name, *texts]).encode()).hexdigest()[:16]
    path = folder / f"{name.replace('/', '_')}-{key}.npy"
    if path.is_file():
        return np.load(path), None
    started = time.perf_counter()
    vectors = embedder.embed(texts, progress=True)
    seconds = time.perf_counter() - started
    folder.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, seconds


class LeadRetriever(HybridRetriever):
    """The hybrid retriever with a third whole-article list: the article's title-and-lead
    vector from a second embedder (its query vectors given per question), weight
    ``lead_weight`` with the article-vector list's flat rank constant."""

    def __init__(self, *args, leads: np.ndarray, queries: dict, lead_weight: float, **kw):
        super().__init__(*args, **kw)
        self.leads, self.queries, self.lead_weight = leads, queries, lead_weight

    def _article_rankings(self, query, vector, articles):
        rankings, matching = super()._article_rankings(query, vector, articles)
        if self.lead_weight:
            fusion = self.fusion
            near = _nearest(self.leads, self.queries[query], fusion.candidates, articles)
            rankings.append(Ranking(near, self.lead_weight, fusion.article_vector_rrf_k))
        return rankings, matching


def rescored(ranked: list[str], index, leads: np.ndarray, query: np.ndarray, depth: int):
    """The top ``depth`` articles reordered by their order fused with their lead vectors'
    (``levers.fused_order``)."""
    if not depth:
        return ranked
    top = ranked[:depth]
    return fused_order(top, leads[[index.position[a] for a in top]] @ query) + ranked[depth:]


def alone(leads: np.ndarray, query: np.ndarray, index) -> list[str]:
    order = np.argsort(-(leads @ query), kind="stable")[:DEPTH]
    return [index.articles[i].id for i in order]


def main() -> int:
    parser = bench_parser(__doc__, "embedder.json")
    parser.add_argument("--model", default="nomic-embed-text-v1.5", help="GGUF name or path")
    args = parser.parse_args()
    if not has_data(args.data):
        return 0
    queries = dev_queries(args.data)
    config = Config(index_dir=str(ROOT / "bench" / "out" / "realtimeqa-index"))
    minilm = QueryCache(create_embedder(config.embedding))
    pipeline, ids, _ = open_index(args.data, config, minilm.embedder)
    index, judge = pipeline.index, Judge(pipeline.index, ids)
    started = time.perf_counter()
    strong = create_embedder(EmbeddingConfig(kind="gguf", model=args.model))
    load_seconds = time.perf_counter() - started
    texts = lead_texts(index)
    folder = ROOT / "bench" / "out" / "realtimeqa-leads"
    leads, lead_seconds = cached_vectors(strong, texts, folder, args.model)
    small, small_seconds = cached_vectors(minilm.embedder, texts, folder, config.embedding.model)
    timings: dict[str, list[float]] = {"nomic": [], "minilm": []}
    strong_q, small_q = {}, {}
    for q in queries:
        for name, model, into in (("nomic", strong, strong_q), ("minilm", minilm, small_q)):
            t = time.perf_counter()
            into[q["question"]] = model.embed_query(q["question"])
            timings[name].append((time.perf_counter() - t) * 1000)

    def row(ranked: list[str], q: dict) -> list[float]:
        found = judge(ranked, q)
        return [found[c] for c in COLUMNS]

    prior = pipeline.retriever.prior
    settings = [(w, n) for w in LEAD_WEIGHTS for n in RESCORE_DEPTHS if not (w and n)]
    table, fixed = [], {}
    for weight, depth in settings:
        retriever = LeadRetriever(
            index,
            minilm,
            config.fusion,
            prior,
            leads=leads,
            queries=strong_q,
            lead_weight=weight,
        )
        rows = []
        for q in queries:
            passages = retriever.retrieve(
                q["question"], DEPTH, SearchFilter(now=q["question_date"])
            )
            ranked = article_ranking(passages)
            rows.append(row(rescored(ranked, index, leads, strong_q[q["question"]], depth), q))
        table.append(rows)
    table = np.array(table)  # settings x questions x COLUMNS
    for name, vectors, vector_of in (
        (f"{args.model} title+lead alone", leads, strong_q),
        (f"{config.embedding.model} title+lead alone (control)", small, small_q),
    ):
        fixed[name] = np.mean(
            [row(alone(vectors, vector_of[q["question"]], index), q) for q in queries], axis=0
        )
    weeks = np.array([q["question_date"] for q in queries])
    shipped = settings.index((0.0, 0))
    lead_only = [i for i, (w, n) in enumerate(settings) if not n]
    rescore_only = [i for i, (w, n) in enumerate(settings) if not w]
    rows = {
        **{f"{name} (no choice)": v for name, v in fixed.items()},
        "shipped hybrid (MiniLM)": table[shipped].mean(axis=0),
    }
    for label, allowed in (
        ("+ nomic lead list", lead_only),
        ("+ nomic re-scoring of the top N", rescore_only),
        ("either", list(range(len(settings)))),
    ):
        best = allowed[int(np.argmax(table[allowed][:, :, 0].mean(axis=1)))]
        held, chosen = out_of_fold(table, weeks, allowed)
        rows[f"{label}, best on all weeks {settings[best]} (in-sample)"] = table[best].mean(axis=0)
        rows[f"{label}, chosen on the other weeks (out of fold)"] = held
        rows[f"  chosen (weight, N) per week: {[settings[i] for i in chosen]}"] = None
    chunk_tokens = sum(len(encoding().encode_ordinary(c.text)) for c in index.chunks)
    lead_tokens = sum(len(encoding().encode_ordinary(t)) for t in texts)
    rate = lead_tokens / lead_seconds if lead_seconds else None
    results = {
        "questions": len(queries),
        "articles": len(index.articles),
        "model": args.model,
        "lead_tokens": LEAD,
        "settings": settings,
        "rows": {
            k: dict(zip(COLUMNS, map(float, v), strict=True))
            for k, v in rows.items()
            if v is not None
        },
        "chosen": [k for k, v in rows.items() if v is None],
        "cost": {
            "nomic_load_seconds": load_seconds,
            "lead_vectors_seconds": {"nomic": lead_seconds, "minilm": small_seconds},
            "lead_tokens_total": lead_tokens,
            "nomic_tokens_per_second": rate,
            "query_embedding_p50_ms": {k: statistics.median(v) for k, v in timings.items()},
            "chunk_tokens_total": chunk_tokens,
            "nomic_full_chunk_index_hours_estimate": chunk_tokens / rate / 3600 if rate else None,
        },
    }
    print(f"RealTimeQA dev: {len(queries)} questions, {len(index.articles)} articles")
    print("| ranking | " + " | ".join(COLUMNS) + " |")
    print("| --- |" + " --- |" * len(COLUMNS))
    for name, values in rows.items():
        if values is None:
            print(f"| {name} |" + " |" * len(COLUMNS))
        else:
            print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    print(json.dumps(results["cost"], indent=2))
    save(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
