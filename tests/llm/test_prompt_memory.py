"""llama.cpp's memory of earlier prompts, bounded by ``llm.prompt_memory_mib``: a prompt
asked again after another starts from its stored state, and with 0 it is computed again."""

from __future__ import annotations

import pytest

from rag.config import LLMConfig
from rag.errors import ConfigError
from rag.llm.backends import LlamaCppBackend
from rag.llm.models import is_installed

PASSAGE = "Dmitry Peskov said it is not worth setting any rigid time frames for a peace deal. "


def computed_tokens(backend: LlamaCppBackend, topic: str) -> int:
    """Prompt tokens llama.cpp had to compute for a one-token reply about ``topic``."""
    content = f"Passage: {PASSAGE * 8}\nQuestion: what about {topic}? Reply yes or no."
    request = {
        "messages": [{"role": "user", "content": f"{topic}: {content}"}],
        "max_tokens": 1,
        "temperature": 0,
        "cache_prompt": True,
    }
    return backend.server.handle_chat_completions(request)["timings"]["prompt_n"]


@pytest.mark.slow
@pytest.mark.skipif(not is_installed("qwen2.5-1.5b"), reason="run scripts/setup.sh")
@pytest.mark.parametrize("memory", [1024, 0])
def test_a_prompt_asked_again_is_remembered_only_with_prompt_memory(memory):
    backend = LlamaCppBackend.from_config(LLMConfig(prompt_memory_mib=memory))
    first = computed_tokens(backend, "timelines")
    computed_tokens(backend, "sanctions")  # another prompt takes the model's one slot
    again = computed_tokens(backend, "timelines")
    assert first > 100
    if memory:
        assert again < first / 4
    else:  # all but the chat template's opening, which the other prompt shares
        assert again > first * 3 / 4


def test_prompt_memory_cannot_be_negative():
    with pytest.raises(ConfigError, match="prompt_memory_mib"):
        LLMConfig(prompt_memory_mib=-1)
