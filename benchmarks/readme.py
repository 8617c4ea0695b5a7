"""Write a benchmark's printed table into its block of benchmarks/README.md, and the headline figures into README.md.

Every measured figure in the two READMEs is printed by a script; nothing is typed by hand. A block is what stands
between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``. README.md's ``summary`` block holds, for each block of
benchmarks/README.md, its lines that state a target (``(target: ...)``).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BENCHMARKS_README = ROOT / "benchmarks" / "README.md"
SUMMARY = "summary"


def blocks(text: str) -> dict[str, str]:
    """Every block of ``text``, by name, in order."""
    return dict(re.findall(r"<!-- ([\w-]+):start -->\n(.*?)<!-- \1:end -->", text, flags=re.S))


def replace_block(path: Path, name: str, body: str) -> None:
    """Replace block ``name`` of the file ``path`` with ``body``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{path.name} has no {start} ... {end} block")
    block = f"{start}\n{body.rstrip()}\n{end}" if body.strip() else f"{start}\n{end}"
    path.write_text(re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S))


def summary(benchmarks_text: str) -> str:
    """README.md's summary block: each benchmark block's target lines, under the benchmark's name."""
    rows = []
    for name, body in blocks(benchmarks_text).items():
        targets = [line.strip() for line in body.splitlines() if "(target" in line]
        rows += [f"| {name} | {line} |" for line in targets]
    if not rows:
        return ""
    return "| benchmark | measured (target) |\n| --- | --- |\n" + "\n".join(rows)


def report(name: str, text: str, command: str, update: bool) -> None:
    """Print a benchmark's table and, with ``update``, write it into its block (``update_readme_block``)."""
    print(text)
    if update:
        update_readme_block(name, text, command)


def update_readme_block(name: str, text: str, command: str) -> None:
    """Put ``text``, printed by ``command``, into block ``name`` of benchmarks/README.md; refresh the summary."""
    replace_block(BENCHMARKS_README, name, f"Measured by `{command}`:\n\n```\n{text.rstrip()}\n```")
    replace_block(README, SUMMARY, summary(BENCHMARKS_README.read_text()))


if __name__ == "__main__":  # python benchmarks/readme.py: refresh README.md's summary from benchmarks/README.md
    replace_block(README, SUMMARY, summary(BENCHMARKS_README.read_text()))
