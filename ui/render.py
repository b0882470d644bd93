"""HTML for the chat: answers with clickable [n] markers, drafts, and the sources panel.
Every piece of article or model text is escaped, so markup inside an article never runs,
and answer text is kept out of Markdown's reach, so nothing in it loads or links anywhere."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlsplit

from rag.answer import Answer, Citation
from rag.ingest.urls import is_web_url
from rag.types import Passage

_MARKER = re.compile(r"\[(\d+)\]")
ABSTAIN_BADGE = "ℹ️ **No answer in the articles.**"
# The chat renders messages as Markdown (with link detection and $$ maths): every character
# that HTML, Markdown, autolinks or maths act on becomes a character reference, which the
# browser shows as the character and nothing parses as syntax. One pass: no double escaping.
_LITERAL = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~:@$"})


def literal(text: str) -> str:
    """``text`` for the chat, shown exactly as written: no tag, image, link or maths."""
    return text.translate(_LITERAL)


def _prefix(turn: int | None) -> str:
    return "cite-" if turn is None else f"cite-{turn}-"


def answer_html(text: str, abstained: bool = False, turn: int | None = None) -> str:
    """Answer text shown literally, whose ``[n]`` markers (its only links) point at the
    sources panel: at ``#cite-n``, or ``#cite-TURN-n`` for the answer of chat turn
    ``turn`` (each answer keeps its own sources). A finished answer of a turn ends with a
    Copy link (plain text with the references: ``CITE_JS``)."""
    copy = "" if turn is None else f' <a class="copy-answer" href="#copy-{turn}">Copy</a>'
    if abstained:
        return f"{ABSTAIN_BADGE} {literal(text)}{copy}"
    return linked(text, turn) + copy


def linked(text: str, turn: int | None = None) -> str:
    """``text`` shown literally with its ``[n]`` markers as links to the sources panel."""
    parts = _MARKER.split(text)  # text, number, text, number, ..., text
    html = [literal(part) for part in parts[::2]]
    for i, number in enumerate(parts[1::2]):
        href = f"#{_prefix(turn)}{number}"
        html.insert(2 * i + 1, f'<a class="cite-marker" href="{href}">[{number}]</a>')
    return "".join(html)


def draft_html(verified: str, draft: str = "", withdrawn: str = "") -> str:
    """An answer being written: the verified text so far (its markers are not links yet:
    their sources come with the answer), then the unverified draft, dimmed, or the
    sentence just withdrawn, struck through."""
    html = literal(verified)
    if withdrawn:
        tip = "withdrawn: no retrieved passage supports it"
        html += f' <s class="withdrawn" title="{tip}">{literal(withdrawn)}</s>'
    elif draft:
        html += f' <span class="draft">{literal(draft)}</span>'
    return html or '<span class="thinking">…</span>'


def outlet(source: str) -> str:
    """Where an article came from, for people: a web address's host, or the file name."""
    if is_web_url(source):
        return (urlsplit(source).hostname or "").removeprefix("www.")
    return source.rsplit("/", 1)[-1]


def _head(title: str, source: str, date: str | None, numbers: str = "") -> str:
    link = (
        f' · <a class="source-link" href="{escape(source)}" target="_blank" '
        f'rel="noopener noreferrer">original ↗</a>'
        if is_web_url(source)
        else ""
    )
    return (
        f'<div class="source-head">{numbers}{escape(title)} · {escape(outlet(source))} · '
        f"{escape(date or 'undated')}{link}</div>"
    )


def found_html(passages: list[Passage], checking: bool = True) -> str:
    """The articles retrieved for an answer still being written (``checking``), or for one
    stopped before it was finished; an article with several passages is listed once."""
    if not passages:
        return '<div class="sources-empty">No passage found.</div>'
    counts = Counter(p.article_id for p in passages)
    firsts = {p.article_id: p for p in reversed(passages)}  # each article's best passage
    items = []
    for article_id in counts:  # in order of first appearance
        p, n = firsts[article_id], counts[article_id]
        more = f" ({n} passages)" if n > 1 else ""
        items.append(
            f'<div class="source found">{_head(p.title, p.source, p.published)}{more}</div>'
        )
    heading = f"Checking {len(passages)} passage(s)…" if checking else "Passages found"
    return f'<div class="sources checking"><h4>{heading}</h4>' + "".join(items) + "</div>"


def _distinct(passages: list[Passage]) -> list[Passage]:
    seen, kept = set(), []
    for p in passages:
        if (p.article_id, p.start) not in seen:
            seen.add((p.article_id, p.start))
            kept.append(p)
    return kept


