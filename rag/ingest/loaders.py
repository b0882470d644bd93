"""Turns paths (files or folders) into Articles, skipping bad files with a stated reason."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from rag.config import IngestConfig
from rag.ingest.parsers import PARSERS, ParseError, Record, record_from_mapping
from rag.ingest.urls import page_key
from rag.types import Article


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def sample_corpus_dir() -> Path:
    """The folder of sample articles shipped inside the package."""
    return Path(str(resources.files("rag") / "data" / "corpus"))


def load_sample_corpus() -> LoadResult:
    """The sample articles, named by file name (``peace-deal-skepticism.txt``)."""
    return load_paths([sample_corpus_dir()], relative=True)


def article_id(text: str, title: str = "") -> str:
    """A stable id: the first 16 hex digits of the sha256 of the title and text.

    The title counts: pages whose body failed to scrape (the same boilerplate under many
    headlines) are different articles, told apart by their headlines."""
    return hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()[:16]


def _humanize(stem: str) -> str:
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or stem


def _to_article(record: Record, path: Path, name: str) -> Article:
    title = (record.title or _humanize(path.stem)).strip()
    return Article(
        id=article_id(record.text, title),
        title=title,
        text=record.text,
        source=record.url or name,
        published=record.published,
    )


def _walk(paths: Iterable[str | Path], relative: bool) -> Iterable[tuple[Path, str]]:
    """(path, source name) of every file under ``paths``, hidden files left out.

    A file is named by its path as given (``news/a.txt`` for a folder ``news`` given), so
    adding it again later names it the same way; ``relative`` names files in a folder
    relative to it instead (used for the sample articles, wherever they are installed).
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                rel = p.relative_to(path)
                if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield p, rel.as_posix() if relative else str(Path(raw) / rel)
        else:
            yield path, str(raw)


def load_file(
    path: Path, limits: IngestConfig | None = None, name: str | None = None
) -> LoadResult:
    """Parse one file within ``limits`` (size, PDF pages and time). Never raises for bad
    content: problems come back as ``skipped``."""
    name = name or str(path)
    limits = limits or IngestConfig()
    max_bytes = limits.max_file_bytes
    result = LoadResult()
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        result.skipped.append(Skipped(name, f"unsupported file type '{path.suffix}'"))
        return result
    try:
        size = path.stat().st_size
        if size > max_bytes:
            result.skipped.append(Skipped(name, f"too large ({size:,} bytes > {max_bytes:,})"))
            return result
        data = path.read_bytes()
    except OSError as exc:
        result.skipped.append(Skipped(name, f"cannot read ({exc.strerror or exc})"))
        return result
    if not data.strip():
        result.skipped.append(Skipped(name, "empty file"))
        return result
    try:
        for item in parser(data, limits):
            if isinstance(item, ParseError):
                result.skipped.append(Skipped(name, str(item)))
            elif item.text.strip():
                result.articles.append(_to_article(item, path, name))
            else:
                result.skipped.append(Skipped(name, "no text"))
    except ParseError as exc:
        result.skipped.append(Skipped(name, str(exc)))
    except RecursionError:
        result.skipped.append(Skipped(name, "too deeply nested to parse"))
    except Exception as exc:  # a parser library's own failure: this file only, never the batch
        reason = f"could not be parsed ({type(exc).__name__}: {str(exc)[:160]})"
        result.skipped.append(Skipped(name, reason))
    if not result.articles and not result.skipped:  # e.g. only Unicode white space
        result.skipped.append(Skipped(name, "no text"))
    return result


def latest_per_page(articles: list[Article]) -> tuple[list[Article], list[Skipped]]:
    """One article per web page: of the articles whose URLs name the same page (a page
    scraped twice, or linked with tracking parameters), the latest published is kept, and
    on a tie the later one, as a re-crawl updates a page. The others are returned as
    skipped. Articles without a URL are all kept: a file's records share its name."""
    keys = [page_key(a.source) for a in articles]
    latest: dict[str, Article] = {}
    for key, article in zip(keys, articles, strict=True):
        if key is not None:
            held = latest.get(key)
            if held is None or (article.published or "") >= (held.published or ""):
                latest[key] = article
    kept, skipped = [], []
    for key, article in zip(keys, articles, strict=True):
        if key is None or latest[key] is article:
            kept.append(article)
        else:
            newer = latest[key]
            skipped.append(
                Skipped(
                    article.source,
                    f"an older copy of the page at {newer.source} "
                    f"({newer.published or 'undated'}), which is kept",
                )
            )
    return kept, skipped


def load_records(records: Iterable[Mapping | Article]) -> LoadResult:
    """Articles from memory: dicts in the JSON-lines record shape (``title``, ``text``,
    ``url``, ``published``; see :func:`rag.ingest.parsers.record_from_mapping`) or
    :class:`Article` objects. A bad record is skipped with its reason; the rest load.

    A record without a URL is named ``record:<id>`` by its content, so adding another
    record never replaces it (a file re-added under its name does replace its old copy).
    """
    result = LoadResult()
    for number, record in enumerate(records, start=1):
        if isinstance(record, Article):
            article = record
        else:
            try:
                parsed = record_from_mapping(dict(record) if isinstance(record, Mapping) else None)
            except ParseError as exc:
                result.skipped.append(Skipped(f"record {number}", str(exc)))
                continue
            article = _to_article(parsed, Path("record"), "")
            article = replace(article, source=article.source or f"record:{article.id}")
        if article.text.strip():
            result.articles.append(article)
        else:
            result.skipped.append(Skipped(f"record {number}", "no text"))
    return one_per_story(result)


def load_paths(
    paths: Iterable[str | Path], limits: IngestConfig | None = None, relative: bool = False
) -> LoadResult:
    """Load every supported file under ``paths``. Duplicates (same content) are kept once,
    and of two copies of one web page the newer (``latest_per_page``)."""
    result = LoadResult()
    for path, name in _walk(paths, relative):
        if not path.exists():
            result.skipped.append(Skipped(name, "no such file or folder"))
            continue
        one = load_file(path, limits, name)
        result.skipped.extend(one.skipped)
        result.articles.extend(one.articles)
    return one_per_story(result)


def one_per_story(result: LoadResult) -> LoadResult:
    """Duplicates (same content) kept once, the first; of the copies of one web page the
    latest published (``latest_per_page``), the others reported as skipped."""
    unique: dict[str, Article] = {}
    for article in result.articles:
        unique.setdefault(article.id, article)
    result.articles, older = latest_per_page(list(unique.values()))
    result.skipped.extend(older)
    return result
