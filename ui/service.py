"""State shared by every browser session: the pipeline, uploads and feedback."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

from rag.answer import Answer, Answerer
from rag.errors import InputError
from rag.pipeline import Pipeline

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")


def safe_name(name: str) -> str:
    """A file name with no folders, no hidden prefix and only plain characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return cleaned[:120] or "upload"


def _unused(path: Path) -> Path:
    """``path``, or ``name-2.txt``, ``name-3.txt``, ... when a file of that name is there."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _secret(path: Path) -> str:
    """The key that encrypts chats saved in browsers: kept beside the index, so a saved
    chat survives a server restart; a fresh one per run when the folder is read-only."""
    try:
        return path.read_text().strip() or _new_secret(path)
    except FileNotFoundError:
        return _new_secret(path)
    except OSError:
        return secrets.token_urlsafe(24)


def _new_secret(path: Path) -> str:
    secret = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secret)
    except OSError:
        pass
    return secret


class ChatService:
    """What the chat needs beyond the pipeline: uploads checked against the serving
    limits (``config.serve``), the article list, and thumbs up/down in
    ``<index_dir>/feedback.jsonl``. The pipeline holds the one index, embedder and LLM,
    answers during uploads and picks up updates made by other processes."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.config = pipeline.config
        self._feedback_lock = threading.Lock()
        self.feedback_file = Path(self.config.index_dir) / "feedback.jsonl"
        self.browser_secret = _secret(Path(self.config.index_dir) / ".browser-secret")

    def articles(self) -> list[list[str]]:
        return [[a.id, a.title, a.source, a.published or ""] for a in self.pipeline.articles]

    def answerer_names(self) -> list[str]:
        return self.pipeline.answerer_names()

    def answerer(self, name: str) -> Answerer:
        return self.pipeline.answerer(name)

    def add_files(self, paths: list[str], user: str | None = None) -> str:
        """Index uploaded files; bad ones are skipped with a reason, the index stays whole.
        A logged-in ``user``'s files are sources under ``<user>/``, so one user's
        ``report.txt`` never replaces another's."""
        limits = self.config.serve
        if not paths:
            raise InputError("Choose one or more files to upload first.")
        if len(paths) > limits.max_upload_files:
            raise InputError(f"Upload at most {limits.max_upload_files} files at a time.")
        problems = []
        with tempfile.TemporaryDirectory() as root:
            staging = Path(root) / safe_name(user) if user else Path(root)
            staging.mkdir(exist_ok=True)
            for raw in paths:
                path = Path(raw)
                name = safe_name(path.name)
                if path.suffix.lower() not in UPLOAD_TYPES:
                    problems.append(f"{name}: not an accepted type ({', '.join(UPLOAD_TYPES)})")
                elif path.stat().st_size > limits.max_upload_bytes:
                    problems.append(
                        f"{name}: larger than {limits.max_upload_bytes // 1_000_000} MB"
                    )
                else:
                    target = _unused(Path(staging) / name)
                    if target.name != name:  # two files of one name: both are kept
                        problems.append(
                            f"{name}: a second file of this name, added as {target.name}"
                        )
                    shutil.copyfile(path, target)
            if not any(staging.iterdir()):
                raise InputError("Nothing to add. " + "; ".join(problems))
            report = self.pipeline.add_paths([root], relative=True)
        problems += [str(s) for s in report.skipped]
        summary = f"Added {report.added} article(s); {report.articles} indexed."
        if report.replaced:  # never silent: say which earlier articles a file replaced
            summary += "\n\nReplaced (a file of the same name):\n"
            summary += "\n".join(f"- {source}" for source in report.replaced)
        return summary + (
            "\n\nNotes:\n" + "\n".join(f"- {p}" for p in problems) if problems else ""
        )

    def remove(self, article: str, user: str | None = None) -> str:
        """Remove by id or source; a logged-in ``user`` removes only their own uploads,
        named by file name."""
        article = article.strip()
        if not article:
            raise InputError("Enter the id (or source) of the article to remove.")
        if user:
            own = f"{safe_name(user)}/"
            article = own + article.removeprefix(own)
            if article not in {a.source for a in self.pipeline.articles}:
                raise InputError(f"You have no upload named '{article.removeprefix(own)}'.")
        report = self.pipeline.remove([article])
        return f"Removed {report.removed} article(s); {report.articles} indexed."

    # -- live news ------------------------------------------------------------------

    def feeds(self) -> list[list[str]]:
        from rag.live.refresh import FeedList

        rows = FeedList(self.config.index_dir).load().values()
        return [
            [f.url, f.last_fetch or "never", str(f.articles), f.last_error or "ok"] for f in rows
        ]

    def follow_feed(self, url: str) -> str:
        from rag.live.fetch import Fetcher
        from rag.live.refresh import FeedList

        url = url.strip()
        Fetcher(self.config.live).check(url)  # a private address is refused here already
        FeedList(self.config.index_dir).add(url)
        return f"Following {url}: its entries are indexed at the next refresh."

    def add_page(self, url: str) -> str:
        from rag.live.refresh import add_pages

        report = add_pages(self.pipeline, [url.strip()])
        return f"Added {report.added} article(s); {report.articles} indexed."

    def refresh_feeds(self) -> str:
        from rag.live.refresh import refresh_feeds

        report = refresh_feeds(self.pipeline)
        notes = "\n".join(f"- {line}" for line in report.failed + report.skipped)
        return str(report) + (f"\n\nNotes:\n{notes}" if notes else "")

    def record_feedback(self, question: str, answer: Answer | dict, liked: bool) -> None:
        data = answer.to_dict() if isinstance(answer, Answer) else dict(answer)
        row = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "liked": liked,
            "question": question,
            "answer": data.get("answer"),
            "citations": data.get("citations", []),
            "abstained": data.get("abstained"),
        }
        with self._feedback_lock, open(self.feedback_file, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