@dataclass
class _Card:
    """One passage on screen, with every citation inside it (a passage cited twice, or
    two overlapping passages of one article, show once)."""

    first: Citation
    start: int
    end: int
    text: str
    cites: list[Citation] = field(default_factory=list)

    def add(self, c: Citation) -> None:
        if c.passage_end > self.end:  # overlapping passages: extend the text
            self.text += c.passage[self.end - c.passage_start :]
            self.end = c.passage_end
        self.cites.append(c)


def cards(citations: list[Citation]) -> list[_Card]:
    """Citations grouped by the passage they fall in, in order of first citation."""
    found: list[_Card] = []
    for c in sorted(citations, key=lambda c: (c.article_id, c.passage_start, c.n)):
        card = next(
            (k for k in found if k.first.article_id == c.article_id and c.passage_start <= k.end),
            None,
        )
        if card is None:
            found.append(_Card(c, c.passage_start, c.passage_end, c.passage, [c]))
        else:
            card.add(c)
    return sorted(found, key=lambda k: min(c.n for c in k.cites))


def _marked(card: _Card, prefix: str) -> str:
    html, at = [], card.start
    for c in sorted(card.cites, key=lambda c: c.start):
        if c.start < at:  # overlaps the span before: an anchor, no second highlight
            html.append(f'<span id="{prefix}{c.n}" class="cite-anchor"></span>')
            continue
        html.append(escape(card.text[at - card.start : c.start - card.start]))
        html.append(
            f'<mark id="{prefix}{c.n}" data-start="{c.start}" data-end="{c.end}">'
            f"{escape(card.text[c.start - card.start : c.end - card.start])}</mark>"
        )
        at = c.end
    html.append(escape(card.text[at - card.start :]))
    return "".join(html)


def sources_html(answer: Answer | None, turn: int | None = None) -> str:
    """Each cited passage once, its cited sentences highlighted in their surrounding
    text; on abstention, the closest passages instead. Everything comes from the answer
    itself. ``turn`` namespaces the ids as :func:`answer_html` does."""
    if answer is None:
        return '<div class="sources-empty">Cited passages appear here.</div>'
    plain = (
        "" if turn is None else f'<pre class="plain-text" hidden>{escape(plain_text(answer))}</pre>'
    )
    if answer.abstained:
        items = [
            f'<div class="source closest">{_head(p.title, p.source, p.published)}'
            f"<p>{escape(p.text)}</p></div>"
            for p in _distinct(answer.passages)[:3]
        ]
        return (
            '<div class="sources abstained"><h4>Closest passages</h4>'
            + "".join(items)
            + plain
            + "</div>"
        )
    items, prefix = [], _prefix(turn)
    for card in cards(answer.citations):
        numbers = "".join(f"[{c.n}]" for c in sorted(card.cites, key=lambda c: c.n)) + " "
        copies = sorted({s for c in card.cites for s in c.copies})
        also = (
            f'<div class="source-copies">Also ran in: {escape(", ".join(copies))}</div>'
            if copies
            else ""
        )
        head = _head(card.first.title, card.first.source, card.first.date, numbers)
        items.append(f'<div class="source">{head}<p>{_marked(card, prefix)}</p>{also}</div>')
    return '<div class="sources">' + "".join(items) + plain + "</div>"


def plain_text(answer: Answer) -> str:
    """The answer as plain text, ``[n]`` markers kept, with its reference list: what Copy
    puts on the clipboard."""
    if answer.abstained:
        return answer.text
    refs = [
        f"[{c.n}] {c.title} — {outlet(c.source)}, {c.date or 'undated'}"
        + (f". {c.source}" if is_web_url(c.source) else "")
        + f"\n    “{' '.join(c.text.split())}”"
        for c in answer.citations
    ]
    return answer.text + "\n\nSources:\n" + "\n".join(refs)


def turn_sources(panels: dict[int, str], shown: int | None) -> str:
    """Every answer's sources, each in its own block; only turn ``shown``'s is visible (a
    click on a marker of another answer shows that answer's, in the page: ``CITE_JS``)."""
    blocks = [
        f'<div class="turn-sources" id="turn-{turn}"{"" if turn == shown else " hidden"}>'
        f"{html}</div>"
        for turn, html in sorted(panels.items())
    ]
    return "".join(blocks) or sources_html(None)


def timings_text(answer: Answer, answerer: str) -> str:
    steps = " · ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    return f"{answerer}: {steps}"
