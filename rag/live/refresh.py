"""The feeds an index follows (``<index>/feeds.json``) and their refresh: each new entry's
page fetched and indexed, one article per page, one feed's failure never the others'."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from rag.errors import InputError
from rag.index import BuildReport
from rag.ingest.loaders import Skipped
from rag.ingest.urls import is_web_url, page_key
from rag.live.feeds import Entry, parse_feed
from rag.live.fetch import Fetcher
from rag.live.pages import page_record

FEEDS_FILE = "feeds.json"
FEED_TYPES = "application/rss+xml, application/atom+xml, application/feed+json, */*;q=0.5"


@dataclass
class Feed:
    """A followed feed and what its last refresh found."""

    url: str
    added: str = ""
    last_fetch: str = ""
    last_error: str = ""
    entries: int = 0  # entries in the last document read
    articles: int = 0  # articles it has added, all refreshes together
    etag: str = ""
    modified: str = ""


class FeedList:
    """The feeds of one index folder, kept as JSON (data only, never code) and written
    atomically, so a crash mid-write leaves the previous list."""

    def __init__(self, index_dir: str | Path):
        self.path = Path(index_dir) / FEEDS_FILE

    def load(self) -> dict[str, Feed]:
        if not self.path.is_file():
            return {}
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            known = {f.name for f in fields(Feed)}
            return {r["url"]: Feed(**{k: v for k, v in r.items() if k in known}) for r in rows}
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{self.path} is unreadable ({exc}); fix or delete it.") from None

    def save(self, feeds: dict[str, Feed]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".feeds-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump([asdict(f) for f in feeds.values()], out, indent=2)
        os.replace(tmp, self.path)

    def add(self, url: str) -> Feed:
        if not is_web_url(url):
            raise InputError(f"'{url}' is not an http(s) feed URL.")
        feeds = self.load()
        feed = feeds.setdefault(url, Feed(url, added=_now()))
        self.save(feeds)
        return feed

    def remove(self, url: str) -> bool:
        feeds = self.load()
        gone = feeds.pop(url, None) is not None
        self.save(feeds)
        return gone


@dataclass
class RefreshReport:
    """What one refresh did: feeds read, entries new to the index, articles added, and a
    line per failed feed or skipped entry."""

    feeds: int = 0
    not_modified: int = 0
    new_entries: int = 0
    build: BuildReport | None = None
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        added = self.build.added if self.build else 0
        return (
            f"{self.feeds} feeds read ({self.not_modified} unchanged), {self.new_entries} new "
            f"entries, {added} articles added, {len(self.failed)} feeds failed"
        )

    def to_dict(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k != "build"}
        return {**data, "build": self.build.to_dict() if self.build else None}


def add_pages(pipeline, urls: list[str], fetcher: Fetcher | None = None) -> BuildReport:
    """Fetch web pages and index them; a page that fails is skipped with its reason."""
    fetcher = fetcher or Fetcher(pipeline.config.live)
    records, problems = [], []
    for url in urls:
        try:
            records.append(page_record(fetcher.get(url)))
        except InputError as exc:
            problems.append(Skipped(url, str(exc).removeprefix(f"{url}: ")))
    if not records:
        raise InputError("No page could be added: " + "; ".join(map(str, problems)))
    report = pipeline.add_articles(records)
    report.skipped.extend(problems)
    return report


def refresh_feeds(pipeline, fetcher: Fetcher | None = None, progress: bool = False):
    """Read every feed of the pipeline's index (conditional GET: an unchanged feed costs
    one 304), fetch the page of each entry not indexed yet (falling back to the feed's own
    text), and index them all in one write. Returns a :class:`RefreshReport`."""
    live = pipeline.config.live
    fetcher = fetcher or Fetcher(live)
    feed_list = FeedList(pipeline.config.index_dir)
    feeds = feed_list.load()
    known = {page_key(a.source) for a in pipeline.articles} - {None}
    report, records = RefreshReport(), []
    for feed in feeds.values():
        report.feeds += 1
        try:
            entries = _read_feed(fetcher, feed, live.max_feed_entries, report)
            keys = {e.link: page_key(e.link) for e in entries}
            new = [e for e in entries if keys[e.link] and keys[e.link] not in known]
            known |= {keys[e.link] for e in new}
            report.new_entries += len(new)
            found = [_entry_record(fetcher, e, report) for e in _progress(new, feed, progress)]
            found = [r for r in found if r is not None]
            feed.articles += len(found)
            records += found
            feed.last_error = ""
        except Exception as exc:  # noqa: BLE001 (one feed's failure never stops the others)
            feed.last_error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            report.failed.append(f"{feed.url}: {feed.last_error}")
        feed.last_fetch = _now()
    if records:
        report.build = pipeline.add_articles(records)
    feed_list.save(_merged(feed_list, feeds))
    return report


def _read_feed(fetcher: Fetcher, feed: Feed, limit: int, report: RefreshReport) -> list[Entry]:
    headers = {"Accept": FEED_TYPES}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.modified:
        headers["If-Modified-Since"] = feed.modified
    fetched = fetcher.get(feed.url, headers)
    if fetched.not_modified:
        report.not_modified += 1
        return []
    feed.etag = fetched.headers.get("etag", "")
    feed.modified = fetched.headers.get("last-modified", "")
    entries = parse_feed(fetched.body, fetched.headers.get("content-type", ""))
    feed.entries = len(entries)
    return entries[:limit]


def _entry_record(fetcher: Fetcher, entry: Entry, report: RefreshReport) -> dict | None:
    """The entry's page as a record; the feed's own text when the page cannot be had."""
    try:
        record = page_record(fetcher.get(entry.link))
    except InputError as exc:
        if not entry.text.strip():
            report.skipped.append(f"{entry.link}: {exc}")
            return None
        record = {"title": entry.title, "text": entry.text, "url": entry.link}
    record["title"] = record.get("title") or entry.title or None
    record["published"] = record.get("published") or entry.published
    return record


def _progress(entries: list[Entry], feed: Feed, shown: bool):
    if not shown or not entries:
        return entries
    from tqdm import tqdm

    return tqdm(entries, desc=feed.url[:40], unit="page", file=sys.stderr, leave=False)


def _merged(feed_list: FeedList, refreshed: dict[str, Feed]) -> dict[str, Feed]:
    """The list as it is now (feeds added or removed during the refresh kept so) with the
    refreshed feeds' state."""
    current = feed_list.load()
    return {url: refreshed.get(url, feed) for url, feed in current.items()}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FeedRefresher:
    """Refreshes a pipeline's feeds every ``config.live.feed_refresh_minutes`` in a
    background thread (``rag serve``). Answers go on meanwhile: the write swaps the new
    index in when done. A failed refresh is reported to ``log`` and retried next time."""

    def __init__(self, pipeline, log=None):
        self.pipeline, self.log = pipeline, log or (lambda line: print(line, file=sys.stderr))
        self.fetcher = Fetcher(pipeline.config.live)
        self.last: RefreshReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-refresh", daemon=True)

    def start(self) -> FeedRefresher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        interval = self.pipeline.config.live.feed_refresh_minutes * 60
        while not self._stop.wait(interval):
            try:
                self.last = refresh_feeds(self.pipeline, self.fetcher)
                self.log(f"feeds refreshed: {self.last}")
            except Exception as exc:  # noqa: BLE001 (the server keeps running; next time)
                self.log(f"feed refresh failed: {exc}")
