"""Helpers the benchmark scripts share: percentiles, peak memory, one pipeline per process."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile by nearest rank (0.0 for no values)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(script: str | Path, *args: str) -> dict:
    """Run ``script --worker ...`` in a fresh process (so its peak memory is its own) and
    return the JSON object it prints last."""
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"worker {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def save(result: dict, out: Path) -> None:
    """Write the figures as JSON to ``out`` (its folder made) and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(f"wrote {out}")


def report(result: dict, out: Path) -> int:
    """Print the figures as JSON and write them to ``out`` (its folder made); exit code 0."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0
