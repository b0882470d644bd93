import json
from collections import Counter

import pytest

from eval.cli import check_gates, parse_gates
from eval.dataset import contains, load_questions, normalize
from eval.metrics import citation_scores, retrieval_scores, token_f1
from rag.cli import main
from rag.errors import InputError
from rag.ingest import load_sample_corpus


def test_project_eval_set_is_complete_and_grounded():
    questions = load_questions()
    kinds = Counter(q.type for q in questions)
    assert len(questions) >= 60
    assert sum(not q.answerable for q in questions) >= 12
    assert kinds["paraphrase"] and kinds["list"] and kinds["both"] and kinds["noise"]
    assert kinds["injection"] and kinds["date"] and kinds["number"]
    articles = {a.source: a.text for a in load_sample_corpus().articles}
    for q in questions:
        if q.answerable:
            assert q.sources and q.evidence and q.answers, q.id
            for snippet in q.evidence:  # every snippet is verbatim in one of its sources
                assert any(contains(articles[s], snippet) for s in q.sources), (q.id, snippet)
        else:
            assert not q.evidence and not q.answers, q.id


def test_normalization_handles_curly_quotes_nbsp_and_case():
    assert normalize("It’s  “Very”\u00a0GOOD") == normalize('it\'s "very" good')
    assert contains("He said it is “very” good.", 'is "VERY" good')


def test_retrieval_scores():
    scores = retrieval_scores([False, True, False, True], n_relevant=2)
    assert scores["hit@1"] == 0.0 and scores["hit@3"] == 1.0 and scores["mrr@10"] == 0.5
    assert 0 < scores["ndcg@10"] < 1
    assert retrieval_scores([True], 1)["ndcg@10"] == 1.0
    assert retrieval_scores([False] * 10, 3)["mrr@10"] == 0.0


def test_token_f1_and_citations():
    assert token_f1("London [1].", ["London"]) == 1.0
    assert token_f1("in London on Wednesday [1]", ["London"]) == pytest.approx(0.4)
    assert token_f1("Paris", ["London"]) == 0.0
    question = load_questions()[0]
    good = {"text": "It is not worth setting any rigid time frames, he said."}
    bad = {"text": "Unrelated."}
    precision, recall = citation_scores(
        question, [good, bad], ["It is not worth setting any rigid time frames", "Other text"]
    )
    assert precision == 0.5 and recall == 1.0


def test_bad_eval_files_are_reported_with_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "answers": ["x"], "evidence": ["x"]}\n{oops\n')
    with pytest.raises(InputError, match="line 2"):
        load_questions(path)
    path.write_text('{"id": "a", "question": "Q?", "answerable": true}\n')
    with pytest.raises(InputError, match="needs evidence"):
        load_questions(path)


def test_gates():
    gates = parse_gates(["accuracy=0.8", "false_abstention_rate=0.1"])
    assert check_gates({"accuracy": 0.9, "false_abstention_rate": 0.05}, gates) == []
    problems = check_gates({"accuracy": 0.7, "false_abstention_rate": 0.2}, gates)
    assert len(problems) == 2
    assert "unknown metric" in check_gates({}, {"nope": 1.0})[0]


def test_rag_eval_on_a_user_file_and_corpus(tmp_path, capsys):
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "dam.txt").write_text(
        "Dam opens\n\nThe new Kariba dam opened on Friday after six years of work. "
        "Engineer Amara Osei said the dam will power 200,000 homes.\n"
    )
    (corpus / "rail.txt").write_text(
        "Rail strike\n\nRail workers in Leeds walked out on Monday over pay. "
        "The union said the strike would last three days.\n"
    )
    rows = [
        {
            "id": "d1",
            "question": "How many homes will the Kariba dam power?",
            "answers": ["200,000"],
            "evidence": ["the dam will power 200,000 homes"],
            "sources": ["dam.txt"],
            "answerable": True,
        },
        {
            "id": "r1",
            "question": "How long would the Leeds rail strike last?",
            "answers": ["three days"],
            "evidence": ["strike would last three days"],
            "sources": ["rail.txt"],
            "answerable": True,
        },
        {
            "id": "u1",
            "question": "Who won the Leeds mayoral election?",
            "answers": [],
            "evidence": [],
            "sources": [],
            "answerable": False,
        },
    ]
    questions = tmp_path / "mine.jsonl"
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "report"
    base = ["eval", "--questions", str(questions), "--corpus", str(corpus), "--out", str(out)]
    assert main([*base, "--json", "--fail-under", "hit@5=1.0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metrics"]["hybrid.hit@5"] == 1.0 and result["gates"] == []
    for name in ("results.json", "report.md", "hit_at_k.png", "latency.png"):
        assert (out / name).stat().st_size > 0
    report = (out / "report.md").read_text()
    assert "| hybrid |" in report and "| bm25 |" in report and "Failing questions" in report
    with pytest.raises(SystemExit) as failed:
        main([*base, "--fail-under", "accuracy=1.01"])
    assert failed.value.code == 1


def test_conversation_set_has_follow_ups_and_topic_switches():
    from eval.dataset import DEFAULT_QUESTIONS

    turns = load_questions(DEFAULT_QUESTIONS.with_name("conversations.jsonl"))
    by_conversation = Counter(t.conversation for t in turns)
    assert len(by_conversation) >= 25 and set(by_conversation.values()) <= {2, 3, 4}
    assert sum(t.refers_back for t in turns) >= 15
    assert sum(t.type == "switch" for t in turns) >= 5  # later turns that must stay as asked
    articles = {a.source: a.text for a in load_sample_corpus().articles}
    for t in turns:
        for snippet in t.evidence:
            assert any(contains(articles[s], snippet) for s in t.sources), (t.id, snippet)


def test_rag_eval_asks_each_turn_with_its_conversation(tmp_path, capsys):
    rows = [
        {"id": "a1", "conversation": "a", "question": "What did Peskov say about timelines?",
         "answers": ["time frame"], "evidence": ["rigid time frames"],
         "sources": ["peace-deal-skepticism.txt"]},
        {"id": "a2", "conversation": "a", "question": "And what did Koffler say?",
         "answers": ["string Trump along", "same strategy"], "refers_back": True,
         "evidence": ["Putin would like to string Trump along"],
         "sources": ["peace-deal-skepticism.txt"]},
        {"id": "b1", "conversation": "b", "question": "Who is Steve Witkoff?",
         "answers": ["real estate developer"], "evidence": ["real estate developer"],
         "sources": ["witkoff-putin-meeting.txt"]},
        {"id": "b2", "conversation": "b", "question": "Where was the delegation set to meet?",
         "answers": ["London"], "evidence": ["in London on Wednesday"],
         "sources": ["peace-deal-skepticism.txt"]},
    ]  # fmt: skip
    questions = tmp_path / "talks.jsonl"
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "report"
    assert main(["eval", "--questions", str(questions), "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    per_turn = {
        r["id"]: r
        for r in json.loads((out / "results.json").read_text())["answers"]["per_question"]
    }
    assert per_turn["a2"]["rewritten"] and not per_turn["b2"]["rewritten"]  # b2 switches topic
    assert "timelines" in per_turn["a2"]["query"] and per_turn["a2"]["correct"]
    assert result["metrics"]["rewrite_accuracy"] == 1.0
    assert result["metrics"]["followup_accuracy"] == 1.0
