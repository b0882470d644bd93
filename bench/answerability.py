"""Fits the answerability gates with cross-validation and reports held-out-fold figures.

For every question of the eval sets (eval/questions.jsonl, eval/conversations.jsonl, turns
asked with their history) it records the answerer's signals (rag.answer.answerability)
and the answer it gives when no gate stops it. A logistic model over the signals is fitted
on the training folds (conversations kept whole: a fold never sees a turn of a
conversation it is tested on), its threshold set there for false abstention <= 5 % of the
answerable questions (the name rule's abstentions count against that budget), and judged
on the held-out fold: accuracy, abstention recall and false abstention, with the in-sample
figures beside them. ``--write`` saves the gates fitted on all questions to
rag/answer/data/answerability.json. Prints a table, writes JSON.

    python bench/answerability.py [--answerer extractive|local|both] [--folds 10]
                                  [--repeats 5] [--write] [--out FILE] [--rows FILE]

Collecting answers takes ~25 minutes for both answerers; ``--rows FILE`` refits from the
rows a run wrote (its ``--out``) in seconds.

``evidence`` gates read the evidence signals; ``llm`` gates add the local model's own
yes/no probability that the passages answer (its ``judge``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.dataset import load_questions  # noqa: E402
from eval.metrics import answer_correct  # noqa: E402
from eval.runner import conversations  # noqa: E402
from rag.answer.answerability import (  # noqa: E402
    DEFAULT_GATES,
    Gate,
    Signals,
    feature_vector,
    save_gates,
)
from rag.config import Config  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402

SETS = {
    "project": ROOT / "eval/questions.jsonl",
    "conversations": ROOT / "eval/conversations.jsonl",
}
EVIDENCE = ("relevance", "similarity", "coverage", "typed")
FEATURES = {"evidence": EVIDENCE, "llm": (*EVIDENCE, "judge")}
FALSE_ABSTENTION = 0.05
C = 1.0  # L2 strength of the logistic fit (sklearn's default): few features, few questions


def collect(pipeline: Pipeline, name: str) -> list[dict]:
    """One row per question: its set, group, label, whether the name rule abstains, the
    signals, and whether the ungated answer is correct."""
    answerer = pipeline.answerer(name)
    rows = []
    for set_name, path in SETS.items():
        history: list[dict] = []
        for question, asked in conversations(load_questions(path)):
            history = history if asked else []
            # the signals first, as Answerer.stream reads them: the yes/no prompt then
            # meets llama.cpp's prompt cache in the state it does when answering
            signals = answerer.assess(question.question, history)
            answer = answerer.answer(question.question, history)
            row = {
                "set": set_name,
                "id": question.id,
                "group": question.conversation or question.id,
                "answerable": question.answerable,
                "correct": question.answerable
                and not answer.abstained
                and answer_correct(question, answer.text),
                "abstained": answer.abstained,
                "signals": asdict(signals) if signals is not None else None,
            }
            rows.append(row)
            if question.conversation:
                history = [*history, {"role": "user", "content": question.question}]
                history.append({"role": "assistant", "content": answer.text})
            print(
                f"  {name} {question.id}: {'-' if row['signals'] is None else 'scored'}",
                file=sys.stderr,
            )
    return rows


def fit(rows: list[dict], features: tuple[str, ...]) -> Gate:
    """A gate fitted on ``rows``: logistic weights, then the threshold at which at most 5 %
    of the answerable questions are refused (counting the name rule's refusals)."""
    scored = [r for r in rows if r["signals"] is not None]
    x = np.array([_vector(r, features) for r in scored])
    y = np.array([r["answerable"] for r in scored], dtype=int)
    model = LogisticRegression(C=C).fit(x, y)
    gate = Gate(features, tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]), 0.0)
    answerable = [r for r in rows if r["answerable"]]
    budget = int(FALSE_ABSTENTION * len(answerable)) - sum(r["signals"] is None for r in answerable)
    probabilities = sorted(_probability(gate, r) for r in scored if r["answerable"])
    if budget <= 0 or not probabilities:
        threshold = probabilities[0] if probabilities else 0.5
    else:
        threshold = probabilities[min(budget, len(probabilities) - 1)]
    return Gate(gate.features, gate.weights, gate.bias, threshold)


def _signals(row: dict) -> Signals:
    known = {f.name for f in fields(Signals)}  # rows saved by older runs may hold more
    return Signals(**{k: v for k, v in row["signals"].items() if k in known})


def _vector(row: dict, features: tuple[str, ...]) -> list[float]:
    return feature_vector(_signals(row), features)


def _probability(gate: Gate, row: dict) -> float:
    return gate.probability(_signals(row))


def decide(gate: Gate, row: dict) -> bool:
    """Whether the answerer abstains on ``row`` under ``gate``."""
    return row["signals"] is None or _probability(gate, row) < gate.threshold


