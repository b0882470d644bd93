from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from rag.config import FusionConfig
from rag.errors import InputError
from rag.filters import SearchFilter
from rag.index import Index
from rag.retrieve import BM25Retriever, DenseRetriever, HybridRetriever
from rag.retrieve.fusion import Ranking, reciprocal_rank_fusion, score_fusion
from rag.retrieve.langchain import LangChainRetriever
from tests.conftest import CANONICAL, PESKOV_QUOTE, pipeline_at


@pytest.fixture(scope="module")
def index(sample):
    return sample.index


@pytest.fixture(scope="module")
def hybrid(sample):
    return sample.retriever


def test_canonical_question_ranks_the_peskov_passage_first(hybrid):
    top = hybrid.retrieve(CANONICAL, 5)[0]
    assert PESKOV_QUOTE in top.text
    assert top.source == "peace-deal-skepticism.txt"
    assert top.title.startswith("Trump insists")
    article = hybrid.index.by_id[top.article_id]
    assert article.text[top.start : top.end] == top.text
    assert {"rrf", "dense", "bm25"} <= set(top.scores)


@pytest.mark.parametrize("kind", ["dense", "bm25", "hybrid"])
def test_every_retriever_finds_witkoff_background(sample, kind):
    retriever = sample.create_retriever(kind)
    passages = retriever.retrieve(
        "Who is Steve Witkoff and does he have a formal foreign policy role?", 3
    )
    assert any("no formal foreign policy role" in p.text for p in passages)


def test_results_are_ranked_and_unique(hybrid):
    passages = hybrid.retrieve("Russia drone strikes", 10)
    assert len(passages) == 10
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert len({p.chunk_id for p in passages}) == 10


def test_source_filter_is_applied_inside_the_search(hybrid, index, embedder):
    only = SearchFilter(sources=("witkoff*",))
    n_witkoff = sum(
        1 for c in index.chunks if index.by_id[c.article_id].source.startswith("witkoff")
    )
    for retriever in (hybrid, DenseRetriever(index, embedder)):
        # the question matches the other article best, yet k results still come back
        passages = retriever.retrieve(CANONICAL, 5, only)
        assert len(passages) == 5
        assert all(p.source == "witkoff-putin-meeting.txt" for p in passages)
    assert len(hybrid.retrieve(CANONICAL, 50, only)) == n_witkoff


def test_date_filter(tmp_path, embedder):
    folder = tmp_path / "dated"
    folder.mkdir()
    rows = [
        ('{"title": "Old flood", "text": "The river flooded the town.", "date": "2022-01-10"}'),
        ('{"title": "New flood", "text": "The river flooded the valley.", "date": "2022-06-10"}'),
        ('{"title": "Undated flood", "text": "The river flooded the farms."}'),
    ]
    (folder / "news.jsonl").write_text("\n".join(rows) + "\n")
    pipeline = pipeline_at(tmp_path / "idx", embedder)
    pipeline.build([folder])
    retriever = pipeline.retriever
    since = retriever.retrieve("river flood", 5, SearchFilter(date_from="2022-03-01"))
    assert [p.title for p in since] == ["New flood"]
    until = retriever.retrieve("river flood", 5, SearchFilter(date_to="2022-03-01"))
    assert [p.title for p in until] == ["Old flood"]
    assert len(retriever.retrieve("river flood", 5)) == 3


def test_bad_queries_get_clear_errors(hybrid):
    with pytest.raises(InputError, match="empty"):
        hybrid.retrieve("  \x00\t ", 5)
    with pytest.raises(InputError):
        hybrid.retrieve("ok", 0)
    assert hybrid.retrieve("Peskov " * 50_000, 3)  # huge input is cut, still answered


def test_bm25_only_matches_words(index):
    passages = BM25Retriever(index).retrieve("Koffler", 5)
    assert passages and all("Koffler" in p.text for p in passages)


def test_langchain_retriever_invoke_and_lcel_chain(hybrid):
    retriever = LangChainRetriever(retriever=hybrid, k=3)
    docs = retriever.invoke(CANONICAL)
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert PESKOV_QUOTE in top.page_content
    assert {"article_id", "title", "source", "published", "start", "end", "score"} <= set(
        top.metadata
    )

    def cite(docs: list[Document]) -> str:
        return "\n".join(
            f"[{i}] {d.metadata['source']}:{d.metadata['start']}" for i, d in enumerate(docs, 1)
        )

    chain = retriever | RunnableLambda(cite)
    out = chain.invoke(CANONICAL)
    assert out.startswith("[1] peace-deal-skepticism.txt:")
    assert len(retriever.batch([CANONICAL, "Witkoff"])) == 2


