"""A real HTTP server on 127.0.0.1, started by the tests: feeds, pages and hostile answers."""

import http.server
import threading
import time

import pytest

from tests.ui.conftest import free_port

STORIES = {
    1: (
        "Lisbon tram line reopens",
        "2026-11-28",
        "The 28 tram line in Lisbon reopened on "
        "Friday after eight months of track repairs, the city transport company said.",
    ),
    2: (
        "Oslo opens a new library",
        "2026-11-29",
        "Oslo's new public library on the "
        "waterfront opened on Saturday with space for 450,000 books, officials said.",
    ),
    3: ("Ghent bans cars downtown", "2026-11-30", ""),  # its page is gone: the feed's text
}
FEED_ONLY_TEXT = (
    "Ghent banned private cars from its historic centre on Sunday, the mayor "
    "announced, to cut pollution."
)


def story_page(n: int, base: str) -> bytes:
    title, day, text = STORIES[n]
    return f"""<!doctype html><html><head><title>{title} | City News</title>
<link rel="canonical" href="{base}/news/{n}">
<meta property="article:published_time" content="{day}T09:00:00Z">
<meta name="author" content="Ana Lima"></head><body>
<nav><a href="/">Home</a> | <a href="/sport">Sport</a> | Subscribe now!</nav>
<article><h1>{title}</h1><p>{text}</p>
<p>Passengers and residents welcomed the news, according to local reports.</p>
<img src="http://beacon.example/pixel.png"><script>alert(1)</script></article>
<footer>Copyright City News. Cookie settings.</footer></body></html>""".encode()


def rss(base: str) -> bytes:
    items = "".join(
        f"<item><title>{STORIES[n][0]}</title><link>{base}/story/{n}?utm_source=rss</link>"
        f"<pubDate>{['Sat, 28 Nov 2026', 'Sun, 29 Nov 2026', 'Mon, 30 Nov 2026'][n - 1]}"
        " 09:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{FEED_ONLY_TEXT if n == 3 else 'Summary.'}</p>"
        "<script>alert('feed')</script>]]></description></item>"
        for n in STORIES
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>City News</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title><id>urn:a</id>
<updated>2026-11-30T10:00:00Z</updated>
<entry><title>Atom story</title><link href="BASE/atom-story"/><id>urn:a:1</id>
<updated>2026-11-30T10:00:00Z</updated><summary>The Atom story summary.</summary></entry>
</feed>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON News",
"items": [{"id": "1", "url": "BASE/json-story", "title": "JSON story",
"content_text": "The Utrecht bicycle garage added 1,200 spaces on Monday, the council said.",
"date_published": "2026-11-30T08:00:00Z"}]}"""


class Handler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        Handler.requests.append(self.path)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"v1"':
                return self._send(304, b"")
            return self._send(200, rss(base), "application/rss+xml", {"ETag": '"v1"'})
        if path == "/atom.xml":
            return self._send(200, ATOM.replace(b"BASE", base.encode()), "application/atom+xml")
        if path == "/feed.json":
            body = JSON_FEED.replace(b"BASE", base.encode())
            return self._send(200, body, "application/feed+json")
        if path == "/malformed.xml":
            return self._send(200, b"<rss><channel><item><title>broken", "application/rss+xml")
        if path.startswith("/story/") and path[7:].isdigit() and STORIES.get(int(path[7:]), "x")[2]:
            return self._send(200, story_page(int(path[7:]), base), "text/html; charset=utf-8")
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(50):  # 50 MB, unless the client hangs up first
                    self.wfile.write(b"<p>" + b"x" * 1_000_000 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/slow":
            time.sleep(5)
            return self._send(200, b"<p>late</p>", "text/html")
        if path == "/error":
            return self._send(500, b"oops", "text/plain")
        if path == "/binary":
            return self._send(200, b"\x00\x01\x02" * 100, "application/octet-stream")
        if path == "/to-metadata":
            return self._send(302, b"", extra={"Location": "http://169.254.169.254/latest/"})
        if path == "/loop":
            return self._send(302, b"", extra={"Location": "/loop"})
        return self._send(404, b"not found", "text/plain")

    def _send(self, status, body, kind="text/html", extra=None):
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


@pytest.fixture(scope="session")
def news_site():
    """The base URL of the local news site (http://127.0.0.1:PORT)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
