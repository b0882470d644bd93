import dataclasses
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rag.config import Config
from rag.embed import Embedder
from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, InputError
from rag.index import Index
from rag.index.index import ARTICLE_EMBEDDINGS_FILE, article_vectors
from rag.index.layout import current_version
from rag.index.manifest import MANIFEST, Manifest
from rag.pipeline import Pipeline
from tests.conftest import CANONICAL, pipeline_at, write_articles

PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def test_round_trip(sample_index_dir, embedder):
    index = Index.load(sample_index_dir)
    assert {a.source for a in index.articles} == {
        "peace-deal-skepticism.txt",
        "witkoff-putin-meeting.txt",
    }
    assert index.manifest.chunks == len(index.chunks) == index.store.size
    for chunk in index.chunks:
        assert index.by_id[chunk.article_id].text[chunk.start : chunk.end] == chunk.text
    # stored vectors are the ones the embedder gives now
    fresh = embedder.embed([f"{index.articles[0].title}\n{index.chunks[0].text}"])[0]
    row = next(i for i, c in enumerate(index.chunks) if c.article_id == index.articles[0].id)
    assert np.allclose(index.embeddings[row], fresh, atol=1e-4)


def test_no_file_the_index_writes_is_a_pickle(sample_index_dir):
    folder = current_version(sample_index_dir)
    for path in folder.iterdir():
        data = path.read_bytes()
        assert not data.startswith(PICKLE_MAGIC), path
        if path.suffix == ".npz":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for name in archive.namelist():
                    member = io.BytesIO(archive.read(name))
                    np.load(member, allow_pickle=False)  # raises on object (pickled) arrays
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)


def test_missing_index_names_the_fix(tmp_path):
    with pytest.raises(IndexNotFoundError, match="rag index build"):
        Index.load(tmp_path / "nothing")


@pytest.mark.parametrize(
    "name",
    [
        "vectors.faiss",
        "bm25.npz",
        "bm25_vocab.json",
        "bm25_articles.npz",
        "bm25_articles_vocab.json",
        "chunks.jsonl",
        "embeddings.npy",
        "article_embeddings.npy",
        "articles.jsonl",
        "manifest.json",
        "CURRENT",
    ],
)
@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupted_file_is_detected(index_copy, name, damage):
    path = index_copy / name if name == "CURRENT" else current_version(index_copy) / name
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: len(data) // 2]
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="rag index build"):
        Index.load(index_copy)


def test_a_damaged_index_is_reported_on_read_and_replaced_by_a_build(index_copy, embedder):
    path = current_version(index_copy) / "chunks.jsonl"
    path.write_bytes(path.read_bytes()[:-40])
    pipeline = pipeline_at(index_copy, embedder)
    with pytest.raises(IndexCorruptError, match="rag index build"):
        pipeline.search(CANONICAL)
    assert pipeline.build().articles == 2  # the fix the message names works
    assert pipeline.search(CANONICAL, 1)


def test_model_mismatch_names_the_fix(sample_index_dir, embedder):
    config = Config(index_dir=str(sample_index_dir)).with_(model="all-mpnet-base-v2")
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2"):
        Pipeline(config, embedder=embedder).search(CANONICAL)


def test_an_injected_embedder_must_match_the_index(sample_index_dir, embedder):
    class Int8Named(_FailingEmbedder):
        quantize = "int8"

    with pytest.raises(IndexMismatchError, match="int8"):
        Pipeline(Config(index_dir=str(sample_index_dir)), embedder=Int8Named(embedder))


def test_a_format_1_manifest_still_loads(index_copy):
    """Indexes written before the nested configuration keep working, unchanged."""
    folder = current_version(index_copy)
    new = json.loads((folder / MANIFEST).read_text())
    old = {
        **{k: v for k, v in new.items() if k not in ("chunking", "embedding", "store")},
        "model": new["embedding"]["model"],
        "quantize": new["embedding"]["quantize"],
        "embed_title": new["embedding"]["embed_title"],
        "chunk_tokens": new["chunking"]["tokens"],
        "chunk_overlap": new["chunking"]["overlap"],
        "index_type": new["store"]["index_type"],
        "store": new["store"]["kind"],
        "format_version": 1,
    }
    (folder / MANIFEST).write_text(json.dumps(old))
    (index_copy / "CURRENT").write_text(folder.name + "\n")  # as format 1 wrote it: no hash
    manifest = Manifest.read(folder)
    assert manifest.chunking.tokens == 200 and manifest.embedding.model == "all-MiniLM-L6-v2"
    assert manifest.files == new["files"]
    assert len(Index.load(index_copy).articles) == 2


