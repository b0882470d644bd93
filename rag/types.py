"""Plain data passed between the pipeline's stages: articles, chunks and retrieved passages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    """One loaded article.

    ``id`` is a content hash (stable across machines and file moves); ``source`` is the
    path or URL it came from; ``published`` is an ISO date (``YYYY-MM-DD``) or ``None``.
    """

    id: str
    title: str
    text: str
    source: str
    published: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A token-bounded span of an article: ``text == article.text[start:end]``."""

    article_id: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Passage:
    """A retrieved chunk with the metadata a citation needs."""

    text: str
    score: float
    article_id: str
    title: str
    source: str
    published: str | None
    start: int
    end: int
    chunk_id: int = -1
    scores: dict[str, float] = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)  # where else the story ran (sources)

    def to_dict(self) -> dict:
        return asdict(self)
