"""Every ``MNIST_HUB_*`` setting, named and read in one place: the package, the demo, training and deployment share it.

``training.deploy_space`` sets them as a Space's variables and secrets by these names; ``load_model`` and the demo
(``serving.settings``) read them through these functions, so a name can never be spelled two ways.
"""

from __future__ import annotations

import os

MODEL_ENV = "MNIST_HUB_MODEL"  # the model the demo serves and load_model() loads: a folder or a Hub repo id
REVISION_ENV = "MNIST_HUB_REVISION"  # its branch, tag or commit
TRUSTED_PROXIES_ENV = "MNIST_HUB_TRUSTED_PROXIES"  # proxies in front of the demo that append X-Forwarded-For
CORRECTIONS_DIR_ENV = "MNIST_HUB_CORRECTIONS_DIR"  # where the demo keeps users' corrections
CORRECTIONS_REPO_ENV = "MNIST_HUB_CORRECTIONS_REPO"  # a dataset repo id the demo uploads them to
CORRECTIONS_EVERY_ENV = "MNIST_HUB_CORRECTIONS_EVERY"  # minutes between those uploads
SALT_ENV = "MNIST_HUB_SENDER_SALT"  # a Space secret: the salt of each correction's sender key (never published)


def model_setting() -> tuple[str | None, str | None]:
    """``$MNIST_HUB_MODEL`` and ``$MNIST_HUB_REVISION`` (None where unset or empty)."""
    return os.environ.get(MODEL_ENV) or None, os.environ.get(REVISION_ENV) or None


def trusted_proxies() -> int:
    """``$MNIST_HUB_TRUSTED_PROXIES``: 1 on a Hugging Face Space (deploy_space sets it), else 0."""
    return int(os.environ.get(TRUSTED_PROXIES_ENV, "0"))


def corrections_dir() -> str:
    return os.environ.get(CORRECTIONS_DIR_ENV, "corrections")


def corrections_repo() -> str | None:
    return os.environ.get(CORRECTIONS_REPO_ENV) or None


def corrections_every() -> float:
    """Minutes between uploads of the corrections (default 5)."""
    return float(os.environ.get(CORRECTIONS_EVERY_ENV, "5"))


def sender_salt_setting() -> bytes:
    """``$MNIST_HUB_SENDER_SALT`` as bytes (empty where unset)."""
    return os.environ.get(SALT_ENV, "").encode()
