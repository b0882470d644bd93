"""Packaged model files: a member read from the trailing pieces of a split zip, checked."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from rag.errors import RagError
from rag.llm import models
from rag.llm.models import PackagedModel, resolve
from rag.llm.splitzip import Pieces, read_member

PIECE = 4096


def split_archive(folder: Path, member: bytes) -> list[Path]:
    """A zip holding filler files, then ``member`` (deflated), cut into PIECE-byte pieces
    ``app.zip.001``, ...; returns the pieces from the one where the member starts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(3):  # incompressible filler: the member starts pieces later
            archive.writestr(f"app/lib{i}.bin", os.urandom(3 * PIECE), zipfile.ZIP_STORED)
        archive.writestr("app/models/model.gguf", member, zipfile.ZIP_DEFLATED)
        start = archive.getinfo("app/models/model.gguf").header_offset
    data = buffer.getvalue()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, at in enumerate(range(0, len(data), PIECE), 1):
        path = folder / f"app.zip.{n:03d}"
        path.write_bytes(data[at : at + PIECE])
        paths.append(path)
    return paths[start // PIECE :]


def test_a_member_is_read_from_the_trailing_pieces_alone(tmp_path):
    member = os.urandom(5000) + b"GGUF" * 4000  # spans pieces
    trailing = split_archive(tmp_path, member)
    assert trailing[0].name != "app.zip.001"  # the leading pieces are really absent
    for path in sorted(tmp_path.glob("app.zip.*")):
        if path not in trailing:
            path.unlink()
    assert b"".join(read_member(trailing, "app/models/model.gguf", block=1000)) == member


def test_pieces_read_as_one_stream(tmp_path):
    paths = []
    for i, text in enumerate([b"abc", b"defg", b"h"]):
        paths.append(tmp_path / f"p{i}")
        paths[-1].write_bytes(text)
    with Pieces(paths) as stream:
        assert stream.read() == b"abcdefgh"
        stream.seek(2)
        assert stream.read(4) == b"cdef"
        stream.seek(-2, io.SEEK_END)
        assert stream.read() == b"gh"


@pytest.fixture
def packaged(tmp_path, monkeypatch):
    """A fake packaged model whose pieces live in ``tmp_path/pieces`` (the model cache in
    ``tmp_path/cache``)."""
    member = b"GGUF" + os.urandom(20000)
    trailing = split_archive(tmp_path / "pieces", member)
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "_parts", lambda model: trailing)
    digest = hashlib.sha256(member).hexdigest()
    return member, digest, trailing


def test_a_packaged_member_is_assembled_once_and_checked(packaged):
    member, digest, _ = packaged
    registry = {"m": PackagedModel("m.gguf", digest, ("pkg",), member="app/models/model.gguf")}
    path = resolve("m", registry)
    assert path.read_bytes() == member and path.name == "m.gguf"
    assert resolve("m", registry) == path  # cached: no second assembly


def test_a_damaged_or_wrong_package_is_a_clear_error_and_leaves_nothing(packaged, tmp_path):
    member, digest, trailing = packaged
    wrong_hash = {"m": PackagedModel("m.gguf", "0" * 64, ("p",), member="app/models/model.gguf")}
    with pytest.raises(RagError, match="damaged"):
        resolve("m", wrong_hash)
    missing = {"m": PackagedModel("m.gguf", digest, ("p",), member="app/other.gguf")}
    with pytest.raises(RagError, match="do not hold app/other.gguf"):
        resolve("m", missing)
    data = bytearray(trailing[1].read_bytes())
    data[100] ^= 0xFF  # a flipped byte inside the member's compressed data
    trailing[1].write_bytes(bytes(data))
    with pytest.raises(RagError):
        resolve("m", {"m": PackagedModel("m.gguf", digest, ("p",), member="app/models/model.gguf")})
    assert not list((tmp_path / "cache").glob("*"))  # no partial file left behind


def test_an_unknown_name_lists_the_packaged_ones():
    with pytest.raises(RagError, match="nomic-embed-text-v1.5"):
        models.resolve_embedder("no-such-model")
