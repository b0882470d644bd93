"""The chat as a user meets it, in real Chromium: after Enter, how long until the sources
show, until the first text shows (draft or verified), and until the answer is finished.

Serves a fresh sample index in this process (`rag serve`'s app, uvicorn on 127.0.0.1),
asks the project's answerable questions, each in a new chat, and prints p50/p95; writes
JSON (default bench/out/chat_browser.json). ``--screenshots DIR`` also saves the chat in
the light and dark themes and at phone width.

    python bench/chat_browser.py [--answerer local] [--questions 10] [--screenshots docs]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

from common import percentile, report  # a sibling script module

from rag.config import Config
from rag.pipeline import Pipeline

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
# Timestamps (ms after Enter) of the first sources, first answer text and the finished
# answer, taken in the page by a MutationObserver: no polling delay in the figures.
WATCH = """() => {
  const marks = window.__marks = {};
  let t0 = null;
  const box = document.querySelector('#question textarea');
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter') t0 = performance.now(); },
                       {capture: true, once: true});
  const check = () => {
    if (t0 === null) return;
    const now = performance.now() - t0;
    if (!marks.sources && document.querySelector('#turn-0 .source, #turn-0 .sources-empty'))
      marks.sources = now;
    const rows = document.querySelectorAll('#chat .message-row');
    const last = rows.length >= 2 ? rows[rows.length - 1] : null;
    if (last && !marks.text) {
      const text = last.innerText.replace(/…/g, '').trim();
      if (text) marks.text = now;
    }
    if (!marks.done && document.querySelector('#chat .copy-answer')) marks.done = now;
  };
  new MutationObserver(check).observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(folder: Path):
    """`rag serve`'s app over a fresh sample index in ``folder``; yields (url, service)."""
    import uvicorn

    from ui.server import create_server
    from ui.service import ChatService

    pipeline = Pipeline(Config(index_dir=str(folder / "index")))
    pipeline.build()
    service = ChatService(pipeline)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_server(service), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/", service
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def project_questions(limit: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/questions.jsonl").open()]
    return [r["question"] for r in rows if r["answerable"] and r["type"] != "injection"][:limit]


def choose(page, answerer: str) -> None:
    page.locator("#settings").get_by_text("Settings").click()
    page.locator("#answerer input").click()
    page.get_by_role("option", name=answerer).click()
    page.locator("#settings").get_by_text("Settings").click()


def new_chat(page, url: str) -> None:
    """The chat at ``url`` with nothing saved from before, once it is ready."""
    page.goto(url)
    page.evaluate("localStorage.clear()")
    page.reload()
    page.locator("body[data-chat-ready='1']").wait_for(timeout=60_000)


def time_question(page, url: str, question: str, answerer: str | None) -> dict:
    new_chat(page, url)
    if answerer:
        choose(page, answerer)
    page.evaluate(WATCH)
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.locator("#chat .copy-answer").wait_for(timeout=300_000)
    marks = page.evaluate("window.__marks")
    return {k: marks.get(k, marks.get("done")) / 1000 for k in ("sources", "text", "done")}


def screenshots(page, url: str, folder: Path) -> list[str]:
    """The chat after a question and a follow-up, a citation clicked: light, dark, phone."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, query, size in (
        ("chat-light.png", "", {"width": 1400, "height": 900}),
        ("chat-dark.png", "?__theme=dark", {"width": 1400, "height": 900}),
        ("chat-mobile.png", "", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(size)
        new_chat(page, url + query)
        for turns, question in enumerate(
            ("What did Peskov say about timelines?", "And what did Koffler say?"), 1
        ):
            page.locator("#question textarea").fill(question)
            page.locator("#question textarea").press("Enter")
            page.locator("#chat .copy-answer").nth(turns - 1).wait_for(timeout=300_000)
        page.locator("#chat a.cite-marker").first.click()
        page.wait_for_timeout(500)
        page.screenshot(path=str(folder / name), full_page=name == "chat-mobile.png")
        saved.append(str(folder / name))
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answerer", help="default: the server's default (local if installed)")
    parser.add_argument("--questions", type=int, default=10, help="how many (default 10)")
    parser.add_argument("--out", default=ROOT / "bench" / "out" / "chat_browser.json")
    parser.add_argument("--screenshots", help="folder for chat-light/dark/mobile.png")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} is not installed (apt-get install chromium)")
        return 0
    from playwright.sync_api import sync_playwright

    questions = project_questions(args.questions)
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder)) as (url, service):
        answerer = args.answerer or service.answerer_names()[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            time_question(page, url, questions[0], args.answerer)  # warm-up: models, caches
            rows = [
                {"question": q, **time_question(page, url, q, args.answerer)} for q in questions
            ]
            shots = screenshots(page, url, Path(args.screenshots)) if args.screenshots else []
            browser.close()
    figures = {
        step: {
            "p50": percentile([r[step] for r in rows], 0.5),
            "p95": percentile([r[step] for r in rows], 0.95),
        }
        for step in ("sources", "text", "done")
    }
    for step, label in (("sources", "sources shown"), ("text", "first text"), ("done", "answer")):
        f = figures[step]
        print(f"{label:<14} p50 {f['p50']:.2f} s   p95 {f['p95']:.2f} s", flush=True)
    result = {"answerer": answerer, "questions": len(rows), "seconds": figures, "rows": rows}
    return report({**result, "screenshots": shots}, Path(args.out))


if __name__ == "__main__":
    raise SystemExit(main())
