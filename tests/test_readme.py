"""The READMEs' measured blocks are written by the benchmarks, meet the targets they state, and the README's
summary is the benchmarks' target lines as they stand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import readme

ROOT = Path(__file__).resolve().parents[1]


def test_update_readme_block_replaces_only_its_block_and_refreshes_the_summary(tmp_path, monkeypatch):
    main, bench = tmp_path / "README.md", tmp_path / "benchmarks.md"
    main.write_text("intro\n<!-- summary:start -->\nstale\n<!-- summary:end -->\noutro\n")
    bench.write_text("a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n<!-- y:start -->\nz 1 (target: 2)\n<!-- y:end -->\n")
    monkeypatch.setattr(readme, "README", main)
    monkeypatch.setattr(readme, "BENCHMARKS_README", bench)
    readme.update_readme_block("x", "a  b\nscore 3 (target: >= 2)\n", "python bench.py")
    assert bench.read_text().startswith(
        "a\n<!-- x:start -->\nMeasured by `python bench.py`:\n\n"
        "```\na  b\nscore 3 (target: >= 2)\n```\n<!-- x:end -->\nb\n"
    )
    assert main.read_text() == (
        "intro\n<!-- summary:start -->\n| benchmark | measured (target) |\n| --- | --- |\n"
        "| x | score 3 (target: >= 2) |\n| y | z 1 (target: 2) |\n<!-- summary:end -->\noutro\n"
    )
    with pytest.raises(SystemExit):
        readme.update_readme_block("missing", "text", "cmd")


def test_the_readme_summary_is_up_to_date_with_the_benchmarks():
    summary = readme.blocks((ROOT / "README.md").read_text())["summary"]
    assert summary.strip() == readme.summary((ROOT / "benchmarks" / "README.md").read_text()).strip()
    assert summary.count("(target") >= 4


def test_robustness_block_was_measured_and_meets_the_targets():
    block = readme.blocks((ROOT / "benchmarks" / "README.md").read_text())["robustness"]
    assert "Measured by `python benchmarks/robustness.py --update-readme`" in block
    gap = float(re.search(r"redrawn vs clean: ([+-]\d+\.\d+) points", block).group(1))
    digits = float(re.search(r"load_digits: (\d+\.\d+)%", block).group(1))
    assert gap >= -1.0
    assert digits >= 90.0
    desk, notebook = (float(x) for x in re.search(r"photos: (\d+\.\d+)% desk, (\d+\.\d+)% notebook", block).groups())
    assert desk >= 95.0 and notebook >= 95.0
    assert float(re.search(r"numbers: (\d+\.\d+)% read exactly", block).group(1)) >= 95.0


def test_numbers_block_was_measured_and_says_which_targets_it_meets():
    block = readme.blocks((ROOT / "benchmarks" / "README.md").read_text())["numbers"]
    assert "Measured by `python benchmarks/number_reading.py --update-readme`" in block
    touching = float(re.search(r"touching or overlapping: (\S+)% read exactly", block).group(1))
    separated = re.search(r"separated: (\S+)% \(target: at least 97%(: not met)?\)", block)
    assert touching >= 90.0
    assert (float(separated.group(1)) >= 97.0) == (separated.group(2) is None), "a missed target says so"
    assert float(re.search(r"a 4-digit number at 120 px: (\S+) ms median", block).group(1)) <= 20.0


def test_refusal_block_was_measured_and_meets_the_targets():
    block = readme.blocks((ROOT / "benchmarks" / "README.md").read_text())["refusal"]
    assert "Measured by `python benchmarks/refusal.py --update-readme`" in block
    found = re.search(
        r"non-digits refused: (\S+)% .*MNIST (\S+)% .*redrawn (\S+)% .*load_digits (\S+)%", block.replace("\n", " ")
    )
    non_digits, mnist, redrawn, load_digits = (float(x) for x in found.groups())
    assert non_digits >= 90.0 and mnist <= 1.0 and redrawn <= 2.0 and load_digits <= 5.0


def test_inference_block_was_measured_and_meets_the_targets():
    block = readme.blocks((ROOT / "benchmarks" / "README.md").read_text())["inference"]
    assert "Measured by `python benchmarks/inference.py --update-readme`" in block
    assert float(re.search(r"predict_proba with its defaults: (\S+) ms", block).group(1)) <= 100.0
    assert float(re.search(r"sketch latency p50, median of .*?: (\S+) ms", block).group(1)) <= 2.0
    assert re.search(r"sketch p50, alternating .*?; ratio \S+ \(rounds", block), "measured beside the baseline"
    cold = re.search(r"cold start, alternating .*?; ratio (\S+) .*\(target: <= (\S+)\)", block)
    ratio, target = (float(x) for x in cold.groups())  # side by side with the baseline, in the same run
    assert ratio <= target


def test_the_readmes_python_runs_as_written_in_order_and_offline(monkeypatch):
    """Every Python block of the README is a doctest: run from a checkout, offline, in order, each output checked."""
    import doctest

    text = (ROOT / "README.md").read_text()
    assert "```python" not in text, "Python in the README is written as ```pycon doctests, so that it is run"
    monkeypatch.chdir(ROOT)  # the blocks name examples/ as a reader in a checkout would
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, "README.md", str(ROOT / "README.md"), 0)
    runner = doctest.DocTestRunner(optionflags=flags)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 10 and result.failed == 0, f"{result.failed} of {result.attempted} README lines failed"


def test_the_readmes_command_line_example_prints_what_it_shows(monkeypatch, capsys):
    from mnist_hub.__main__ import main

    block = re.search(r"```bash\n\$ python -m mnist_hub (.+?)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "the README shows the command line at work"
    monkeypatch.chdir(ROOT)
    assert main(block.group(1).split()) == 0
    assert capsys.readouterr().out == block.group(2)
