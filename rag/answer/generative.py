"""LLM generator: a model writes the answer from the focused evidence."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answer.generator import Generator
from rag.answer.prompt import JUDGE_ASK, build_messages, focus
from rag.answer.types import Context
from rag.config import LLMConfig
from rag.llm.backends import LLMBackend


class LLMGenerator(Generator):
    """Streams a model's answer (named after its backend: ``local``, ``openai``).

    ``prompt_budget`` (600 tokens of evidence) bounds prompt processing time;
    ``max_tokens`` (160) bounds the answer. The model's yes/no opinion on whether the
    passages answer (:meth:`judge`) is one signal of the answerer's calibrated gate, never
    the only one; a model sentence that no cited passage supports never reaches the user.
    """

    def __init__(self, backend: LLMBackend, config: LLMConfig | None = None):
        self.backend = backend
        self.name = backend.name
        self.config = config or LLMConfig()

    def focus(self, context: Context) -> Context:
        return focus(context, self.config.prompt_budget)

    def generate(self, context: Context) -> Iterator[str]:
        yield from self.backend.stream(build_messages(context), self.config.max_tokens)

    def judge(self, context: Context) -> float | None:
        """The model's probability that the passages answer the question: one token of
        the same prompt with a yes/no question in place of the answer request (~0.3 s with
        the prompt cache, which the answer then reuses)."""
        return self.backend.yes_probability(build_messages(context, JUDGE_ASK))
