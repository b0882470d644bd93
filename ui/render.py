"""HTML for the chat: answers with clickable [n] markers and the sources panel. Every piece
of article or model text is escaped, so markup inside an article never runs, and answer
text is kept out of Markdown's reach, so nothing in it loads or links anywhere."""

from __future__ import annotations

import re
from html import escape

from rag.answer import Answer

_MARKER = re.compile(r"\[(\d+)\]")
ABSTAIN_BADGE = "ℹ️ **No answer in the articles.**"
# The chat renders messages as Markdown (with link detection and $$ maths): every character
# that HTML, Markdown, autolinks or maths act on becomes a character reference, which the
# browser shows as the character and nothing parses as syntax. One pass: no double escaping.
_LITERAL = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~:@$"})


def literal(text: str) -> str:
    """``text`` for the chat, shown exactly as written: no tag, image, link or maths."""
    return text.translate(_LITERAL)


def answer_html(text: str, abstained: bool = False, turn: int | None = None) -> str:
    """Answer text shown literally, whose ``[n]`` markers (its only links) point at the
    sources panel: at ``#cite-n``, or ``#cite-TURN-n`` for the answer of chat turn
    ``turn`` (each answer keeps its own sources)."""
    if abstained:
        return f"{ABSTAIN_BADGE} {literal(text)}"
    parts = _MARKER.split(text)  # text, number, text, number, ..., text
    html = [literal(part) for part in parts[::2]]
    prefix = "cite-" if turn is None else f"cite-{turn}-"
    for i, number in enumerate(parts[1::2]):
        html.insert(2 * i + 1, f'<a class="cite-marker" href="#{prefix}{number}">[{number}]</a>')
    return "".join(html)


def turn_sources(panels: dict[int, str], shown: int) -> str:
    """Every answer's sources, each in its own block; only turn ``shown``'s is visible (a
    click on a marker of another answer shows that answer's, in the page: ``CITE_JS``)."""
    blocks = [
        f'<div class="turn-sources" id="turn-{turn}"{"" if turn == shown else " hidden"}>'
        f"{html}</div>"
        for turn, html in sorted(panels.items())
    ]
    return "".join(blocks)


def sources_html(answer: Answer | None, turn: int | None = None) -> str:
    """Each cited passage with its cited sentence highlighted in its surrounding text; on
    abstention, the closest passages instead. Everything comes from the answer itself.
    ``turn`` namespaces the ids as :func:`answer_html` does."""
    if answer is None:
        return '<div class="sources-empty">Cited passages appear here.</div>'
    if answer.abstained:
        items = [
            f'<div class="source closest"><div class="source-head">{escape(p.title)} · '
            f"{escape(p.published or 'undated')} · {escape(p.source)}</div>"
            f"<p>{escape(p.text)}</p></div>"
            for p in answer.passages[:3]
        ]
        return (
            '<div class="sources abstained"><h4>Closest passages</h4>' + "".join(items) + "</div>"
        )
    items, prefix = [], "cite-" if turn is None else f"cite-{turn}-"
    for c in answer.citations:
        before, after = c.context()
        also = (
            f'<div class="source-copies">Also ran in: {escape(", ".join(c.copies))}</div>'
            if c.copies
            else ""
        )
        items.append(
            f'<div class="source" id="{prefix}{c.n}"><div class="source-head">[{c.n}] '
            f"{escape(c.title)} · {escape(c.date or 'undated')} · {escape(c.source)} · "
            f"chars {c.start}-{c.end}</div><p>{escape(before)}<mark>{escape(c.text)}</mark>"
            f"{escape(after)}</p>{also}</div>"
        )
    return '<div class="sources">' + "".join(items) + "</div>"


def timings_text(answer: Answer, answerer: str) -> str:
    steps = " · ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    return f"{answerer}: {steps}"
