"""Publish dates written in an article's text, and Markdown read as plain text."""

from __future__ import annotations

import calendar
import re
from datetime import date

_MONTH_NAMES = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTH_NAMES |= {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTH_NAMES["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATES = [
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.I),
]
_LABEL = re.compile(r"^\W*(published|posted|first published|date|updated|last updated)\b", re.I)
_TOP_LINES = 8  # a dateline sits under the headline, not in the story
_MAX_LINE = 100


def text_date(text: str) -> str | None:
    """The publish date a text states near its top, as ISO ``YYYY-MM-DD``, or None.

    Read from the first 8 non-blank lines of at most 100 characters (a dateline, a
    "Published ..." line, a byline with a date). The rule when there are several: a line
    labelled published/posted/date wins, then the first line holding a date; a line
    labelled "updated" counts only when nothing else does. Dates need a day, a month and a
    year ("November 28, 2026", "28 Nov 2026", "2026-11-28"); a bare year or month is not a
    publish date.
    """
    labelled, plain, updated = None, None, None
    lines = [line for line in text.splitlines() if line.strip()][:_TOP_LINES]
    for line in lines:
        if len(line) > _MAX_LINE:
            continue
        found = _first_date(line)
        if found is None:
            continue
        label = _LABEL.match(line)
        if label and "updated" in label.group(1).lower():
            updated = updated or found
        elif label:
            labelled = labelled or found
        else:
            plain = plain or found
    return labelled or plain or updated


def _first_date(line: str) -> str | None:
    best = None
    for pattern in _DATES:
        for match in pattern.finditer(line):
            month = int(match["mnum"]) if "mnum" in match.re.groupindex else None
            month = month or _MONTH_NAMES.get(match["month"].lower().rstrip("."))
            try:
                day = date(int(match["year"]), month, int(match["day"]))
            except (TypeError, ValueError):
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), day.isoformat())
    return best[1] if best else None


# -- Markdown -------------------------------------------------------------------------

_MARKDOWN = [
    (re.compile(r"^[ \t]*```.*$|^[ \t]*~~~.*$", re.M), ""),  # code fences (the code stays)
    (re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^[ \t]*\[[^\]]+\]:[ \t]+\S+.*$", re.M), ""),  # link definitions
    (re.compile(r"^([ \t]*)#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M), r"\1\2"),  # headings
    (re.compile(r"^[ \t]*>\s?", re.M), ""),  # block quotes
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"<[^>\n]+>"), ""),  # inline HTML
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *italic*
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),  # _italic_
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
    (re.compile(r"^([ \t]*)[*+]\s+", re.M), r"\1- "),  # bullets, one style
]


def markdown_text(text: str) -> str:
    """Markdown as the text a reader sees: headings, emphasis, links (their text),
    images (their alt text), quotes and code read plainly; line structure kept."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
