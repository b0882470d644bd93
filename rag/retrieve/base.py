"""The retriever contract: a question in, ranked Passages out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from rag.errors import InputError
from rag.filters import SearchFilter
from rag.text import MAX_QUESTION_CHARS, printable
from rag.types import Passage

if TYPE_CHECKING:
    from rag.config import Config
    from rag.embed import Embedder
    from rag.index import Index


COPIES_DEPTH = 20  # extra candidates read so copies of one story can be left out


def distinct(index: Index, ids, scores, k: int, name: str, one_per_story: bool) -> list[Passage]:
    """The first ``k`` ranked chunks as passages (with copies of a story left out when
    ``one_per_story``); ``name`` labels the score."""
    score = dict(zip(map(int, ids), map(float, scores), strict=True))
    kept = index.one_per_story(ids, k) if one_per_story else [int(i) for i in ids[:k]]
    return [index.passage(i, score[i], {name: score[i]}) for i in kept]


class Retriever(ABC):
    """Subclasses implement :meth:`_retrieve`; callers use :meth:`retrieve`."""

    name: str = "retriever"

    @classmethod
    def create(cls, index: Index, embedder: Embedder, config: Config) -> Retriever:
        """The retriever over ``index`` that ``config`` describes (``create_retriever``
        calls it for the classes in ``RETRIEVERS``)."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a configuration")

    def retrieve(
        self, query: str, k: int = 5, search_filter: SearchFilter | None = None
    ) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first.

        Queries are stripped of control characters and cut to 2,000 characters (longer
        input is almost always pasted text; the head carries the question).
        """
        cleaned = printable(query)
        if not cleaned:
            raise InputError("The question is empty: type a question about the articles.")
        if k < 1:
            raise InputError("k must be at least 1.")
        return self._retrieve(cleaned[:MAX_QUESTION_CHARS], k, search_filter)

    @abstractmethod
    def _retrieve(
        self, query: str, k: int, search_filter: SearchFilter | None
    ) -> list[Passage]: ...
