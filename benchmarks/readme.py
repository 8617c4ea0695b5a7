"""Write a benchmark's printed table into its marked block of README.md, so the README quotes measured figures."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def update_readme_block(name: str, text: str, command: str) -> None:
    """Replace what stands between ``<!-- name:start -->`` and ``<!-- name:end -->`` with ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    readme = README.read_text()
    if start not in readme or end not in readme:
        raise SystemExit(f"README.md has no {start} ... {end} block")
    block = f"{start}\nMeasured by `{command}`:\n\n```\n{text.rstrip()}\n```\n{end}"
    README.write_text(re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, readme, flags=re.S))
