"""The trainer package type-checks: mypy, configured in pyproject.toml
([tool.mypy], strict), finds no error. mypy is pinned in requirements-test.txt;
its cache (.mypy_cache/ here) makes a rerun take seconds."""

import os
import subprocess
import sys

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mypy_finds_no_errors():
    # From the trainer directory, so mypy reads pyproject.toml and checks its `files`.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml"],
        cwd=TRAINER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "No module named mypy" not in result.stderr, "mypy is missing: pip install -r requirements-test.txt"
    assert result.returncode == 0, f"mypy found errors:\n{result.stdout}{result.stderr}"
