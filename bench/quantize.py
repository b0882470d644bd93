"""The int8 embedder against the float model on the project's own chunk texts: encode speed
and cosine to the float vectors, with 7-bit activations (torch's default, safe on every x86
CPU) and full 8-bit ones (what the embedder uses on CPUs with VNNI). Prints a table and
writes JSON (default bench/out/quantize.json).

    python bench/quantize.py [--articles 40] [--data ../shared/bench/realtimeqa]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from build import DEFAULT_DATA, MODEL, ROOT, project_texts, write_slice  # sibling script

from rag.config import EmbeddingConfig
from rag.embed import create_embedder
from rag.embed.sentence_transformer import has_vnni, quantize_int8


def measure(embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    """The vectors and the chunks/s of one warmed-up encode of ``texts``."""
    embedder.embed(texts[:32])
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    return vectors, len(texts) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=40, help="size of the fixed slice")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "quantize.json")
    args = parser.parse_args()
    if not (args.data / "corpus.jsonl.gz").is_file():
        print(f"RealTimeQA data not found in {args.data}; skipping.")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "slice.jsonl"
        write_slice(args.data, args.articles, corpus)
        texts = project_texts(corpus)
    embedder = create_embedder(EmbeddingConfig(model=MODEL))
    float_model = embedder.model
    reference, float_rate = measure(embedder, texts)
    rows = [{"activations": "float model", "chunks_per_s": round(float_rate, 2)}]
    for name, full_range in (("int8, 7-bit", False), ("int8, 8-bit (needs VNNI)", True)):
        embedder.model = quantize_int8(float_model, full_range)  # a copy; float stays intact
        vectors, rate = measure(embedder, texts)
        cosine = (vectors * reference).sum(axis=1)
        rows.append(
            {
                "activations": name,
                "chunks_per_s": round(rate, 2),
                "speedup": round(rate / float_rate, 2),
                "cosine_mean": round(float(cosine.mean()), 4),
                "cosine_min": round(float(cosine.min()), 4),
            }
        )
    print(f"{len(texts)} chunk texts; this CPU has VNNI: {has_vnni()}")
    print("| activations | chunks/s | x float | cosine to float: mean / min |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        cosine = f"{r['cosine_mean']} / {r['cosine_min']}" if "cosine_mean" in r else "-"
        print(f"| {r['activations']} | {r['chunks_per_s']} | {r.get('speedup', 1.0)} | {cosine} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"texts": len(texts), "vnni": has_vnni(), "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
