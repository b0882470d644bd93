"""RealTimeQA news retrieval benchmark (external data, never copied into the repo).

Reads ../shared/bench/realtimeqa/ (or --data), indexes the articles once (cached under
bench/out/realtimeqa-index), and reports article-level recall@1/5/10 and MRR@10 (an
article ranks as its best chunk) and answer@1 (the top article contains the correct
option, whether or not it is the labelled one) beside the web search engine's ranking from the file:
BM25 and dense alone, LangChain's usual recipe (1000/200 character split, the same
model, FAISS; its vectors cached under bench/out/realtimeqa-langchain), and the project's
hybrid retriever with its levers switched on one by one, ending with the shipped
defaults. Every retriever gets the question's date as its "now" (``SearchFilter.now``),
exactly as the product gets today's date. Then answer accuracy (the answer contains the
correct option) for the extractive and local LLM answerers on the dev questions (all 103
by default). Prints a table and writes JSON.

    python bench/realtimeqa.py [--data DIR] [--sample 103] [--no-llm] [--no-langchain] [--out FILE]
    python bench/realtimeqa.py --quantize int8 ...   # the int8 embedder, its own cached index
    python bench/realtimeqa.py --rescore-model DIR   # + re-scoring with a larger model

Skips cleanly (exit 0) when the data folder is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from levers import BM25Feedback, DenseFeedback, Rescore  # a sibling script module

from eval.dataset import contains
from rag.config import QUANTIZATIONS, Config, IngestConfig
from rag.embed import create_embedder
from rag.index import Index
from rag.ingest.loaders import latest_per_page, load_file
from rag.ingest.urls import page_key
from rag.pipeline import Pipeline
from rag.retrieve import HybridRetriever, SearchFilter
from rag.retrieve.recency import RecencyPrior

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "realtimeqa"
DEPTH = 100  # chunks read per question before ranking articles by their best chunk
LANGCHAIN = "LangChain recipe: 1000/200 chars, same model, FAISS"


def load_corpus(data: Path, folder: Path) -> tuple[Path, dict[str, str]]:
    """Write the articles as JSON lines for the loader; map each doc id to the id the
    loader gives its article (pages with the same title and text are one article, and so
    are copies of one URL)."""
    path, docs = folder / "articles.jsonl", []
    with (
        gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as rows,
        open(path, "w") as out,
    ):
        for line in rows:
            row = json.loads(line)
            if not row.get("text", "").strip():
                continue
            docs.append(row["doc_id"])
            article = {
                "title": row["title"],
                "text": row["text"],
                "url": row["url"],
                "published": row.get("publish_date") or None,
            }
            out.write(json.dumps(article) + "\n")
    articles = load_file(path, IngestConfig(max_file_bytes=path.stat().st_size)).articles
    assert len(articles) == len(docs), "every written article must load"
    # copies of one page are one article, the newer (as the index build keeps them)
    kept = {page_key(a.source): a.id for a in latest_per_page(articles)[0]}
    pairs = zip(docs, articles, strict=True)
    return path, {doc: kept.get(page_key(a.source), a.id) for doc, a in pairs}


# (answer contains the option, abstained, its passages contain it) -> where it was lost
LOSSES = {
    (True, False, True): "correct",
    (True, False, False): "correct",
    (False, True, True): "abstained, a retrieved passage holds the option",
    (False, True, False): "abstained, no retrieved passage holds it",
    (False, False, True): "answered, its passages hold the option but the answer misses it",
    (False, False, False): "answered from passages without the option",
}


def dev_queries(data: Path) -> list[dict]:
    """The dev questions, one JSON object a line."""
    lines = (data / "queries_dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def article_ranking(passages, second: float = 0.0) -> list[str]:
    """Articles (content ids) in the order of their best chunk's score, plus ``second``
    times their second-best chunk's (0: the best chunk alone, the benchmark's rule)."""
    if not second:
        return list(dict.fromkeys(p.article_id for p in passages))
    chunks: dict[str, list[float]] = {}
    for p in passages:
        chunks.setdefault(p.article_id, []).append(p.score)
    total = {a: s[0] + second * (s[1] if len(s) > 1 else 0.0) for a, s in chunks.items()}
    return sorted(total, key=lambda a: -total[a])


def gold_articles(query: dict, ids: dict[str, str]) -> set[str]:
    return {ids[doc] for doc in query["gold_doc_ids"] if doc in ids}


def first_rank(ranked: list[str], gold: set[str]) -> int | None:
    """The 1-based rank of the first gold article in the top 10, None when absent."""
    return next((i for i, doc in enumerate(ranked[:10], 1) if doc in gold), None)


def scores(ranked: list[str], gold: set[str]) -> dict[str, float]:
    rank = first_rank(ranked, gold)
    return {
        "recall@1": float(rank == 1),
        "recall@5": float(rank is not None and rank <= 5),
        "recall@10": float(rank is not None),
        "mrr@10": 1.0 / rank if rank else 0.0,
    }


@dataclass
class Judge:
    """Scores an article ranking for a question: against the gold articles (``scores``),
    and whether the top article contains the correct option (``answer@1``, as DPR's top-k
    accuracy). The second view counts a same-event article that answers the question
    as well as the gold one, which the labels do not (most events have several)."""

    index: Index
    ids: dict[str, str]  # doc id -> article id

    def answers(self, article_id: str, query: dict) -> bool:
        """Whether the article's text contains the question's correct option."""
        article = self.index.by_id.get(article_id)
        return article is not None and any(
            contains(article.text, a.strip('“”"')) for a in query["answers"]
        )

    def __call__(self, ranked: list[str], query: dict) -> dict[str, float]:
        answered = bool(ranked) and self.answers(ranked[0], query)
        return {**scores(ranked, gold_articles(query, self.ids)), "answer@1": float(answered)}


def open_index(data: Path, config: Config, embedder) -> tuple[Pipeline, dict[str, str], float]:
    """A pipeline over the project's index of every article (built once with ``config``
    and ``embedder``, then reused), the doc id -> article id map, and the build seconds
    (None when reused)."""
    # one JSON-lines file holds every article, so the per-file size limit is raised
    config = config.with_(max_file_bytes=500_000_000)
    pipeline = Pipeline(config, embedder=embedder, progress=True)
    with tempfile.TemporaryDirectory() as folder:
        corpus, ids = load_corpus(data, Path(folder))
        built = pipeline.index.manifest if pipeline.index is not None else None
        # the same articles as loaded now (a loader change can retitle some), same settings
        if (
            built is not None
            and set(pipeline.index.by_id) == set(ids.values())
            and built.chunking == config.chunking
            and built.embedding.same_vectors(config.embedding)
        ):
            return pipeline, ids, None
        started = time.perf_counter()
        print(pipeline.build([corpus]), file=sys.stderr)
        return pipeline, ids, time.perf_counter() - started


def langchain_store(data: Path, folder: Path, embedder):
    """LangChain's recipe over every article (its vectors cached in ``folder``)."""
    from langchain_recipe import cached  # a sibling script module

    texts, metadatas = [], []
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            if row.get("text", "").strip():
                texts.append(row["text"])
                metadatas.append({"doc_id": row["doc_id"]})
    return cached(texts, metadatas, embedder, folder)


