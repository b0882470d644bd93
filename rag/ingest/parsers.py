"""Per-format parsers: the bytes of one file and the ingest limits in, (title, text,
published, url) records out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import unquote, urlsplit

from rag.config import IngestConfig
from rag.ingest.datelines import markdown_text, text_date
from rag.ingest.pdf import read_pdf

_LIMITS = IngestConfig()


class ParseError(ValueError):
    """The file cannot be read as its type says; the message is shown to the user."""


@dataclass(frozen=True)
class Record:
    text: str
    title: str | None = None
    published: str | None = None
    url: str | None = None


_MAX_TITLE = 200


def decode_text(data: bytes) -> str:
    """UTF-8 text with normalised line endings; binary or undecodable data raises."""
    if b"\x00" in data[:8192]:
        raise ParseError("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_line_title(text: str) -> str | None:
    """The first line when it reads like a headline: short, not a sentence, and not a
    dateline ("WASHINGTON (AP) —")."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = line.lstrip("#").strip()
    if line and len(line) <= _MAX_TITLE and not line.endswith((".", ",", ";", "—", "–", "-")):
        return line
    return None


_PAGE_SUFFIX = re.compile(r"\.(s?html?|php|aspx?|jsp)$", re.IGNORECASE)


def url_title(url: str | None) -> str | None:
    """The headline a news URL spells in its path, or None when no path segment reads
    like one (two or more words joined by hyphens or underscores).

    ``https://x.com/2022/06/15/business/ford-recall/index.html`` gives "Ford recall".
    Long numeric ids in the slug ("world-europe-61234567") are left out.
    """
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:  # malformed ("http://[bad"): no slug to read, the record still loads
        return None
    for segment in reversed(unquote(path).split("/")):
        words = re.split(r"[-_+\s]+", _PAGE_SUFFIX.sub("", segment))
        words = [w for w in words if w and not (w.isdigit() and len(w) > 4)]
        if len(words) >= 2 and sum(w.isalpha() and len(w) > 1 for w in words) >= 2:
            return " ".join(words).capitalize()[:_MAX_TITLE]
    return None


def opening_words(text: str, words: int = 12) -> str:
    """The first ``words`` words of ``text``, marked as cut when there are more."""
    found = text.split()
    return " ".join(found[:words]) + (" …" if len(found) > words else "")


def normalize_date(value: object) -> str | None:
    """An ISO ``YYYY-MM-DD`` from the common date spellings, or None when unknown."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return date(*map(int, match.groups())).isoformat()
        except ValueError:
            return None
    try:
        from dateutil import parser as date_parser

        return date_parser.parse(text).date().isoformat()
    except (ValueError, OverflowError, ImportError):
        return None


def parse_text(data: bytes, limits: IngestConfig = _LIMITS) -> Iterator[Record]:
    text = decode_text(data)
    yield Record(text=text, title=first_line_title(text), published=text_date(text))


def parse_markdown(data: bytes, limits: IngestConfig = _LIMITS) -> Iterator[Record]:
    """Read as plain text (no markup in the passages); the title is the first heading."""
    raw = decode_text(data)
    heading = re.search(r"^#{1,3}\s+(.+?)\s*#*\s*$", raw, flags=re.MULTILINE)
    text = markdown_text(raw)
    title = markdown_text(heading.group(1)).strip() if heading else first_line_title(text)
    yield Record(text=text, title=title, published=text_date(text))


def parse_html(data: bytes, limits: IngestConfig = _LIMITS) -> Iterator[Record]:
    import trafilatura

    html = decode_text(data)
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not text or not text.strip():
        raise ParseError("HTML has no extractable article text")
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta and meta.title else None
    published = normalize_date(meta.date) if meta and meta.date else text_date(text)
    url = meta.url if meta and meta.url else None
    title = title or url_title(url) or first_line_title(text)
    yield Record(text=text, title=title, published=published, url=url)


def parse_pdf(data: bytes, limits: IngestConfig = _LIMITS) -> Iterator[Record]:
    """Text, title and creation date, read in a child process limited to
    ``limits.pdf_seconds`` and ``limits.max_pdf_pages`` (``rag.ingest.pdf``)."""
    result = read_pdf(data, limits.max_pdf_pages, limits.pdf_seconds)
    if "error" in result:
        raise ParseError(result["error"])
    text = "\n\n".join(p.strip() for p in result["pages"] if p.strip())
    title = result["title"] or first_line_title(text)
    # the document's own creation date first, else the date its text states
    published = normalize_date(result["created"]) or text_date(text)
    yield Record(text=text, title=title, published=published)


_TEXT_KEYS = ("text", "content", "body")
_TITLE_KEYS = ("title", "headline")
_DATE_KEYS = ("published", "publish_date", "published_date", "date")
_URL_KEYS = ("url", "link", "source")


def _pick(obj: dict, keys: tuple[str, ...]) -> object:
    return next((obj[k] for k in keys if obj.get(k) not in (None, "")), None)


def _untitled(text: str, url: object) -> str:
    """A title for a record that has none."""
    return url_title(str(url) if url else None) or first_line_title(text) or opening_words(text)


def record_from_mapping(obj: object) -> Record:
    """A record from a JSON-lines object or an in-memory dict: ``text`` (or ``content``,
    ``body``), ``title`` (or ``headline``), ``published`` (or ``publish_date``, ``date``)
    and ``url`` (or ``link``, ``source``). Raises ParseError when there is no text."""
    text = _pick(obj, _TEXT_KEYS) if isinstance(obj, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise ParseError("no 'text' field")
    text, title, url = (_scrub(v) for v in (text, _pick(obj, _TITLE_KEYS), _pick(obj, _URL_KEYS)))
    return Record(
        text=text.replace("\r\n", "\n"),
        # without a title: the publisher's URL slug names the article; the first line
        # is a guess (often a dateline or page chrome); the file name says nothing
        # about one article among many
        title=str(title) if title else _untitled(text, url),
        published=normalize_date(_pick(obj, _DATE_KEYS)),
        url=str(url) if url else None,
    )


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: object) -> object:
    """Strings with lone UTF-16 surrogates (valid JSON escapes, ``"\\ud800"``, but no
    text: they cannot be encoded) replaced by U+FFFD; other values as they are."""
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def parse_jsonl(data: bytes, limits: IngestConfig = _LIMITS) -> Iterator[Record | ParseError]:
    """One article per line; a bad line yields a ParseError naming it, the rest still load."""
    for number, line in enumerate(decode_text(data).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = record_from_mapping(json.loads(line))
        except json.JSONDecodeError as exc:
            yield ParseError(f"line {number}: invalid JSON ({exc.msg})")
        except ParseError as exc:
            yield ParseError(f"line {number}: {exc}")
        except RecursionError:
            yield ParseError(f"line {number}: too deeply nested to parse")
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            yield ParseError(f"line {number}: unreadable JSON ({str(exc)[:120]})")
        else:
            yield record


PARSERS = {
    ".txt": parse_text,
    ".text": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".jsonl": parse_jsonl,
    ".ndjson": parse_jsonl,
}
