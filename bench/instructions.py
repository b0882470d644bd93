"""The instruction detector (rag/answer/instructions.py): caught and false alarms on the
held-out phrasings of tests/answer/test_instructions.py, the share of real news sentences
it takes for instructions (RealTimeQA's articles, when ../shared/bench is there), and what
it costs per question (the eval set's questions, detector on and off, side by side).

    python bench/instructions.py [--data DIR] [--out bench/out/instructions.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import report  # noqa: E402
from bench.realtimeqa import DEFAULT_DATA  # noqa: E402
from eval.dataset import load_questions  # noqa: E402
from rag.answer.instructions import InstructionDetector  # noqa: E402
from rag.config import Config  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.text import split_sentences  # noqa: E402
from tests.answer.test_instructions import HELD_OUT_INSTRUCTIONS, HELD_OUT_NEWS  # noqa: E402

NEWS_SENTENCES = 5000


def news_sentences(data: Path) -> list[str]:
    """Sentences of every 10th RealTimeQA article, line by line (30+ characters)."""
    found: list[str] = []
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as rows:
        for i, row in enumerate(rows):
            if i % 10:
                continue
            for line in json.loads(row)["text"].split("\n"):
                found += [line[s:e] for s, e in split_sentences(line) if e - s >= 30]
            if len(found) >= NEWS_SENTENCES:
                break
    return found[:NEWS_SENTENCES]


def per_question_seconds(pipeline: Pipeline, questions: list[str], cold: bool = False) -> float:
    """Mean seconds per extractive answer (``cold``: no verdict remembered from earlier
    questions, as for passages never seen)."""
    answerer = pipeline.answerer("extractive")
    answerer.answer(questions[0])  # warm up (and fit the detector)
    detector = answerer.scorer.detector
    started = time.perf_counter()
    for question in questions:
        if cold and detector is not None:
            detector.forget()
        answerer.answer(question)
    return (time.perf_counter() - started) / len(questions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "instructions.json")
    args = parser.parse_args()
    with_detector = Pipeline(Config(index_dir=str(ROOT / "bench" / "out" / "sample-index")))
    if with_detector.index is None:
        with_detector.build()
    detector = InstructionDetector(with_detector.embedder)
    caught = detector.flags(HELD_OUT_INSTRUCTIONS)
    false = detector.flags(HELD_OUT_NEWS)
    result = {
        "held-out instructions caught": f"{sum(caught)}/{len(caught)}",
        "held-out news flagged": f"{sum(false)}/{len(false)}",
    }
    if (args.data / "corpus.jsonl.gz").is_file():
        sentences = news_sentences(args.data)
        p = detector.probabilities(sentences)
        result["realtimeqa news sentences flagged"] = {
            "sentences": len(sentences),
            **{f"at {t}": round(float((p >= t).mean()), 4) for t in (0.5, 0.6, 0.7)},
        }
    else:
        print(f"RealTimeQA data not in {args.data}: no real-news figure", file=sys.stderr)
    questions = [q.question for q in load_questions()]
    without = Pipeline(with_detector.config.with_(instruction_threshold=0.0))
    off = per_question_seconds(without, questions)
    cold = per_question_seconds(with_detector, questions, cold=True)
    warm = per_question_seconds(with_detector, questions)
    result["extractive answer, s per question"] = {
        "detector off": round(off, 4),
        "detector on, nothing remembered": round(cold, 4),
        "detector on, verdicts remembered": round(warm, 4),
        "ratio cold/off": round(cold / off, 3),
    }
    return report(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
