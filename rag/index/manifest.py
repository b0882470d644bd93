"""The index manifest: the configuration sections that shaped the index, and a checksum
for every file it wrote."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.config import ChunkingConfig, EmbeddingConfig, StoreConfig
from rag.errors import IndexCorruptError, RagError

FORMAT_VERSION = 2
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Manifest:
    """What built an index version: its ``chunking``, ``embedding`` and ``store``
    sections (adds and removes keep them), sizes, and each file's sha256."""

    chunking: ChunkingConfig
    embedding: EmbeddingConfig
    store: StoreConfig
    dim: int
    articles: int
    chunks: int
    corpus_fingerprint: str
    created: str
    index_factory: str = ""  # the FAISS index ``store.index_type`` resolved to ("Flat")
    files: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    @property
    def model(self) -> str:
        return self.embedding.model

    def write(self, folder: Path) -> None:
        """Checksum every other file in ``folder``, then write the manifest beside them."""
        self.files = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    def _check(self) -> None:
        """Every field of the right type and range (the sections check their own)."""
        counts = (self.dim, self.articles, self.chunks, self.format_version)
        if not all(type(n) is int and n >= 0 for n in counts) or self.dim == 0:
            raise ValueError("sizes must be whole numbers")
        texts = (self.corpus_fingerprint, self.created, self.index_factory)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("text fields must be strings")
        if not isinstance(self.files, dict) or not all(
            isinstance(k, str) and "/" not in k and isinstance(v, str) and len(v) == 64
            for k, v in self.files.items()
        ):
            raise ValueError("'files' must map file names to sha256 digests")

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        """A manifest from its JSON (format 1, with flat fields, is read too)."""
        if data.get("format_version") == 1:
            data = _from_format_1(data)
        elif data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"format {data.get('format_version')}; this version of rag reads formats 1 "
                f"and {FORMAT_VERSION}"
            )
        sections = {
            name: _section(kind, data.pop(name))
            for name, kind in (
                ("chunking", ChunkingConfig),
                ("embedding", EmbeddingConfig),
                ("store", StoreConfig),
            )
        }
        return cls(**sections, **data)

    @classmethod
    def read(cls, folder: Path, verify: bool = True, sha256: str | None = None) -> Manifest:
        """Read the manifest, check it against ``sha256`` (what ``CURRENT`` recorded) and
        every field, and (by default) verify the checksums of every listed file."""
        fix = "Rebuild it with `rag index build`."
        try:
            raw = (folder / MANIFEST).read_bytes()
        except OSError as exc:
            raise IndexCorruptError(
                f"Index manifest in '{folder}' is unreadable ({exc}). {fix}"
            ) from None
        if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
            raise IndexCorruptError(
                f"Index file '{folder / MANIFEST}' is corrupted (checksum mismatch). {fix}"
            )
        try:
            manifest = cls.from_dict(json.loads(raw.decode("utf-8")))
            manifest._check()
        except (ValueError, TypeError, KeyError, AttributeError, RagError) as exc:
            raise IndexCorruptError(
                f"Index manifest in '{folder}' is unreadable ({exc}). {fix}"
            ) from None
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


def _section(kind: type, values: dict):
    """A configuration section from its JSON, each value of its default's type."""
    defaults = kind()
    for name, value in values.items():
        expected = type(getattr(defaults, name))  # an unknown name fails in kind(**values)
        if type(value) is not expected:
            raise ValueError(f"{name} must be {expected.__name__}, not {value!r}")
    return kind(**values)


def _from_format_1(data: dict) -> dict:
    """Format 1 kept the settings as flat fields; the files and vectors are the same."""
    data = dict(data)
    data["chunking"] = {"tokens": data.pop("chunk_tokens"), "overlap": data.pop("chunk_overlap")}
    data["embedding"] = {
        "model": data.pop("model"),
        "quantize": data.pop("quantize", "none"),
        "embed_title": data.pop("embed_title"),
    }
    data["store"] = {"kind": data.pop("store", "faiss"), "index_type": data.pop("index_type")}
    data["format_version"] = FORMAT_VERSION
    return data
