"""PDF text extraction in a child process, so a PDF that never finishes decompressing (one
60 MB stream shared by 200 pages) is stopped by a time limit instead of hanging its caller.

One child (``python -m rag.ingest.pdf``) serves every PDF of a process: started on first
use (~0.3 s), it reads length-prefixed requests on stdin and answers JSON on stdout. A
PDF that runs over its time limit or crashes the reader kills it; the next starts afresh.
"""

from __future__ import annotations

import io
import json
import os
import resource
import select
import struct
import subprocess
import sys
import threading
import time

CHILD_MEMORY = 2 << 30  # bytes of address space the child may use
_REQUEST, _REPLY = struct.Struct(">QI"), struct.Struct(">Q")  # (size, max pages), (size)


class _Reader:
    """The child process and the pipes to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None

    def read(self, data: bytes, max_pages: int, seconds: float) -> dict:
        with self._lock:  # one PDF at a time through the one child
            if self._child is None or self._child.poll() is not None:
                self._child = subprocess.Popen(
                    [sys.executable, "-m", "rag.ingest.pdf"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,  # the reader's warnings are not the user's
                )
            try:
                self._child.stdin.write(_REQUEST.pack(len(data), max_pages) + data)
                self._child.stdin.flush()
                deadline = time.monotonic() + seconds
                (size,) = _REPLY.unpack(self._receive(_REPLY.size, deadline))
                return json.loads(self._receive(size, deadline))
            except TimeoutError:
                reason = f"reading it took over {seconds:g} s (a decompression bomb?)"
            except (OSError, EOFError, ValueError):  # killed for memory, or it crashed
                reason = "unreadable PDF (the PDF reader crashed on it)"
            self._child.kill()
            self._child.wait()
            self._child = None
            return {"error": reason}

    def _receive(self, size: int, deadline: float) -> bytes:
        out, chunks = self._child.stdout.fileno(), []
        while size:
            ready, _, _ = select.select([out], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError
            chunk = os.read(out, min(size, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


_reader = _Reader()


def read_pdf(data: bytes, max_pages: int, seconds: float) -> dict:
    """``{"pages": [...], "title": ..., "created": ...}`` read in the child, or
    ``{"error": reason}``; stopped after ``seconds``."""
    return _reader.read(data, max_pages, seconds)


def _extract(data: bytes, max_pages: int) -> dict:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > max_pages:
            return {"error": f"more than {max_pages:,} pages"}
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        title = str(info.title).strip() if info and info.title else None
    except Exception as exc:  # pypdf raises many internal errors on damaged files
        return {"error": f"unreadable PDF ({exc.__class__.__name__}: {str(exc)[:160]})"}
    try:  # a malformed /CreationDate raises; the text is still worth indexing
        created = info.creation_date if info and info.get("/CreationDate") else None
    except Exception:
        created = None
    return {"pages": pages, "title": title, "created": created and created.isoformat()}


def _serve() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while header := requests.read(_REQUEST.size):
        size, max_pages = _REQUEST.unpack(header)
        reply = json.dumps(_extract(requests.read(size), max_pages)).encode()
        replies.write(_REPLY.pack(len(reply)) + reply)
        replies.flush()


if __name__ == "__main__":
    _serve()
