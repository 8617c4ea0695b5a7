"""The README's measured blocks are written by the benchmarks, and meet the targets they state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import readme

ROOT = Path(__file__).resolve().parents[1]


def test_update_readme_block_replaces_only_its_block(tmp_path, monkeypatch):
    path = tmp_path / "README.md"
    path.write_text("intro\n<!-- x:start -->\nold\n<!-- x:end -->\noutro\n")
    monkeypatch.setattr(readme, "README", path)
    readme.update_readme_block("x", "a  b\n1  2\n", "python bench.py")
    assert path.read_text() == (
        "intro\n<!-- x:start -->\nMeasured by `python bench.py`:\n\n```\na  b\n1  2\n```\n<!-- x:end -->\noutro\n"
    )
    with pytest.raises(SystemExit):
        readme.update_readme_block("missing", "text", "cmd")


def test_robustness_block_was_measured_and_meets_the_targets():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- robustness:start -->(.*?)<!-- robustness:end -->", text, re.S).group(1)
    assert "Measured by `python benchmarks/robustness.py --update-readme`" in block
    gap = float(re.search(r"redrawn vs clean: ([+-]\d+\.\d+) points", block).group(1))
    digits = float(re.search(r"load_digits: (\d+\.\d+)%", block).group(1))
    assert gap >= -1.0
    assert digits >= 90.0
