"""Node tests of the portal's browser modules (offline queue, API client, tickets/rating helpers)."""
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import node_strings_env

JS = Path(__file__).resolve().parent.parent / "kbgen" / "assets" / "js"


@pytest.mark.parametrize("name", ["queue.test.js", "portal.test.js"])
def test_node_suite(name, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run([node, "--test", str(JS / name)], capture_output=True, text=True, timeout=120,
                            env=node_strings_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