def test_a_manifest_with_a_bad_setting_is_reported_not_used(index_copy):
    folder = current_version(index_copy)
    data = json.loads((folder / MANIFEST).read_text())
    data["embedding"]["quantize"] = "oone"
    (folder / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match="checksum mismatch"):
        Index.load(index_copy)  # CURRENT holds the manifest's sha256
    # a pointer from before the hash: every field is still validated on load
    (index_copy / "CURRENT").write_text(folder.name + "\n")
    with pytest.raises(IndexCorruptError, match="quantize"):
        Index.load(index_copy)
    data["embedding"]["quantize"], data["chunking"]["tokens"] = "none", "200"
    (folder / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match="tokens must be int"):
        Index.load(index_copy)


def test_every_bit_flip_in_the_manifest_is_detected(index_copy):
    """6.9 % of single-bit flips used to load, some changing how later adds chunk."""
    path = current_version(index_copy) / MANIFEST
    pristine = path.read_bytes()
    rng = random.Random("manifest-flips")
    for _ in range(300):
        data = bytearray(pristine)
        bit = rng.randrange(len(data) * 8)
        data[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(data))
        with pytest.raises(IndexCorruptError):
            Index.load(index_copy)
    path.write_bytes(pristine)
    assert len(Index.load(index_copy).articles) == 2


def test_a_full_disk_at_the_switch_leaves_the_old_index_and_nothing_else(
    index_copy, tmp_path, embedder, monkeypatch
):
    import errno

    from rag.index import layout

    before, real_replace = current_version(index_copy), os.replace

    def full_disk(source, target):
        if Path(target).name == "CURRENT":
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(layout.os, "replace", full_disk)
    pipeline = pipeline_at(index_copy, embedder)
    with pytest.raises(OSError, match="No space left"):
        pipeline.add_paths([write_articles(tmp_path / "new", 2)])
    assert current_version(index_copy) == before
    assert sorted(p.name for p in index_copy.iterdir()) == [".lock", "CURRENT", before.name]
    monkeypatch.setattr(layout.os, "replace", real_replace)
    assert pipeline.add_paths([tmp_path / "new"]).added == 2  # the next writer succeeds


def test_the_next_writer_removes_what_a_killed_one_left(index_copy, tmp_path, embedder):
    live = current_version(index_copy)
    shutil.copytree(live, index_copy / "v-20000101T000000-deadbeef")  # complete, unreferenced
    (index_copy / ".tmp-20000101T000000-deadbeef").mkdir()
    (index_copy / ".tmp-20000101T000000-deadbeef.current").write_text("v-x\n")
    pipeline_at(index_copy, embedder).add_paths([write_articles(tmp_path / "new", 1)])
    names = sorted(p.name for p in index_copy.iterdir())
    assert names == [".lock", "CURRENT", current_version(index_copy).name]


def _results(index_dir: Path, embedder, query: str) -> list[tuple]:
    passages = pipeline_at(index_dir, embedder).search(query, 8)
    return [(p.article_id, p.start, p.end, round(p.score, 6)) for p in passages]


def test_incremental_add_and_remove_match_a_full_rebuild(tmp_path, embedder):
    extra = write_articles(tmp_path / "extra", 6)
    incremental = Config(index_dir=str(tmp_path / "inc"))
    builder = Pipeline(incremental, embedder=embedder)
    builder.build()
    samples = len(Index.load(incremental.index_dir).chunks)
    report = builder.add_paths([extra])
    assert (
        report.added == 6
        and report.embedded == len(Index.load(incremental.index_dir).chunks) - samples
    )
    again = builder.add_paths([extra])
    assert again.added == 0 and again.embedded == 0  # nothing new: nothing embedded, no duplicates
    removed = builder.remove([str(extra / "article-0002.txt")])
    assert removed.removed == 1

    full_dir = tmp_path / "full"
    kept = [p for p in sorted(extra.iterdir()) if p.name != "article-0002.txt"]
    full = pipeline_at(full_dir, embedder)
    full.build()
    full.add_paths(kept)
    inc_index, full_index = Index.load(incremental.index_dir), Index.load(full_dir)
    assert {a.id for a in inc_index.articles} == {a.id for a in full_index.articles}
    assert len(inc_index.chunks) == len(full_index.chunks)
    for query in (CANONICAL, "railway story district", "harbour news number 4"):
        assert sorted(_results(incremental.index_dir, embedder, query)) == sorted(
            _results(full_dir, embedder, query)
        )


