"""HTML for the chat: answers with clickable [n] markers and the sources panel. Every piece
of article or model text is escaped, so markup inside an article never runs."""

from __future__ import annotations

import re
from html import escape

from rag.answer import Answer

_MARKER = re.compile(r"\[(\d+)\]")
ABSTAIN_BADGE = "ℹ️ **No answer in the articles.**"


def answer_html(text: str, abstained: bool = False) -> str:
    """Escaped answer text whose ``[n]`` markers link to the sources panel."""
    if abstained:
        return f"{ABSTAIN_BADGE} {escape(text)}"
    return _MARKER.sub(
        lambda m: f'<a class="cite-marker" href="#cite-{m.group(1)}">[{m.group(1)}]</a>',
        escape(text),
    )


def sources_html(answer: Answer | None) -> str:
    """Each cited passage with its cited sentence highlighted in its surrounding text; on
    abstention, the closest passages instead. Everything comes from the answer itself."""
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
    items = []
    for c in answer.citations:
        before, after = c.context()
        items.append(
            f'<div class="source" id="cite-{c.n}"><div class="source-head">[{c.n}] '
            f"{escape(c.title)} · {escape(c.date or 'undated')} · {escape(c.source)} · "
            f"chars {c.start}-{c.end}</div><p>{escape(before)}<mark>{escape(c.text)}</mark>"
            f"{escape(after)}</p></div>"
        )
    return '<div class="sources">' + "".join(items) + "</div>"


def timings_text(answer: Answer, answerer: str) -> str:
    steps = " · ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    return f"{answerer}: {steps}"
