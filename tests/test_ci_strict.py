"""Under CI=true a skipped check fails the run (tests/ci_strict.py), so CI cannot go green without it."""
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SAMPLE = '''
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="node is not installed")
def test_needs_node():
    pass

@pytest.mark.skipif(True, reason="not applicable: only on Windows")
def test_windows_only():
    pass
'''


def run(tmp_path, ci: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    env = dict(os.environ, CI=ci, PYTHONPATH=str(TESTS))
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "ci_strict", "-p", "no:cacheprovider", "-q",
                           "--rootdir", str(tmp_path), str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_skip_for_a_missing_tool_fails_under_ci(tmp_path):
    result = run(tmp_path, "true")
    assert result.returncode != 0, result.stdout
    assert "this skip is a failure" in result.stdout and "node is not installed" in result.stdout
    assert "kbgen tests: 1 ran, 1 skipped, 1 errors" in result.stdout, result.stdout


def test_outside_ci_a_skip_stays_a_skip(tmp_path):
    result = run(tmp_path, "")
    assert result.returncode == 0, result.stdout
    assert "kbgen tests: 1 ran, 2 skipped, 0 errors" in result.stdout, result.stdout
