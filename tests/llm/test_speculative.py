"""Speculative decoding on the real local runtime: faster drafts, the same greedy text."""

from __future__ import annotations

import pytest

from rag.config import LLMConfig
from rag.errors import RagError
from rag.llm.backends import LlamaCppBackend
from rag.llm.models import is_installed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not is_installed("qwen2.5-1.5b"), reason="run scripts/setup.sh"),
]

PASSAGE = (
    'A spokesperson for Putin, Dmitry Peskov, said on Tuesday: "It is not worth setting any '
    'rigid time frames" for a peace deal, calling the issue too complex for a quick fix.'
)
MESSAGES = [
    {"role": "system", "content": "Answer from the passage only, quoting its words."},
    {
        "role": "user",
        "content": f"Passage: {PASSAGE}\n\nQuestion: What did Peskov say about "
        "timelines? Quote him.",
    },
]


def text(backend: LlamaCppBackend) -> str:
    return "".join(backend.stream(MESSAGES, max_tokens=40))


@pytest.mark.parametrize("kind", ["ngram", "draft"])
def test_speculative_decoding_keeps_the_greedy_answer(kind):
    if kind == "draft" and not is_installed("qwen2.5-0.5b"):
        pytest.skip("the draft model's packages are not installed")
    plain = text(LlamaCppBackend.from_config(LLMConfig(cache_prompt=False)))
    fast = text(LlamaCppBackend.from_config(LLMConfig(cache_prompt=False, speculative=kind)))
    assert "rigid time frames" in plain
    assert fast == plain


def test_a_draft_setting_without_a_draft_model_is_a_clear_error():
    from rag.llm.models import resolve_llm

    with pytest.raises(RagError, match="draft model"):
        LlamaCppBackend(resolve_llm("qwen2.5-1.5b"), speculative="draft")