def test_changed_article_replaces_its_old_version(tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "story.txt").write_text("Story\n\nThe council voted yes on Monday.\n")
    config = Config(index_dir=str(tmp_path / "idx"))
    builder = Pipeline(config, embedder=embedder)
    builder.build([folder])
    (folder / "story.txt").write_text("Story\n\nThe council voted no on Tuesday.\n")
    report = builder.add_paths([folder / "story.txt"])
    index = Index.load(config.index_dir)
    assert (report.added, report.removed) == (1, 1)
    assert [a.text for a in index.articles] == ["Story\n\nThe council voted no on Tuesday.\n"]


def test_a_new_copy_of_a_page_under_a_tracking_link_replaces_the_old(tmp_path, embedder):
    def page(url: str, text: str, published: str = "2022-08-24") -> dict:
        return {"title": "Rents", "text": text, "url": url, "published": published}

    config = Config(index_dir=str(tmp_path / "idx"))
    builder = Pipeline(config, embedder=embedder)
    first = tmp_path / "first.jsonl"
    first.write_text(
        json.dumps(page("https://news.test/rents/index.html", "Rents rose 12%."))
        + "\n"
        + json.dumps({"title": "Other", "text": "Other news.", "url": "https://news.test/x"})
    )
    builder.build([first])
    update = tmp_path / "update.jsonl"
    update.write_text(
        json.dumps(page("https://www.news.test/rents?utm_source=x", "Rents rose 12.3%."))
    )
    report = builder.add_paths([update])
    index = Index.load(config.index_dir)
    assert (report.added, report.removed) == (1, 1)
    assert sorted(a.text for a in index.articles) == ["Other news.", "Rents rose 12.3%."]
    # an older copy (an archive re-imported) does not replace the later one
    update.write_text(json.dumps(page("https://news.test/rents/", "Rents rose.", "2022-08-01")))
    report = builder.add_paths([update])
    assert (report.added, report.removed) == (0, 0)
    assert [s.reason for s in report.skipped] == [
        "the index holds a later copy of this page, which is kept"
    ]
    texts = sorted(a.text for a in Index.load(config.index_dir).articles)
    assert texts == ["Other news.", "Rents rose 12.3%."]


def test_remove_unknown_article_is_an_error_and_keeps_the_index(index_copy, embedder):
    before = current_version(index_copy)
    with pytest.raises(InputError, match="rag index info"):
        pipeline_at(index_copy, embedder).remove(["no-such-article"])
    assert current_version(index_copy) == before


def test_build_with_nothing_loadable_keeps_the_old_index(index_copy, tmp_path, embedder):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.txt").write_bytes(b"\x00\x01")
    before = current_version(index_copy)
    with pytest.raises(InputError, match="index was not changed"):
        pipeline_at(index_copy, embedder).build([tmp_path / "bad"])
    assert current_version(index_copy) == before
    Index.load(index_copy)


class _FailingEmbedder(Embedder):
    """Fault injection: the embedding step dies part-way through a build."""

    def __init__(self, real):
        self.name, self.dim, self.real = real.name, real.dim, real

    def embed(self, texts, progress=False):
        raise RuntimeError("embedding failed mid-build")


def test_failed_build_leaves_the_previous_index_usable(index_copy, tmp_path, embedder):
    before = current_version(index_copy)
    builder = pipeline_at(index_copy, _FailingEmbedder(embedder))
    with pytest.raises(RuntimeError, match="mid-build"):
        builder.build([write_articles(tmp_path / "new", 3)])
    assert current_version(index_copy) == before
    assert not list(index_copy.glob(".tmp-*"))
    assert len(Index.load(index_copy).articles) == 2


KILL_TRIALS = 6  # per command: 12 SIGKILLs in all, spread from start-up to exit


