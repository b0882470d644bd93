"""Runs an eval set: each retriever's ranking, then one answerer's answers, into a result dict."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from eval.dataset import EvalQuestion, contains
from eval.metrics import (
    KS,
    answer_correct,
    citation_scores,
    mean,
    percentile,
    retrieval_scores,
    token_f1,
)
from rag.answer import Answerer
from rag.answer.followup import standalone_query
from rag.config import Config
from rag.embed import Embedder
from rag.pipeline import Pipeline
from rag.retrieve import RETRIEVERS

STEPS = ("retrieve", "generate", "verify", "total")


def conversations(questions: list[EvalQuestion]) -> Iterator[tuple[EvalQuestion, list[dict]]]:
    """Each question with the earlier user turns of its conversation (none for a lone
    question), as the chat history the answerer would get."""
    asked: list[dict] = []
    for i, question in enumerate(questions):
        if not question.conversation or (
            i and questions[i - 1].conversation != question.conversation
        ):
            asked = []
        yield question, list(asked)
        if question.conversation:
            asked.append({"role": "user", "content": question.question})


def evaluate_retrieval(questions: list[EvalQuestion], pipeline: Pipeline) -> dict:
    """hit@k / MRR@10 / nDCG@10 per retriever, averaged over answerable questions; a
    conversation's turn is retrieved with its standalone query, as the answerer does."""
    answerable = [(q, h) for q, h in conversations(questions) if q.answerable and q.evidence]
    index = pipeline.index
    results = {}
    for kind in RETRIEVERS:
        retriever = pipeline.create_retriever(kind)
        rows = []
        for question, history in answerable:
            passages = retriever.retrieve(standalone_query(question.question, history), 10)
            relevant = [any(contains(p.text, e) for e in question.evidence) for p in passages]
            n_relevant = sum(
                1 for c in index.chunks if any(contains(c.text, e) for e in question.evidence)
            )
            rows.append({"id": question.id, **retrieval_scores(relevant, n_relevant)})
        metrics = [f"hit@{k}" for k in KS] + ["mrr@10", "ndcg@10"]
        results[kind] = {
            "summary": {m: mean([r[m] for r in rows]) for m in metrics},
            "per_question": rows,
        }
    return results


def evaluate_answers(questions: list[EvalQuestion], answerer: Answerer) -> dict:
    """Accuracy, token F1, citation precision/recall, abstention and latency."""
    rows, history = [], []
    for question, asked in conversations(questions):
        history = history if asked else []  # the answers given earlier in this conversation
        answer = answerer.answer(question.question, history)
        if question.conversation:
            history = [*history, {"role": "user", "content": question.question}]
            history.append({"role": "assistant", "content": answer.text})
        data = answer.to_dict()
        passages = [c.passage for c in answer.citations]
        precision, recall = citation_scores(question, data["citations"], passages)
        rows.append(
            {
                "id": question.id,
                "type": question.type,
                "question": question.question,
                "answerable": question.answerable,
                "abstained": answer.abstained,
                "answer": answer.text,
                "correct": question.answerable
                and not answer.abstained
                and answer_correct(question, answer.text),
                "f1": token_f1(answer.text, question.answers) if question.answerable else 0.0,
                "citation_precision": precision,
                "citation_recall": recall,
                "injection_resisted": not any(contains(answer.text, f) for f in question.forbidden),
                "query": answer.query,
                "conversation": question.conversation,
                "refers_back": question.refers_back,
                "rewritten": standalone_query(question.question, asked)
                != question.question.strip(),
                "timings": data["timings"],
            }
        )
    answerable = [r for r in rows if r["answerable"]]
    answered = [r for r in answerable if not r["abstained"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    abstained = [r for r in rows if r["abstained"]]
    injected = [r for q, r in zip(questions, rows, strict=True) if q.forbidden]
    summary = {
        "accuracy": mean([float(r["correct"]) for r in answerable]),
        "token_f1": mean([r["f1"] for r in answerable]),
        "citation_precision": mean([r["citation_precision"] for r in answered]),
        "citation_recall": mean([r["citation_recall"] for r in answered]),
        "abstention_precision": (
            sum(not r["answerable"] for r in abstained) / len(abstained) if abstained else 0.0
        ),
        "abstention_recall": mean([float(r["abstained"]) for r in unanswerable]),
        "false_abstention_rate": mean([float(r["abstained"]) for r in answerable]),
        "injection_resisted": mean([float(r["injection_resisted"]) for r in injected]),
    }
    turns = [r for r in rows if r["conversation"]]
    if turns:  # multi-turn sets: follow-ups answered, and rewritten exactly when they should be
        followups = [r for r in turns if r["refers_back"] and r["answerable"]]
        summary["followup_accuracy"] = mean([float(r["correct"]) for r in followups])
        summary["rewrite_accuracy"] = mean(
            [float(r["rewritten"] == r["refers_back"]) for r in turns]
        )
    latency = {
        step: {
            "p50": percentile([r["timings"].get(step, 0.0) for r in rows], 0.5),
            "p95": percentile([r["timings"].get(step, 0.0) for r in rows], 0.95),
        }
        for step in STEPS
    }
    return {"answerer": answerer.name, "summary": summary, "latency": latency, "per_question": rows}


def run_eval(
    questions: list[EvalQuestion],
    config: Config,
    answerer: str = "extractive",
    corpus: Sequence[str | Path] = (),
    embedder: Embedder | None = None,
) -> dict:
    """Index ``corpus`` (the sample articles when empty) in a scratch folder, then evaluate
    the three retrievers and ``answerer`` on it, all through one pipeline."""
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as folder:
        scratch = config.with_(index_dir=str(Path(folder) / "index"))
        pipeline = Pipeline(scratch, embedder=embedder)
        report = pipeline.build(list(corpus))
        retrieval = evaluate_retrieval(questions, pipeline)
        answers = evaluate_answers(questions, pipeline.answerer(answerer))
    return {
        "questions": len(questions),
        "corpus": {"articles": report.articles, "chunks": report.chunks},
        "config": {k: v for k, v in scratch.to_dict().items() if k != "index_dir"},
        "retrieval": retrieval,
        "answers": answers,
    }
