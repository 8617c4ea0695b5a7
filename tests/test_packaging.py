"""A built wheel carries the bundled model, so `pip install` users get DEFAULT_MODEL."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mnist_hub import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_wheel_ships_the_bundled_model(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("mnist_hub-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {
        f"mnist_hub/pretrained/{p.relative_to(DEFAULT_MODEL).as_posix()}"
        for p in DEFAULT_MODEL.rglob("*")
        if p.is_file()
    }
    assert bundled <= names
    assert "mnist_hub/model.py" in names
    assert not any(n.startswith(("tests/", "training/")) for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "the wheel carries the license"
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    import mnist_hub

    assert f"Version: {mnist_hub.__version__}" in metadata, "the version is written once, in mnist_hub"
    assert "Project-URL: Source, " in metadata
