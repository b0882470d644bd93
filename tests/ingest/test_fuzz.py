"""Property-based fuzzing of the loaders and the chunker with hostile files: every file is
indexed or skipped with a reason, and a good file beside it is never affected.

``RAG_FUZZ_EXAMPLES`` sets the cases per property (default 300; 7 properties)."""

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.chunking import Chunker
from rag.config import ChunkingConfig
from rag.ingest.loaders import load_file, load_paths
from tests.ingest.test_loaders import _minimal_pdf

EXAMPLES = int(os.environ.get("RAG_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SUFFIXES = [".txt", ".md", ".html", ".htm", ".pdf", ".jsonl"]
CHUNKER = Chunker(ChunkingConfig(64, 16))

# characters that break naive text handling: controls, zero-width, bidi, BOM, separators
NASTY = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u200b\u200c\u200d\u200e\u202e\u2028\u2029\ufeff\ufffd"
nasty_text = st.text(
    alphabet=st.one_of(st.sampled_from(NASTY), st.characters(codec="utf-8")), max_size=400
)
huge_line = st.integers(1_000, 60_000).map(lambda n: ("word" * n)[:n])
encodings = st.sampled_from(["utf-8", "latin-1", "cp1252", "utf-16", "shift_jis", "koi8-r"])


@st.composite
def mixed_encoding(draw) -> bytes:
    """Pieces of text each encoded differently, glued together."""
    parts = draw(st.lists(st.tuples(st.text(max_size=80), encodings), min_size=1, max_size=5))
    return b"".join(text.encode(codec, errors="ignore") for text, codec in parts)


@st.composite
def hostile_html(draw) -> bytes:
    body = draw(nasty_text).replace("<", "&lt;")
    script = draw(st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]))
    unclosed = draw(st.booleans())
    html = f"<html><head><title>{draw(nasty_text)[:40]}</title>{script}</head><body>"
    html += f"<article><p>{body}</p>{script}<p>Council votes on budget.</p>"
    html += "<div>" * draw(st.integers(0, 400)) + ("" if unclosed else "</article></body></html>")
    return html.encode("utf-8", errors="surrogatepass")


@st.composite
def broken_pdf(draw) -> bytes:
    """A valid PDF, then truncated, bit-flipped or with bytes spliced in."""
    data = bytearray(_minimal_pdf(draw(st.text("abcdefgh ", min_size=1, max_size=40))))
    cut = draw(st.integers(0, len(data)))
    action = draw(st.sampled_from(["truncate", "flip", "splice"]))
    if action == "truncate":
        return bytes(data[:cut])
    if action == "flip" and cut < len(data):
        data[cut] ^= draw(st.integers(1, 255))
        return bytes(data)
    return bytes(data[:cut]) + draw(st.binary(max_size=64)) + bytes(data[cut:])


def _check(path: Path) -> None:
    """The property: no exception; articles or reasons; every article chunks cleanly."""
    result = load_file(path)
    assert result.articles or result.skipped
    for skipped in result.skipped:
        assert str(path) in str(skipped) and skipped.reason
    for article in result.articles:
        assert article.text.strip() and article.title
        for chunk in CHUNKER.split(article):
            assert article.text[chunk.start : chunk.end] == chunk.text


def _write(tmp_path: Path, suffix: str, data: bytes) -> Path:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    return path


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=4000))
def test_random_bytes_under_every_file_type(tmp_path, suffix, data):
    _check(_write(tmp_path, suffix, data))


@FUZZ
@given(
    suffix=st.sampled_from([".txt", ".md", ".html", ".jsonl"]),
    text=nasty_text,
    line=huge_line,
    codec=encodings,
)
def test_control_zero_width_huge_lines_and_other_encodings(tmp_path, suffix, text, line, codec):
    body = f"{text}\n\n{line}\n{text}"
    if suffix == ".jsonl":
        body = json.dumps({"title": "t", "text": line}) + "\n" + text
    _check(_write(tmp_path, suffix, body.encode(codec, errors="ignore")))


@FUZZ
@given(suffix=st.sampled_from([".txt", ".md", ".html", ".jsonl"]), data=mixed_encoding())
def test_mixed_encodings(tmp_path, suffix, data):
    _check(_write(tmp_path, suffix, data))


@FUZZ
@given(data=hostile_html())
def test_html_with_scripts_never_leaks_the_script(tmp_path, data):
    path = _write(tmp_path, ".html", data)
    _check(path)
    for article in load_file(path).articles:
        assert "alert(1)" not in article.text and "onerror" not in article.text


@FUZZ
@given(data=broken_pdf())
def test_pdfs_that_fail_to_parse(tmp_path, data):
    _check(_write(tmp_path, ".pdf", data))


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=2000))
def test_a_hostile_file_never_affects_its_neighbours(tmp_path, suffix, data):
    folder = tmp_path / "mixed"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / "good.txt").write_text("Good article\n\nThe harbour reopened on Monday.\n")
    (folder / f"hostile{suffix}").write_bytes(data)
    result = load_paths([folder])
    assert any(a.source.endswith("good.txt") for a in result.articles)
    named = {Path(s.path).name for s in result.skipped}
    assert named <= {f"hostile{suffix}"}


def test_one_megabyte_single_line_is_chunked_within_budget(tmp_path):
    path = _write(tmp_path, ".txt", ("lorem ipsum " * 90_000).encode())
    article = load_file(path).articles[0]
    chunks = Chunker(ChunkingConfig(200, 40)).split(article)
    assert len(chunks) > 100
    assert all(article.text[c.start : c.end] == c.text for c in chunks)


hostile_url = st.one_of(
    st.text(max_size=60),
    st.builds(
        str.__add__,
        st.sampled_from(["http://", "https://", "https://[", "http://x.test:", "https://x.test/"]),
        nasty_text,
    ),
)


@FUZZ
@given(urls=st.lists(hostile_url, min_size=1, max_size=6))
def test_hostile_urls_never_stop_a_load_nor_lose_a_row_unsaid(tmp_path, urls):
    rows = [{"title": f"t{i}", "text": f"Row {i}.", "url": u} for i, u in enumerate(urls)]
    path = _write(tmp_path, ".jsonl", "\n".join(json.dumps(r) for r in rows).encode())
    result = load_paths([path])
    # each row is an article, or an older copy of a page another row is, and says so
    assert len(result.articles) + len(result.skipped) == len(rows)
    assert all("older copy" in s.reason for s in result.skipped)
