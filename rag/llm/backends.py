"""LLM backends behind one contract: chat messages in, a stream of text pieces out."""

from __future__ import annotations

import math
import os
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from rag.config import LLMConfig
from rag.errors import RagError

Messages = list[dict[str, str]]


class LLMBackend(ABC):
    """Generates a chat completion, streamed. Greedy (temperature 0) by default, because
    grounded answers should be repeatable."""

    name = "llm"

    @classmethod
    def from_config(cls, config: LLMConfig) -> LLMBackend:
        """The backend an :class:`LLMConfig` describes (those in ``BACKENDS`` provide it)."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a configuration")

    @abstractmethod
    def stream(self, messages: Messages, max_tokens: int = 256) -> Iterator[str]: ...

    def yes_probability(self, messages: Messages) -> float | None:
        """The model's probability that its reply to a yes/no question starts with "yes"
        (from the first token's log-probabilities), or ``None`` when it cannot say."""
        return None


def yes_share(top: list[tuple[str, float]]) -> float | None:
    """P(yes) / (P(yes) + P(no)) among a first token's ``(token, logprob)`` candidates."""
    yes = sum(math.exp(lp) for token, lp in top if token.strip().lower() == "yes")
    no = sum(math.exp(lp) for token, lp in top if token.strip().lower() == "no")
    return yes / (yes + no) if yes + no else None


class OpenAIBackend(LLMBackend):
    """Any OpenAI-compatible server: OpenAI, Ollama, vLLM, llama.cpp's server.

    ``base_url``, ``model`` and ``api_key`` default to ``$OPENAI_BASE_URL``,
    ``$OPENAI_MODEL`` and ``$OPENAI_API_KEY`` (a placeholder key is sent when none is
    set, as local servers need none).
    """

    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
    ):
        from openai import OpenAI

        self.model = model or os.environ.get("OPENAI_MODEL") or "gpt-4o-mini"
        self.client = OpenAI(
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=timeout,
            max_retries=1,
        )

    @classmethod
    def from_config(cls, config: LLMConfig) -> OpenAIBackend:
        return cls(config.openai_base_url or None, config.openai_model or None)

    def stream(self, messages: Messages, max_tokens: int = 256) -> Iterator[str]:
        from openai import OpenAIError

        try:
            events = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=max_tokens,
                temperature=0,
                stream=True,
            )
            for event in events:
                if event.choices and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except OpenAIError as exc:
            raise RagError(
                f"The OpenAI-compatible server at {self.client.base_url} failed: {exc}. "
                "Check --base-url / OPENAI_BASE_URL, the model name and the API key."
            ) from None

    def yes_probability(self, messages: Messages) -> float | None:
        from openai import OpenAIError

        try:
            reply = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=1,
                temperature=0,
                logprobs=True,
                top_logprobs=10,
            )
            first = reply.choices[0].logprobs.content[0]
        except (OpenAIError, AttributeError, IndexError, TypeError):
            return None  # a server without log-probabilities: the gate goes without
        return yes_share([(t.token, t.logprob) for t in first.top_logprobs])


