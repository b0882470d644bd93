"""The generator contract: a context of numbered evidence in, answer text with ``[n]``
markers out (streamed). The answerer verifies whatever it writes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from rag.answer.types import Context


class Generator(ABC):
    """Subclasses implement :meth:`generate`; :meth:`focus` may narrow what they see and
    :meth:`judge` give the model's view of answerability."""

    name = "generator"

    def focus(self, context: Context) -> Context:
        """The context the generator will see (default: all of it). Markers in the text
        refer to the focused context's passages, numbered from 1."""
        return context

    def judge(self, context: Context) -> float | None:
        """The generator's own probability that the focused passages answer the question
        (``None``: it has no opinion). One signal of the answerability gate."""
        return None

    @abstractmethod
    def generate(self, context: Context) -> Iterator[str]:
        """Answer text with ``[n]`` markers, in pieces of any size."""
