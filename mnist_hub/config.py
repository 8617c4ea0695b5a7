"""What a model's ``config.json`` may say, checked before a single layer is built.

A config from the Hub is untrusted input: a size of a million would allocate gigabytes before the weights could
disagree, a ``temperature`` of 0 makes every answer NaN. ``mnist_hub.model`` checks its ``__init__`` arguments here,
and ``mnist_hub.load_errors`` a ``config.json`` before anything is built.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

# The notebook's network is (1, 6, 16, 3, 120, 84, 10, 28); the ranges keep the largest network allowed under
# ~60 MB of weights.
CONFIG_SIZES: dict[str, tuple[int, int]] = {
    "in_channels": (1, 4),
    "conv1_channels": (1, 64),
    "conv2_channels": (1, 64),
    "kernel_size": (1, 7),
    "fc1_features": (1, 1024),
    "fc2_features": (1, 1024),
    "num_classes": (2, 100),
    "image_size": (8, 64),
}


class ConfigError(ValueError):
    """A network setting of the wrong type, out of range or unknown; the message is one line naming it."""


def as_number(value: object) -> object:
    """A numpy or torch scalar as the Python number it holds (``config.json`` can hold only those); else as it is."""
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        return value.item()  # type: ignore[attr-defined]
    return value


def check_config(config: Mapping[str, object], extra: Collection[str] = ()) -> None:
    """Raise ``ConfigError`` (one line naming the field) unless ``config`` holds only ``__init__``'s arguments, each
    of its type and in its range: sizes within ``CONFIG_SIZES``, a finite positive ``temperature``, and a
    ``digit_threshold`` that is None or a finite number in [0, 1]. ``extra`` names the arguments a subclass adds:
    they are its own to check."""
    for name, value in config.items():
        if name in CONFIG_SIZES:
            low, high = CONFIG_SIZES[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                allowed = f"{low}" if low == high else f"an integer from {low} to {high}"
                raise ConfigError(f"{name} must be {allowed}, not {value!r}")
        elif name == "temperature":
            if not is_finite_number(value) or value <= 0:
                raise ConfigError(f"temperature must be a finite positive number, not {value!r}")
        elif name == "digit_threshold":
            if value is not None and (not is_finite_number(value) or not 0 <= value <= 1):
                raise ConfigError(f"digit_threshold must be None or a number from 0 to 1, not {value!r}")
        elif name not in extra:
            raise ConfigError(f"unknown setting {name!r}")


def is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
