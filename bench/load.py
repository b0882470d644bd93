"""Concurrent users against a real `rag serve`: N `gradio_client` users each ask M questions
(extractive answerer, `/ask` endpoint), first alone, then while another client uploads
articles through `/add_articles`. Prints p50/p95 latency, throughput and errors per phase,
writes JSON, and exits 1 when any request failed.

    python bench/load.py [--users 20] [--questions 5] [--upload-articles 40] [--out FILE]

The server runs over a fresh index of the sample articles in a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import percentile  # a sibling script module

from eval.dataset import load_questions

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"rag serve exited early with code {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"rag serve did not answer at {url} within {timeout:.0f} s")


def write_upload(folder: Path, count: int) -> Path:
    """One JSON-lines file of distinct, dated synthetic articles."""
    topics = ["harbour", "election", "vaccine", "railway", "drought", "satellite"]
    path = folder / "upload.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            topic = topics[i % len(topics)]
            body = " ".join(
                f"Report {i} on the {topic} story says item {j} matters for district {i + j}."
                for j in range(30)
            )
            row = {"title": f"{topic.title()} update {i}", "text": body, "date": "2025-01-02"}
            out.write(json.dumps(row) + "\n")
    return path


def run_users(url: str, users: int, per_user: int, questions: list[str]) -> dict:
    """Each user is a thread with its own client; returns latencies, errors, throughput."""
    from gradio_client import Client

    latencies: list[float] = []
    starts: list[float] = []
    errors: list[str] = []
    guard = threading.Lock()
    start_gate = threading.Barrier(users)

    def user(number: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # a failed connection is an error like any other
            with guard:
                errors.append(f"user {number}: connect: {exc!r}")
            start_gate.abort()
            return
        with contextlib.suppress(threading.BrokenBarrierError):
            start_gate.wait()
        for i in range(per_user):
            question = questions[(number * per_user + i) % len(questions)]
            started = time.perf_counter()
            try:
                result = client.predict(
                    question=question, answerer="extractive", passages=5, api_name="/ask"
                )
                if not isinstance(result, dict) or "answer" not in result:
                    raise ValueError(f"unexpected response {result!r:.80}")
                with guard:
                    latencies.append(time.perf_counter() - started)
                    starts.append(started)
            except Exception as exc:
                with guard:
                    errors.append(f"user {number}: {question[:40]!r}: {exc!r}")

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": users * per_user,
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_s": statistics.median(latencies) if latencies else None,
        "p95_s": percentile(latencies, 0.95),
        "throughput_qps": len(latencies) / wall,
        "wall_s": wall,
        "starts": starts,
    }


def upload(url: str, path: Path, result: dict) -> None:
    from gradio_client import Client, handle_file

    started = result["started"] = time.perf_counter()
    try:
        status, table = Client(url, verbose=False).predict(
            files=[handle_file(str(path))], api_name="/add_articles"
        )
        result["status"] = status
        result["articles_after"] = len(table["data"]) if isinstance(table, dict) else len(table)
        result["ok"] = status.startswith("Added")
    except Exception as exc:
        result.update(ok=False, status=repr(exc))
    result["finished"] = time.perf_counter()
    result["seconds"] = result["finished"] - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5, help="questions per user")
    parser.add_argument("--upload-articles", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "load.json")
    args = parser.parse_args()
    questions = [q.question for q in load_questions()]

    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "RAG_INDEX_DIR": str(Path(folder) / "index")}
        rag = [sys.executable, "-m", "rag"]
        subprocess.run([*rag, "index", "build", "--quiet"], env=env, check=True)
        port = free_port()
        server = subprocess.Popen(
            [*rag, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_up(url, server)
            run_users(url, 2, 1, questions)  # warm-up: first embedding, first request
            results = {"users": args.users, "questions_per_user": args.questions}
            results["alone"] = run_users(url, args.users, args.questions, questions)
            uploaded: dict = {"articles": args.upload_articles}
            payload = write_upload(Path(folder), args.upload_articles)
            uploader = threading.Thread(target=upload, args=(url, payload, uploaded))
            uploader.start()
            time.sleep(0.5)  # let the upload reach the server before the questions
            results["during_upload"] = run_users(url, args.users, args.questions, questions)
            uploader.join()
            during = results["during_upload"]
            during["overlapping_upload"] = sum(
                uploaded["started"] <= t <= uploaded["finished"] for t in during["starts"]
            )
            results["upload"] = uploaded
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    print(f"{args.users} users x {args.questions} questions, extractive answerer, rag serve")
    print("| phase | requests | errors | p50 s | p95 s | throughput q/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for phase in ("alone", "during_upload"):
        r = results[phase]
        p50 = f"{r['p50_s']:.2f}" if r["p50_s"] is not None else "-"
        print(
            f"| {phase.replace('_', ' ')} | {r['requests']} | {r['errors']} | {p50} "
            f"| {r['p95_s']:.2f} | {r['throughput_qps']:.2f} |"
        )
    up = results["upload"]
    print(
        f"upload of {up['articles']} articles: {up['seconds']:.1f} s "
        f"({results['during_upload']['overlapping_upload']} questions asked meanwhile), "
        f"{up['status']!r:.80}"
    )
    for phase in ("alone", "during_upload"):
        for sample in results[phase]["error_samples"]:
            print(f"error ({phase}): {sample}", file=sys.stderr)
    for phase in ("alone", "during_upload"):
        results[phase].pop("starts")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    failed = results["alone"]["errors"] + results["during_upload"]["errors"]
    return 1 if failed or not up.get("ok") else 0


if __name__ == "__main__":
    raise SystemExit(main())
