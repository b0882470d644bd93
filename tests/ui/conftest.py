"""A running `rag serve` server (uvicorn on 127.0.0.1: the chat and the OpenAI-compatible
API) over a private copy of the sample index."""

import contextlib
import socket
import threading
import time

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


def wait_until_answering(server, url: str, status: int, seconds: float = 180) -> None:
    """Wait until the ``rag serve`` subprocess ``server`` answers ``url`` with ``status``."""
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        assert server.poll() is None, server.stderr.read()
        try:
            if httpx.get(url, timeout=2).status_code == status:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "rag serve did not start"
        time.sleep(0.5)


@contextlib.contextmanager
def serving(service, auth=None):
    """The server `rag serve` runs (ui.server.create_server), on a free port, in a thread;
    yields its URL (ending in /)."""
    from dataclasses import replace

    from ui.server import ChatServer, create_server

    port = free_port()
    settings = replace(service.config.serve, host="127.0.0.1", port=port)
    server = ChatServer(create_server(service, auth), settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def app_url(service):
    with serving(service) as url:
        yield url


LLM = is_installed("qwen2.5-1.5b")
