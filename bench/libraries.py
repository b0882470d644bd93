"""Hand-written parts against the library made for them: BM25 (ours vs bm25s), sentence
splitting (ours vs pysbd), question date phrases (ours vs dateparser).

    python bench/libraries.py [--data ../shared/bench/realtimeqa] [--out bench/out/libraries.json]

BM25 is scored on the project's eval set (chunks holding the evidence, as `rag eval`) and,
when the RealTimeQA data is there, on its dev questions (gold articles ranked by their best
chunk, as bench/realtimeqa.py). Sentences and dates are scored on hand-labelled cases below
(written for this comparison, not taken from any benchmark). Needs `pip install bm25s pysbd
dateparser`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import report  # noqa: E402
from bench.realtimeqa import DEFAULT_DATA, dev_queries, gold_articles, load_corpus, scores  # noqa: E402
from eval.dataset import contains, load_questions  # noqa: E402
from eval.metrics import retrieval_scores  # noqa: E402
from rag.chunking import Chunker  # noqa: E402
from rag.config import Config, IngestConfig  # noqa: E402
from rag.ingest import load_sample_corpus  # noqa: E402
from rag.ingest.loaders import load_file  # noqa: E402
from rag.retrieve.temporal import time_scope  # noqa: E402
from rag.store.bm25 import BM25Index  # noqa: E402
from rag.text import split_sentences, tokenize  # noqa: E402

DEPTH = 100  # chunks read per RealTimeQA question, as bench/realtimeqa.py


# -- BM25 -----------------------------------------------------------------------------


class OwnBM25:
    name = "own (scipy sparse, rag.text tokens)"

    def build(self, texts: list[str]) -> None:
        self.index = BM25Index.build(texts)

    def search(self, query: str, k: int) -> list[int]:
        return list(self.index.search(query, k)[0])

    def nbytes(self) -> int:
        m = self.index.matrix
        return m.data.nbytes + m.indices.nbytes + m.indptr.nbytes

    def save(self, folder: Path) -> None:
        self.index.save(folder)


class Bm25s:
    """bm25s with Lucene idf, k1 1.2, b 0.75 (ours), fed the same tokens as ours, or its
    own tokenizer (English stop words, the same Snowball stemmer)."""

    def __init__(self, own_tokens: bool):
        self.own_tokens = own_tokens
        self.name = "bm25s, rag.text tokens" if own_tokens else "bm25s, its own tokenizer"

    def _tokens(self, texts: list[str]):
        import bm25s
        import snowballstemmer

        if self.own_tokens:
            return [tokenize(t) for t in texts]
        stemmer = snowballstemmer.stemmer("english")
        return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer.stemWords, show_progress=False)

    def build(self, texts: list[str]) -> None:
        import bm25s

        self.index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        self.index.index(self._tokens(texts), show_progress=False)
        self.size = len(texts)

    def search(self, query: str, k: int) -> list[int]:
        if self.own_tokens:
            tokens = [[t for t in tokenize(query) if t in self.index.vocab_dict]]
        else:
            import bm25s
            import snowballstemmer

            stem = snowballstemmer.stemmer("english").stemWords
            tokens = bm25s.tokenize([query], stopwords="en", stemmer=stem, show_progress=False)
            tokens = [[t for t in tokens.vocab if t in self.index.vocab_dict]]
        if not tokens[0]:
            return []
        docs, found = self.index.retrieve(tokens, k=min(k, self.size), show_progress=False)
        return [int(d) for d, s in zip(docs[0], found[0], strict=True) if s > 0]

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.index.scores.values() if hasattr(a, "nbytes"))

    def save(self, folder: Path) -> None:
        self.index.save(str(folder))


def _built(engine, texts: list[str]) -> dict:
    tracemalloc.start()
    started = time.perf_counter()
    engine.build(texts)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with tempfile.TemporaryDirectory() as folder:
        engine.save(Path(folder))
        disk = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    return {
        "build_s": round(seconds, 3),
        "build_peak_mb": round(peak / 1e6, 1),
        "index_mb": round(engine.nbytes() / 1e6, 2),
        "disk_mb": round(disk / 1e6, 2),
    }


def _timed_search(engine, questions: list[str], k: int) -> tuple[list[list[int]], float]:
    results, times = [], []
    for question in questions:
        started = time.perf_counter()
        results.append(engine.search(question, k))
        times.append(time.perf_counter() - started)
    return results, round(float(np.median(times)) * 1000, 2)


def bm25_project_set(engines) -> dict:
    """The eval set's answerable questions over the sample articles' chunks."""
    chunker = Chunker(Config().chunking)
    chunks = [c for a in load_sample_corpus().articles for c in chunker.split(a)]
    texts = [c.text for c in chunks]
    questions = [q for q in load_questions() if q.answerable and q.evidence]
    rows = {}
    for engine in engines:
        row = _built(engine, texts)
        ranked, p50 = _timed_search(engine, [q.question for q in questions], 10)
        per = []
        for question, hits in zip(questions, ranked, strict=True):
            relevant = [any(contains(texts[i], e) for e in question.evidence) for i in hits]
            total = sum(any(contains(t, e) for e in question.evidence) for t in texts)
            per.append(retrieval_scores(relevant, total))
        for metric in ("hit@1", "hit@5", "mrr@10"):
            row[metric] = round(float(np.mean([p[metric] for p in per])), 3)
        rows[engine.name] = {**row, "query_p50_ms": p50, "chunks": len(texts)}
    return rows


def bm25_realtimeqa(engines, data: Path) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path, ids = load_corpus(data, Path(folder))
        articles = load_file(path, IngestConfig(max_file_bytes=path.stat().st_size)).articles
    chunker = Chunker(Config().chunking)
    chunks = [c for a in articles for c in chunker.split(a)]
    texts, owners = [c.text for c in chunks], [c.article_id for c in chunks]
    queries = dev_queries(data)
    rows = {}
    for engine in engines:
        row = _built(engine, texts)
        ranked, p50 = _timed_search(engine, [q["question"] for q in queries], DEPTH)
        per = []
        for query, hits in zip(queries, ranked, strict=True):
            order = list(dict.fromkeys(owners[i] for i in hits))
            per.append(scores(order, gold_articles(query, ids)))
        for metric in ("recall@1", "recall@5", "recall@10", "mrr@10"):
            row[metric] = round(float(np.mean([p[metric] for p in per])), 3)
        rows[engine.name] = {**row, "query_p50_ms": p50, "chunks": len(texts)}
    return rows


# -- sentences ------------------------------------------------------------------------

# (text, its sentences): the cases news text meets, labelled by hand.
SENTENCE_CASES = [
    ("The U.S. Senate voted on Tuesday. The bill failed.", 2),
    ("Dr. Jane Smith led the study. It took two years.", 2),
    ("Gen. Mark Milley spoke first. Sen. Warren followed.", 2),
    ("Shares rose 3.5 percent to $12.40. Analysts were surprised.", 2),
    ("“We will not rush,” he said. “Talks continue.”", 2),
    ("“Is it over?” she asked. Nobody answered.", 2),
    ("The vote was close! Turnout hit 61%.", 2),
    ("J. K. Rowling released a new book. Critics praised it.", 2),
    ("The meeting ends at 5 p.m. Monday in Geneva.", 1),
    ("He lives at No. 10 Downing St. in London.", 1),
    ("Visit example.com for details. The site opened today.", 2),
    ("The company, Acme Inc., reported losses. Its stock fell.", 2),
    ("It was signed on Jan. 5, 2022. It took effect in March.", 2),
    ("Officials said... the talks stalled. A new round is planned.", 2),
    ("The U.N. Security Council met. Russia vetoed the text.", 2),
    ("Prices rose (by 4%). Wages did not.", 2),
    ("He said: “The deal is close.” Others disagreed.", 2),
    ("The results are due in Nov. The count is slow.", 2),
    ("Version 2.0 ships today. It fixes 14 bugs.", 2),
    ("Mr. and Mrs. Lee arrived at 9 a.m. The ceremony began.", 2),
    ("The team won 3-1. Fans celebrated in the streets.", 2),
    ("She cited e.g. rising rents and i.e. higher costs. Then she left.", 2),
    ("Asked why, Peskov said it was “complex.” He gave no date.", 2),
    ("St. Louis reported 12 cases. Kansas City reported none.", 2),
]


def _own_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def _pysbd_sentences():
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    return lambda text: [s.strip() for s in segmenter.segment(text) if s.strip()]


def sentences(data: Path) -> dict:
    splitters = {"own (rag.text)": _own_sentences, "pysbd": _pysbd_sentences()}
    sample = [a.text for a in load_sample_corpus().articles]
    if (data / "corpus.jsonl.gz").is_file():
        import gzip

        with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as rows:
            sample = [json.loads(line)["text"] for _, line in zip(range(300), rows, strict=False)]
    # line by line, as the product splits (headings and paragraphs are lines first)
    sample = [line for text in sample for line in text.split("\n") if line.strip()]
    chars = sum(map(len, sample))
    out = {}
    for name, split in splitters.items():
        right = [len(split(text)) == count for text, count in SENTENCE_CASES]
        started = time.perf_counter()
        found = sum(len(split(text)) for text in sample)
        seconds = time.perf_counter() - started
        failed = [text for (text, _), ok in zip(SENTENCE_CASES, right, strict=True) if not ok]
        out[name] = {
            "cases_right": f"{sum(right)}/{len(right)}",
            "failed": failed,
            "chars_per_s": round(chars / seconds),
            "sentences_in_sample": found,
            "sample_chars": chars,
        }
    return out


# -- dates ----------------------------------------------------------------------------

NOW = date(2022, 6, 16)  # a Thursday
# (question, the first day it names, relative to NOW; None: it names no date)
DATE_CASES = [
    ("What happened yesterday in Kyiv?", NOW - timedelta(days=1)),
    ("What did the court decide on June 3?", date(2022, 6, 3)),
    ("Who resigned on May 30, 2022?", date(2022, 5, 30)),
    ("What was announced last Friday?", date(2022, 6, 10)),
    ("What did the Fed say on Wednesday?", date(2022, 6, 15)),
    ("What did the company report in April?", date(2022, 4, 1)),
    ("Which team won in 2021?", date(2021, 1, 1)),
    ("What happened on 2022-06-01?", date(2022, 6, 1)),
    ("What was decided last month?", date(2022, 5, 1)),
    ("What did Theresa May say about Brexit?", None),
    ("Who won March Madness?", None),
    ("What did the second report find?", None),
    ("Why did the minister resign?", None),
    ("How many people attended the summit?", None),
    ("What did the Fed decide at its May meeting?", date(2022, 5, 1)),
    ("What did the president sign into law today?", NOW),
]


def _own_date(question: str) -> date | None:
    return time_scope(question, NOW).start


def _dateparser_date(question: str) -> date | None:
    from datetime import datetime

    from dateparser.search import search_dates

    settings = {
        "RELATIVE_BASE": datetime(NOW.year, NOW.month, NOW.day),
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "first",
    }
    found = search_dates(question, languages=["en"], settings=settings)
    return found[0][1].date() if found else None


def dates() -> dict:
    out = {}
    for name, read in (
        ("own (rag.retrieve.temporal)", _own_date),
        ("dateparser", _dateparser_date),
    ):
        read(DATE_CASES[0][0])  # warm up (dateparser loads its language data)
        started = time.perf_counter()
        got = [read(q) for q, _ in DATE_CASES]
        per_question = (time.perf_counter() - started) / len(DATE_CASES)
        right = [g == want for g, (_, want) in zip(got, DATE_CASES, strict=True)]
        false = sum(
            g is not None and want is None for g, (_, want) in zip(got, DATE_CASES, strict=True)
        )
        wrong = [
            f"{q} -> {g}" for (q, _), g, ok in zip(DATE_CASES, got, right, strict=True) if not ok
        ]
        out[name] = {
            "cases_right": f"{sum(right)}/{len(right)}",
            "dates_read_into_dateless_questions": false,
            "per_question_ms": round(per_question * 1000, 2),
            "wrong": wrong,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "libraries.json")
    args = parser.parse_args()
    engines = [OwnBM25(), Bm25s(own_tokens=True), Bm25s(own_tokens=False)]
    result = {"bm25": {"project set": bm25_project_set(engines)}}
    if (args.data / "corpus.jsonl.gz").is_file():
        result["bm25"]["realtimeqa dev"] = bm25_realtimeqa(engines, args.data)
    else:
        print(f"RealTimeQA data not in {args.data}: BM25 on the project set only", file=sys.stderr)
    result["sentences"] = sentences(args.data)
    result["dates"] = dates()
    return report(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
