"""The composition root: one index and one embedder per process, injected parts used or
refused, articles from memory, and answers over any retriever."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from rag import Config, Pipeline
from rag.answer import Context, Generator
from rag.embed import SentenceTransformerEmbedder
from rag.errors import IndexNotFoundError, InputError
from rag.index import Index
from rag.ingest import load_sample_corpus
from rag.retrieve.langchain import FromLangChain, LangChainRetriever
from tests.conftest import CANONICAL, PESKOV_QUOTE
from ui.render import sources_html

RECORDS = [
    {
        "title": "Council approves harbour plan",
        "text": "The city council approved the harbour plan on Monday. Mayor Alice Brandt "
        "said the plan would bring two thousand jobs to the waterfront.",
        "url": "https://news.example/2026/11/30/harbour-plan",
        "published": "2026-11-30",
    },
    {
        "title": "Bridge opens",
        "text": "The Zephyr bridge opened to traffic on Tuesday after four years of work.",
        "published": "2026-11-24",
    },
]


def test_the_readme_example_indexes_records_from_memory_and_answers(tmp_path, embedder):
    pipeline = Pipeline.open(tmp_path / "news-index", embedder=embedder)
    assert pipeline.index is None  # an empty folder is fine: the first write creates it
    report = pipeline.add_articles(RECORDS)
    assert (report.articles, report.added) == (2, 2)
    answer = pipeline.ask(
        "What did Alice Brandt say about the harbour plan?", answerer="extractive"
    )
    assert not answer.abstained and "two thousand jobs" in answer.text and "[1]" in answer.text
    cited = answer.citations[0]
    assert cited.source == RECORDS[0]["url"] and cited.date == "2026-11-30"
    assert pipeline.answerer("extractive").retriever is pipeline.retriever
    assert pipeline.retriever.embedder is pipeline.embedder is embedder
    # the same records again add nothing; a record without text is skipped with its reason
    again = pipeline.add_articles([*RECORDS, {"title": "Empty", "text": " "}])
    assert (again.added, again.embedded, again.articles) == (0, 0, 2)
    assert [(s.path, s.reason) for s in again.skipped] == [("record 3", "no 'text' field")]
    # a record without a URL is named by its content, so no later record replaces it
    bridge = next(a for a in pipeline.articles if a.title == "Bridge opens")
    assert bridge.source == f"record:{bridge.id}"


def test_writes_are_served_without_a_reload(tmp_path, embedder, monkeypatch):
    pipeline = Pipeline.open(tmp_path / "idx", embedder=embedder)
    pipeline.build()
    loads = Counter()
    real = Index.load.__func__
    monkeypatch.setattr(
        Index, "load", classmethod(lambda c, *a, **k: loads.update("x") or real(c, *a, **k))
    )
    pipeline.add_articles(RECORDS[:1])
    pipeline.remove([RECORDS[0]["url"]])
    assert pipeline.search("Brandt harbour jobs", 3)
    assert loads["x"] == 0  # the index each write produced is the one served next
    assert len(pipeline.articles) == 2


def test_nothing_to_ask_before_there_is_an_index(tmp_path, embedder):
    pipeline = Pipeline.open(tmp_path / "empty", embedder=embedder)
    with pytest.raises(IndexNotFoundError, match="rag index build"):
        pipeline.ask(CANONICAL)
    assert pipeline._backends == {}  # said before loading the local model, not after
    with pytest.raises(InputError, match="the index was not changed"):
        pipeline.add_articles([{"title": "no text"}])
    assert not (tmp_path / "empty" / "CURRENT").exists()


def test_unknown_answerers_are_named(sample):
    with pytest.raises(InputError, match="extractive"):
        sample.answerer("oracle")
    assert "extractive" in sample.answerer_names()


class Echo(Generator):
    """A generator that quotes the first evidence sentence, cited."""

    name = "echo"

    def generate(self, context: Context):
        yield f"{context.evidence[0].text} [1]"


def test_an_injected_generator_is_the_default_answerer(sample_index_dir, embedder):
    pipeline = Pipeline.open(sample_index_dir, embedder=embedder, generator=Echo())
    answer = pipeline.ask(CANONICAL)
    assert pipeline.answerer().name == "echo" and not answer.abstained
    assert answer.citations and answer.text.endswith("[1].") or "[1]" in answer.text


class Keyword(BaseRetriever):
    """A LangChain retriever that knows nothing of rag: word overlap over plain documents."""

    documents: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        words = set(re.findall(r"\w{5,}", query.lower()))
        scored = [
            (len(words & set(re.findall(r"\w{5,}", d.page_content.lower()))), d)
            for d in self.documents
        ]
        return [d for score, d in sorted(scored, key=lambda s: -s[0]) if score][:4]


def test_the_answer_step_runs_over_any_retriever(sample, embedder):
    # a rag retriever wrapped for LangChain and back, and a LangChain retriever of its own
    round_trip = FromLangChain(LangChainRetriever(retriever=sample.retriever, k=5))
    paragraphs = [p for a in load_sample_corpus().articles for p in a.text.split("\n\n")]
    windows = [
        Document(page_content="\n\n".join(paragraphs[i : i + 3]), metadata={"source": "x.txt"})
        for i in range(0, len(paragraphs), 3)
    ]
    for retriever in (round_trip, FromLangChain(Keyword(documents=windows))):
        pipeline = Pipeline(
            Config(index_dir="/nonexistent"), embedder=embedder, retriever=retriever
        )
        answer = pipeline.ask(CANONICAL, answerer="extractive")
        assert not answer.abstained, answer.text
        quoted = [c for c in answer.citations if PESKOV_QUOTE in c.text]
        assert quoted, answer.text
        before, after = quoted[0].context()
        assert quoted[0].passage == before + quoted[0].text + after
        assert "</mark>" in sources_html(answer)  # renders from the answer alone


@pytest.mark.slow
def test_one_index_load_and_one_embedder_per_process(index_copy, tmp_path, monkeypatch, capsys):
    """The CLI, the chat service and eval each load the index once (eval: not at all, it
    serves the index it built) and the embedding model once."""
    from eval.dataset import load_questions
    from eval.runner import run_eval
    from rag.cli import main
    from ui.service import ChatService

    counts = Counter()
    real_load, real_init = Index.load.__func__, SentenceTransformerEmbedder.__init__

    def load(cls, *args, **kwargs):
        index = real_load(cls, *args, **kwargs)
        counts["index"] += 1  # loads that succeed (looking for no index yet costs nothing)
        return index

    def init(self, *args, **kwargs):
        counts["embedder"] += 1
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Index, "load", classmethod(load))
    monkeypatch.setattr(SentenceTransformerEmbedder, "__init__", init)
    where = ["--index-dir", str(index_copy)]

    assert main(["ask", CANONICAL, "--answerer", "extractive", *where]) == 0
    assert "time frames" in capsys.readouterr().out
    assert counts == {"index": 1, "embedder": 1}

    counts.clear()
    story = tmp_path / "story.txt"
    story.write_text("Harbour reopens\n\nThe harbour at Dover reopened on Monday after storms.\n")
    assert main(["index", "add", str(story), "--quiet", *where]) == 0
    assert counts == {"index": 1, "embedder": 1}

    counts.clear()
    service = ChatService(Pipeline(Config(index_dir=str(index_copy))))
    assert not service.answerer("extractive").answer(CANONICAL).abstained
    upload = tmp_path / "upload.txt"
    upload.write_text("Lighthouse\n\nThe lighthouse at Hook Head was repainted in November.\n")
    assert "Added 1" in service.add_files([str(upload)])
    asked = service.answerer("extractive").answer("When was the Hook Head lighthouse repainted?")
    assert "November" in asked.text
    assert "Removed 1" in service.remove("upload.txt")
    assert counts == {"index": 1, "embedder": 1}

    counts.clear()
    result = run_eval(load_questions()[:4], Config(), "extractive")
    assert result["answers"]["summary"]["accuracy"] > 0
    assert counts == {"embedder": 1}


def test_an_index_whose_model_cannot_load_here_is_a_clear_error(index_copy, capsys):
    """A custom-model index opened where that model is not available: one line, no hub
    traceback (it used to surface the hub's connection error)."""
    import json

    from rag.cli import main
    from rag.index.layout import current_version
    from rag.index.manifest import MANIFEST

    folder = current_version(index_copy)
    data = json.loads((folder / MANIFEST).read_text())
    data["embedding"]["model"] = "no-such-org/no-such-model"
    (folder / MANIFEST).write_text(json.dumps(data))
    (index_copy / "CURRENT").write_text(folder.name + "\n")  # a pointer without the hash
    argv = ["ask", CANONICAL, "--index-dir", str(index_copy), "--model", data["embedding"]["model"]]
    assert main([*argv, "--answerer", "extractive"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rag: error: Cannot load embedding model 'no-such-org/no-such-model'")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_record_that_repeats_a_file_is_indexed_once(tmp_path, embedder):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "bridge.txt").write_text("Bridge opens\n\nThe bridge opened today.\n")
    same = {"title": "Bridge opens", "text": "Bridge opens\n\nThe bridge opened today.\n"}
    pipeline = Pipeline.open(tmp_path / "idx", embedder=embedder)
    report = pipeline.build([tmp_path / "docs"], [same, *RECORDS[:1]])
    assert report.articles == len({a.id for a in pipeline.articles}) == 2
