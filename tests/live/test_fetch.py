"""The safe fetcher against a real local server: what it refuses, and how it stops."""

import pytest

from rag.config import LiveConfig
from rag.live.fetch import Fetcher, FetchError
from rag.live.pages import page_record

LOOPBACK_ONLY = LiveConfig(allowed_networks="127.0.0.0/8", host_interval=0, fetch_timeout=2)


@pytest.fixture
def fetcher():
    return Fetcher(LOOPBACK_ONLY)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://localhost/x",  # a name whose DNS answer is loopback
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata address
        "http://10.0.0.7/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_and_local_addresses_are_refused_without_the_flag(url):
    with pytest.raises(FetchError, match="private or local address: refused"):
        Fetcher(LiveConfig(host_interval=0)).get(url)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/x", "only http and https"),
        ("http://user:pw@127.0.0.1/", "no user name"),
        ("http://[bad/", "not a valid URL"),
    ],
)
def test_other_schemes_and_odd_urls_are_refused(url, words):
    with pytest.raises(FetchError, match=words):
        Fetcher(LiveConfig(allow_private_urls=True, host_interval=0)).get(url)


def test_every_dns_answer_must_be_public():
    """A name answering one public and one private address is refused (round-robin
    rebinding), and the request would go to the address that was checked."""
    fetcher = Fetcher(
        LiveConfig(host_interval=0), resolver=lambda h, p: ["93.184.215.14", "127.0.0.1"]
    )
    with pytest.raises(FetchError, match="127.0.0.1"):
        fetcher.get("http://news.example/")
    public = Fetcher(LiveConfig(host_interval=0), resolver=lambda h, p: ["93.184.215.14"])
    pinned, host_header, host = public.check("https://news.example:8443/a?b=1")
    assert pinned == "https://93.184.215.14:8443/a?b=1" and host_header == "news.example:8443"


def test_a_redirect_to_the_metadata_address_is_refused(fetcher, news_site):
    with pytest.raises(FetchError, match="169.254.169.254"):
        fetcher.get(f"{news_site}/to-metadata")


def test_redirect_loops_sizes_and_time_are_bounded(fetcher, news_site):
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetcher.get(f"{news_site}/loop")
    with pytest.raises(FetchError, match="larger than 5,000,000 bytes"):
        fetcher.get(f"{news_site}/huge")
    with pytest.raises(FetchError, match="timed out|took over"):
        fetcher.get(f"{news_site}/slow")


def test_robots_txt_is_honoured(fetcher, news_site):
    with pytest.raises(FetchError, match="robots.txt"):
        fetcher.get(f"{news_site}/private/page")


def test_a_page_gives_its_text_title_date_and_canonical_url(fetcher, news_site):
    record = page_record(fetcher.get(f"{news_site}/story/1?utm_source=rss"))
    assert record["title"].startswith("Lisbon tram line reopens")
    assert record["published"] == "2026-11-28" and record["author"] == "Ana Lima"
    assert record["url"] == f"{news_site}/news/1"  # its canonical link, same site
    assert "reopened on Friday" in record["text"]
    for chrome in ("Subscribe now", "Cookie settings", "alert(", "<img", "beacon"):
        assert chrome not in record["text"]


def test_non_pages_are_refused_with_a_reason(fetcher, news_site):
    with pytest.raises(Exception, match="not a web page"):
        page_record(fetcher.get(f"{news_site}/binary"))
