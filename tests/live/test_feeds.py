"""Feeds end to end against the local news site: RSS, Atom, JSON Feed, conditional GET,
one article per page, failures isolated, and the command line as a user runs it."""

import json
import os
import subprocess
import sys

import pytest

from rag.errors import InputError
from rag.live.feeds import parse_feed
from rag.live.fetch import Fetcher
from rag.live.refresh import FeedList, add_pages, refresh_feeds
from tests.conftest import pipeline_at
from tests.live.conftest import FEED_ONLY_TEXT, Handler

LOOPBACK = {"allowed_networks": "127.0.0.0/8", "host_interval": 0.0, "fetch_timeout": 3.0}


@pytest.fixture
def live(index_copy, embedder):
    return pipeline_at(index_copy, embedder, **LOOPBACK)


def test_rss_atom_and_json_feeds_parse_with_markup_removed(news_site):
    fetcher = Fetcher(live_config())
    rss = parse_feed(fetcher.get(f"{news_site}/feed.xml").body)
    assert [e.published for e in rss] == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert FEED_ONLY_TEXT in rss[2].text and "<script" not in rss[2].text
    assert "alert" not in rss[2].text
    (atom,) = parse_feed(fetcher.get(f"{news_site}/atom.xml").body)
    assert atom.link.endswith("/atom-story") and atom.text == "The Atom story summary."
    fetched = fetcher.get(f"{news_site}/feed.json")
    (item,) = parse_feed(fetched.body, fetched.headers["content-type"])
    assert item.published == "2026-11-30" and "1,200 spaces" in item.text
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        parse_feed(fetcher.get(f"{news_site}/malformed.xml").body)
    with pytest.raises(InputError, match="JSON Feed"):
        parse_feed(b'{"items": 3}', "application/feed+json")


def live_config():
    from rag.config import LiveConfig

    return LiveConfig(**LOOPBACK)


def test_refresh_indexes_each_entry_once_and_a_failing_feed_stops_no_other(live, news_site):
    feeds = FeedList(live.config.index_dir)
    for path in ("/feed.xml", "/feed.json", "/malformed.xml", "/error", "/slow"):
        feeds.add(news_site + path)
    report = refresh_feeds(live)
    assert report.feeds == 5 and len(report.failed) == 3, report.failed
    assert report.build is not None and report.build.added == 4  # 3 RSS + 1 JSON Feed
    by_source = {a.source: a for a in live.articles}
    lisbon = by_source[f"{news_site}/news/1"]  # the page's canonical URL
    assert lisbon.published == "2026-11-28" and "reopened on Friday" in lisbon.text
    ghent = next(a for a in live.articles if FEED_ONLY_TEXT in a.text)  # page 404: feed text
    assert ghent.published == "2026-11-30" and ghent.title == "Ghent bans cars downtown"
    state = {f.url: f for f in feeds.load().values()}
    assert (
        state[f"{news_site}/feed.xml"].etag == '"v1"'
        and state[f"{news_site}/feed.xml"].articles == 3
    )
    assert "HTTP 500" in state[f"{news_site}/error"].last_error
    assert state[f"{news_site}/feed.json"].last_error == ""
    # the second refresh: the RSS feed answers 304, and nothing is indexed twice
    Handler.requests.clear()
    again = refresh_feeds(live)
    assert again.not_modified == 1 and again.new_entries == 0 and again.build is None
    assert not any(r.startswith("/story/") for r in Handler.requests)
    assert len(live.articles) == len(by_source)
    saved = json.loads((live.config.index_path / "feeds.json").read_text())
    assert isinstance(saved, list) and {"url", "etag", "last_error"} <= saved[0].keys()


def test_index_add_url_takes_the_page_and_skips_bad_ones(live, news_site):
    report = add_pages(live, [f"{news_site}/story/2", f"{news_site}/binary", f"{news_site}/nope"])
    assert report.added == 1 and len(report.skipped) == 2
    oslo = next(a for a in live.articles if a.source == f"{news_site}/news/2")
    assert oslo.published == "2026-11-29" and "450,000 books" in oslo.text
    answer = live.ask(
        "How many books does Oslo's new library have space for?", answerer="extractive"
    )
    assert "450,000" in answer.text and answer.citations[0].source == f"{news_site}/news/2"


def test_the_command_line_follows_a_feed_as_a_user_would(news_site, index_copy):
    env = {**os.environ, "RAG_INDEX_DIR": str(index_copy), "RAG_HOST_INTERVAL": "0"}
    env.pop("RAG_ALLOW_PRIVATE_URLS", None)

    def rag(*args):
        command = [sys.executable, "-m", "rag.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    feed = f"{news_site}/feed.xml"
    refused = rag("feeds", "add", feed)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1 and "--allow-private-urls" in refused.stderr
    assert rag("feeds", "add", feed, "--allow-private-urls").returncode == 0
    first = rag("feeds", "refresh", "--allow-private-urls", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["build"]["added"] == 3
    second = rag("feeds", "refresh", "--allow-private-urls", "--json")
    assert json.loads(second.stdout)["new_entries"] == 0
    listed = rag("feeds", "list")
    assert feed in listed.stdout and "3 articles added" in listed.stdout
    asked = rag(
        "ask", "When did the Lisbon 28 tram line reopen?", "--answerer", "extractive", "--json"
    )
    answer = json.loads(asked.stdout)
    assert "Friday" in answer["answer"]
    assert answer["citations"][0]["source"] == f"{news_site}/news/1"
    unfollowed = rag("feeds", "remove", feed)
    assert unfollowed.returncode == 0 and rag("feeds", "list").stdout.startswith("No feeds")


def test_the_server_refreshes_feeds_in_the_background_while_it_answers(
    index_copy, embedder, news_site
):
    import time

    from rag.live.refresh import FeedRefresher
    from tests.conftest import CANONICAL
    from ui.service import ChatService

    pipeline = pipeline_at(index_copy, embedder, feed_refresh_minutes=0.01, **LOOPBACK)
    service = ChatService(pipeline)
    assert "Following" in service.follow_feed(f"{news_site}/feed.json")
    before = len(pipeline.articles)
    refresher = FeedRefresher(pipeline, log=lambda line: None).start()
    try:
        deadline = time.monotonic() + 120
        while len(pipeline.articles) == before:
            assert time.monotonic() < deadline, "no background refresh"
            assert "time frame" in pipeline.ask(CANONICAL, answerer="extractive").text
            time.sleep(0.2)
    finally:
        refresher.stop()
    assert any("1,200 spaces" in a.text for a in pipeline.articles)
    (row,) = service.feeds()
    assert row[0] == f"{news_site}/feed.json" and row[2] == "1" and row[3] == "ok"


def test_the_chat_service_refuses_private_feed_urls_by_default(service_default):
    with pytest.raises(InputError, match="private or local address"):
        service_default.follow_feed("http://127.0.0.1:8080/feed.xml")
    with pytest.raises(InputError, match="only http and https"):
        service_default.add_page("file:///etc/passwd")


@pytest.fixture
def service_default(index_copy, embedder):
    from ui.service import ChatService

    return ChatService(pipeline_at(index_copy, embedder))
