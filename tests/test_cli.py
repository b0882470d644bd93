import json

from rag.cli import main
from tests.conftest import CANONICAL, PESKOV_QUOTE


def test_build_info_search_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "idx"))
    assert main(["index", "build", "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == 2 and report["chunks"] > 10

    assert main(["search", CANONICAL, "-k", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert PESKOV_QUOTE in result["passages"][0]["text"]

    assert main(["index", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["manifest"]["embedding"]["model"] == "all-MiniLM-L6-v2"
    assert len(info["articles"]) == 2


def test_errors_are_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "none"))
    assert main(["search", "anything"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rag: error: No index") and "Traceback" not in err
    assert main(["index", "add", str(tmp_path / "missing.txt")]) == 1
    assert "No articles could be loaded" in capsys.readouterr().err


def test_index_type_is_chosen_at_build_and_recorded(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "idx"))
    assert main(["index", "build", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["index", "info", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)["manifest"]
    assert (manifest["store"]["index_type"], manifest["index_factory"]) == ("auto", "Flat")
    assert main(["index", "build", "--quiet", "--index-type", "hnsw"]) == 0
    capsys.readouterr()
    assert main(["index", "info", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)["manifest"]
    assert (manifest["store"]["index_type"], manifest["index_factory"]) == ("hnsw", "HNSW32,Flat")
    assert main(["search", CANONICAL, "-k", "3", "--json"]) == 0
    assert PESKOV_QUOTE in json.loads(capsys.readouterr().out)["passages"][0]["text"]


def test_bad_settings_are_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "abc")
    assert main(["index", "build", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == "rag: error: RAG_CHUNK_TOKENS='abc' is not a whole number.\n"
    monkeypatch.delenv("RAG_CHUNK_TOKENS")
    assert main(["index", "build", "--quiet", "--chunk-tokens", "0"]) == 1
    err = capsys.readouterr().err
    assert err == "rag: error: chunk_tokens must be at least 16 (got 0).\n"
    assert not (tmp_path / "idx" / "CURRENT").exists()
