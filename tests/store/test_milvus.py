"""The Milvus store (Milvus Lite, a local file) behind the same contract as FAISS."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rag.config import Config
from rag.errors import InputError
from rag.index import Index
from rag.pipeline import Pipeline
from rag.store import FaissStore, MilvusStore
from rag.store.milvus_store import client
from tests.conftest import CANONICAL, PESKOV_QUOTE, write_articles

pytest.importorskip("milvus_lite", reason="pip install 'newsrag[milvus]'")

QUESTIONS = [
    CANONICAL,
    "Who is Steve Witkoff?",
    "How much military assistance has Washington provided Kyiv?",
    "Where was the Ukrainian delegation set to meet?",
    "What is the weather in Lisbon?",
]


@pytest.fixture(scope="module")
def milvus_config(tmp_path_factory, embedder) -> Config:
    folder = tmp_path_factory.mktemp("milvus-index")
    config = Config(index_dir=str(folder / "index")).with_(store="milvus")
    Pipeline(config, embedder=embedder).build()
    return config


def test_build_records_the_store_and_keeps_vectors_in_milvus(milvus_config, sample_index_dir):
    index = Index.load(milvus_config.index_dir)
    assert index.manifest.store.kind == "milvus"
    assert isinstance(index.store, MilvusStore)
    assert index.store.uri.endswith("milvus.db")  # the default: Milvus Lite beside the index
    assert index.store.size == len(index.chunks) == len(Index.load(sample_index_dir).chunks)
    assert not list(index.folder.glob("*.faiss"))


def test_returns_the_same_passages_as_faiss(milvus_config, sample_index_dir, embedder):
    faiss_index = Index.load(sample_index_dir)
    milvus_index = Index.load(milvus_config.index_dir)
    assert isinstance(faiss_index.store, FaissStore)
    faiss_pipeline = Pipeline(Config(index_dir=str(sample_index_dir)), embedder=embedder)
    milvus_pipeline = Pipeline(milvus_config, embedder=embedder)
    for kind in ("dense", "hybrid"):
        on_faiss = faiss_pipeline.create_retriever(kind)
        on_milvus = milvus_pipeline.create_retriever(kind)
        for question in QUESTIONS:
            a, b = on_faiss.retrieve(question, k=8), on_milvus.retrieve(question, k=8)
            assert [p.text for p in a] == [p.text for p in b], (kind, question)
            assert np.allclose([p.score for p in a], [p.score for p in b], atol=1e-4)
    best = milvus_pipeline.search(CANONICAL, k=3)
    assert any(PESKOV_QUOTE in p.text for p in best)
    assert milvus_index.store.size == faiss_index.store.size


def test_filtered_search_returns_k_allowed_rows(milvus_config, sample_index_dir):
    milvus_store = Index.load(milvus_config.index_dir).store
    faiss_store = Index.load(sample_index_dir).store
    query = Index.load(sample_index_dir).embeddings[3]
    rows = faiss_store.size
    for allowed_rows in ([0, 5, 7, 11], list(range(2, rows))):
        allowed = np.zeros(rows, dtype=bool)
        allowed[allowed_rows] = True
        ids, scores = milvus_store.search(query, 4, allowed)
        assert set(ids) <= set(allowed_rows) and len(ids) == 4
        assert list(ids) == list(faiss_store.search(query, 4, allowed)[0])
        assert list(scores) == sorted(scores, reverse=True)
    nothing = milvus_store.search(query, 4, np.zeros(rows, dtype=bool))
    assert len(nothing[0]) == 0


def test_updates_write_new_collections_and_retire_old_ones(tmp_path, embedder):
    uri = str(tmp_path / "shared.db")
    config = Config(index_dir=str(tmp_path / "index")).with_(store="milvus", milvus_uri=uri)
    builder = Pipeline(config, embedder=embedder)
    builder.build()
    first = Index.load(config.index_dir).store.collection
    builder.add_paths([write_articles(tmp_path / "more", 3)])
    index = Index.load(config.index_dir)
    assert index.manifest.store.kind == "milvus" and index.store.uri == uri
    assert index.store.collection != first and index.store.size == len(index.chunks)
    builder.remove([index.articles[-1].id])
    live = Index.load(config.index_dir).store.collection
    # the live collection and the one before it (still read by older processes) remain
    names = [n for n in client(uri).list_collections() if n.startswith(live.rsplit("_", 1)[0])]
    assert live in names and len(names) == 2 and first not in names


def test_a_bad_uri_is_a_clear_error_and_leaves_the_index(index_copy, embedder):
    config = Config(index_dir=str(index_copy)).with_(
        store="milvus", milvus_uri="/tmp/not-a-milvus-file"
    )
    before = Index.load(index_copy).folder
    with pytest.raises(InputError, match="ending in .db"):
        Pipeline(config, embedder=embedder).build()
    assert Index.load(index_copy).folder == before


@pytest.mark.slow
def test_cli_builds_on_milvus_and_answers(tmp_path):
    index_dir, uri = tmp_path / "index", tmp_path / "cli.db"
    rag = [sys.executable, "-m", "rag"]
    build = [*rag, "index", "build", "--index-dir", str(index_dir), "--store", "milvus"]
    subprocess.run([*build, "--uri", str(uri)], check=True, capture_output=True, timeout=300)
    asked = subprocess.run(
        [*rag, "ask", CANONICAL, "--index-dir", str(index_dir), "--answerer", "extractive"],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "rigid time frames" in asked.stdout


def test_a_milvus_lite_file_held_by_another_process_is_a_one_line_error(tmp_path):
    uri = str(tmp_path / "held.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from rag.store.milvus_store import client; "
            f"client({uri!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        build = [sys.executable, "-m", "rag", "index", "build", "--store", "milvus"]
        done = subprocess.run(
            [*build, "--uri", uri, "--index-dir", str(tmp_path / "index")],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        holder.kill()
    assert done.returncode != 0
    assert "one process at a time" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "index" / "CURRENT").exists()
