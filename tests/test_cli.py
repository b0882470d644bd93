import json
import subprocess
import sys

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


def test_misuse_is_one_clear_line(tmp_path, capsys):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    for argv in (["index", "build", "-q"], ["search", "x"], ["index", "info"]):
        assert main([*argv, "--index-dir", str(a_file)]) == 1
        err = capsys.readouterr().err
        assert err == f"rag: error: '{a_file}' is a file, not an index folder: give a folder.\n"
    # an OS refusal (here: sysfs takes no folders) is the OS's words, not a traceback
    assert main(["index", "build", "-q", "--index-dir", "/sys/rag-test"]) == 1
    assert capsys.readouterr().err == "rag: error: Operation not permitted: /sys/rag-test\n"


def test_a_symlinked_current_does_not_print_the_target(index_copy, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET " * 1000)
    (index_copy / "CURRENT").unlink()
    (index_copy / "CURRENT").symlink_to(secret)
    assert main(["search", "x", "--index-dir", str(index_copy)]) == 1
    err = capsys.readouterr().err
    assert err.count("TOP-SECRET") <= 6 and len(err) < 400 and "rag index build" in err


def test_escape_sequences_in_articles_never_reach_the_terminal(tmp_path, capsys):
    hostile = "Evil\x1b]0;owned\x07 title\x1b[2J\x1b[31m red\x9b"
    record = {"title": hostile, "text": "The harbour reopened on Monday.\x1b[1A after storms."}
    (tmp_path / "news.jsonl").write_text(json.dumps(record) + "\n")
    where = ["--index-dir", str(tmp_path / "idx")]
    assert main(["index", "build", str(tmp_path / "news.jsonl"), "-q", *where]) == 0
    for argv in (["index", "info"], ["search", "harbour"], ["ask", "When did the harbour reopen?"]):
        capsys.readouterr()
        assert (
            main(
                [*argv, *where, "--answerer", "extractive"] if argv[0] == "ask" else [*argv, *where]
            )
            == 0
        )
        out = capsys.readouterr().out
        assert "Evil title red" in out and not any(c in out for c in "\x1b\x07\x9b"), argv


def test_a_closed_pipe_is_not_a_traceback(sample_index_dir):
    command = [sys.executable, "-m", "rag", "search", CANONICAL, "-k", "20"]
    process = subprocess.Popen(
        [*command, "--index-dir", str(sample_index_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before the first line (`| head -0`)
    _, err = process.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()[-2000:]
    assert process.returncode == 141


def test_ask_takes_the_search_filters_and_bad_dates_are_one_line(index_copy, capsys):
    where = ["--index-dir", str(index_copy), "--answerer", "extractive", "--json"]
    question = "What did Peskov say about timelines?"
    assert main(["ask", question, *where, "--source", "witkoff*", "-k", "3"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert all("witkoff" in c["source"] for c in answer["citations"])
    for flag, value in (("--since", "2026-13-01"), ("--until", "tomorrow"), ("--as-of", "1/2/3")):
        assert main(["ask", question, *where, flag, value]) == 1
        err = capsys.readouterr().err
        assert err.startswith("rag: error: '") and "YYYY-MM-DD" in err and err.count("\n") == 1
    assert main(["search", question, "--index-dir", str(index_copy), "--since", "2026-13-01"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
