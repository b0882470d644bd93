"""The answerability step: expected answer types, real spaCy entities, the fitted gates, and
the model's own yes/no opinion from real llama.cpp runtimes."""

import json
import math

import pytest

from rag.answer import Answerer, Context, Evidence
from rag.answer.answerability import (
    Gate,
    Signals,
    SpacyTagger,
    expected_types,
    load_gates,
    mark_answer_types,
    measure,
)
from rag.answer.prompt import JUDGE_ASK, build_messages
from rag.config import Config
from rag.errors import RagError
from rag.llm.backends import OpenAIBackend, yes_share
from tests.answer.conftest import answerers_over, needs_model
from tests.conftest import CANONICAL


@pytest.fixture(scope="module")
def tagger():
    return SpacyTagger(Config().answer.ner_model)


def _evidence(text: str, score: float) -> Evidence:
    return Evidence(0, 0, len(text), text, score, score - 0.3, 0.6, "")


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("How much military assistance has Washington provided?", "MONEY"),
        ("How many troops has Russia lost?", "CARDINAL"),
        # a span of time is a DATE to the tagger ("six months")
        ("How many months was her detention extended?", "DATE"),
        ("How many more years will the program run?", "DATE"),
        ("How long did the meeting last?", "TIME"),
        ("When was the drone strike damage photographed?", "DATE"),
        ("On what date will the deal be signed?", "DATE"),
        ("Where was the Ukrainian delegation set to meet?", "GPE"),
        ("Which publication reported the claim?", "ORG"),
        ("Who won the 2024 presidential election?", "PERSON"),
        # a head noun after modifiers, or after "is the"
        ("Which Kremlin official cautioned against a quick deal?", "PERSON"),
        ("Which college football coach resigned?", "PERSON"),
        ("Which two countries signed the accord?", "GPE"),
        ("Which Ivy League school announced the change?", "ORG"),
        ("What is the population of the city?", "CARDINAL"),
    ],
)
def test_questions_ask_for_a_type_of_entity(question, label):
    assert label in expected_types(question)


@pytest.mark.parametrize(
    "question",
    [
        "Why did Peskov say a quick fix was not possible?",
        CANONICAL,
        # stop words between "what" and a type noun: the noun is not what is asked for
        "What did the company say about the recall?",
        "What does the country's leader want?",
    ],
)
def test_questions_without_an_entity_type_expect_none(question):
    assert expected_types(question) == frozenset()


def test_the_packaged_spacy_model_finds_people_money_and_dates(tagger):
    (found,) = tagger.entities(
        ["Kremlin spokesman Dmitry Peskov said on Tuesday that $66.5 billion went to Kyiv."]
    )
    assert ("Dmitry Peskov", "PERSON") in found
    assert ("$66.5 billion", "MONEY") in found
    assert ("Tuesday", "DATE") in found


def test_an_unknown_entity_model_is_a_one_line_error():
    with pytest.raises(RagError, match="RAG_NER_MODEL"):
        _ = SpacyTagger("no_such_spacy_model").nlp


def test_typed_signal_needs_an_entity_of_the_asked_type_the_question_lacks(tagger):
    election = [
        _evidence("The 2024 presidential race is increasingly defining foreign policy.", 0.9),
        _evidence("Observers said the mood in the capital was tense.", 0.6),
    ]
    asked = "Who won the 2024 presidential election?"
    who = measure(asked, mark_answer_types(asked, election, tagger))
    assert who.relevance == pytest.approx(0.9)
    assert who.typed == 0.0  # nobody is named: no sentence says who won
    named = [*election, _evidence("Jane Doe won the election by a wide margin.", 0.7)]
    marked = mark_answer_types(asked, named, tagger)
    assert [e.typed for e in marked] == [False, False, True]
    assert measure(asked, marked).typed == 0.7
    why = "Why is the race defining foreign policy?"
    assert mark_answer_types(why, election, tagger) == election  # no type asked: unmarked
    assert measure(why, election).typed == measure(why, election).relevance


def test_a_span_of_time_is_the_type_how_many_months_asks_for(tagger):
    """The tagger reads "six months" as a DATE: the sentence holding it answers."""
    asked = "How many months was her detention extended?"
    evidence = [_evidence("Her detention, extended for six months, drew protests.", 0.8)]
    assert mark_answer_types(asked, evidence, tagger)[0].typed


