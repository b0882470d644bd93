"""Metadata filters (date range, source) evaluated to a row mask before the search runs."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

from rag.types import Article


@dataclass(frozen=True)
class SearchFilter:
    """Restrict retrieval to some articles.

    ``date_from`` / ``date_to`` are inclusive ISO dates; when either is set, articles with
    no known date are excluded. ``sources`` are glob patterns or substrings matched against
    the article's source (path or URL), case-insensitively; any match admits the article.
    """

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.sources)

    def admits(self, article: Article) -> bool:
        if self.date_from or self.date_to:
            if not article.published:
                return False
            if self.date_from and article.published < self.date_from:
                return False
            if self.date_to and article.published > self.date_to:
                return False
        if self.sources:
            source = article.source.lower()
            return any(fnmatch(source, p.lower()) or p.lower() in source for p in self.sources)
        return True
