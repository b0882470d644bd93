"""A fetched web page as an article record: main text, title, date and canonical URL."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from rag.errors import InputError
from rag.ingest.parsers import normalize_date
from rag.live.fetch import Fetched

_TAG = re.compile(r"<[^>]+>")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def page_record(page: Fetched) -> dict:
    """``{"title", "text", "published", "url", "author"}`` of an HTML page, by trafilatura
    (boilerplate, navigation and comments left out; no markup survives). The URL is the
    page's canonical link when it names the same site, else the address fetched, so a page
    cannot pass itself off as another site's. Raises InputError when there is no text."""
    import trafilatura

    kind = page.headers.get("content-type", "text/html").split(";")[0].strip().lower()
    if kind and kind not in _HTML_TYPES and not kind.startswith("text/"):
        raise InputError(f"{page.url}: not a web page ({kind}).")
    found = trafilatura.bare_extraction(
        page.text(), url=page.url, with_metadata=True, favor_recall=True, include_comments=False
    )
    text = (getattr(found, "text", None) or "").strip() if found else ""
    if not text:
        raise InputError(f"{page.url}: no article text found on the page.")
    canonical = getattr(found, "url", None)
    return {
        "title": plain(getattr(found, "title", None) or "") or None,
        "text": text,
        "published": normalize_date(getattr(found, "date", None)),
        "url": canonical if same_site(canonical, page.url) else page.url,
        "author": plain(getattr(found, "author", None) or "") or None,
    }


def plain(fragment: str) -> str:
    """Text of an HTML fragment (a feed's title or summary): tags out, entities decoded."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def same_site(url: str | None, fetched: str) -> bool:
    """Whether ``url`` is an http(s) URL on the fetched URL's host (or a subdomain of the
    same site: www.example.com and example.com)."""
    if not url:
        return False
    try:
        a, b = urlsplit(url), urlsplit(fetched)
    except ValueError:
        return False
    if a.scheme not in ("http", "https") or not a.hostname or not b.hostname:
        return False
    one, two = a.hostname.removeprefix("www."), b.hostname.removeprefix("www.")
    return one == two or one.endswith("." + two) or two.endswith("." + one)
