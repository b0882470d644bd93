"""Time awareness: date phrases read relative to the question's "now", the recency prior,
and retrieval over small dated fixtures."""

import json
from datetime import date, timedelta

import numpy as np
import pytest

from rag.config import Config, RecencyConfig
from rag.errors import InputError
from rag.filters import SearchFilter, ordinal_days
from rag.index import Index
from rag.retrieve import HybridRetriever, RecencyPrior, TimeScope, create_retriever, time_scope
from tests.conftest import pipeline_at

NOW = date(2022, 6, 16)  # a Thursday


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    "question,start,end,recent",
    [
        ("Which show was renewed this week?", "2022-06-09", "2022-06-16", True),
        ("What happened today in Congress?", "2022-06-16", "2022-06-16", True),
        ("Who resigned yesterday?", "2022-06-15", "2022-06-15", True),
        ("What did the court decide last week?", "2022-06-02", "2022-06-12", False),
        ("What changed over the past month?", "2022-05-16", "2022-06-16", False),
        ("What did the Fed announce on June 3?", "2022-06-03", "2022-06-06", False),
        ("What did the Fed announce on June 30?", "2021-06-30", "2021-07-03", False),
        ("Who won the vote on March 4, 2020?", "2020-03-04", "2020-03-07", False),
        ("What happened on 2022-05-28?", "2022-05-28", "2022-05-31", False),
        ("What did the council approve in April?", "2022-04-01", "2022-04-30", False),
        ("What was decided in November?", "2021-11-01", "2021-11-30", False),
        ("What has changed since May?", "2022-05-01", "2022-06-16", False),
        ("What did it cost in Sept. 2021?", "2021-09-01", "2021-09-30", False),
        ("Who won the election in 2020?", "2020-01-01", "2020-12-31", False),
        ("What did the bank report in mid-May?", "2022-05-01", "2022-05-31", False),
        ("What was announced last month?", "2022-05-01", "2022-05-31", False),
        ("Who has won most races this year?", "2022-01-01", "2022-06-16", True),
        ("What did inflation reach last year?", "2021-01-01", "2021-12-31", False),
        # weekdays: the latest one up to now (a Thursday); "last" means before today
        ("What did Biden announce on Wednesday?", "2022-06-15", "2022-06-18", True),
        ("Who was missing early Thursday?", "2022-06-16", "2022-06-19", True),
        ("What did the jury decide on Friday?", "2022-06-10", "2022-06-13", True),
        ("What did the council say last Thursday?", "2022-06-09", "2022-06-12", True),
        ("What has changed since Monday?", "2022-06-13", "2022-06-16", True),
        ("What did the Fed announce on Friday, June 3?", "2022-06-03", "2022-06-06", False),
    ],
)
def test_date_phrases_become_windows_relative_to_now(question, start, end, recent):
    scope = time_scope(question, NOW)
    assert (scope.start, scope.end) == (d(start), d(end))
    assert scope.recent is recent or scope.recent  # a window may also carry a recency cue


@pytest.mark.parametrize(
    "question,recent",
    [
        ("Which company recently announced layoffs?", True),
        ("What is the latest on the strike?", True),
        ("Who is the new prime minister?", True),
        ("Who founded the company?", False),
        ("What did Peskov say about timelines?", False),
        ("How many people live in May County?", False),  # a name, not a month phrase
        ("How much did shoppers spend on Black Friday?", False),  # names, not weekdays
        ("Who won Super Tuesday?", False),
        ("Which bill must pass by Friday?", False),  # a deadline
    ],
)
def test_recency_cues_without_a_window(question, recent):
    scope = time_scope(question, NOW)
    assert not scope.window and scope.recent is recent


def test_prior_favours_fresh_news_and_never_drops_old_or_undated():
    published = ordinal_days(["2022-06-15", "2022-05-01", "2015-01-01", None, "2022-07-01"])
    prior = RecencyPrior()
    plain = prior.weights(published, TimeScope(NOW))
    assert plain[0] > plain[1] > plain[2] >= 1.0 - 1e-9
    assert plain[3] == 1.0  # undated: neutral, like old news
    assert plain[4] == 1.0  # published after the question's "now": no bonus
    assert plain[0] == pytest.approx(1 + RecencyConfig().boost * 2 ** (-1 / 30))
    cued = prior.weights(published, TimeScope(NOW, recent=True))
    assert cued[0] > plain[0] and cued[2] == plain[2]
    april = prior.weights(published, time_scope("What happened in May?", NOW))
    assert april[1] > plain[1] and april[2] > 0 and april[3] == 1.0
    assert np.all(prior.weights(published[:0], TimeScope(NOW)) == np.zeros(0))


def test_a_named_weekday_is_this_weeks():
    published = ordinal_days(["2022-06-13", "2022-06-12", "2022-06-06"])  # Mon, Sun, Mon
    prior = RecencyPrior()
    monday = prior.weights(published, time_scope("What did he say on Monday?", NOW))
    recent = prior.weights(published, time_scope("What did he say recently?", NOW))
    # the day before barely differs by freshness alone; named, Monday stands out
    assert monday[0] / monday[1] > 2 > recent[0] / recent[1]
    assert monday[1] > monday[2]  # last week's Monday is not this week's


def test_search_filter_now_defaults_to_today_and_rejects_bad_dates():
    assert SearchFilter().today() == date.today()
    assert SearchFilter(now="2022-06-16").today() == NOW
    assert not SearchFilter(now="2022-06-16").active  # "now" filters nothing
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        SearchFilter(now="16/06/2022").today()


