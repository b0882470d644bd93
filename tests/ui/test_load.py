"""The concurrent-users benchmark in short form against a real `rag serve`: no errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_twenty_concurrent_users_alone_and_during_an_upload(tmp_path):
    out = tmp_path / "load.json"
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--users", "20"]
    command += ["--questions", "2", "--upload-articles", "30", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    figures = json.loads(out.read_text())
    for phase in ("alone", "during_upload"):
        assert figures[phase]["errors"] == 0 and figures[phase]["ok"] == 40
    assert figures["upload"]["ok"] and figures["upload"]["articles_after"] == 32
    assert figures["during_upload"]["overlapping_upload"] > 0
