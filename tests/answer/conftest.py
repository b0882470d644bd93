"""Shared per module: the sample pipeline's extractive answerer, and the real llama.cpp
runtimes the LLM tests use (in-process, and an OpenAI-compatible server on 127.0.0.1)."""

import pytest

from rag.config import LLMConfig
from rag.llm.backends import LlamaCppBackend, OpenAIBackend
from rag.llm.models import is_installed, resolve_llm
from rag.pipeline import Pipeline

needs_model = pytest.mark.skipif(
    not is_installed("qwen2.5-1.5b"), reason="model packages not installed (scripts/setup.sh)"
)


@pytest.fixture(scope="module")
def extractive(sample):
    return sample.answerer("extractive")


@pytest.fixture(scope="module")
def local_backend():
    return LlamaCppBackend.from_config(LLMConfig())


@pytest.fixture(scope="module")
def openai_server():
    """A real OpenAI-compatible HTTP server (llama.cpp's, via xllamacpp) on 127.0.0.1."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(resolve_llm("qwen2.5-1.5b"))
    params.n_ctx = 4096
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    params.verbosity = -1
    server = xllamacpp.Server(params)
    assert server.listening_address.startswith("http://127.0.0.1:")
    yield server.listening_address


def answerers_over(index_dir, embedder, local_backend, openai_server):
    """The ``local`` and ``openai`` answerers of pipelines over ``index_dir``."""
    remote = OpenAIBackend(base_url=f"{openai_server}/v1", model="local")
    return [
        Pipeline.open(index_dir, embedder=embedder, backend=backend).answerer(backend.name)
        for backend in (local_backend, remote)
    ]
