"""The README's Python examples run as written."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)


@pytest.mark.slow
def test_the_pipeline_example_indexes_records_from_memory_and_answers(tmp_path):
    first = python_blocks("Python API")[0]
    assert first.count("\n") <= 8 and "add_articles" in first and ".ask(" in first
    done = subprocess.run(
        [sys.executable, "-c", first], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[1]" in done.stdout and "don't say" not in done.stdout, done.stdout
    assert (tmp_path / "news-index" / "CURRENT").is_file()


OTHER_APPS = "Other apps: OpenAI-compatible API, MCP, LlamaIndex"


def test_the_llamaindex_example_runs(sample_index_dir, capsys):
    from llama_index.core.llms import MockLLM

    (example,) = [b for b in python_blocks(OTHER_APPS) if "LlamaIndexRetriever" in b]
    example = example.replace('Pipeline.open("index")', f"Pipeline.open({str(sample_index_dir)!r})")
    exec(example.replace("llm=...", "llm=MockLLM()"), {"MockLLM": MockLLM})
    assert ".txt" in capsys.readouterr().out


def test_the_mcp_client_configuration_is_valid_json():
    text = README.read_text(encoding="utf-8").split(f"## {OTHER_APPS}\n", 1)[1]
    config = json.loads(re.search(r"```json\n(.*?)```", text, flags=re.DOTALL).group(1))
    assert config["mcpServers"]["news"]["args"][0] == "mcp"
