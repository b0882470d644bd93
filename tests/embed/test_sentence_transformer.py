"""Loading a sentence-transformers model: what happens when the hub cannot be reached."""

import socket
import time

import pytest

from rag.embed.sentence_transformer import SentenceTransformerEmbedder, unreachable_hub
from rag.errors import RagError


@pytest.fixture
def hub(monkeypatch):
    """Point the hub endpoint at ``127.0.0.1:PORT`` (proxies cleared) for one test."""
    from huggingface_hub import constants

    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)

    def at(port: int) -> None:
        monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")

    return at


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_a_model_from_an_unreachable_hub_is_a_one_line_error_in_seconds(hub):
    """It used to take over a minute of the hub client's retries (about 80 s here)."""
    hub(closed_port())
    started = time.monotonic()
    with pytest.raises(RagError) as error:
        SentenceTransformerEmbedder("no-such-org/no-such-model")
    assert time.monotonic() - started < 20  # generous: the probe itself is one connect
    message = str(error.value)
    assert "no-such-org/no-such-model" in message and "127.0.0.1 cannot be reached" in message
    assert "\n" not in message


def test_a_reachable_hub_local_folders_and_cached_models_are_not_refused(hub, tmp_path):
    with socket.socket() as listener:  # a real server socket: the hub "answers"
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        hub(listener.getsockname()[1])
        assert unreachable_hub("no-such-org/no-such-model") is None
    hub(closed_port())
    assert unreachable_hub(str(tmp_path)) is None  # a folder: the loader reads it
    assert unreachable_hub("not a repository name") is None  # the loader says why
    assert "cannot be reached" in unreachable_hub("no-such-org/no-such-model")


def test_behind_a_proxy_the_loader_decides(hub, monkeypatch):
    hub(closed_port())
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert unreachable_hub("no-such-org/no-such-model") is None
