"""The default watchlist is built from the leaders dataset by tools/build_watchlist.py, reproducibly."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO, SHARED_DATA, _require


def test_builder_reproduces_the_shipped_watchlist(tmp_path):
    """Re-running the builder on the dataset gives the committed agents/defaults/watchlist.json byte for byte."""
    _require(SHARED_DATA / "leaders_2019_2025.jsonl")
    out = tmp_path / "watchlist.json"

    subprocess.run(  # our own script, fixed arguments
        [sys.executable, str(REPO / "tools" / "build_watchlist.py"), "--data", str(SHARED_DATA), "--out", str(out)],
        check=True,
        capture_output=True,
    )

    assert out.read_bytes() == (REPO / "agents" / "defaults" / "watchlist.json").read_bytes()
