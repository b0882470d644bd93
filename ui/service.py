"""State shared by every browser session: the loaded index, answerers, uploads, feedback."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from rag.answer import Answer, Answerer, ExtractiveAnswerer, LLMAnswerer
from rag.answer.factory import default_answerer
from rag.config import Config
from rag.embed import Embedder, create_embedder
from rag.errors import InputError
from rag.index import Index, IndexBuilder
from rag.index.layout import current_version
from rag.llm.backends import LlamaCppBackend, LLMBackend, OpenAIBackend
from rag.llm.models import resolve_llm
from rag.retrieve import create_retriever

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
MAX_UPLOAD_BYTES = 10_000_000
MAX_UPLOAD_FILES = 20


def safe_name(name: str) -> str:
    """A file name with no folders, no hidden prefix and only plain characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return cleaned[:120] or "upload"


class ChatService:
    """Loads the index once, shares the embedder and LLM across answerers, and reloads
    after the article list changes.

    Questions keep being answered from the loaded index while an upload is indexed: writes
    are serialised by ``_write_lock`` (and the index's own file lock across processes),
    and ``_lock`` is held only to swap in the new index.
    """

    def __init__(self, config: Config, backend: LLMBackend | None = None):
        self.config = config
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._backend = backend
        self._embedder: Embedder | None = None
        self.feedback_file = Path(config.index_dir) / "feedback.jsonl"
        self.reload()

    # -- index ---------------------------------------------------------------------------

    def reload(self) -> None:
        with self._lock:
            self.index = Index.load(self.config.index_dir, model=self.config.model)
            if self._embedder is None:
                manifest = self.index.manifest
                self._embedder = create_embedder(
                    manifest.model, self.config.batch_size, manifest.quantize
                )
            self.retriever = create_retriever(
                self.config, index=self.index, embedder=self._embedder
            )
            self._answerers: dict[str, Answerer] = {}
            self._version = current_version(Path(self.config.index_dir)).name

    def _fresh(self) -> None:
        """Pick up an index another process (e.g. `rag index add`) updated meanwhile."""
        if current_version(Path(self.config.index_dir)).name != self._version:
            self.reload()

    def articles(self) -> list[list[str]]:
        return [[a.id, a.title, a.source, a.published or ""] for a in self.index.articles]

    def add_files(self, paths: list[str]) -> str:
        """Index uploaded files; bad ones are skipped with a reason, the index stays whole."""
        if not paths:
            raise InputError("Choose one or more files to upload first.")
        if len(paths) > MAX_UPLOAD_FILES:
            raise InputError(f"Upload at most {MAX_UPLOAD_FILES} files at a time.")
        problems = []
        with tempfile.TemporaryDirectory() as staging:
            for raw in paths:
                path = Path(raw)
                name = safe_name(path.name)
                if path.suffix.lower() not in UPLOAD_TYPES:
                    problems.append(f"{name}: not an accepted type ({', '.join(UPLOAD_TYPES)})")
                elif path.stat().st_size > MAX_UPLOAD_BYTES:
                    problems.append(f"{name}: larger than {MAX_UPLOAD_BYTES // 1_000_000} MB")
                else:
                    shutil.copyfile(path, Path(staging) / name)
            if not any(Path(staging).iterdir()):
                raise InputError("Nothing to add. " + "; ".join(problems))
            with self._write_lock:
                report = IndexBuilder(self.config, embedder=self._embedder).add(
                    [staging], relative=True
                )
                self.reload()
        problems += [str(s) for s in report.skipped]
        summary = (
            f"Added {report.added} article(s), replaced {report.removed}; "
            f"{report.articles} indexed."
        )
        return summary + (
            "\n\nSkipped:\n" + "\n".join(f"- {p}" for p in problems) if problems else ""
        )

    def remove(self, article: str) -> str:
        if not article.strip():
            raise InputError("Enter the id (or source) of the article to remove.")
        with self._write_lock:
            report = IndexBuilder(self.config, embedder=self._embedder).remove([article.strip()])
            self.reload()
        return f"Removed {report.removed} article(s); {report.articles} indexed."

    # -- answering -----------------------------------------------------------------------

    def answerer_names(self) -> list[str]:
        names = ["extractive"]
        if default_answerer(self.config) == "local" or self._backend is not None:
            names.insert(0, "local")
        if self.config.openai_base_url:
            names.append("openai")
        return names

    def answerer(self, name: str) -> Answerer:
        with self._lock:
            self._fresh()
            if name not in self._answerers:
                parts = (self.retriever, self.index, self._embedder)
                if name == "extractive":
                    self._answerers[name] = ExtractiveAnswerer(*parts)
                elif name == "local":
                    if self._backend is None:
                        self._backend = LlamaCppBackend(resolve_llm(self.config.llm))
                    self._answerers[name] = LLMAnswerer(*parts, self._backend)
                elif name == "openai":
                    backend = OpenAIBackend(self.config.openai_base_url, self.config.openai_model)
                    self._answerers[name] = LLMAnswerer(*parts, backend)
                else:
                    raise InputError(f"Unknown answerer '{name}'.")
            return self._answerers[name]

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
        with self._lock, open(self.feedback_file, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