def langchain_row(args, queries: list[dict], judge: Judge, embedder) -> dict:
    """LangChain's recipe over the same articles: ``similarity_search`` per question."""
    store = langchain_store(args.data, args.out.parent / "realtimeqa-langchain", embedder)
    rows, latencies = [], []
    for q in queries:
        started = time.perf_counter()
        documents = store.similarity_search(q["question"], k=DEPTH)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = list(dict.fromkeys(judge.ids[d.metadata["doc_id"]] for d in documents))
        rows.append(judge(ranked, q))
    return {**mean_scores(rows), "p50_ms": statistics.median(latencies)}


def bench_parser(doc: str, out: str) -> argparse.ArgumentParser:
    """The options every RealTimeQA script takes: ``--data`` and ``--out`` (bench/out/OUT)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / out)
    return parser


def has_data(data: Path) -> bool:
    """Whether the RealTimeQA files are in ``data`` (when not, says it skips)."""
    if (data / "corpus.jsonl.gz").is_file():
        return True
    print(f"RealTimeQA data not found in {data}: skipping.")
    return False


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.mean(r[k] for r in rows) for k in rows[0]}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index-dir", type=Path, help="default bench/out/realtimeqa-index")
    parser.add_argument("--quantize", choices=QUANTIZATIONS, default="none", help="embedder")
    parser.add_argument("--chunk-tokens", type=int, default=Config().chunking.tokens)
    parser.add_argument("--chunk-overlap", type=int, default=Config().chunking.overlap)
    parser.add_argument(
        "--sample", type=int, default=103, help="questions for answer accuracy (default: all)"
    )
    parser.add_argument("--no-llm", action="store_true")
    parser.add_argument("--no-langchain", action="store_true", help="skip LangChain's recipe")
    parser.add_argument(
        "--rescore-model",
        type=Path,
        help="a sentence-transformers model folder (all-mpnet-base-v2): adds a re-scoring row",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "realtimeqa.json")
    args = parser.parse_args()
    if not has_data(args.data):
        return 0
    queries = dev_queries(args.data)
    chunking = (args.chunk_tokens, args.chunk_overlap)
    suffix = "" if args.quantize == "none" else f"-{args.quantize}"
    if chunking != (Config().chunking.tokens, Config().chunking.overlap):
        suffix += f"-chunks{args.chunk_tokens}-{args.chunk_overlap}"
    args.index_dir = args.index_dir or ROOT / "bench" / "out" / f"realtimeqa-index{suffix}"
    config = Config(index_dir=str(args.index_dir)).with_(
        quantize=args.quantize, chunk_tokens=args.chunk_tokens, chunk_overlap=args.chunk_overlap
    )
    embedder = create_embedder(config.embedding)
    pipeline, ids, build_seconds = open_index(args.data, config, embedder)
    index = pipeline.index
    results: dict = {
        "questions": len(queries),
        "articles": len(set(ids.values())),
        "chunks": len(index.chunks),
        "build_seconds": build_seconds,
        "retrieval": {},
    }
    judge = Judge(index, ids)
    # for reference: how often a gold article itself contains the option (some paraphrase it)
    results["gold_answer"] = statistics.mean(
        float(any(judge.answers(g, q) for g in gold_articles(q, ids))) for q in queries
    )
    results["retrieval"]["web search (file)"] = mean_scores(
        [
            judge(list(dict.fromkeys(ids.get(d, d) for d in q["google_ranked_doc_ids"])), q)
            for q in queries
        ]
    )
    if not args.no_langchain and args.quantize == "none":  # its cached vectors are float
        results["retrieval"][LANGCHAIN] = langchain_row(args, queries, judge, embedder)
    defaults = pipeline.retriever
    recency = RecencyPrior(config.recency)
    fusion = config.fusion
    retrievers = {
        "BM25 (chunks)": pipeline.create_retriever("bm25"),
        "dense (chunks)": pipeline.create_retriever("dense"),
        "hybrid: dense + BM25 chunks, RRF": HybridRetriever(
            index, embedder, replace(fusion, article_weight=0, article_vector_weight=0)
        ),
        "+ whole-article BM25": HybridRetriever(
            index, embedder, replace(fusion, article_vector_weight=0)
        ),
        "+ whole-article vector (mean of its chunks)": HybridRetriever(index, embedder, fusion),
        "+ time awareness = project defaults": defaults,
        "defaults, chunk lists fused by min-max score": HybridRetriever(
            index, embedder, replace(fusion, chunk_fusion="score"), recency
        ),
        "defaults, chunk lists fused by min-max score and rank, by coverage": HybridRetriever(
            index, embedder, replace(fusion, chunk_fusion="auto"), recency
        ),
        "defaults, chunk lists fused by rank (RRF)": HybridRetriever(
            index, embedder, replace(fusion, chunk_fusion="rank"), recency
        ),
        "defaults, recency bonus not scaled by relevance (before #19)": HybridRetriever(
            index, embedder, fusion, replace(recency, by_relevance=False)
        ),
        "defaults without the whole-article vector": HybridRetriever(
            index, embedder, replace(fusion, article_vector_weight=0), recency
        ),
        "defaults + BM25 pseudo-relevance feedback (top 3 articles, 10 terms)": BM25Feedback(
            index, embedder, fusion, recency, articles=3
        ),
        "defaults + dense feedback (query vector + 0.5 x top article's vector)": DenseFeedback(
            defaults, index
        ),
    }
    if args.rescore_model:
        name = f"defaults, top 3 articles re-scored with {args.rescore_model.name}"
        retrievers[name] = Rescore(defaults, args.rescore_model)
    summed = "defaults, article = best + 0.5 x second-best chunk"
    gold_rank: dict[str, int | None] = {}
    top_answers: dict[str, bool] = {}  # defaults: the top article contains the option
    for name, retriever in retrievers.items():
        rows, latencies, summed_rows = [], [], []
        for q in queries:
            started = time.perf_counter()
            asked = SearchFilter(now=q["question_date"])
            passages = retriever.retrieve(q["question"], DEPTH, asked)
            latencies.append((time.perf_counter() - started) * 1000)
            ranked = article_ranking(passages)
            rows.append(judge(ranked, q))
            summed_rows.append(judge(article_ranking(passages, 0.5), q))
            if retriever is defaults:
                gold_rank[q["id"]] = first_rank(ranked, gold_articles(q, ids))
                top_answers[q["id"]] = rows[-1]["answer@1"] == 1.0
        results["retrieval"][name] = {**mean_scores(rows), "p50_ms": statistics.median(latencies)}
        if retriever is defaults:  # article-level aggregation: the same passages, summed
            results["retrieval"][summed] = mean_scores(summed_rows)
    results["defaults_gold_rank"] = gold_rank  # per question, for reading the misses
    results["defaults_answer_at_1"] = top_answers

    sample = queries[: args.sample]
    names = ["extractive"]
    if not args.no_llm and "local" in pipeline.answerer_names():
        names.append("local")
    answerers = {name: pipeline.answerer(name) for name in names}
    results["answers"] = {}
    for name, answerer in answerers.items() if sample else ():
        correct = abstained = 0
        lost: Counter = Counter()  # where a question's answer was lost (#23)
        rows = []  # each question's answer, for reading the misses
        for q in sample:
            asked = SearchFilter(now=q["question_date"])
            answer = answerer.answer(q["question"], search_filter=asked)
            options = [a.strip('“”"') for a in q["answers"]]
            right = any(contains(answer.text, a) for a in options)
            # the passages it drew on (abstaining: those retrieved) hold the option
            held = any(contains(p.text, a) for p in answer.passages for a in options)
            abstained += answer.abstained
            correct += right
            where = LOSSES[(right, answer.abstained, held)]
            lost[where] += 1
            rows.append(
                {
                    "id": q["id"],
                    "question": q["question"],
                    "options": options,
                    "answer": answer.text,
                    "where": where,
                }
            )
        results["answers"][name] = {
            "accuracy": correct / len(sample),
            "abstained": abstained / len(sample),
            "sample": len(sample),
            "breakdown": {k: lost[k] / len(sample) for k in dict.fromkeys(LOSSES.values())},
            "questions": rows,
        }

    print(
        f"RealTimeQA dev: {len(queries)} questions, {results['articles']} articles, "
        f"{len(index.chunks)} chunks"
    )
    print("| retriever | recall@1 | recall@5 | recall@10 | MRR@10 | answer@1 | p50 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, s in results["retrieval"].items():
        p50 = f"{s['p50_ms']:.0f}" if "p50_ms" in s else "-"
        print(
            f"| {name} | {s['recall@1']:.3f} | {s['recall@5']:.3f} | {s['recall@10']:.3f} "
            f"| {s['mrr@10']:.3f} | {s['answer@1']:.3f} | {p50} |"
        )
    print(
        "answer@1: the top article contains the correct option (a gold article does for "
        f"{results['gold_answer']:.3f} of the questions)"
    )
    histogram = Counter(r or 11 for r in gold_rank.values())  # 11: not in the top 10
    print(
        "defaults, rank of the gold article:",
        ", ".join(
            f"{'not in top 10' if r == 11 else r}: {n}" for r, n in sorted(histogram.items())
        ),
    )
    missed = [i for i, rank in gold_rank.items() if rank != 1]
    print(
        f"defaults: of the {len(missed)} questions whose gold article is not first, the top "
        f"article contains the correct option in {sum(top_answers[i] for i in missed)}"
    )
    for name, a in results["answers"].items():
        print(
            f"answer accuracy ({name}, first {a['sample']} questions): {a['accuracy']:.3f} "
            f"(abstained on {a['abstained']:.0%})"
        )
        for where, share in a["breakdown"].items():
            print(f"  {share:6.1%}  {where}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
