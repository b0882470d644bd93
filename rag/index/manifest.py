"""The index manifest: what built the index, and a checksum for every file it wrote."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.errors import IndexCorruptError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Manifest:
    model: str
    dim: int
    chunk_tokens: int
    chunk_overlap: int
    embed_title: bool
    index_type: str
    articles: int
    chunks: int
    corpus_fingerprint: str
    created: str
    files: dict[str, str] = field(default_factory=dict)
    index_factory: str = ""  # the FAISS index ``index_type`` resolved to (e.g. "Flat")
    quantize: str = "none"  # the embedder's weight quantization ("none" or "int8")
    store: str = "faiss"  # where the vectors live: "faiss" (this folder) or "milvus"
    format_version: int = FORMAT_VERSION

    def write(self, folder: Path) -> None:
        """Checksum every other file in ``folder``, then write the manifest beside them."""
        self.files = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path, verify: bool = True) -> Manifest:
        """Read and (by default) verify the checksums of every listed file."""
        fix = "Rebuild it with `rag index build`."
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorruptError(
                f"Index manifest in '{folder}' is unreadable ({exc}). {fix}"
            ) from None
        if manifest.format_version != FORMAT_VERSION:
            raise IndexCorruptError(
                f"Index in '{folder}' has format {manifest.format_version}; this version of "
                f"rag reads format {FORMAT_VERSION}. {fix}"
            )
        if verify:
            for name, expected in manifest.files.items():
                path = folder / name
                if not path.is_file():
                    raise IndexCorruptError(f"Index file '{path}' is missing. {fix}")
                if sha256_file(path) != expected:
                    raise IndexCorruptError(
                        f"Index file '{path}' is corrupted (checksum mismatch). {fix}"
                    )
        return manifest
