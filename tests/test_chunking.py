import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.chunking import Chunker, units
from rag.config import ChunkingConfig
from rag.errors import ConfigError
from rag.ingest import load_sample_corpus
from rag.ingest.loaders import article_id
from rag.text import split_sentences
from rag.tokens import count_tokens
from rag.types import Article


def _article(text: str) -> Article:
    return Article(id=article_id(text), title="t", text=text, source="s")


@pytest.fixture(scope="module")
def samples():
    return load_sample_corpus().articles


@pytest.mark.parametrize("size,overlap", [(200, 40), (120, 20), (400, 0)])
def test_offsets_map_back_to_the_exact_article_text(samples, size, overlap):
    for article in samples:
        chunks = Chunker(ChunkingConfig(size, overlap)).split(article)
        assert chunks
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
        # every sentence of the article is in some chunk
        covered = set()
        for chunk in chunks:
            covered.update(range(chunk.start, chunk.end))
        for unit in units(article.text):
            assert unit.start in covered


def test_chunks_respect_the_token_budget(samples):
    chunker = Chunker(ChunkingConfig(200, 40))
    for article in samples:
        chunks = chunker.split(article)
        # the last chunk may absorb a short tail (< a quarter of the size) instead of orphaning it
        for chunk in chunks[:-1]:
            assert count_tokens(chunk.text) <= 200 + 5
        assert count_tokens(chunks[-1].text) <= 250


def test_chunks_end_on_sentence_boundaries_and_overlap(samples):
    peace = next(a for a in samples if a.source == "peace-deal-skepticism.txt")
    chunks = Chunker(ChunkingConfig(120, 30)).split(peace)
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        # overlapping, or separated only by white space: no text falls between chunks
        assert chunk.start <= previous.end or not peace.text[previous.end : chunk.start].strip()
    quote = "It is not worth setting any rigid time frames"
    holder = next(c for c in chunks if quote in c.text)
    assert "Peskov" in holder.text  # the quote stays with the sentence that names its speaker


def test_headings_and_lead_ins_stay_with_what_follows(samples):
    witkoff = next(a for a in samples if a.source == "witkoff-putin-meeting.txt")
    for size in (80, 120, 200):
        for chunk in Chunker(ChunkingConfig(size, 0)).split(witkoff):
            last_line = chunk.text.rstrip().split("\n")[-1]
            assert not last_line.endswith(":"), (size, last_line)
    # a bullet list is never separated from the lead-in that introduces it
    chunks = Chunker(ChunkingConfig(200, 0)).split(witkoff)
    lead = "Trump argued:"
    holder = next(c for c in chunks if lead in c.text)
    assert "- Russia “has reasons” to seek a settlement" in holder.text


def test_photo_captions_are_not_orphan_chunks(samples):
    peace = next(a for a in samples if a.source == "peace-deal-skepticism.txt")
    for chunk in Chunker(ChunkingConfig(200, 40)).split(peace):
        assert count_tokens(chunk.text) >= 50  # no caption-only or heading-only chunk


def test_sentence_splitter_keeps_abbreviations():
    text = "U.S. President Joe Biden met Mr. Smith on Jan. 5. He left. “Fine,” she said."
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "U.S. President Joe Biden met Mr. Smith on Jan. 5.",
        "He left.",
        "“Fine,” she said.",
    ]


def test_overlong_sentence_is_split_at_token_boundaries():
    text = "word " * 1000
    chunks = Chunker(ChunkingConfig(100, 10)).split(_article(text))
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert count_tokens(chunk.text) <= 110


def test_invalid_settings_are_rejected():
    with pytest.raises(ConfigError, match="at least 16"):
        ChunkingConfig(8, 0)
    with pytest.raises(ConfigError, match="half"):
        ChunkingConfig(100, 60)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=3000))
def test_offsets_hold_for_any_text(text):
    for chunk in Chunker(ChunkingConfig(32, 8)).split(_article(text)):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip()


def test_a_teaser_cut_off_with_an_ellipsis_is_a_sentence_not_a_heading():
    """A scraped link list's teasers ("... struck three nuclear sites in Iran on…") are text
    a reader may ask about: evidence, not headings that only frame what follows."""
    from rag.answer.evidence import sentences
    from rag.text import is_heading
    from rag.types import Passage

    teaser = "WASHINGTON — The United States struck three nuclear sites in Iran on…"
    assert not is_heading(teaser)
    assert is_heading("US strikes Iran: Nations react to American strikes")  # a headline
    text = f"Latest news\n{teaser}\nMore below."
    passage = Passage(text, 1.0, "a", "t", "s", None, 0, len(text))
    spans = [text[s.start : s.end] for s in sentences([passage])]
    assert teaser in spans and "Latest news" not in spans