def figures(rows: list[dict], abstains: list[bool]) -> dict:
    answerable = [(r, a) for r, a in zip(rows, abstains, strict=True) if r["answerable"]]
    unanswerable = [a for r, a in zip(rows, abstains, strict=True) if not r["answerable"]]
    return {
        "accuracy": float(np.mean([not a and r["correct"] for r, a in answerable])),
        "abstention_recall": float(np.mean(unanswerable)) if unanswerable else 0.0,
        "false_abstention": float(np.mean([a for _, a in answerable])),
        "questions": len(rows),
    }


def cross_validate(rows: list[dict], features: tuple, folds: int, repeats: int) -> list[bool]:
    """Each row's held-out decision, as the share of repeats in which it abstained."""
    groups = sorted({r["group"] for r in rows})
    votes = np.zeros(len(rows))
    for seed in range(repeats):
        order = np.random.default_rng(seed).permutation(groups)
        for held in np.array_split(order, folds):
            held = set(held)
            train = [r for r in rows if r["group"] not in held]
            gate = fit(train, features)
            for i, row in enumerate(rows):
                if row["group"] in held:
                    votes[i] += decide(gate, row)
    return list(votes / repeats)


def report(rows: list[dict], name: str, kind: str, folds: int, repeats: int) -> dict:
    features = FEATURES[kind]
    held_out = cross_validate(rows, features, folds, repeats)
    full = fit(rows, features)
    in_sample = [decide(full, r) for r in rows]
    ungated = [r["abstained"] for r in rows]
    result = {"answerer": name, "gate": kind, "gate_fitted": full.to_dict(), "sets": {}}
    for set_name in [*SETS, "all"]:
        keep = [i for i, r in enumerate(rows) if set_name in ("all", r["set"])]
        part = [rows[i] for i in keep]
        # a held-out abstention share of 0.4 counts 0.4 of an abstention: averaged over repeats
        result["sets"][set_name] = {
            "held_out": _soft_figures(part, [held_out[i] for i in keep]),
            "in_sample": figures(part, [in_sample[i] for i in keep]),
            "ungated": figures(part, [ungated[i] for i in keep]),
        }
    return result


def _soft_figures(rows: list[dict], shares: list[float]) -> dict:
    answerable = [(r, s) for r, s in zip(rows, shares, strict=True) if r["answerable"]]
    unanswerable = [s for r, s in zip(rows, shares, strict=True) if not r["answerable"]]
    return {
        "accuracy": float(np.mean([(1 - s) * r["correct"] for r, s in answerable])),
        "abstention_recall": float(np.mean(unanswerable)) if unanswerable else 0.0,
        "false_abstention": float(np.mean([s for _, s in answerable])),
        "questions": len(rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answerer", choices=["extractive", "local", "both"], default="both")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="save the gates fitted on all")
    parser.add_argument("--out", default=str(ROOT / "bench/out/answerability.json"))
    parser.add_argument(
        "--rows", type=Path, help="refit from the rows an earlier run wrote (no answering)"
    )
    args = parser.parse_args()
    names = ["extractive", "local"] if args.answerer == "both" else [args.answerer]
    collected = {}
    if args.rows:
        collected = {r["answerer"]: r["rows"] for r in json.loads(args.rows.read_text())}
    else:
        with tempfile.TemporaryDirectory(prefix="rag-gates-") as folder:
            # no gate and no relevance floor: every question's ungated answer and signals
            config = Config().with_(index_dir=f"{folder}/index", gates="off", min_evidence=-1.0)
            pipeline = Pipeline(config)
            pipeline.build([])
            collected = {name: collect(pipeline, name) for name in names}
    results, gates = [], {}
    for name in names:
        rows = collected[name]
        kind = "llm" if name != "extractive" else "evidence"
        results.append(report(rows, name, kind, args.folds, args.repeats) | {"rows": rows})
        gates[kind] = fit(rows, FEATURES[kind])
    print(f"{'answerer':<11} {'set':<14} {'figures':<10} accuracy  abst.recall  false abst.")
    for result in results:
        for set_name, table in result["sets"].items():
            for which in ("held_out", "in_sample", "ungated"):
                f = table[which]
                print(
                    f"{result['answerer']:<11} {set_name:<14} {which:<10} {f['accuracy']:8.3f}"
                    f"  {f['abstention_recall']:11.3f}  {f['false_abstention']:11.3f}"
                )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    if args.write:
        if set(gates) != set(FEATURES):
            print("--write needs --answerer both (both gates are saved together)")
            return 2
        about = {
            "fitted_by": "python bench/answerability.py --write",
            "held_out": {r["gate"]: r["sets"]["all"]["held_out"] for r in results},
            "false_abstention_budget": FALSE_ABSTENTION,
        }
        save_gates(gates, DEFAULT_GATES, about)
        print(f"wrote {DEFAULT_GATES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
