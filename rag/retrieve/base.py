"""The retriever contract: a question in, ranked Passages out."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rag.errors import InputError
from rag.filters import SearchFilter
from rag.types import Passage

MAX_QUERY_CHARS = 2_000


class Retriever(ABC):
    """Subclasses implement :meth:`_retrieve`; callers use :meth:`retrieve`."""

    name: str = "retriever"

    def retrieve(
        self, query: str, k: int = 5, search_filter: SearchFilter | None = None
    ) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first.

        Queries are stripped of control characters and cut to 2,000 characters (longer
        input is almost always pasted text; the head carries the question).
        """
        cleaned = "".join(ch for ch in query if ch.isprintable() or ch.isspace()).strip()
        if not cleaned:
            raise InputError("The question is empty: type a question about the articles.")
        if k < 1:
            raise InputError("k must be at least 1.")
        return self._retrieve(cleaned[:MAX_QUERY_CHARS], k, search_filter)

    @abstractmethod
    def _retrieve(
        self, query: str, k: int, search_filter: SearchFilter | None
    ) -> list[Passage]: ...
