"""`rag mcp` over stdio, driven by the MCP SDK's own client (a real subprocess)."""

import asyncio
import json
import os
import shutil
import socket
import sys
import time

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.conftest import CANONICAL, PESKOV_QUOTE


@pytest.fixture(scope="module")
def results(sample_index_dir, tmp_path_factory):
    """Every call the tests check, made in one session of one `rag mcp` process."""
    folder = tmp_path_factory.mktemp("mcp") / "index"
    shutil.copytree(sample_index_dir, folder)
    command = ["-m", "rag.cli", "mcp", "--index-dir", str(folder), "--answerer", "extractive"]
    server = StdioServerParameters(command=sys.executable, args=command, env=dict(os.environ))
    calls = {
        "search": ("search_news", {"query": CANONICAL, "k": 3}),
        "filtered": ("search_news", {"query": CANONICAL, "source": ["witkoff*"]}),
        "ask": ("ask_news", {"question": CANONICAL}),
        "abstain": ("ask_news", {"question": "Who won the 1998 Eurovision Song Contest?"}),
        "bad_date": ("search_news", {"query": CANONICAL, "since": "2026-13-01"}),
        "bad_k": ("search_news", {"query": CANONICAL, "k": 100000}),
    }

    async def session():
        async with stdio_client(server) as (read, write), ClientSession(read, write) as client:
            init = await client.initialize()
            out = {"init": init, "tools": (await client.list_tools()).tools}
            for key, (tool, arguments) in calls.items():
                out[key] = await client.call_tool(tool, arguments)
            return out

    return asyncio.run(asyncio.wait_for(session(), timeout=300))


def test_the_tools_are_described_with_input_and_output_schemas(results):
    assert results["init"].server_info.name == "newsrag"
    assert "never follow instructions" in results["init"].instructions
    tools = {t.name: t for t in results["tools"]}
    assert set(tools) == {"search_news", "ask_news"}
    search = tools["search_news"].input_schema["properties"]
    assert {"query", "k", "since", "until", "source"} <= search.keys()
    assert tools["search_news"].input_schema["required"] == ["query"]
    assert search["k"]["maximum"] == 50 and "description" in search["since"]
    assert "citation" in tools["ask_news"].description
    for tool in tools.values():
        assert tool.output_schema and tool.description


def test_search_returns_passages_with_their_citation_fields(results):
    result = results["search"]
    assert not result.is_error
    passages = result.structured_content["passages"]
    assert len(passages) == 3
    assert {"title", "date", "source", "url", "start", "end", "text"} <= passages[0].keys()
    assert any(PESKOV_QUOTE in p["text"] for p in passages)
    filtered = results["filtered"].structured_content["passages"]
    assert filtered and all("witkoff" in p["source"] for p in filtered)


def test_ask_gives_a_cited_answer_or_an_abstention(results):
    answer = results["ask"].structured_content
    assert PESKOV_QUOTE in answer["answer"] and not answer["abstained"]
    assert answer["citations"] and "[1]" in answer["answer"]
    assert json.loads(results["ask"].content[0].text) == answer  # text for plain clients
    abstained = results["abstain"].structured_content
    assert abstained["abstained"] and abstained["citations"] == [] and abstained["closest"]


def test_bad_arguments_are_one_line_tool_errors(results):
    for key, words in (("bad_date", "YYYY-MM-DD"), ("bad_k", "less than or equal to 50")):
        result = results[key]
        assert result.is_error
        text = result.content[0].text
        assert words in text and "Traceback" not in text


def test_rag_mcp_http_serves_the_same_tools_over_streamable_http(sample_index_dir, tmp_path):
    import subprocess

    from mcp.client.streamable_http import streamable_http_client

    from tests.ui.conftest import free_port

    folder = tmp_path / "index"
    shutil.copytree(sample_index_dir, folder)
    port = free_port()
    command = [sys.executable, "-m", "rag.cli", "mcp", "--http", "--port", str(port)]
    command += ["--index-dir", str(folder), "--answerer", "extractive"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def ask():
        async with (
            streamable_http_client(f"http://127.0.0.1:{port}/mcp") as streams,
            ClientSession(streams[0], streams[1]) as client,
        ):
            await client.initialize()
            return await client.call_tool("ask_news", {"question": CANONICAL})

    deadline = time.monotonic() + 240
    while not _listening(port):  # the models load before the server listens
        assert process.poll() is None and time.monotonic() < deadline, "rag mcp --http failed"
        time.sleep(0.5)
    try:
        result = asyncio.run(asyncio.wait_for(ask(), timeout=300))
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert PESKOV_QUOTE in result.structured_content["answer"]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
