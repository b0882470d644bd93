"""The README's Python examples run as written."""

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
