"""The answer step's data: evidence sentences, the generator's context, the stream's events
(passages found, draft text, verified or withdrawn sentences) and the final cited Answer.
Each carries the text it needs, so an Answer renders with no index at hand."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rag.types import Passage


@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved passage, scored against the question."""

    passage: int  # index into the retrieved passages
    start: int  # offsets in the article text
    end: int
    text: str
    score: float  # combined relevance (higher is better)
    similarity: float  # cosine(question, sentence with its lead-in)
    coverage: float  # share of the question's content words present
    lead: str = ""  # the text that gives the sentence its context
    # holds an entity of the type the question asks for (None: no type asked, or unchecked)
    typed: bool | None = None
    # probability that the sentence carries the answer (rag.answer.selection; None: unranked)
    carries: float | None = None


@dataclass
class Context:
    """What a generator gets: the question, the retrieval query and the numbered evidence."""

    question: str
    query: str
    passages: list[Passage]
    evidence: list[Evidence]
    history: list[dict]


@dataclass(frozen=True)
class Citation:
    """Citation ``[n]``: the exact supporting span (``start``/``end`` in the article text)
    inside the retrieved passage ``passage`` (which spans ``passage_start``/``passage_end``);
    ``copies`` lists where else the same story ran.
    """

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
    passage: str = ""
    copies: list[str] = field(default_factory=list)  # other sources of the same story

    def context(self) -> tuple[str, str]:
        """The passage text before and after the cited span."""
        offset = self.passage_start
        return self.passage[: self.start - offset], self.passage[self.end - offset :]


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

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        """The Answer :meth:`to_dict` describes (a saved chat turn, a JSON reply)."""
        return cls(
            str(data["answer"]),
            [Citation(**c) for c in data.get("citations", [])],
            bool(data["abstained"]),
            str(data.get("query", "")),
            {str(k): float(v) for k, v in data.get("timings", {}).items()},
            [Passage(**p) for p in data.get("passages", [])],
        )


@dataclass(frozen=True)
class Delta:
    """A piece of answer text, streamed as soon as it is verified."""

    text: str


@dataclass(frozen=True)
class Retrieved:
    """The passages found for ``query``, streamed before any text is written: the sources
    can be shown while the answer is generated."""

    query: str
    passages: list[Passage]


@dataclass(frozen=True)
class Draft:
    """The generator's text after the last verified sentence, not yet checked: shown as a
    draft, replaced by each newer Draft, then by the sentence's Delta or Withdrawn."""

    text: str


@dataclass(frozen=True)
class Withdrawn:
    """A written sentence that no passage supports: it never becomes part of the answer."""

    text: str
    reason: str


#: What :meth:`Answerer.stream` yields before its final :class:`Answer`.
Event = Retrieved | Draft | Delta | Withdrawn
