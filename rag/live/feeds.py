"""RSS, Atom and JSON Feed documents as entries: link, title, date and the feed's content."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from rag.errors import InputError
from rag.ingest.parsers import normalize_date
from rag.live.pages import plain


@dataclass(frozen=True)
class Entry:
    """One feed item: its link, title, publish date (ISO) and text (the feed's own
    content or summary, markup removed)."""

    link: str
    title: str
    published: str | None
    text: str


def parse_feed(body: bytes, content_type: str = "") -> list[Entry]:
    """The entries of an RSS 0.9x-2.0, Atom or JSON Feed document, in feed order (entries
    without a link are left out). Raises InputError for anything else."""
    stripped = body.lstrip()
    if "json" in content_type.lower() or stripped.startswith(b"{"):
        return _json_feed(body)
    import feedparser

    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=True)
    entries = []
    for item in parsed.entries:
        link = item.get("link") or ""
        if not link:
            continue
        content = item.get("content") or []
        body_html = content[0].get("value", "") if content else item.get("summary", "")
        when = item.get("published_parsed") or item.get("updated_parsed")
        published = date(*when[:3]).isoformat() if when else None
        entries.append(Entry(link, plain(item.get("title", "")), published, plain(body_html)))
    if not entries and (parsed.bozo or not parsed.get("version")):  # lenient otherwise
        reason = str(parsed.get("bozo_exception") or "no entries").splitlines()[0][:120]
        raise InputError(f"not an RSS or Atom feed ({reason}).")
    return entries


def _json_feed(body: bytes) -> list[Entry]:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        feed = json.loads(body)
    except (ValueError, RecursionError):
        raise InputError("not a JSON Feed (invalid JSON).") from None
    if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
        raise InputError("not a JSON Feed (no 'items' list).")
    entries = []
    for item in feed["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        if not isinstance(link, str) or not link:
            continue
        text = item.get("content_text") or plain(str(item.get("content_html") or ""))
        text = text or str(item.get("summary") or "")
        published = normalize_date(item.get("date_published") or item.get("date_modified"))
        entries.append(Entry(link, plain(str(item.get("title") or "")), published, str(text)))
    return entries