class LlamaCppBackend(LLMBackend):
    """A GGUF model run in this process by llama.cpp (the ``xllamacpp`` wheel).

    ``threads`` defaults to the number of cores; the other defaults are ``LLMConfig``'s:
    ``n_ctx`` fits the prompt budget, ``cache_prompt`` reuses the computed prefix a prompt
    shares with the previous one, ``prompt_memory_mib`` bounds the memory keeping earlier
    prompts' state.
    The model loads once, when the backend is created (~2 s for the 1.5B model).
    """

    name = "local"

    def __init__(
        self,
        model_path: str | Path,
        n_ctx: int = LLMConfig.n_ctx,
        threads: int | None = None,
        cache_prompt: bool = LLMConfig.cache_prompt,
        speculative: str = LLMConfig.speculative,
        draft_path: str | Path | None = None,
        prompt_memory_mib: int = LLMConfig.prompt_memory_mib,
    ):
        xllamacpp = import_runtime()
        params = llama_params(model_path, n_ctx, threads)
        params.cache_ram_mib = prompt_memory_mib
        _speculate(params, speculative, draft_path)
        self.model_path = str(model_path)
        self.cache_prompt = cache_prompt
        self.server = xllamacpp.Server(params)
        self._lock = threading.Lock()  # one generation at a time per loaded model

    @classmethod
    def from_config(cls, config: LLMConfig) -> LlamaCppBackend:
        from rag.llm.models import resolve_llm

        draft = resolve_llm(config.draft_model) if config.speculative == "draft" else None
        return cls(
            resolve_llm(config.model),
            config.n_ctx,
            config.threads or None,
            config.cache_prompt,
            config.speculative,
            draft,
            config.prompt_memory_mib,
        )

    def stream(self, messages: Messages, max_tokens: int = 256) -> Iterator[str]:
        pieces: queue.Queue = queue.Queue()
        request = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
            "cache_prompt": self.cache_prompt,  # see LLMConfig.cache_prompt
        }
        done, stop = object(), threading.Event()

        def put(item) -> bool:
            pieces.put(item)
            return stop.is_set()  # True tells llama.cpp to stop generating

        def run() -> None:
            try:
                with self._lock:
                    self.server.handle_chat_completions(request, put)
            except Exception as exc:  # surfaced in the caller's thread below
                pieces.put(exc)
            finally:
                pieces.put(done)

        threading.Thread(target=run, daemon=True).start()
        try:
            while (item := pieces.get()) is not done:
                if isinstance(item, Exception):
                    raise RagError(f"The local model failed: {item}") from None
                if isinstance(item, dict) and "error" in item:
                    raise RagError(f"The local model failed: {item['error']}")
                for choice in (item or {}).get("choices", []):
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
        finally:  # the reader stopped (Stop, a closed connection): so does the model
            stop.set()

    def yes_probability(self, messages: Messages) -> float | None:
        request = {
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": 10,
            # the answer prompt that follows shares this prompt's prefix: it is computed once
            "cache_prompt": self.cache_prompt,
        }
        try:
            with self._lock:
                reply = self.server.handle_chat_completions(request)
            top = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        except (KeyError, IndexError, TypeError):
            return None
        except Exception as exc:
            raise RagError(f"The local model failed: {exc}") from None
        return yes_share([(t["token"], t["logprob"]) for t in top])


def import_runtime():
    """The llama.cpp runtime (``xllamacpp``), or a one-line error saying how to install it."""
    try:
        import xllamacpp
    except ImportError:
        raise RagError(
            "The local llama.cpp runtime is not installed. Run `bash scripts/setup.sh` "
            "or `pip install xllamacpp`."
        ) from None
    return xllamacpp


def llama_params(model_path: str | Path, n_ctx: int, threads: int | None = None):
    """llama.cpp parameters for one model in this process: one slot, ``threads`` (default:
    one per core) for generation and batches, quiet, and its built-in HTTP endpoint on
    loopback at a free port."""
    params = import_runtime().CommonParams()
    params.model.path = str(model_path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    cores = threads or os.cpu_count() or 2
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = cores
    params.verbosity = -1
    return params


def _speculate(params, kind: str, draft_path: str | Path | None) -> None:
    """Set llama.cpp's speculative decoding (see ``LLMConfig.speculative``); the draft
    model runs on the main model's threads."""
    import xllamacpp

    types = xllamacpp.common_speculative_type
    if kind == "ngram":
        params.speculative.types = [types.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
    elif kind == "draft":
        if draft_path is None:
            raise RagError("speculative 'draft' needs a draft model (llm.draft_model).")
        params.speculative.types = [types.COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE]
        draft = params.speculative.draft
        draft.mparams.path = str(draft_path)
        draft.cpuparams.n_threads = params.cpuparams.n_threads
        draft.cpuparams_batch.n_threads = params.cpuparams_batch.n_threads
    elif kind != "off":
        raise RagError(f"unknown speculative decoding '{kind}' (off, ngram or draft).")


#: LLM backends by answerer name.
BACKENDS: dict[str, type[LLMBackend]] = {"local": LlamaCppBackend, "openai": OpenAIBackend}
