"""Speculative decoding for the local answerer: off, n-gram drafts, a 0.5B draft model.

Each setting answers the same questions (the eval set's first ``--questions`` answerable
ones, over the sample articles) with the local answerer, in that order after one warm-up
question; reports the p50 seconds to the first verified sentence and to the whole answer,
and how many answers are word for word those of ``off`` (greedy decoding should not
change them). Prints a table and writes JSON (default bench/out/speculative.json).

    python bench/speculative.py [--questions 15] [--settings off ngram draft]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import save  # sibling script modules
from sample import time_answer

from eval.dataset import load_questions
from rag.config import SPECULATIVE, Config
from rag.embed import create_embedder
from rag.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]


def run(config: Config, embedder, questions: list[str]) -> dict:
    """One setting's timings and answers (a fresh model load, then one warm-up)."""
    started = time.perf_counter()
    answerer = Pipeline(config, embedder=embedder).answerer("local")
    load = time.perf_counter() - started
    answerer.answer(questions[0])  # the prompt cache and the threads warm up
    rows = []
    for question in questions:
        marks = time_answer(answerer, question)
        rows.append({**marks, "answer": marks["answer"].text})
    return {"load_s": load, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=15)
    parser.add_argument("--settings", nargs="+", default=list(SPECULATIVE), choices=SPECULATIVE)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "speculative.json")
    args = parser.parse_args()
    asked = [q.question for q in load_questions(ROOT / "eval" / "questions.jsonl") if q.answerable]
    asked = asked[: args.questions]
    embedder = create_embedder()
    results: dict = {"questions": len(asked), "settings": {}}
    with tempfile.TemporaryDirectory() as folder:
        config = Config(index_dir=folder)
        Pipeline(config, embedder=embedder).build()
        for setting in args.settings:
            results["settings"][setting] = run(config.with_(speculative=setting), embedder, asked)
    base = results["settings"].get("off")
    print(f"{len(asked)} questions over the sample articles, local answerer")
    print("| speculative | first verified p50 s | total p50 s | total mean s | same answer |")
    print("| --- | --- | --- | --- | --- |")
    for setting, result in results["settings"].items():
        rows = result["rows"]
        same = (
            sum(r["answer"] == b["answer"] for r, b in zip(rows, base["rows"], strict=True))
            if base
            else None
        )
        result["summary"] = {
            "first_verified_p50": statistics.median(r["first_verified"] for r in rows),
            "total_p50": statistics.median(r["total"] for r in rows),
            "total_mean": statistics.mean(r["total"] for r in rows),
            "same_answer_as_off": same,
        }
        s = result["summary"]
        print(
            f"| {setting} | {s['first_verified_p50']:.2f} | {s['total_p50']:.2f} | "
            f"{s['total_mean']:.2f} | {same}/{len(rows)} |"
        )
    save(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
