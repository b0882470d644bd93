"""LLM answerer: a model writes the answer from the evidence; every sentence is verified."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answer.base import Answerer, AnswerSettings, Context
from rag.answer.prompt import build_messages, focus
from rag.embed import Embedder
from rag.index import Index
from rag.llm.backends import LLMBackend
from rag.retrieve import Retriever


class LLMAnswerer(Answerer):
    """Streams a model's answer through the shared verification step.

    ``prompt_budget`` (600 tokens of evidence) bounds prompt processing time;
    ``max_tokens`` (160) bounds the answer. Abstention does not rely on the model: weak
    evidence stops the pipeline before the model is called, and a model sentence that no
    cited passage supports never reaches the user.
    """

    def __init__(
        self,
        retriever: Retriever,
        index: Index,
        embedder: Embedder,
        backend: LLMBackend,
        settings: AnswerSettings | None = None,
        prompt_budget: int = 600,
        max_tokens: int = 160,
    ):
        super().__init__(retriever, index, embedder, settings)
        self.backend = backend
        self.name = backend.name
        self.prompt_budget, self.max_tokens = prompt_budget, max_tokens

    def _focus(self, context: Context) -> Context:
        return focus(context, self.prompt_budget)

    def _generate(self, context: Context) -> Iterator[str]:
        yield from self.backend.stream(build_messages(context), self.max_tokens)