DIGEST = """Morning briefing: five things to know

Markets: Stocks fell for a third day as investors weighed higher interest rates and weak
earnings from retailers, with the tech index down two percent.

Football: The home side won the cup final on penalties after a goalless draw, its first
title in eleven years, and fans filled the square.

Harbour: Flood water closed the coast road near the harbour on Tuesday after the river
overflowed.

Election: The council vote count was delayed by a software fault, officials said, and
results are now expected on Friday afternoon.
"""
STORY = """Harbour flooding

Residents near the harbour spent the night on higher ground as the river rose through town.
Emergency crews pumped water from cellars and the fire brigade rescued two people from a car.
The coast road stayed shut on Tuesday and engineers will inspect the sea wall for damage.
Shops on the quay lost stock to the water and the mayor promised help with repairs.
"""
FLOOD_QUESTION = "Which road was closed by the flooding near the harbour?"


@pytest.fixture(scope="module")
def digest_index(tmp_path_factory, embedder) -> Index:
    folder = tmp_path_factory.mktemp("digest")
    (folder / "docs").mkdir()
    (folder / "docs" / "briefing.txt").write_text(DIGEST)
    (folder / "docs" / "flood.txt").write_text(STORY)
    pipeline = pipeline_at(folder / "idx", embedder, chunk_tokens=40, chunk_overlap=0)
    pipeline.build([folder / "docs"])
    return pipeline.index


def test_a_story_about_the_topic_is_nearer_as_a_whole_than_a_digest(digest_index, embedder):
    """The premise of the article-vector ranking: the digest's one paragraph matches the
    question best, but its mean vector is diffuse, so the story wins as a whole."""
    index, question = digest_index, embedder.embed_query(FLOOD_QUESTION)
    row = {Path(a.source).name: i for i, a in enumerate(index.articles)}
    briefing, story = row["briefing.txt"], row["flood.txt"]
    best_chunk = {
        a: (index.embeddings[index.article_rows(a)] @ question).max() for a in row.values()
    }
    assert best_chunk[briefing] > best_chunk[story]
    whole = index.article_embeddings @ question
    assert whole[story] > whole[briefing]


def test_article_vector_ranking_adds_its_weight_by_flat_rank(digest_index, embedder):
    only_vectors = HybridRetriever(digest_index, embedder, FusionConfig(article_weight=0))
    found = only_vectors.retrieve(FLOOD_QUESTION, 10)
    article = {Path(p.source).name: p.scores["article"] for p in found}
    # defaults: weight 32 over a flat constant of 500, the nearer article (the story) first
    assert article == {
        "flood.txt": pytest.approx(32 / 501),
        "briefing.txt": pytest.approx(32 / 502),
    }
    off = HybridRetriever(
        digest_index, embedder, FusionConfig(article_weight=0, article_vector_weight=0)
    )
    assert {p.scores["article"] for p in off.retrieve(FLOOD_QUESTION, 10)} == {0.0}


def test_reciprocal_rank_fusion_sums_weighted_reciprocal_ranks():
    fused = reciprocal_rank_fusion([Ranking([7, 3], 1.0, 60), Ranking([3, 9], 2.0, 10)])
    assert list(fused) == [7, 3, 9]  # in the order first met
    assert fused == pytest.approx({7: 1 / 61, 3: 1 / 62 + 2 / 11, 9: 2 / 12})
    assert reciprocal_rank_fusion([]) == {}


def test_score_fusion_sums_weighted_min_max_scores():
    fused = score_fusion(
        [Ranking([1, 2, 3], 2.0, scores=[10.0, 6.0, 2.0]), Ranking([2, 4], 1.0, scores=[0.5, 0.5])]
    )
    # a list of equal scores counts 1 for each of its items
    assert fused == pytest.approx({1: 2.0, 2: 2.0 * 0.5 + 1.0, 3: 0.0, 4: 1.0})
    assert score_fusion([Ranking([], 1.0, scores=[])]) == {}


@pytest.mark.parametrize(
    ("question", "evidence"),
    [
        (
            "What did the White House press secretary say about Trump's frustration?",
            "he has grown frustrated with both sides of this war",
        ),
        (
            "What does Ukraine's bargaining power depend on?",
            "bargaining power depends on military and financial support from allies",
        ),
    ],
)
def test_small_collections_fuse_chunk_lists_by_score(sample, embedder, question, evidence):
    """Over the sample articles the chunk lists hold every chunk, so ``auto`` fuses by
    score: a passage BM25 puts first by a wide margin is not outvoted by a nearly flat
    list of cosines, as it is by rank fusion."""
    auto = HybridRetriever(sample.index, embedder, FusionConfig(chunk_fusion="auto"))
    score = HybridRetriever(sample.index, embedder, FusionConfig(chunk_fusion="score"))
    rank = HybridRetriever(sample.index, embedder, FusionConfig(chunk_fusion="rank"))
    assert [p.chunk_id for p in auto.retrieve(question, 5)] == [
        p.chunk_id for p in score.retrieve(question, 5)
    ]
    assert evidence in auto.retrieve(question, 1)[0].text
    assert evidence not in rank.retrieve(question, 1)[0].text
