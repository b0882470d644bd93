"""Metadata filters (date range, source) evaluated to a row mask before the search runs,
and the question's "now" that date phrases are read against."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatch

import numpy as np

from rag.errors import InputError
from rag.types import Article, Passage


@dataclass(frozen=True)
class SearchFilter:
    """Restrict retrieval to some articles.

    ``date_from`` / ``date_to`` are inclusive ISO dates; when either is set, articles with
    no known date are excluded. ``sources`` are glob patterns or substrings matched against
    the article's source (path or URL), case-insensitively; any match admits the article.
    ``now`` is the ISO date the question is asked on (default: today); it filters nothing,
    but "this week" or "in April" in the question are read relative to it.
    """

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()
    now: str | None = None

    def __post_init__(self) -> None:
        # a date that can never match (2026-13-01) would quietly return nothing: refuse it
        for label, value in (
            ("since", self.date_from),
            ("until", self.date_to),
            ("as of", self.now),
        ):
            if value:
                _iso_date(value, label)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError(
                f"The date range is empty: since {self.date_from} is after until {self.date_to}."
            )

    def today(self) -> date:
        """The question's "now": ``now`` when set, else today's date."""
        return _iso_date(self.now, "as of") if self.now else date.today()

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.sources)

    def admits(self, article: Article | Passage) -> bool:
        """Whether the article (or a passage, by its article's date and source) passes."""
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


def _iso_date(value: str, label: str) -> date:
    try:
        if len(value) != 10:  # fromisoformat also takes 20261201 and week dates
            raise ValueError
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"'{value}' is not a date ({label}): use YYYY-MM-DD.") from None


def ordinal_days(dates: list[str | None]) -> np.ndarray:
    """ISO dates as day ordinals (floats; NaN for missing or malformed dates)."""
    out = np.full(len(dates), np.nan)
    for i, value in enumerate(dates):
        if value:
            with contextlib.suppress(ValueError):  # a malformed date counts as unknown
                out[i] = date.fromisoformat(value[:10]).toordinal()
    return out
