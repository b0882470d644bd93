"""Publish dates stated in the text of .txt, .md and .pdf files; Markdown without markup."""

import pytest

from rag.ingest import load_paths
from rag.ingest.datelines import markdown_text, text_date
from tests.ingest.test_loaders import _minimal_pdf


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Harbour reopens\nNovember 28, 2026\n\nThe harbour reopened.", "2026-11-28"),
        ("Harbour reopens\n*Published 2026-11-20*\n\nText.", "2026-11-20"),
        ("Title\nBy Ana Lima | 3 Dec. 2026, 10:05 GMT\n\nText.", "2026-12-03"),
        ("Title\nUpdated: Dec 2, 2026\nPublished: Dec 1, 2026\n\nText.", "2026-12-01"),
        ("Title\nLast updated 2026-12-02\n\nText.", "2026-12-02"),  # only an update date
        ("Title\nSept. 9th, 2025\n\nBody.", "2025-09-09"),
        ("Title\n\nThe 2026 budget passed in November.", None),  # no day: not a date
        ("Title\nFebruary 30, 2026\n\nBody.", None),  # no such day
        ("Title\n" + "\n".join(f"Line {i}." for i in range(10)) + "\nMarch 3, 2026", None),
    ],
)
def test_the_date_near_the_top_is_the_publish_date(text, day):
    assert text_date(text) == day


def test_markdown_reads_as_text():
    source = (
        "# Dam *opens* today\n\n*Published 2026-11-20*\n\n"
        "The **new** dam [opened](https://x.test/a) on _Friday_, see ![the chart](c.png).\n\n"
        '> "It works," she said.\n\n* first point\n+ second point\n\n---\n\n'
        "Call `make_dam()` in snake_case_names.\n\n[ref]: https://x.test/ref\n"
    )
    text = markdown_text(source)
    assert text.startswith("Dam opens today\n\nPublished 2026-11-20\n")
    assert "The new dam opened on Friday, see the chart." in text
    assert '"It works," she said.' in text and "- first point\n- second point" in text
    assert "make_dam() in snake_case_names" in text
    for markup in ("#", "**", "](", "![", "---", "[ref]", "> "):
        assert markup not in text


def test_txt_md_and_pdf_files_get_the_date_their_text_states(tmp_path):
    (tmp_path / "a.txt").write_text("Harbour reopens\nNovember 28, 2026\n\nThe harbour reopened.\n")
    (tmp_path / "b.md").write_text("# Dam opens\n\n*Published 2026-11-20*\n\nThe **dam** opened.\n")
    (tmp_path / "c.pdf").write_bytes(_minimal_pdf("Wind farm approved December 1, 2026"))
    found = {a.source.rsplit("/", 1)[1]: a for a in load_paths([tmp_path]).articles}
    assert found["a.txt"].published == "2026-11-28"
    assert found["b.md"].published == "2026-11-20" and found["b.md"].title == "Dam opens"
    assert "**" not in found["b.md"].text and "#" not in found["b.md"].text
    assert found["c.pdf"].published == "2026-12-01"
