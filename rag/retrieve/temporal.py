"""What a question says about time ("this week", "in April", "on Friday"), read relative to
its "now"."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

# "recently", "the latest", "new", "this week": the question is about current news
_RECENT = re.compile(
    r"\b(recent(ly)?|latest|newly|new|just|currently|ongoing|now|upcoming|soon|"
    r"this (week|month|weekend|year)|past (few )?(days|weeks)|last few (days|weeks)|"
    r"today|tonight|yesterday|so far)\b",
    re.IGNORECASE,
)
_RELATIVE = [  # (pattern, days back from now to start, days back to end)
    (re.compile(r"\b(today|tonight)\b", re.I), 0, 0),
    (re.compile(r"\byesterday\b", re.I), 1, 1),
    (re.compile(r"\b(this|past|last few|past few) (week|days)\b|\bthis weekend\b", re.I), 7, 0),
    (re.compile(r"\blast week\b", re.I), 14, 4),
    (re.compile(r"\b(this|past) month\b|\bpast (few|several|couple of) weeks\b", re.I), 31, 0),
]
_DAY = re.compile(rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+{_YEAR})?", re.I)
_IN_MONTH = re.compile(
    rf"\b(?:(?:in|during|since|early|late)\s+|mid-?\s*){_MONTH}(?:\s+{_YEAR})?\b", re.I
)
_CALENDAR = re.compile(r"\b(this|last) (year|month)\b", re.I)
_IN_YEAR = re.compile(rf"\b(?:in|during|since)\s+{_YEAR}\b", re.I)
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
# "on Wednesday", "early Thursday", "last Friday"; a bare weekday is too often a name
# ("Black Friday", "Super Tuesday") and "by Friday" too often a deadline
_WEEKDAY = re.compile(
    r"\b(?P<lead>on|early|late|last|since)\s+(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b",
    re.I,
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")
_DAY_COVERAGE = 3  # news about a day is published that day and the next few


@dataclass(frozen=True)
class TimeScope:
    """A question's time scope: an explicit window (``start``..``end``, inclusive) when it
    names one, and whether it asks about current news (``recent``)."""

    now: date
    start: date | None = None
    end: date | None = None
    recent: bool = False

    @property
    def window(self) -> bool:
        return self.start is not None


def _month_start(year: int, month: int) -> date:
    return date(year, month, 1)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _latest_year(month: int, day: int, now: date) -> int:
    """The year of the most recent ``month``/``day`` on or before ``now``."""
    return now.year if (month, day) <= (now.month, now.day) else now.year - 1


def _names_a_place(question: str, match: re.Match) -> bool:
    """ "in May County", "since March Madness": a capitalised word after the month makes it
    part of a name."""
    rest = question[match.end() :].lstrip()
    return not match["year"] and rest[:1].isupper()


def time_scope(question: str, now: date) -> TimeScope:
    """Read the date expressions in ``question`` relative to ``now``.

    Understood: today, yesterday, this/last week, this/past/last month, this/last year,
    a named day ("June 3", "on June 3, 2022", "2022-06-03"), a weekday ("on Wednesday",
    "early Thursday", "last Friday", "since Monday": one within the past week, so the
    question is about current news), a named month ("in April", "mid-May", "since May
    2022") and a year ("in 2021"). A month, day or weekday is its latest occurrence up to
    ``now`` ("last Friday" asked on a Friday is a week ago).
    """
    recent = bool(_RECENT.search(question))
    for pattern, back_start, back_end in _RELATIVE:
        if pattern.search(question):
            return TimeScope(
                now, now - timedelta(days=back_start), now - timedelta(days=back_end), True
            )
    match = _CALENDAR.search(question)
    if match and match[0].lower() != "this month":  # "this month" is the last 31 days
        if match[2].lower() == "year":
            year = now.year - (match[1].lower() == "last")
            return TimeScope(now, date(year, 1, 1), min(now, date(year, 12, 31)), recent)
        first = now.replace(day=1) - timedelta(days=1)  # last month
        return TimeScope(now, first.replace(day=1), first, recent)
    for match in _ISO.finditer(question):
        try:
            day = date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:
            continue
        return TimeScope(now, day, day + timedelta(days=_DAY_COVERAGE), recent)
    for match in _DAY.finditer(question):
        month, number = _MONTHS[match["month"].lower()], int(match["day"])
        year = int(match["year"]) if match["year"] else _latest_year(month, number, now)
        try:
            day = date(year, month, number)
        except ValueError:
            continue
        return TimeScope(now, day, day + timedelta(days=_DAY_COVERAGE), recent)
    match = _WEEKDAY.search(question)
    if match:  # the latest such weekday up to now ("last": before today)
        lead = match["lead"].lower()
        back = (now.weekday() - _WEEKDAYS[match["weekday"].lower()]) % 7
        if back == 0 and lead == "last":
            back = 7
        day = now - timedelta(days=back)
        end = now if lead == "since" else day + timedelta(days=_DAY_COVERAGE)
        return TimeScope(now, day, end, True)
    match = next((m for m in _IN_MONTH.finditer(question) if not _names_a_place(question, m)), None)
    if match:
        month = _MONTHS[match["month"].lower()]
        year = int(match["year"]) if match["year"] else _latest_year(month, 1, now)
        since = match.group(0).lower().startswith("since")
        end = max(now, _month_end(year, month)) if since else _month_end(year, month)
        return TimeScope(now, _month_start(year, month), end, recent)
    match = _IN_YEAR.search(question)
    if match:
        year = int(match["year"])
        since = match.group(0).lower().startswith("since")
        return TimeScope(now, date(year, 1, 1), now if since else date(year, 12, 31), recent)
    return TimeScope(now, recent=recent)
