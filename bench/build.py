"""Index build speed and memory on a fixed slice of the RealTimeQA articles, side by side:
the model's raw encode rate on the project's chunks (the limit), the project's
``IndexBuilder`` (float and int8 embedder), and LangChain's usual recipe
(``RecursiveCharacterTextSplitter(1000, 200)`` + the same model through
``HuggingFaceEmbeddings`` + ``FAISS.from_documents``).

Each pipeline runs in a fresh process so its peak RSS is its own; model loading is timed
apart from the build. Prints a table and writes JSON (default bench/out/build.json).

    python bench/build.py [--articles 150] [--data ../shared/bench/realtimeqa]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from common import peak_rss_mb, run_worker  # a sibling script module

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "realtimeqa"
MODEL = "all-MiniLM-L6-v2"
PIPELINES = {
    "encode": "raw model encode, the project's chunk texts",
    "encode-int8": "raw model encode, int8, the project's chunk texts",
    "rag": "project IndexBuilder (float)",
    "rag-int8": "project IndexBuilder, --quantize int8",
    "langchain": "LangChain recipe: 1000/200 chars, FAISS.from_documents",
}


def write_slice(data: Path, n: int, path: Path) -> int:
    """The first ``n`` non-empty articles of the corpus as JSON lines (a fixed slice)."""
    written = 0
    with (
        gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as rows,
        open(path, "w", encoding="utf-8") as out,
    ):
        for line in rows:
            row = json.loads(line)
            if not row.get("text", "").strip():
                continue
            article = {"title": row["title"], "text": row["text"], "url": row["url"]}
            out.write(json.dumps(article) + "\n")
            written += 1
            if written == n:
                break
    return written


def project_texts(corpus: Path) -> list[str]:
    """Exactly the texts ``IndexBuilder`` embeds for ``corpus`` (title + chunk)."""
    from rag.chunking import Chunker
    from rag.config import Config, IngestConfig
    from rag.index.index import embed_text
    from rag.ingest.loaders import load_file

    chunker = Chunker(Config().chunking)
    articles = load_file(corpus, IngestConfig(max_file_bytes=corpus.stat().st_size)).articles
    return [embed_text(a, c, True) for a in articles for c in chunker.split(a)]


def worker(name: str, corpus: Path) -> dict:
    """Run one pipeline in this process and report its figures."""
    started = time.perf_counter()
    if name == "langchain":
        return _langchain(corpus, started)
    from rag.config import Config, EmbeddingConfig
    from rag.embed import create_embedder

    quantize = "int8" if name.endswith("int8") else "none"
    embedder = create_embedder(EmbeddingConfig(model=MODEL, quantize=quantize))
    load_s = time.perf_counter() - started
    if name.startswith("encode"):
        texts = project_texts(corpus)
        started = time.perf_counter()
        embedder.embed(texts)
        seconds, chunks, articles = time.perf_counter() - started, len(texts), None
    else:
        from rag.pipeline import Pipeline

        with tempfile.TemporaryDirectory() as folder:
            config = Config(index_dir=folder).with_(quantize=quantize, max_file_bytes=1 << 30)
            started = time.perf_counter()
            report = Pipeline(config, embedder=embedder).build([corpus])
            seconds, chunks, articles = (
                time.perf_counter() - started,
                report.chunks,
                report.articles,
            )
    return _row(name, load_s, seconds, chunks, articles)


def _langchain(corpus: Path, started: float) -> dict:
    import warnings

    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.embed import resolve_model

    with warnings.catch_warnings():  # the class moved to langchain-huggingface; same code
        warnings.simplefilter("ignore")
        embeddings = HuggingFaceEmbeddings(
            model_name=resolve_model(MODEL), encode_kwargs={"normalize_embeddings": True}
        )
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = splitter.create_documents(
        [r["text"] for r in rows], [{"title": r["title"], "source": r["url"]} for r in rows]
    )
    FAISS.from_documents(documents, embeddings)
    return _row("langchain", load_s, time.perf_counter() - started, len(documents), len(rows))


def _row(name: str, load_s: float, seconds: float, chunks: int, articles: int | None) -> dict:
    return {
        "pipeline": name,
        "model_load_s": round(load_s, 2),
        "seconds": round(seconds, 2),
        "chunks": chunks,
        "articles": articles,
        "chunks_per_s": round(chunks / seconds, 2),
        "articles_per_s": round(articles / seconds, 3) if articles else None,
        "peak_rss_mb": round(peak_rss_mb()),
    }


def table(rows: list[dict]) -> str:
    by_name = {r["pipeline"]: r for r in rows}
    langchain = by_name.get("langchain", {}).get("chunks_per_s")
    lines = [
        "| pipeline | articles | chunks | s | chunks/s | articles/s | × LangChain | "
        "of raw encode | peak RSS MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        limit = by_name.get("encode-int8" if r["pipeline"].endswith("int8") else "encode")
        of_limit = (
            f"{r['chunks_per_s'] / limit['chunks_per_s']:.0%}"
            if limit and r["pipeline"].startswith("rag")
            else "-"
        )
        ratio = f"{r['chunks_per_s'] / langchain:.2f}" if langchain else "-"
        lines.append(
            f"| {PIPELINES[r['pipeline']]} | {r['articles'] or '-'} | {r['chunks']} | "
            f"{r['seconds']} | {r['chunks_per_s']} | {r['articles_per_s'] or '-'} | {ratio} | "
            f"{of_limit} | {r['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=150, help="size of the fixed slice")
    parser.add_argument("--pipelines", nargs="+", default=list(PIPELINES), choices=PIPELINES)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "build.json")
    parser.add_argument("--worker", choices=PIPELINES, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.corpus)))
        return 0
    if not (args.data / "corpus.jsonl.gz").is_file():
        print(f"RealTimeQA data not found in {args.data}; skipping.")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "slice.jsonl"
        n = write_slice(args.data, args.articles, corpus)
        rows = []
        for name in args.pipelines:
            rows.append(run_worker(__file__, "--worker", name, "--corpus", str(corpus)))
            print(f"{name}: {rows[-1]['chunks_per_s']} chunks/s", file=sys.stderr)
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"articles": n, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