@pytest.fixture(scope="module")
def dated(tmp_path_factory, embedder) -> Index:
    """Near-identical council stories a few months apart, plus an undated one."""
    root = tmp_path_factory.mktemp("dated")
    rows = [
        {"title": f"Council budget vote {n}", "date": day, "text": text}
        for n, (day, text) in enumerate(
            [
                ("2022-01-12", "The city council voted on the budget for parks and roads."),
                ("2022-04-13", "The city council voted on the budget for schools and roads."),
                ("2022-06-14", "The city council voted on the budget for housing and roads."),
            ]
        )
    ]
    rows.append({"title": "Harbour dredging", "text": "Dredging of the harbour channel resumed."})
    (root / "news.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pipeline = pipeline_at(root / "index", embedder)
    pipeline.build([root / "news.jsonl"])
    return pipeline.index


def _dates(passages) -> list[str | None]:
    return [p.published for p in passages]


def test_this_week_and_now_pick_the_matching_story(dated, embedder):
    retriever = create_retriever("hybrid", dated, embedder, Config())
    question = "What did the city council vote on this week?"
    june = retriever.retrieve(question, 4, SearchFilter(now="2022-06-16"))
    assert june[0].published == "2022-06-14" and june[0].scores["time"] > 1
    april = retriever.retrieve(question, 4, SearchFilter(now="2022-04-15"))
    assert april[0].published == "2022-04-13"  # the June story lies in April's future
    assert len(april) == 4 and None in _dates(april)  # nothing is dropped


def test_named_month_is_preferred_even_when_older(dated, embedder):
    retriever = create_retriever("hybrid", dated, embedder, Config())
    asked = SearchFilter(now="2022-06-16")
    top = retriever.retrieve("What did the council vote on in January?", 4, asked)
    assert top[0].published == "2022-01-12"


def test_undated_articles_stay_findable(dated, embedder):
    retriever = create_retriever("hybrid", dated, embedder, Config())
    top = retriever.retrieve("harbour channel dredging", 4, SearchFilter(now="2022-06-16"))
    assert top[0].published is None and "harbour" in top[0].text


def test_candidates_weighed_by_time_are_what_retrieval_returns(dated, embedder):
    """``candidates`` and ``time_weights`` are the two halves of ranking (the benches
    re-weigh the same candidates under other priors): their product orders the passages."""
    retriever = create_retriever("hybrid", dated, embedder, Config())
    question, asked = "What did the city council vote on this week?", SearchFilter(now="2022-06-16")
    found = retriever.candidates(question, embedder.embed_query(question), 4, asked)
    weights = retriever.time_weights(question, found, asked)
    final = dict(zip(found.ids.tolist(), (found.score * weights).tolist(), strict=True))
    passages = retriever.retrieve(question, 4, asked)
    assert [p.score for p in passages] == pytest.approx([final[p.chunk_id] for p in passages])
    assert [p.score for p in passages] == sorted(final.values(), reverse=True)[: len(passages)]
    assert weights.max() > 1.0 and passages[0].published == "2022-06-14"


def test_time_awareness_can_be_turned_off(dated, embedder):
    off = create_retriever("hybrid", dated, embedder, Config().with_(half_life_days=0))
    assert isinstance(off, HybridRetriever) and off.prior is None
    passages = off.retrieve("What did the council vote on this week?", 4)
    assert all(p.scores["time"] == 1.0 for p in passages)


def test_old_archives_rank_as_without_time_awareness(dated, embedder):
    """Asked years later, every story is old news: the prior changes nothing."""
    question = "What did the city council vote on for schools?"
    later = SearchFilter(now=(date(2022, 6, 16) + timedelta(days=3650)).isoformat())
    with_prior = HybridRetriever(dated, embedder, prior=RecencyPrior()).retrieve(question, 4, later)
    without = HybridRetriever(dated, embedder, prior=None).retrieve(question, 4, later)
    assert [p.chunk_id for p in with_prior] == [p.chunk_id for p in without]


@pytest.mark.parametrize("fresh", ["Breaking news", "Markets opened higher on Monday morning."])
def test_a_fresh_irrelevant_article_never_outranks_relevant_old_ones(tmp_path, embedder, fresh):
    """Recency re-orders relevant articles; it never lifts one the question is not about
    (the sample articles are undated: every fresh article's bonus used to beat them)."""
    from rag.ingest import load_sample_corpus
    from tests.conftest import CANONICAL, PESKOV_QUOTE

    root = tmp_path / "news"
    root.mkdir()
    for article in load_sample_corpus().articles:
        (root / article.source).write_text(f"{article.title}\n\n{article.text}")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    row = {"title": "Update", "date": yesterday, "text": fresh}
    (root / "fresh.jsonl").write_text(json.dumps(row) + "\n")
    pipeline = pipeline_at(tmp_path / "index", embedder)
    pipeline.build([root])
    for question in (CANONICAL, "What did Koffler say?", "Who is Steve Witkoff?"):
        passages = pipeline.retriever.retrieve(question, 5)
        sources = [p.source.rsplit("/", 1)[-1] for p in passages]
        assert "fresh.jsonl" not in sources, (question, sources)  # below five relevant ones
    assert PESKOV_QUOTE in pipeline.retriever.retrieve(CANONICAL, 5)[0].text
    # ... while a fresh article the question is about still gets its bonus
    about = {"title": "Peskov update", "date": yesterday, "text": f"{PESKOV_QUOTE} Peskov said."}
    (root / "fresh.jsonl").write_text(json.dumps(about) + "\n")
    pipeline.build([root])
    top = pipeline.retriever.retrieve(CANONICAL, 5)[0]
    assert top.source.endswith("fresh.jsonl") and top.scores["time"] > 1.3
