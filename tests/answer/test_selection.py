"""The answer-sentence ranker: its features, the packaged fit, the extractive choice it
drives, and the answers it changes on the sample articles."""

import json

import pytest

from rag.answer import Context, Evidence, ExtractiveGenerator
from rag.answer.answerability import MARKED
from rag.answer.selection import (
    FEATURES,
    SentenceRanker,
    by_carrying,
    choose,
    load_ranker,
    sentence_features,
)
from rag.config import AnswerConfig, Config
from rag.errors import RagError
from rag.text import content_terms
from rag.types import Passage
from tests.conftest import pipeline_at


def _evidence(text: str, score: float, typed: bool | None = None, start: int = 0) -> Evidence:
    return Evidence(0, start, start + len(text), text, score, score - 0.3, 0.5, "", typed)


def test_features_tell_a_sentence_that_answers_from_one_that_restates_the_question():
    asked = content_terms("Which show was renewed for a second season?")
    echo = sentence_features(asked, _evidence("The show was renewed for a second season.", 1.0))
    answer = sentence_features(
        asked, _evidence("Netflix renewed Squid Game, its most watched series.", 0.8, True)
    )
    assert echo["own_coverage"] > answer["own_coverage"]
    assert echo["novelty"] == 0.0 and answer["novelty"] > 0.5
    assert (echo["typed"], answer["typed"]) == (0.0, 1.0)
    assert answer["similarity"] == pytest.approx(0.5)
    # what the sentence says itself counts, not what its lead says
    lead = Evidence(0, 0, 22, "That isn't surprising.", 1.0, 0.9, 1.0, "The show was renewed.")
    assert sentence_features(asked, lead)["own_coverage"] == 0.0
    assert sentence_features(set(), lead)["own_coverage"] == 0.0  # no content words asked


def test_the_ranker_marks_the_best_sentences_and_keeps_their_order():
    ranker = SentenceRanker(("typed",), (4.0,), -2.0)
    evidence = [_evidence(f"Sentence {i}.", 1 - i / 100, typed=i == 3) for i in range(MARKED + 4)]
    marked = ranker.mark("Who spoke?", evidence)
    assert [e.text for e in marked] == [e.text for e in evidence]
    assert all(e.carries is not None for e in marked[:MARKED])
    assert all(e.carries is None for e in marked[MARKED:])
    assert marked[3].carries == pytest.approx(1 / (1 + 2.718281828459045**-2.0))
    assert by_carrying(marked)[0].text == "Sentence 3."
    assert len(by_carrying(marked)) == MARKED  # only ranked sentences lead
    assert by_carrying(evidence) == evidence  # unranked: the score order


def test_choose_leads_with_the_carrying_sentence_and_keeps_the_band_for_the_rest():
    evidence = [
        _evidence("Best score.", 1.00),
        _evidence("Close second.", 0.90),
        _evidence("Within band too.", 0.86),
        _evidence("Also in band.", 0.85),
        _evidence("Far below.", 0.50),
    ]
    # unranked: the best-scoring sentences within 0.85 of the best, three at most
    assert [e.text for e in choose(evidence, 0.85, 3)] == [
        "Best score.",
        "Close second.",
        "Within band too.",
    ]
    ranked = SentenceRanker(("similarity",), (-5.0,), 3.0).mark("q", evidence)  # low wins
    chosen = [e.text for e in choose(ranked, 0.85, 3)]
    # the carrying sentence leads even below the band; the rest must still be in it
    assert chosen == ["Far below.", "Also in band.", "Within band too."]
    assert choose([], 0.85, 3) == []
    assert [e.text for e in choose(ranked, 0.85, 1)] == ["Far below."]


def test_packaged_ranker_loads_and_bad_files_are_one_line_errors(tmp_path):
    ranker = load_ranker()
    assert ranker.features == FEATURES and len(ranker.weights) == len(FEATURES)
    weights = dict(zip(ranker.features, ranker.weights, strict=True))
    # what was fitted: the expected type and the sentence's own coverage count for it
    assert weights["typed"] > 0 and weights["own_coverage"] > 0
    bad = tmp_path / "sentences.json"
    bad.write_text(json.dumps({"ranker": {"features": ["relevance"]}}))
    with pytest.raises(RagError, match="Cannot read the sentence ranker") as error:
        load_ranker(bad)
    assert "\n" not in str(error.value)
    with pytest.raises(RagError, match="Cannot read the sentence ranker"):
        load_ranker(tmp_path / "missing.json")


def test_the_pipeline_reads_the_ranker_setting(sample_index_dir, embedder):
    assert pipeline_at(sample_index_dir, embedder).answerer("extractive").ranker is not None
    off = pipeline_at(sample_index_dir, embedder, ranker="off").answerer("extractive")
    assert off.ranker is None
    assert Config.from_env(ranker="off").answer.ranker == "off"


def test_answers_quote_sentences_that_say_something_not_ones_that_borrow_their_lead(
    sample_index_dir, embedder
):
    """A question in neither eval set (the ranker was fitted on those): "That isn't
    surprising." scores high only through the sentence before it, which names Hoffman
    and Putin; in the evidence score's order the answer quotes it, ranked it does not."""
    question = "What does Hoffman believe Putin wants in Ukraine?"
    ranked = pipeline_at(sample_index_dir, embedder).answerer("extractive").answer(question)
    unranked = pipeline_at(sample_index_dir, embedder, ranker="off").answerer("extractive")
    assert "surprising" in unranked.answer(question).text
    assert not ranked.abstained and "surprising" not in ranked.text
    assert "no indication that Putin wants to stop the war" in ranked.text


def test_a_quote_brings_the_sentence_naming_its_speaker_not_a_photo_credit():
    text = "Mayor Alice Brandt opened the harbour. (Getty Images) “It is a great day,” she said."
    spans = [(0, 38), (39, 53), (54, len(text))]
    passage = Passage(text, 1.0, "a1", "Harbour", "harbour.txt", None, 0, len(text))
    evidence = [  # best first, as the scorer gives them
        Evidence(0, start, end, text[start:end], score, score, 0.5)
        for (start, end), score in zip(spans[::-1], (1.0, 0.6, 0.5), strict=True)
    ]
    context = Context("What did the mayor say?", "q", [passage], evidence, [])
    quoted = "".join(ExtractiveGenerator(AnswerConfig(extractive_keep=0.9)).generate(context))
    assert quoted.startswith("Mayor Alice Brandt opened the harbour. [1]")
    assert "great day" in quoted and "Getty" not in quoted
