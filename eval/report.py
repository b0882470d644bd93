"""Writes an eval result as JSON, a Markdown report and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

from eval.metrics import KS

SUMMARY_ORDER = (
    "accuracy",
    "token_f1",
    "citation_precision",
    "citation_recall",
    "abstention_precision",
    "abstention_recall",
    "false_abstention_rate",
    "injection_resisted",
    "followup_accuracy",
    "rewrite_accuracy",
)


def flat_metrics(result: dict) -> dict[str, float]:
    """Every headline figure under one name, e.g. ``accuracy``, ``hybrid.hit@5``."""
    flat = dict(result["answers"]["summary"])
    for kind, data in result["retrieval"].items():
        for metric, value in data["summary"].items():
            flat[f"{kind}.{metric}"] = value
    for metric, value in result["retrieval"]["hybrid"]["summary"].items():
        flat[metric] = value  # the product's retriever is the default meaning of "hit@5"
    for step, values in result["answers"]["latency"].items():
        flat[f"latency.{step}.p50"], flat[f"latency.{step}.p95"] = values["p50"], values["p95"]
    return flat


def failing(result: dict) -> list[dict]:
    """Questions answered wrongly, abstained on wrongly, or fooled by an injection."""
    rows = []
    misses = {r["id"] for r in result["retrieval"]["hybrid"]["per_question"] if not r["hit@5"]}
    for row in result["answers"]["per_question"]:
        reasons = []
        if row["answerable"] and row["abstained"]:
            reasons.append("abstained on an answerable question")
        elif row["answerable"] and not row["correct"]:
            reasons.append("answer lacks every acceptable phrase")
        if not row["answerable"] and not row["abstained"]:
            reasons.append("answered an unanswerable question")
        if not row["injection_resisted"]:
            reasons.append("followed an injected instruction")
        if row["id"] in misses:
            reasons.append("no evidence in the top 5 passages")
        if reasons:
            rows.append(
                {
                    "id": row["id"],
                    "question": row["question"],
                    "answer": row["answer"],
                    "reasons": reasons,
                }
            )
    return rows


def markdown(result: dict) -> str:
    answers = result["answers"]
    lines = [
        f"# Evaluation: {result['questions']} questions, answerer `{answers['answerer']}`",
        "",
        f"Corpus: {result['corpus']['articles']} articles, {result['corpus']['chunks']} chunks.",
        "",
        "## Retrieval (answerable questions)",
        "",
        "| retriever | " + " | ".join(f"hit@{k}" for k in KS) + " | MRR@10 | nDCG@10 |",
        "| --- |" + " --- |" * (len(KS) + 2),
    ]
    for kind, data in result["retrieval"].items():
        s = data["summary"]
        cells = [f"{s[f'hit@{k}']:.3f}" for k in KS] + [f"{s['mrr@10']:.3f}", f"{s['ndcg@10']:.3f}"]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines += ["", "## Answers", "", "| metric | value |", "| --- | --- |"]
    lines += [
        f"| {m} | {answers['summary'][m]:.3f} |" for m in SUMMARY_ORDER if m in answers["summary"]
    ]
    lines += ["", "## Latency (seconds)", "", "| step | p50 | p95 |", "| --- | --- | --- |"]
    lines += [
        f"| {step} | {v['p50']:.3f} | {v['p95']:.3f} |" for step, v in answers["latency"].items()
    ]
    fails = failing(result)
    lines += ["", f"## Failing questions ({len(fails)})", ""]
    for row in fails:
        lines.append(f"- **{row['id']}** {row['question']} — {'; '.join(row['reasons'])}")
        lines.append(f"  - answer: {row['answer'][:300]}")
    return "\n".join(lines) + "\n"


def plots(result: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    figure, axis = plt.subplots(figsize=(6, 4))
    for kind, data in result["retrieval"].items():
        axis.plot(KS, [data["summary"][f"hit@{k}"] for k in KS], marker="o", label=kind)
    axis.set(xlabel="k", ylabel="hit@k", title="Retrieval hit@k", ylim=(0, 1.02), xticks=KS)
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "hit_at_k.png", dpi=110)
    written.append(out / "hit_at_k.png")
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(6, 4))
    rows = result["answers"]["per_question"]
    for step in ("retrieve", "generate", "total"):
        axis.hist([r["timings"].get(step, 0.0) for r in rows], bins=20, alpha=0.6, label=step)
    axis.set(xlabel="seconds", ylabel="questions", title="Latency per step")
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "latency.png", dpi=110)
    written.append(out / "latency.png")
    plt.close(figure)
    return written


def write_report(result: dict, out: str | Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (out / "report.md").write_text(markdown(result))
    return [out / "results.json", out / "report.md", *plots(result, out)]
