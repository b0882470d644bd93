"""Sample-corpus figures: index build time, retrieval latency, and each answerer's time to
the passages, to the first text (draft), to the first verified sentence, and in total; the
local model with and without its prompt cache, and without the answerability gate's
yes/no call. Questions are asked in turn, ``--repeats`` times, so their passages have been
met before (the answerer remembers their sentence vectors and entities), as in a chat
about one story; the row "local, passages new to it" drops what it remembers before each
question. llama.cpp's memory of earlier prompts is off throughout (``prompt_memory_mib``
0), or a repeated question would be timed from memory. Prints a table and writes JSON
(default bench/out/sample.json).

    python bench/sample.py [--repeats 5] [--out bench/out/sample.json] [--no-llm] [--llm NAME]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from common import percentile  # a sibling script module

from rag.answer import Answer, Answerer, Delta, Draft, LLMGenerator, Retrieved
from rag.config import Config
from rag.embed import create_embedder
from rag.llm.backends import OpenAIBackend
from rag.pipeline import Pipeline

QUESTIONS = [
    "What did Peskov say about timelines?",
    "Who is Steve Witkoff?",
    "How much military assistance has Washington provided Kyiv?",
    "What did Koffler say about Putin's strategy?",
    "Where was the Ukrainian delegation set to meet?",
]

NEW = "local, passages new to it"

STEPS = ("sources", "first_text", "first_verified", "total")


def time_answer(answerer, question: str) -> dict:
    """Seconds to the passages, the first draft text, the first verified sentence, and
    the whole answer (a step that never came counts as the total), and the answer."""
    started, marks, answer = time.perf_counter(), {}, None
    for event in answerer.stream(question):
        step = {Retrieved: "sources", Draft: "first_text", Delta: "first_verified"}.get(type(event))
        if step and step not in marks:
            marks[step] = time.perf_counter() - started
        if isinstance(event, Answer):
            answer = event
    total = time.perf_counter() - started
    return {**{s: marks.get(s, total) for s in STEPS[:-1]}, "total": total, "answer": answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=Path(__file__).resolve().parent / "out" / "sample.json")
    parser.add_argument("--no-llm", action="store_true")
    parser.add_argument("--llm", default=Config().llm.model, help="local model (llm.model)")
    args = parser.parse_args()
    results: dict = {}

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        embedder = create_embedder()
        results["model_load_s"] = time.perf_counter() - started
        builds = []
        for _ in range(args.repeats):
            config = Config(index_dir=str(Path(folder) / f"idx{len(builds)}"))
            config = config.with_(prompt_memory_mib=0, llm=args.llm)
            started = time.perf_counter()
            pipeline = Pipeline(config, embedder=embedder)
            report = pipeline.build()
            builds.append(time.perf_counter() - started)
        results["llm"] = args.llm
        results["index_build_s"] = statistics.median(builds)
        results["chunks"] = report.chunks
        retriever = pipeline.retriever
        latencies = []
        for _ in range(args.repeats * 10):
            for question in QUESTIONS:
                started = time.perf_counter()
                retriever.retrieve(question, 5)
                latencies.append((time.perf_counter() - started) * 1000)
        results["retrieve_ms"] = {
            "p50": percentile(latencies, 0.5),
            "p95": percentile(latencies, 0.95),
        }

        answerers = {"extractive": pipeline.answerer("extractive")}
        if not args.no_llm and "local" in pipeline.answerer_names():
            answerers["local"] = local = pipeline.answerer("local")
            # the same model behind llama.cpp's OpenAI-compatible HTTP server on loopback
            address = local.generator.backend.server.listening_address
            server = LLMGenerator(OpenAIBackend(base_url=f"{address}/v1", model="local"))
            parts = (local.config, local.gates, local.tagger, local.fallback)
            answerers["openai"] = Answerer(retriever, local.scorer, server, *parts)
            # the same, without the gate's one-token yes/no call before the answer
            answerers["local (no answerability call)"] = Answerer(
                retriever, local.scorer, local.generator, local.config, None, local.tagger
            )
        results["answerers"] = {}
        runs = [(name, answerer, None) for name, answerer in answerers.items()]
        if "local" in answerers:  # the same model with its prompt cache off
            runs.append(("local (no prompt cache)", answerers["local"], False))
            runs.insert(2, (NEW, answerers["local"], None))
        samples: dict[str, list[dict]] = {name: [] for name, _, _ in runs}
        # each answerer through the questions in turn: a question follows a different
        # one, as in a chat (the prompt cache then reuses the shared instructions only)
        for name, answerer, cache in runs:
            backend = getattr(answerer.generator, "backend", None)
            if cache is not None:
                backend.cache_prompt = cache
            time_answer(answerer, QUESTIONS[-1])  # warm-up
            for _ in range(args.repeats):
                for question in QUESTIONS:
                    if name == NEW:
                        answerer.forget()
                    samples[name].append(time_answer(answerer, question))
            if cache is not None:
                backend.cache_prompt = True
        for name, rows in samples.items():
            results["answerers"][name] = {
                step: statistics.median(r[step] for r in rows) for step in STEPS
            }

    print(f"model load            {results['model_load_s']:.2f} s")
    print(f"index build (2 docs)  {results['index_build_s']:.2f} s  ({results['chunks']} chunks)")
    r = results["retrieve_ms"]
    print(f"retrieval             p50 {r['p50']:.1f} ms   p95 {r['p95']:.1f} ms")
    print("answerer (median s, sample questions)  sources  first text  first verified  total")
    for name, a in results["answerers"].items():
        print(
            f"{name:<37} {a['sources']:>7.2f} {a['first_text']:>11.2f} "
            f"{a['first_verified']:>15.2f} {a['total']:>6.2f}"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