def test_gate_probability_is_logistic_and_missing_judge_is_undecided():
    gate = Gate(("relevance", "judge"), (4.0, 2.0), -3.0, 0.5)
    signals = Signals(1.0, 0.6, 0.5, 1.0, judge=None)
    assert gate.probability(signals) == pytest.approx(1 / (1 + math.exp(-(4.0 + 2.0 * 0.5 - 3.0))))
    assert gate.answerable(signals)
    assert not gate.answerable(Signals(0.2, 0.1, 0.0, 0.0, judge=0.0))


def test_packaged_gates_load_with_both_kinds_and_bad_files_are_one_line_errors(tmp_path):
    gates = load_gates()
    assert set(gates) == {"evidence", "llm"}
    assert "judge" in gates["llm"].features and "judge" not in gates["evidence"].features
    bad = tmp_path / "gates.json"
    bad.write_text(json.dumps({"gates": {"evidence": {"features": ["relevance"]}}}))
    with pytest.raises(RagError, match="Cannot read the answerability gates"):
        load_gates(bad)


def test_yes_share_reads_yes_and_no_in_any_case():
    assert yes_share([("Yes", -0.1), (" no", -2.0), ("To", -3.0)]) == pytest.approx(
        0.9048 / (0.9048 + 0.1353), abs=1e-3
    )
    assert yes_share([("Maybe", -0.1)]) is None


def test_the_gate_decides_and_the_answerer_abstains_on_its_word(sample):
    answerer = sample.answerer("extractive")
    never = {"evidence": Gate(("relevance",), (0.0,), 0.0, 1.01)}  # p = 0.5 < 1.01
    refusing = Answerer(answerer.retriever, answerer.scorer, answerer.generator, gates=never)
    assert refusing.answer(CANONICAL).abstained
    assert not answerer.answer(CANONICAL).abstained  # the packaged gate answers it


# Questions in neither eval set (the gates were fitted on those): answerable from the
# sample articles, and plausible ones they do not answer.
UNSEEN_ANSWERABLE = [
    CANONICAL,
    "Where is Witkoff going this week?",
    "What is Trump's view of Putin?",
    "What did the Kremlin spokesman warn against?",
]
UNSEEN_UNANSWERABLE = [
    "What did Peskov say about the price of oil?",
    "How many tanks did Germany send to Ukraine?",
    "What did Trump eat for breakfast?",
    "When was Putin born?",
]


def test_packaged_gate_on_questions_it_was_not_fitted_on(sample):
    answerer = sample.answerer("extractive")
    refused = [q for q in UNSEEN_ANSWERABLE if answerer.answer(q).abstained]
    assert refused == []
    answered = [q for q in UNSEEN_UNANSWERABLE if not answerer.answer(q).abstained]
    assert len(answered) <= 1, answered
    assert answerer.assess("What did Zelensky say to Witkoff during their phone call?") is None


@pytest.mark.slow
@needs_model
def test_the_models_own_opinion_separates_answering_passages(
    sample_index_dir,
    embedder,
    local_backend,
    openai_server,
):
    """Both real runtimes (in-process and over HTTP with the openai client) give a higher
    yes-probability when the passages answer than when they do not."""
    for answerer in answerers_over(sample_index_dir, embedder, local_backend, openai_server):
        answers = answerer.assess(CANONICAL)
        refuses = answerer.assess("What did Witkoff and Putin eat during their meeting?")
        assert answers.judge is not None and refuses.judge is not None
        assert answers.judge > 0.5 > refuses.judge, answerer.name


def test_the_judge_prompt_shares_the_answer_prompts_prefix(sample):
    answerer = sample.answerer("extractive")
    found = sample.search(CANONICAL)
    context = Context(CANONICAL, CANONICAL, found, answerer.scorer.score(CANONICAL, found), [])
    answer, judge = build_messages(context), build_messages(context, JUDGE_ASK)
    assert judge[0] == answer[0]
    shared = answer[1]["content"].rsplit("\n", 1)[0]
    assert judge[1]["content"] == f"{shared}\n{JUDGE_ASK}"
    # a server that cannot give log-probabilities (here: none listening) leaves no opinion
    assert OpenAIBackend(base_url="http://127.0.0.1:9/v1").yes_probability(judge) is None
