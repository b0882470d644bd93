"""`rag eval`: runs an eval set from the command line (registered with the rag CLI)."""

from __future__ import annotations

import argparse
import json
import sys


def register(commands: argparse._SubParsersAction) -> None:
    from rag.answer import ANSWERERS
    from rag.cli import add_config_options

    command = commands.add_parser("eval", help="measure retrieval and answer quality")
    command.add_argument("--questions", help="eval set, JSON lines (default: eval/questions.jsonl)")
    command.add_argument("--corpus", nargs="*", default=[], help="articles (default: the samples)")
    command.add_argument("--answerer", default="extractive", choices=ANSWERERS)
    command.add_argument("--out", default="eval/out", help="report folder (default eval/out)")
    command.add_argument(
        "--fail-under",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when METRIC is below VALUE (false_abstention_rate: above); repeatable",
    )
    add_config_options(command)
    command.set_defaults(func=run)


def parse_gates(values: list[str]) -> dict[str, float]:
    gates = {}
    for value in values:
        metric, sep, threshold = value.partition("=")
        try:
            gates[metric.strip()] = float(threshold)
        except ValueError:
            sep = ""
        if not sep:
            raise SystemExit(f"rag eval: --fail-under takes METRIC=NUMBER, not '{value}'")
    return gates


LOWER_IS_BETTER = {"false_abstention_rate"}


def check_gates(flat: dict[str, float], gates: dict[str, float]) -> list[str]:
    problems = []
    for metric, threshold in gates.items():
        if metric not in flat:
            problems.append(f"unknown metric '{metric}' (known: {', '.join(sorted(flat))})")
            continue
        value = flat[metric]
        worse = value > threshold if metric.endswith(tuple(LOWER_IS_BETTER)) else value < threshold
        if worse:
            problems.append(f"{metric} = {value:.3f}, gate {threshold:.3f}")
    return problems


def run(args: argparse.Namespace) -> None:
    from eval.dataset import DEFAULT_QUESTIONS, load_questions
    from eval.report import failing, flat_metrics, write_report
    from eval.runner import run_eval
    from rag.cli import config_from

    gates = parse_gates(args.fail_under)
    questions = load_questions(args.questions or DEFAULT_QUESTIONS)
    result = run_eval(questions, config_from(args), args.answerer, args.corpus)
    files = write_report(result, args.out)
    flat = flat_metrics(result)
    problems = check_gates(flat, gates)
    if args.json:
        print(
            json.dumps({"metrics": flat, "failing": failing(result), "gates": problems}, indent=2)
        )
    else:
        hybrid = result["retrieval"]
        for kind, data in hybrid.items():
            s = data["summary"]
            print(
                f"{kind:<7} hit@1 {s['hit@1']:.3f}  hit@5 {s['hit@5']:.3f}  "
                f"MRR@10 {s['mrr@10']:.3f}  nDCG@10 {s['ndcg@10']:.3f}"
            )
        for metric, value in result["answers"]["summary"].items():
            print(f"{metric:<22} {value:.3f}")
        print("wrote " + ", ".join(str(f) for f in files))
    if problems:
        print("rag eval: below the gate: " + "; ".join(problems), file=sys.stderr)
        raise SystemExit(1)
