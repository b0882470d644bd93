"""A running chat app (real Gradio server on 127.0.0.1) over a private copy of the sample index."""

import socket

import pytest

from rag.config import Config
from rag.llm.models import is_installed
from rag.pipeline import Pipeline


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def service(sample_index_dir, tmp_path_factory, embedder):
    import shutil

    from ui.service import ChatService

    folder = tmp_path_factory.mktemp("ui") / "index"
    shutil.copytree(sample_index_dir, folder)
    return ChatService(Pipeline(Config(index_dir=str(folder)), embedder=embedder))


@pytest.fixture(scope="module")
def app_url(service):
    from ui.app import build_app, launch

    app = build_app(service).queue()
    launch(app, service, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True)
    yield app.local_url
    app.close()


LLM = is_installed("qwen2.5-1.5b")
