"""Which web page a URL names: links that differ only in tracking parts are one page."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

_INDEX_PAGE = re.compile(r"/(index|default)\.(s?html?|php|aspx?)$", re.IGNORECASE)
# parameters that say how a reader arrived, not which page they read
_TRACKING = re.compile(
    r"^(utm_\w+|cid|cmpid|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|"
    r"yclid|_ga|ref|ref_src|src|smid|ito|amp|outputtype)$",
    re.IGNORECASE,
)


def is_web_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (any case): a source a reader can open, or a
    page to fetch."""
    return text.lower().startswith(("http://", "https://"))


def page_key(url: str | None) -> str | None:
    """The article page an http(s) URL names, as a comparable key; None for anything else,
    a site's front page included.

    Links to one page differ in ways that do not change the page: the scheme, ``www.``,
    the default port, a fragment, tracking parameters (``utm_source``, ``cid``, ``fbclid``
    and the like), ``index.html`` and a trailing slash. All of them give the same key:
    ``https://www.cnn.com/2022/08/24/homes/rents/index.html`` and
    ``http://cnn.com/2022/08/24/homes/rents?utm_source=ribbon`` are one page. Other query
    parameters are kept (sorted): on some sites they are what names the page (``?id=42``).
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # malformed ("http://[bad", a port out of range)
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.removeprefix("www.")
    if port not in (None, 80, 443):
        host = f"{host}:{port}"
    path = _INDEX_PAGE.sub("", parts.path.rstrip("/")).rstrip("/")
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    )
    if not path and not query:  # a site's front page: a feed's "url" field, not an article
        return None
    return f"{host}{path}" + (f"?{urlencode(query)}" if query else "")
