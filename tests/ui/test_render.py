"""The chat's HTML: merged source cards, links to originals, plain-text copies, and chats
restored from a browser's storage."""

from dataclasses import replace

from rag.answer import Answer, Citation
from ui.app import _messages, _restored, _saved
from ui.render import answer_html, cards, draft_html, found_html, outlet, plain_text, sources_html

PASSAGE = "Peskov spoke. “No rigid time frames,” he said. Talks go on in Geneva."


def citation(n: int, sentence: str, **changes) -> Citation:
    start = PASSAGE.index(sentence)
    c = Citation(
        n=n,
        article_id="a1",
        title="Peace talks",
        source="https://news.example/2026/11/peace",
        date="2026-11-28",
        start=100 + start,
        end=100 + start + len(sentence),
        text=sentence,
        passage_start=100,
        passage_end=100 + len(PASSAGE),
        passage=PASSAGE,
    )
    return replace(c, **changes)


def answer(*citations: Citation) -> Answer:
    text = " ".join(f"Claim {c.n} [{c.n}]." for c in citations)
    return Answer(text, list(citations), False, "q")


def test_a_passage_cited_twice_is_one_card_with_both_spans_highlighted():
    one, two = (
        citation(1, "“No rigid time frames,” he said."),
        citation(2, "Talks go on in Geneva."),
    )
    html = sources_html(answer(one, two), turn=3)
    assert html.count('class="source"') == 1 and html.count("</mark>") == 2
    assert 'id="cite-3-1"' in html and 'id="cite-3-2"' in html
    assert "[1][2] Peace talks · news.example · 2026-11-28" in html


def test_overlapping_passages_of_one_article_merge_into_one_text():
    first = citation(1, "Peskov spoke.", passage=PASSAGE[:30], passage_end=130)
    later = citation(2, "Talks go on in Geneva.", passage=PASSAGE[20:], passage_start=120)
    (card,) = cards([first, later])
    assert card.text == PASSAGE and (card.start, card.end) == (100, 100 + len(PASSAGE))


def test_source_cards_link_to_the_original_web_page_only():
    web = sources_html(answer(citation(1, "Peskov spoke.")))
    assert 'href="https://news.example/2026/11/peace"' in web and 'rel="noopener noreferrer"' in web
    local = sources_html(answer(citation(1, "Peskov spoke.", source="uploads/report.txt")))
    assert "source-link" not in local and "report.txt" in local
    hostile = sources_html(answer(citation(1, "Peskov spoke.", source='javascript:alert("x")')))
    assert 'href="javascript' not in hostile
    assert outlet("https://www.example.org/a/b") == "example.org"
    assert outlet("feeds/wire/story.txt") == "story.txt"


def test_copy_gives_plain_text_with_markers_and_references():
    text = plain_text(answer(citation(1, "Peskov spoke.")))
    assert text.startswith("Claim 1 [1].\n\nSources:\n[1] Peace talks — news.example, 2026-11-28")
    assert "https://news.example/2026/11/peace" in text and "“Peskov spoke.”" in text
    html = sources_html(answer(citation(1, "Peskov spoke.")), turn=0)
    assert '<pre class="plain-text" hidden>' in html
    assert 'href="#copy-0"' in answer_html("Claim [1].", turn=0)


def test_drafts_show_dimmed_and_withdrawn_sentences_struck_through():
    assert '<span class="draft">Peskov said</span>' in draft_html("", "Peskov said")
    html = draft_html("Kept [1].", withdrawn="The moon votes.")
    assert '<s class="withdrawn"' in html and "The moon votes&#46;" in html


def test_a_saved_chat_is_restored_for_its_user_only_and_malformed_turns_are_dropped():
    done = {
        "question": "Q?",
        "status": "done",
        "answer": answer(citation(1, "Peskov spoke.")).to_dict(),
    }
    saved = _saved([done, {**done, "status": "stopped"}], "ann")
    assert len(saved["turns"]) == 1
    restored = _restored(saved, "ann")
    assert len(restored) == 1 and "cite-0-1" in restored[0]["panel"]
    assert _restored(saved, "bob") == [] and _restored("junk", None) == []
    broken = {"user": "", "turns": [{"question": "Q"}, {"answer": {"citations": 5}}, 7]}
    assert _restored(broken, None) == []
    tampered = {"user": "", "turns": [{**saved["turns"][0], "question": "<img src=x>"}]}
    assert "<img" not in str(_messages(_restored(tampered, None)))  # shown literally


def test_passages_being_checked_list_each_article_once():
    from rag.types import Passage

    def passage(article: str, start: int) -> Passage:
        return Passage(
            "text", 1.0, article, f"Title {article}", f"{article}.txt", None, start, start + 4
        )

    html = found_html([passage("a", 0), passage("b", 0), passage("a", 50)])
    assert html.count('class="source found"') == 2 and "(2 passages)" in html
    assert "Checking 3 passage(s)" in html
    assert "Passages found" in found_html([passage("a", 0)], checking=False)
