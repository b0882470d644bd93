import json
from pathlib import Path

import pytest

from rag.config import IngestConfig
from rag.ingest import load_paths, load_sample_corpus, sample_corpus_dir
from rag.ingest.loaders import article_id, load_file
from rag.ingest.parsers import url_title
from rag.ingest.urls import page_key

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _minimal_pdf(text: str, info: bytes = b"") -> bytes:
    """A valid one-page PDF with ``text`` and an ``/Info`` dictionary body ``info`` (built
    by hand: no PDF writer dependency)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< " + info + b" >>",
    ]
    return _assemble_pdf(objects, b"/Info 6 0 R")


def _assemble_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF file of ``objects`` (object 1 the catalog) with its cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    size = len(objects) + 1
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        trailer,
        xref,
    )
    return bytes(out)


def test_sample_corpus_ships_unchanged():
    shipped = sorted(p.name for p in sample_corpus_dir().glob("*.txt"))
    assert shipped == ["peace-deal-skepticism.txt", "witkoff-putin-meeting.txt"]
    if SHARED.is_dir():
        for name in shipped:
            assert (sample_corpus_dir() / name).read_bytes() == (SHARED / name).read_bytes()


def test_sample_articles_have_titles_ids_and_sources():
    result = load_sample_corpus()
    assert not result.skipped
    by_source = {a.source: a for a in result.articles}
    peace = by_source["peace-deal-skepticism.txt"]
    assert peace.title.startswith("Trump insists Ukraine-Russia peace deal is close")
    assert peace.id == article_id(peace.text, peace.title) and len(peace.id) == 16
    # no title line: the file name stands in
    assert by_source["witkoff-putin-meeting.txt"].title == "Witkoff putin meeting"


def test_text_markdown_html_pdf_and_jsonl(tmp_path):
    (tmp_path / "a.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday.\n")
    (tmp_path / "b.md").write_text("Intro line\n\n# Dam opens\n\nThe new dam opened on Friday.\n")
    (tmp_path / "c.html").write_text(
        "<html><head><title>Bridge closed</title>"
        '<meta property="article:published_time" content="2024-05-02T10:00:00Z"></head>'
        "<body><nav>Home | News</nav><article><h1>Bridge closed</h1>"
        + "<p>The old bridge closed for repairs after engineers found cracks in the deck.</p>" * 3
        + "</article><script>alert('x')</script></body></html>"
    )
    (tmp_path / "d.pdf").write_bytes(_minimal_pdf("Wind farm approved by the council"))
    lines = [
        {
            "title": "Rail strike",
            "text": "Rail workers walked out.",
            "url": "https://x.test/r",
            "publish_date": "2022-06-17",
        },
        {"headline": "Snow", "content": "Snow fell early.", "date": "June 3, 2022"},
    ]
    (tmp_path / "e.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = load_paths([tmp_path])
    assert not result.skipped
    by_title = {a.title: a for a in result.articles}
    assert by_title["Harbour reopens"].source == str(tmp_path / "a.txt")
    assert "dam opened" in by_title["Dam opens"].text
    html = by_title["Bridge closed"]
    assert (
        "cracks in the deck" in html.text and "alert" not in html.text and "Home |" not in html.text
    )
    assert html.published == "2024-05-02"
    assert (
        "Wind farm approved" in next(a for a in result.articles if a.source.endswith("d.pdf")).text
    )
    assert by_title["Rail strike"].source == "https://x.test/r"
    assert by_title["Rail strike"].published == "2022-06-17"
    assert by_title["Snow"].published == "2022-06-03"


def test_bad_files_are_skipped_with_a_reason_and_never_abort(tmp_path):
    (tmp_path / "good.txt").write_text("Good article\n\nSomething happened today.\n")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (tmp_path / "empty.md").write_text("   \n\n")
    (tmp_path / "big.txt").write_text("x" * 2000)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "bad.jsonl").write_text('{"text": "Fine line."}\n{not json\n{"title": "no text"}\n')
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    result = load_paths([tmp_path], IngestConfig(max_file_bytes=1000))
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["latin1.txt"].startswith("not UTF-8")
    assert reasons["empty.md"] == "empty file"
    assert reasons["big.txt"].startswith("too large")
    assert reasons["broken.pdf"].startswith("unreadable PDF")
    assert reasons["image.png"].startswith("unsupported file type")
    assert any("line 2: invalid JSON" in s.reason for s in result.skipped)
    assert any("line 3: no 'text'" in s.reason for s in result.skipped)
    assert sorted(a.text.strip() for a in result.articles) == [
        "Fine line.",
        "Good article\n\nSomething happened today.",
    ]


def test_one_bad_record_or_file_never_sinks_the_batch(tmp_path):
    """Each of these raised out of the loader and lost every file of the command."""
    (tmp_path / "good.txt").write_text("Good article\n\nSomething happened today.\n")
    (tmp_path / "dated.pdf").write_bytes(
        _minimal_pdf("Harbour works begin", b"/CreationDate (D:garbage-not-a-date)")
    )
    huge = "9" * 5000  # past Python's 4,300-digit limit for int()
    (tmp_path / "numbers.jsonl").write_text(
        f'{{"text": "Before."}}\n{{"text": "Big.", "n": {huge}}}\n{{"text": "After."}}\n'
    )
    (tmp_path / "surrogate.jsonl").write_text('{"title": "S", "text": "lone \\ud800 here"}\n')
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + '\n{"text": "Next."}\n')
    result = load_paths([tmp_path])
    texts = sorted(a.text.strip() for a in result.articles)
    assert texts == [
        "After.",
        "Before.",
        "Good article\n\nSomething happened today.",
        "Harbour works begin",
        "Next.",  # the line after a too-deep one still loads
        "lone \ufffd here",
    ]
    pdf = next(a for a in result.articles if a.source.endswith("dated.pdf"))
    assert pdf.published is None  # an unreadable date is no date, not a failure
    reasons = sorted(f"{Path(s.path).name}: {s.reason}" for s in result.skipped)
    assert reasons == [
        "deep.jsonl: line 1: too deeply nested to parse",
        f"numbers.jsonl: line 2: unreadable JSON ({reasons[1].split('(', 1)[1]}",
    ]
    assert "4300 digits" in reasons[1]


def _pdf_bomb(pages: int = 200, megabytes: int = 60) -> bytes:
    """A small PDF whose ``pages`` pages all share one content stream that inflates to
    ``megabytes`` MB of text operators: tiny on disk, hours of decoding."""
    import zlib

    content = zlib.compress(b"BT /F1 12 Tf (x) Tj ET\n" * (megabytes * 1_000_000 // 23), 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
        + content
        + b"\nendstream",
    ] + [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources "
        b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
    ] * pages
    return _assemble_pdf(objects)


def test_a_pdf_bomb_is_stopped_by_the_time_limit_and_the_rest_loads(tmp_path):
    bomb = _pdf_bomb()
    assert len(bomb) < 400_000  # small on disk: the size limit cannot catch it
    (tmp_path / "bomb.pdf").write_bytes(bomb)
    (tmp_path / "good.pdf").write_bytes(_minimal_pdf("Harbour works begin"))
    result = load_paths([tmp_path], IngestConfig(pdf_seconds=3))
    assert [a.text for a in result.articles] == ["Harbour works begin"]
    [skipped] = result.skipped
    assert skipped.path.endswith("bomb.pdf") and "took over 3 s" in skipped.reason
    few_pages = load_paths([tmp_path / "bomb.pdf"], IngestConfig(max_pdf_pages=50))
    assert few_pages.skipped[0].reason == "more than 50 pages"


def test_missing_path_and_duplicate_content(tmp_path):
    (tmp_path / "one.txt").write_text("Same story\n\nSame body.\n")
    (tmp_path / "two.txt").write_text("Same story\n\nSame body.\n")
    result = load_paths([tmp_path, tmp_path / "nope.txt"])
    assert len(result.articles) == 1
    assert [s.reason for s in result.skipped] == ["no such file or folder"]


def test_load_file_names_the_file(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\xff\xfe\x00\x01")
    skipped = load_file(path).skipped[0]
    assert str(path) in str(skipped) and "binary" in str(skipped)


def test_same_body_under_different_headlines_is_two_articles(tmp_path):
    boilerplate = "How relevant is this ad to you? Video player was slow to load content."
    rows = [
        {"title": "Walmart slashes prices", "text": boilerplate},
        {"title": "Sprite drops its green bottle", "text": boilerplate},
        {"title": "Sprite drops its green bottle", "text": boilerplate},  # a true duplicate
        {"text": "Rail workers in Leeds walked out on Monday over pay, the union said today."},
    ]
    (tmp_path / "pages.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    articles = load_paths([tmp_path]).articles
    assert [a.title for a in articles] == [
        "Walmart slashes prices",
        "Sprite drops its green bottle",
        "Rail workers in Leeds walked out on Monday over pay, the union …",
    ]


@pytest.mark.parametrize(
    "url,title",
    [
        ("https://www.cnn.com/2022/06/15/business/ford-recall/index.html", "Ford recall"),
        ("https://news.test/world/europe/rail_strike_ends.html", "Rail strike ends"),
        ("https://www.bbc.co.uk/news/world-europe-61234567", "World europe"),
        ("https://news.test/story/12345678", None),  # an id, not words
        ("https://news.test/2022/06/15/", None),
        ("https://news.test/a/b-c", None),  # single letters say nothing
        ("http://[bad/flood-news", None),  # malformed: no slug, no exception
        ("", None),
        (None, None),
    ],
)
def test_url_title_reads_the_slug(url, title):
    assert url_title(url) == title


def test_an_untitled_row_is_named_by_its_url_slug_before_its_first_line(tmp_path):
    boilerplate = "1. How relevant is this ad to you?\n\nVideo player was slow to load content"
    rows = [
        {"text": boilerplate, "url": "https://x.test/2022/06/15/business/ford-recall/index.html"},
        {
            "text": "CNN —\n\nThe Speaker landed in Taipei late on Tuesday.",
            "url": "https://x.test/1",
        },
        {"text": "CNN —\n\nThe Speaker landed in Taipei late on Tuesday, officials said."},
    ]
    (tmp_path / "pages.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    titles = [a.title for a in load_paths([tmp_path]).articles]
    # the slug names the page; a dateline is not a headline, so the opening words stand in
    assert titles == [
        "Ford recall",
        "CNN — The Speaker landed in Taipei late on Tuesday.",
        "CNN — The Speaker landed in Taipei late on Tuesday, officials said.",
    ]


def test_a_malformed_url_does_not_stop_the_file_loading(tmp_path):
    rows = [
        {"text": "Flood water closed the coast road.", "url": "http://[bad/flood-news"},
        {"title": "Fine", "text": "A fine article."},
    ]
    (tmp_path / "pages.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = load_paths([tmp_path])
    assert [a.title for a in result.articles] == ["Flood water closed the coast road.", "Fine"]
    assert result.articles[0].source == "http://[bad/flood-news" and not result.skipped


@pytest.mark.parametrize(
    "url,key",
    [
        ("https://www.cnn.com/2022/08/24/homes/rents/index.html", "cnn.com/2022/08/24/homes/rents"),
        ("http://cnn.com/2022/08/24/homes/rents/index.html/", "cnn.com/2022/08/24/homes/rents"),
        (
            "https://cnn.com/2022/08/24/homes/rents?utm_source=ribbon&cid=feeds",
            "cnn.com/2022/08/24/homes/rents",
        ),
        ("https://news.test:443/a/#comments", "news.test/a"),
        ("https://news.test/a?amp", "news.test/a"),
        # a parameter that names the page stays, sorted; the tracking one goes
        (
            "https://news.test/story.php?utm_medium=x&id=42&page=2",
            "news.test/story.php?id=42&page=2",
        ),
        ("https://news.test:8080/a", "news.test:8080/a"),
        ("https://news.test/A", "news.test/A"),  # paths are case-sensitive
        ("https://www.news.test/?utm_source=x", None),  # a front page names no article
        ("peace-deal-skepticism.txt", None),  # a file, not a web page
        ("ftp://news.test/a", None),
        ("http://[bad/flood-news", None),
        ("https://news.test:99999/a", None),  # port out of range
        ("", None),
        (None, None),
    ],
)
def test_page_key_ignores_what_does_not_change_the_page(url, key):
    assert page_key(url) == key


def _rows(path: Path, rows: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_copies_of_one_page_load_as_its_latest_version(tmp_path):
    page = "https://news.test/2022/08/24/homes/rents/index.html"
    _rows(
        tmp_path / "a.jsonl",
        [
            {"title": "Rents", "text": "Rents rose 12%.", "url": page, "published": "2022-08-24"},
            {"title": "Other", "text": "Other news.", "url": "https://news.test/other"},
            {"title": "No link", "text": "A record with no URL."},
            {"title": "No link either", "text": "Another record with no URL."},
        ],
    )
    _rows(  # a later crawl through a tracking link, and an older one
        tmp_path / "b.jsonl",
        [
            {
                "title": "Rents hit a record",
                "text": "Rents rose 12.3% to $1,879.",
                "url": "http://www.news.test/2022/08/24/homes/rents?utm_source=ribbon",
                "published": "2022-08-25",
            },
            {"title": "Rents", "text": "Rents rose.", "url": page, "published": "2022-08-23"},
        ],
    )
    result = load_paths([tmp_path])
    assert [a.title for a in result.articles] == [
        "Other",
        "No link",
        "No link either",  # records without a URL are never merged
        "Rents hit a record",
    ]
    assert [s.path for s in result.skipped] == [page, page]
    assert all("older copy" in s.reason and "2022-08-25" in s.reason for s in result.skipped)


def test_of_two_same_day_copies_of_a_page_the_later_one_is_kept(tmp_path):
    rows = [
        {
            "title": "First",
            "text": "First crawl.",
            "url": "https://news.test/a",
            "published": "2022-06-01",
        },
        {
            "title": "Second",
            "text": "Second crawl.",
            "url": "https://news.test/a/",
            "published": "2022-06-01",
        },
        {"title": "Undated", "text": "Undated crawl.", "url": "https://news.test/a?cid=x"},
    ]
    _rows(tmp_path / "a.jsonl", rows)
    # a dated copy is newer than an undated one
    assert [a.title for a in load_paths([tmp_path]).articles] == ["Second"]
