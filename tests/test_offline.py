"""With no Hub to reach (nothing listens at HF_ENDPOINT), every script fails at once with its one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from local_server import free_port

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = {
    "push": (["training.push", "mnist_hub/pretrained", "--repo-id", "user/x"], "error: Cannot reach the Hub"),
    "deploy_space": (["training.deploy_space", "--space-id", "user/s", "--model-id", "user/m"], "error: Cannot reach"),
    "evaluate": (["training.evaluate", "user/nothing"], "error: Model user/nothing is not in the local Hub cache"),
    "extra-data": (
        [
            "training.train",
            "--epochs",
            "1",
            "--train-limit",
            "300",
            "--test-limit",
            "100",
            "--quiet",
            "--extra-data",
            "user/corrections",
        ],
        "error: Cannot read the corrections user/corrections: the Hub cannot be reached",
    ),
}


@pytest.mark.parametrize("script", list(COMMANDS))
def test_offline_each_script_fails_at_once_in_one_line(script, tmp_path, mnist_data_dir):
    args, message = COMMANDS[script]
    if script == "extra-data":
        args = [*args, "--output-dir", str(tmp_path / "out")]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "0",
        "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "HF_TOKEN": "hf_offline_token_for_tests",
        "MNIST_DATA_DIR": mnist_data_dir,
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 2 and result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Retrying" not in result.stderr, result.stderr
    assert "hf_offline_token_for_tests" not in result.stdout + result.stderr
    assert elapsed < 20, f"{elapsed:.1f} s (huggingface_hub alone retries for ~25 s)"
