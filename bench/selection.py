"""Fits the answer-sentence ranker and measures which sentences the answers lead with, held out.

For every answerable question of the eval sets (eval/questions.jsonl, the turns of
eval/conversations.jsonl with their history) and of RealTimeQA dev (when
../shared/bench/realtimeqa/ is there; its index is built once by bench/realtimeqa.py and
cached) it records the best 16 evidence sentences the answerer weighs, each with the
features of rag.answer.selection and whether it holds an acceptable answer. A logistic
model is fitted on the training folds and judged on the held-out fold: RealTimeQA
leave-one-week-out (each of its 11 weekly quizzes is a fold), the eval sets' questions
(conversations kept whole) spread over the same folds. Reported per set, held out and
in sample, beside the evidence score's order (the rule before the ranker):

- ``lead``: the first sentence the extractive answer quotes holds an answer;
- ``answer``: one of the sentences it quotes does (as the extractive answerer chooses
  them: ``selection.choose``), and how many it quotes on average.

``--write`` saves the ranker fitted on every question to rag/answer/data/sentences.json.

    python bench/selection.py [--no-realtimeqa] [--write] [--rows FILE] [--out FILE]

``--rows FILE`` refits from the rows a run wrote (its ``--out``) in seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from answerability import SETS  # noqa: E402  (sibling script modules)
from realtimeqa import DEFAULT_DATA, dev_queries, has_data, open_index  # noqa: E402

from eval.dataset import contains, load_questions  # noqa: E402
from eval.runner import conversations  # noqa: E402
from rag.answer.answerability import MARKED  # noqa: E402
from rag.answer.selection import (  # noqa: E402
    DEFAULT_RANKER,
    FEATURES,
    SentenceRanker,
    choose,
    save_ranker,
    sentence_features,
)
from rag.answer.types import Evidence  # noqa: E402
from rag.config import AnswerConfig, Config  # noqa: E402
from rag.embed import create_embedder  # noqa: E402
from rag.filters import SearchFilter  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.text import content_terms  # noqa: E402

C = 1.0  # L2 strength of the logistic fit (sklearn's default)


def question_row(answerer, question, history, answers, group, set_name, now=None) -> dict:
    """One question: its best ``MARKED`` evidence sentences with their features and
    whether each holds one of ``answers`` (no sentences when a rule abstains first)."""
    weighed = answerer.evidence(question, history, SearchFilter(now=now) if now else None)
    sentences = []
    if weighed is not None:
        evidence, context = weighed
        asked = content_terms(context.question)
        for e in evidence[:MARKED]:
            holds = any(contains(e.text, a) for a in answers)
            row = {**sentence_features(asked, e), "relevance": e.score, "holds": holds}
            row["text"] = e.text
            sentences.append({**row, "passage": e.passage, "start": e.start})
    return {"set": set_name, "group": group, "question": question, "sentences": sentences}


def collect_project(pipeline: Pipeline) -> list[dict]:
    answerer = pipeline.answerer("extractive")
    rows = []
    for set_name, path in SETS.items():
        for question, asked in conversations(load_questions(path)):
            if question.answerable:
                group = question.conversation or question.id
                rows.append(
                    question_row(
                        answerer, question.question, asked, question.answers, group, set_name
                    )
                )
    return rows


def collect_realtimeqa(data: Path) -> list[dict]:
    config = Config(index_dir=str(ROOT / "bench" / "out" / "realtimeqa-index"))
    pipeline, _, _ = open_index(data, config, create_embedder(config.embedding))
    answerer = pipeline.answerer("extractive")
    rows = []
    for q in dev_queries(data):
        answers = [a.strip('“”"') for a in q["answers"]]
        date = q["question_date"]
        rows.append(question_row(answerer, q["question"], [], answers, date, "realtimeqa", date))
        print(f"  realtimeqa {q['id']}", file=sys.stderr)
    return rows


def folds(rows: list[dict]) -> list[int]:
    """A fold per row: each RealTimeQA week its own fold, the eval sets' groups dealt
    round-robin over the same number of folds (10 without RealTimeQA)."""
    weeks = sorted({r["group"] for r in rows if r["set"] == "realtimeqa"})
    n = len(weeks) or 10
    others = list(dict.fromkeys(r["group"] for r in rows if r["set"] != "realtimeqa"))
    fold = {w: i for i, w in enumerate(weeks)} | {g: i % n for i, g in enumerate(others)}
    return [fold[r["group"]] for r in rows]


def fit(rows: list[dict], features: tuple[str, ...] = FEATURES) -> SentenceRanker:
    """A logistic ranker over ``features``, fitted on every sentence of ``rows``."""
    x = np.array([[s[f] for f in features] for r in rows for s in r["sentences"]])
    y = np.array([s["holds"] for r in rows for s in r["sentences"]], dtype=int)
    model = LogisticRegression(C=C, max_iter=1000).fit(x, y)
    weights = tuple(float(w) for w in model.coef_[0])
    return SentenceRanker(features, weights, float(model.intercept_[0]))


def _evidence(sentences: list[dict], ranker: SentenceRanker | None) -> list[Evidence]:
    """The recorded sentences as evidence (best score first), ranked by ``ranker``."""
    evidence = []
    for s in sentences:
        e = Evidence(
            s["passage"],
            s["start"],
            s["start"] + len(s["text"]),
            s["text"],
            s["relevance"],
            s["similarity"],
            0.0,
        )
        if ranker is not None:
            e = replace(e, carries=ranker.of([s[f] for f in ranker.features]))
        evidence.append(e)
    return evidence


def judge(rows: list[dict], ranker: SentenceRanker | None, config: AnswerConfig) -> dict:
    """``lead``, ``answer`` and ``sentences`` of the extractive choice over ``rows``."""
    lead, answer, counts = [], [], []
    for r in rows:
        holds = {s["text"]: s["holds"] for s in r["sentences"]}
        chosen = choose(
            _evidence(r["sentences"], ranker), config.extractive_keep, config.max_sentences
        )
        lead.append(float(bool(chosen) and holds[chosen[0].text]))
        answer.append(float(any(holds[e.text] for e in chosen)))
        counts.append(len(chosen))
    return {
        "lead": statistics.mean(lead),
        "answer": statistics.mean(answer),
        "sentences": statistics.mean(counts),
        "questions": len(rows),
    }


def evaluate(rows: list[dict], features: tuple[str, ...] = FEATURES) -> tuple[dict, SentenceRanker]:
    config = AnswerConfig()
    assigned = folds(rows)
    held: dict[int, SentenceRanker] = {}
    for k in sorted(set(assigned)):
        held[k] = fit([r for r, f in zip(rows, assigned, strict=True) if f != k], features)
    ranker = fit(rows, features)
    results = {}
    for set_name in dict.fromkeys(r["set"] for r in rows):
        mine = [(r, f) for r, f in zip(rows, assigned, strict=True) if r["set"] == set_name]
        per_fold = [judge([r], held[f], config) for r, f in mine]
        results[set_name] = {
            "evidence score order": judge([r for r, _ in mine], None, config),
            "ranker, held out": {
                m: statistics.mean(p[m] for p in per_fold) for m in ("lead", "answer", "sentences")
            },
            "ranker, in sample": judge([r for r, _ in mine], ranker, config),
        }
    return results, ranker


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-realtimeqa", action="store_true")
    parser.add_argument("--write", action="store_true", help=f"save the ranker to {DEFAULT_RANKER}")
    parser.add_argument("--rows", type=Path, help="refit from the rows of an earlier --out")
    parser.add_argument(
        "--ablate", action="store_true", help="held-out figures with each feature left out"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "selection.json")
    args = parser.parse_args()
    if args.rows:
        rows = json.loads(args.rows.read_text())["rows"]
    else:
        with tempfile.TemporaryDirectory(prefix="rag-selection-") as folder:
            pipeline = Pipeline(Config(index_dir=str(Path(folder) / "index")))
            pipeline.build([])
            rows = collect_project(pipeline)
        if not args.no_realtimeqa and has_data(args.data):
            rows += collect_realtimeqa(args.data)
    results, ranker = evaluate(rows)
    print("| set | order | lead holds an answer | answer holds one | sentences |")
    print("| --- | --- | --- | --- | --- |")
    for set_name, table in results.items():
        for order, s in table.items():
            figures = f"{s['lead']:.3f} | {s['answer']:.3f} | {s['sentences']:.2f}"
            print(f"| {set_name} | {order} | {figures} |")
    print(
        "weights:",
        dict(zip(ranker.features, (round(w, 3) for w in ranker.weights), strict=True)),
        "bias",
        round(ranker.bias, 3),
    )
    ablation = {}
    if args.ablate:  # a feature that does not pay held out goes
        print("| left out | " + " | ".join(f"{s} lead / answer" for s in results) + " |")
        print("| --- |" + " --- |" * len(results))
        for left_out in FEATURES:
            kept = tuple(f for f in FEATURES if f != left_out)
            table = evaluate(rows, kept)[0]
            ablation[left_out] = {s: table[s]["ranker, held out"] for s in table}
            cells = " | ".join(
                f"{f['lead']:.3f} / {f['answer']:.3f}" for f in ablation[left_out].values()
            )
            print(f"| {left_out} | {cells} |")
    if args.write:
        about = {"fitted_by": "bench/selection.py", "questions": len(rows), "held_out": results}
        save_ranker(ranker, DEFAULT_RANKER, about)
        print(f"wrote {DEFAULT_RANKER}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"results": results, "ablation": ablation, "rows": rows}
    args.out.write_text(json.dumps(payload, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
