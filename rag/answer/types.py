"""What an answerer produces: streamed text deltas, then the final cited Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rag.types import Passage


@dataclass(frozen=True)
class Citation:
    """Citation ``[n]``: the exact supporting span (``start``/``end`` in the article text)
    inside the retrieved passage (``passage_start``/``passage_end``)."""

    n: int
    article_id: str
    title: str
    source: str
    date: str | None
    start: int
    end: int
    text: str
    passage_start: int
    passage_end: int


@dataclass
class Answer:
    """A finished answer. ``text`` carries inline ``[n]`` markers that resolve to
    ``citations``; when ``abstained`` the text says the articles don't answer and
    ``passages`` holds the closest ones."""

    text: str
    citations: list[Citation]
    abstained: bool
    query: str
    timings: dict[str, float] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "answer": self.text,
            "citations": [asdict(c) for c in self.citations],
            "abstained": self.abstained,
            "query": self.query,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass(frozen=True)
class Delta:
    """A piece of answer text, streamed as soon as it is verified."""

    text: str