@pytest.mark.slow
@pytest.mark.parametrize("command", ["build", "add"])
def test_killed_writer_leaves_the_complete_old_or_new_index(command, index_copy, tmp_path):
    """SIGKILL a real `rag index build` / `rag index add` at random moments, from start-up
    to exit; the index then always loads and is the complete old or the complete new one."""
    corpus = write_articles(tmp_path / "big", 60, words=300)
    old_ids = {a.id for a in Index.load(index_copy).articles}
    pristine = tmp_path / "pristine"
    shutil.copytree(index_copy, pristine)
    env = {**os.environ, "RAG_INDEX_DIR": str(index_copy)}

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "rag", "index", command, str(corpus), "--quiet"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    # one undisturbed run gives the new index and the span the kills are spread over
    started = time.perf_counter()
    assert start().wait() == 0
    duration = time.perf_counter() - started
    new_ids = {a.id for a in Index.load(index_copy).articles}
    assert len(new_ids) == (60 if command == "build" else len(old_ids) + 60)

    rng = random.Random(f"kill-{command}")
    outcomes = []
    for _ in range(KILL_TRIALS):
        shutil.rmtree(index_copy)
        shutil.copytree(pristine, index_copy)
        process = start()
        time.sleep(rng.uniform(0.0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        ids = {a.id for a in Index.load(index_copy).articles}  # verifies every checksum
        assert ids in (old_ids, new_ids)
        outcomes.append("old" if ids == old_ids else "new")
    assert "old" in outcomes, outcomes  # some kills landed mid-write
    # the next writer cleans up after a killed one and succeeds
    assert start().wait() == 0
    assert {a.id for a in Index.load(index_copy).articles} == new_ids
    assert not list(index_copy.glob(".tmp-*"))


def test_an_edited_article_re_embeds_only_its_changed_chunks(tmp_path, embedder):
    folder = write_articles(tmp_path / "docs", 1, words=600)
    path = next(folder.iterdir())
    config = Config(index_dir=str(tmp_path / "idx"))
    builder = Pipeline(config, embedder=embedder)
    first = builder.build([folder])
    assert first.embedded > 4
    path.write_text(path.read_text().rstrip() + " A late correction was added on Friday.\n")
    report = builder.add_paths([path])
    assert (report.added, report.removed) == (1, 1)
    assert 1 <= report.embedded <= 2  # the last chunk (and the one it overlaps), not all
    index = Index.load(config.index_dir)
    fresh = embedder.embed([f"{index.articles[0].title}\n{c.text}" for c in index.chunks])
    assert np.allclose(index.embeddings, fresh, atol=1e-4)  # reused vectors are the right ones


def test_article_vectors_are_the_normalised_mean_of_their_chunks(sample_index_dir):
    index = Index.load(sample_index_dir)
    assert (current_version(sample_index_dir) / ARTICLE_EMBEDDINGS_FILE).is_file()
    for row in range(len(index.articles)):
        mean = np.asarray(index.embeddings)[index.article_rows(row)].mean(axis=0)
        assert np.allclose(index.article_embeddings[row], mean / np.linalg.norm(mean), atol=1e-5)
    # an index written before the file existed gets the same vectors on load
    older = dataclasses.replace(index, article_embeddings=None)
    assert np.allclose(older.article_embeddings, index.article_embeddings, atol=1e-6)


def test_an_article_without_chunks_has_a_zero_vector():
    vectors = article_vectors(
        np.array([[3.0, 4.0], [3.0, 4.0], [0.0, 2.0]]), np.array([0, 0, 2]), 3
    )
    assert np.allclose(vectors, [[0.6, 0.8], [0.0, 0.0], [0.0, 1.0]])


def test_a_failure_after_the_switch_keeps_the_new_version(
    index_copy, tmp_path, embedder, monkeypatch
):
    """Once CURRENT names the new version, a later failure (the folder's fsync) must not
    remove that version: the index would point at nothing."""
    from rag.index import layout

    real = layout._fsync_dir

    def fails_on_the_index_folder(path):
        if Path(path) == index_copy:
            raise OSError(5, "Input/output error", str(path))
        real(path)

    monkeypatch.setattr(layout, "_fsync_dir", fails_on_the_index_folder)
    with pytest.raises(OSError, match="Input/output"):
        pipeline_at(index_copy, embedder).add_paths([write_articles(tmp_path / "new", 1)])
    monkeypatch.setattr(layout, "_fsync_dir", real)
    assert len(Index.load(index_copy).articles) == 3  # the switch happened; it stands
