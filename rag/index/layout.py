"""Versioned index folders switched atomically, so a reader never sees a half-written index.

Layout of ``index_dir``::

    CURRENT          name of the live version folder and its manifest's sha256
                     (replaced atomically)
    v-<stamp>/       one complete index version
    .tmp-<stamp>/    a version being written (removed if a writer died)
    .lock            held by the single writer

A writer builds a new version beside the live one, fsyncs it, then replaces
``CURRENT``. A crash at any moment leaves ``CURRENT`` naming a complete version.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.errors import IndexCorruptError, IndexNotFoundError, InputError
from rag.index.manifest import MANIFEST, sha256_file

CURRENT = "CURRENT"


@dataclass(frozen=True)
class Version:
    """The live version folder and the sha256 its manifest must have (None in a
    ``CURRENT`` written before it carried one)."""

    folder: Path
    manifest_sha256: str | None = None


def _require_folder(index_dir: Path) -> None:
    if index_dir.exists() and not index_dir.is_dir():
        raise InputError(f"'{index_dir}' is a file, not an index folder: give a folder.")


def live_version(index_dir: Path) -> Version:
    """The live version, or a clear error when there is no index yet."""
    _require_folder(index_dir)
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        raise IndexNotFoundError(
            f"No index in '{index_dir}'. Build one with `rag index build [PATHS]` "
            "(no paths indexes the sample articles)."
        )
    lines = pointer.read_bytes()[:300].decode("utf-8", errors="replace").split("\n")
    name = lines[0].strip()
    folder = index_dir / name
    if not name.startswith("v-") or "/" in name or not folder.is_dir():
        shown = name if len(name) <= 60 and name.isprintable() else f"{name[:60]!r}…"
        raise IndexCorruptError(
            f"'{pointer}' names a missing version '{shown}'. Rebuild with `rag index build`."
        )
    digest = lines[1].strip().removeprefix("sha256:") if len(lines) > 1 else ""
    if digest and not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise IndexCorruptError(f"'{pointer}' is damaged. Rebuild with `rag index build`.")
    return Version(folder, digest or None)


def current_version(index_dir: Path) -> Path:
    """The live version folder, or a clear error when there is no index yet."""
    return live_version(index_dir).folder


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


@contextlib.contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index folder (readers never wait)."""
    _require_folder(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def new_version(index_dir: Path) -> Iterator[Path]:
    """Yield an empty folder to write a version into; on success make it the live one.

    ``CURRENT`` records the new manifest's sha256, so the manifest is checked like every
    file it lists. If the body or the switch fails (a kill, a full disk), everything the
    write made is removed and the previous version stays live; a writer first removes what
    an earlier, killed one left (staging folders, pointer files, unreferenced versions).
    Call inside :func:`writer_lock`.
    """
    _remove_leftovers(index_dir)
    stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    staging, final = index_dir / f".tmp-{stamp}", index_dir / f"v-{stamp}"
    pointer_tmp = index_dir / f".tmp-{stamp}.current"
    staging.mkdir()
    switched = False
    try:
        yield staging
        fsync_tree(staging)
        digest = sha256_file(staging / MANIFEST) if (staging / MANIFEST).is_file() else ""
        os.rename(staging, final)
        pointer_tmp.write_text(f"{final.name}\nsha256:{digest}\n", encoding="utf-8")
        with open(pointer_tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pointer_tmp, index_dir / CURRENT)
        switched = True  # from here on ``final`` is the live version: never removed
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if not switched:
            shutil.rmtree(final, ignore_errors=True)
        pointer_tmp.unlink(missing_ok=True)
        raise
    _remove_old_versions(index_dir, keep=final.name)


def _remove_leftovers(index_dir: Path) -> None:
    """What a killed writer left: staging folders, pointer files, and versions that
    ``CURRENT`` does not name (a write that died after its folder was complete)."""
    for stale in index_dir.glob(".tmp-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    try:
        live = current_version(index_dir).name
    except (IndexNotFoundError, IndexCorruptError):
        return  # nothing is live, or the pointer is damaged: keep every version to inspect
    _remove_old_versions(index_dir, keep=live)


def _remove_old_versions(index_dir: Path, keep: str) -> None:
    # Processes that already loaded an older version hold it in memory, so removal is safe.
    for folder in index_dir.glob("v-*"):
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
