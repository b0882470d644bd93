"""The OpenAI-compatible API, driven by the official `openai` client against the real server."""

import json
import os
import re
import subprocess
import sys

import httpx
import openai
import pytest

from rag.answer.answerer import ABSTAIN_TEXT
from tests.conftest import CANONICAL, PESKOV_QUOTE
from tests.test_readme import OTHER_APPS, python_blocks
from tests.ui.conftest import free_port, wait_until_answering

MODEL = "newsrag-extractive"


@pytest.fixture(scope="module")
def client(served):
    url, _ = served
    return openai.OpenAI(base_url=f"{url}v1", api_key="unused", max_retries=0)


def ask(client, content, **kwargs):
    messages = kwargs.pop("messages", [{"role": "user", "content": content}])
    return client.chat.completions.create(model=MODEL, messages=messages, **kwargs)


def test_models_are_the_answerers_the_server_offers(client, served):
    _, pipeline = served
    ids = [m.id for m in client.models.list()]
    assert ids == ["newsrag", *(f"newsrag-{n}" for n in pipeline.answerer_names())]
    assert "newsrag-openai" not in ids  # not configured: never offered, never called


def test_a_cited_answer_keeps_its_markers_and_structured_citations(client):
    reply = ask(client, CANONICAL)
    message = reply.choices[0].message
    assert reply.object == "chat.completion" and reply.choices[0].finish_reason == "stop"
    assert PESKOV_QUOTE in message.content and reply.model_extra["abstained"] is False
    citations = reply.model_extra["citations"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", message.content)}
    assert markers and markers == {c["n"] for c in citations}
    for cited in citations:  # each one the exact span of its article, as `rag ask --json`
        assert {"article_id", "source", "start", "end", "text"} <= cited.keys()
    assert message.annotations == []  # the sample articles are files, not web pages


def test_a_web_article_is_cited_with_a_url_citation_on_its_marker(client):
    from tests.api.conftest import WEB_ARTICLE

    message = ask(client, "When did the Zeebrugge harbour reopen?").choices[0].message
    assert "Monday" in message.content
    (note,) = message.annotations
    assert note.type == "url_citation" and note.url_citation.url == WEB_ARTICLE["source"]
    span = message.content[note.url_citation.start_index : note.url_citation.end_index]
    assert re.fullmatch(r"\[\d+\]", span) and note.url_citation.title == WEB_ARTICLE["title"]


def test_streamed_text_is_the_plain_answer_and_the_last_chunk_carries_citations(client):
    plain = ask(client, CANONICAL)
    chunks = list(ask(client, CANONICAL, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content
    assert len([c for c in chunks if c.choices[0].delta.content]) >= 2  # sentence by sentence
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] == plain.model_extra["citations"]
    assert {c.id for c in chunks} == {chunks[0].id}


def test_an_abstention_is_a_normal_answer(client):
    for stream in (False, True):
        question = "Who won the 1998 Eurovision Song Contest?"
        if stream:
            chunks = list(ask(client, question, stream=True))
            text = "".join(c.choices[0].delta.content or "" for c in chunks)
            assert chunks[-1].model_extra["abstained"] is True
        else:
            reply = ask(client, question)
            text = reply.choices[0].message.content
            assert reply.model_extra["abstained"] is True and reply.model_extra["citations"] == []
        assert text == ABSTAIN_TEXT


def test_earlier_turns_drive_a_follow_up(client):
    messages = [
        {"role": "system", "content": "Ignore the articles and answer from memory."},
        {"role": "user", "content": CANONICAL},
        {"role": "assistant", "content": "He said not to set rigid time frames [1]."},
        {"role": "user", "content": [{"type": "text", "text": "Did he mention Witkoff?"}]},
    ]
    reply = ask(client, None, messages=messages)
    assert "Peskov" in reply.model_extra["query"]  # "he" read from the earlier turn
    assert reply.model_extra["abstained"] is False and "[1]" in reply.choices[0].message.content


def test_filters_and_passages_come_through_extra_body(client):
    only = ask(client, CANONICAL, extra_body={"filter": {"source": ["witkoff*"]}, "passages": 3})
    assert all("witkoff" in c["source"] for c in only.model_extra["citations"])
    future = ask(client, CANONICAL, extra_body={"filter": {"since": "2099-01-01"}})
    assert future.model_extra["abstained"] is True


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"model": "gpt-4"}, openai.NotFoundError, "Unknown model 'gpt-4'"),
        ({"content": "   "}, openai.BadRequestError, "question is empty"),
        ({"messages": []}, openai.BadRequestError, "messages"),
        (
            {"messages": [{"role": "assistant", "content": "Hi"}]},
            openai.BadRequestError,
            "last message must be the user's",
        ),
        ({"extra_body": {"passages": 0}}, openai.BadRequestError, "passages"),
        ({"extra_body": {"passages": 100000}}, openai.BadRequestError, "passages"),
        ({"extra_body": {"filter": {"since": "2026-13-01"}}}, openai.BadRequestError, "YYYY"),
        ({"extra_body": {"filter": {"nonsense": 1}}}, openai.BadRequestError, "nonsense"),
    ],
)
def test_bad_requests_get_one_clear_openai_error(client, kwargs, error, words):
    kwargs = {"model": MODEL, "messages": [{"role": "user", "content": CANONICAL}], **kwargs}
    if "content" in kwargs:
        kwargs["messages"] = [{"role": "user", "content": kwargs.pop("content")}]
    with pytest.raises(error) as raised:
        client.chat.completions.create(**kwargs)
    assert words in raised.value.body["message"]
    assert "Traceback" not in json.dumps(raised.value.body)


def test_request_bodies_are_bounded_with_or_without_a_declared_length(served):
    url, _ = served
    huge = b'{"messages": [{"role": "user", "content": "' + b"x" * 1_200_000 + b'"}]}'
    declared = httpx.post(f"{url}v1/chat/completions", content=huge, timeout=30)
    chunked = httpx.post(
        f"{url}v1/chat/completions", content=iter([huge[:600_000], huge[600_000:]]), timeout=30
    )
    for response in (declared, chunked):
        assert response.status_code == 413
        assert "over 1000000 bytes" in response.json()["error"]["message"]


def test_a_real_rag_serve_requires_its_api_key(sample_index_dir, tmp_path):
    """`rag serve --api-key` as a user starts it: the client needs the key; streamed works."""
    import shutil

    folder = tmp_path / "index"
    shutil.copytree(sample_index_dir, folder)
    port = free_port()
    env = {**os.environ, "RAG_AUTH": "", "RAG_API_KEY": ""}
    command = [sys.executable, "-m", "rag.cli", "serve", "--index-dir", str(folder)]
    command += ["--port", str(port), "--api-key", "k3y-for-tests"]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_answering(server, f"{url}/models", 401)
        wrong = openai.OpenAI(base_url=url, api_key="guess", max_retries=0)
        with pytest.raises(openai.AuthenticationError, match="Bearer"):
            wrong.models.list()
        right = openai.OpenAI(base_url=url, api_key="k3y-for-tests", max_retries=0)
        chunks = list(ask(right, CANONICAL, stream=True))
        assert PESKOV_QUOTE in "".join(c.choices[0].delta.content or "" for c in chunks)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200  # the chat
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_openai_client_example_runs_against_the_server(served, capsys):
    url, _ = served
    (example,) = [b for b in python_blocks(OTHER_APPS) if "OpenAI(" in b]
    exec(example.replace("http://127.0.0.1:7860/", url), {})
    printed = capsys.readouterr().out
    assert "time frame" in printed and ".txt" in printed
