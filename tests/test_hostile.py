"""The demo against a hostile client: raw HTTP (httpx), never gradio_client or a browser, which only send
well-formed values. Each case checks the answer, that nothing was read or stored, the server's memory
(``/proc/PID/status``) and upload cache, and that the next honest request is still answered right.

The server is ``tests/hostile_server.py``: ``python app.py`` in its own process, with a few limits made smaller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import gradio_api
import httpx
import pytest
from bad_inputs import decompression_bomb, png_bytes
from local_server import free_port
from PIL import Image

import app
from mnist_hub.corrections import read_corrections

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SMALL_LIMITS = {  # within reach of a test; the others are app.LIMITS as served
    "client_upload_bytes": 3 * 2**20,
    "client_upload_files": 40,
    "cache_bytes": 6 * 2**20,
    "cache_files": 100,
    "upload_grace": 2.0,
}
REFUSED_FILE = "Only files uploaded to this demo are read"
MB = 2**20


class Server:
    """The demo in its own process on 127.0.0.1, its log, its memory and its folders."""

    def __init__(self, folder: Path, trusted_proxies: int = 1) -> None:
        """``trusted_proxies``: 1 by default, so that the tests act as several clients through X-Forwarded-For."""
        self.cache, self.corrections, self.log_path = folder / "cache", folder / "corrections", folder / "server.log"
        port = free_port()
        env = {
            **os.environ,
            "GRADIO_TEMP_DIR": str(self.cache),
            "MNIST_HUB_CORRECTIONS_DIR": str(self.corrections),
            "MNIST_HUB_TRUSTED_PROXIES": str(trusted_proxies),
            "HOSTILE_LIMITS": json.dumps(SMALL_LIMITS),
        }
        self.log = open(self.log_path, "w")  # noqa: SIM115  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "hostile_server.py"), str(port)],
            cwd=folder,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.url, timeout=60)
        deadline = time.monotonic() + 120
        while True:
            try:
                self.http.get("/config").raise_for_status()
                break
            except httpx.HTTPError:
                assert self.process.poll() is None, self.log_path.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()

    def memory(self, field: str = "VmRSS") -> int:
        """The server process's resident memory (or its peak, ``VmHWM``) in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no {field}")

    def cache_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.cache.rglob("*") if p.is_file()) if self.cache.exists() else 0

    def upload(self, data: bytes, name: str = "digit.png", client: str = "198.51.100.1") -> httpx.Response:
        return self.http.post(
            "/gradio_api/upload", files={"files": (name, data, "image/png")}, headers={"X-Forwarded-For": client}
        )

    def uploaded(self, data: bytes, client: str = "198.51.100.1") -> dict:
        """An honest file value: uploaded first, then named as gradio_client names it."""
        response = self.upload(data, client=client)
        response.raise_for_status()
        return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}

    def call(self, api: str, *values, client: str = "198.51.100.1") -> tuple[int, str]:
        """Call ``/gradio_api/call/<api>`` with ``values``: (HTTP status, the event stream or the refusal)."""
        headers = {"X-Forwarded-For": client}
        joined = self.http.post(f"/gradio_api/call/{api}", json={"data": list(values)}, headers=headers)
        if joined.status_code != 200:
            return joined.status_code, joined.text
        events = self.http.get(f"/gradio_api/call/{api}/{joined.json()['event_id']}", headers=headers)
        return events.status_code, events.text

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("hostile"))
    yield running
    running.stop()


def answer_of(events: str) -> str:
    """The top label of a classify call's event stream."""
    assert "event: complete" in events, events
    data = json.loads(events.split("event: complete\ndata: ", 1)[1].splitlines()[0])
    return data[0]["label"]


def still_answers(server: Server, seven: bytes, client: str = "198.51.100.9") -> None:
    status, events = server.call("classify_upload", server.uploaded(seven, client=client), client=client)
    assert status == 200 and answer_of(events) == "7"


def test_an_honest_upload_is_answered(server, seven):
    still_answers(server, seven)


@pytest.mark.parametrize("api", ["classify_upload", "classify_number", "classify_sketch", "send_correction"])
@pytest.mark.parametrize("with_meta", [False, True], ids=["no meta", "meta"])
def test_a_server_file_is_never_opened_and_its_existence_is_not_told(server, seven, tmp_path, api, with_meta):
    secret = tmp_path / "server-side-seven.png"
    secret.write_bytes(seven)
    answers = set()
    for path in (str(secret), str(tmp_path / "missing.png"), str(tmp_path), "/dev/zero", "/etc/passwd"):
        value = {"path": path, **({"meta": {"_type": "gradio.FileData"}} if with_meta else {})}
        if api == "classify_sketch":
            value = {"background": None, "layers": [], "composite": value}
        status, text = server.call(api, value, *(["7"] if api == "send_correction" else []))
        assert status == 422 and REFUSED_FILE in text, (path, status, text)
        answers.add(text)
    assert len(answers) == 1, "the same answer whether the file exists, is a folder or a device: no oracle"
    assert not server.corrections.exists() or not read_corrections(server.corrections)
    still_answers(server, seven)


@pytest.mark.parametrize(
    "url",
    ["data:image/png;base64,{b64}", "file:///etc/passwd", "http://127.0.0.1:9/seven.png"],
    ids=["data url", "file url", "http url"],
)
def test_url_values_are_refused_with_or_without_a_real_upload(server, seven, url):
    import base64

    url = url.format(b64=base64.b64encode(seven).decode())
    honest = server.uploaded(seven)
    for value in (
        {"url": url},
        {"path": None, "url": url, "meta": {"_type": "gradio.FileData"}},
        {**honest, "url": url},
    ):
        status, text = server.call("classify_upload", value)
        assert status == 422 and "send the image itself" in text, (value, text)
    still_answers(server, seven)


def test_a_large_data_url_is_refused_before_it_is_read(server, seven):
    big = "data:image/png;base64," + "A" * (60 * MB)
    before = server.memory()
    response = server.http.post("/gradio_api/call/classify_upload", json={"data": [{"url": big}]})
    assert response.status_code == 413 and "too large" in response.text
    assert server.memory() - before < 100 * MB
    still_answers(server, seven)


def data_url(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_a_drawing_is_one_small_png_checked_before_it_is_decoded(server, seven, tmp_path):
    big = tmp_path / "big.png"
    decompression_bomb(big, side=4000)  # 16 megapixels, ~30 kB on disk
    layer = server.uploaded(big.read_bytes(), client="198.51.100.2")
    before, started = server.memory(), time.monotonic()
    old_style = {"background": layer, "layers": [layer] * 40, "composite": layer}  # Gradio's Sketchpad value
    status, events = server.call("classify_sketch", old_style, client="198.51.100.2")
    assert status == 200 and "event: error" in events and "Malformed input: send a PNG as a data URL" in events
    status, events = server.call("classify_sketch", data_url(big.read_bytes()), client="198.51.100.2")
    assert "event: error" in events and "The drawing is too large to process safely (more than 4.2" in events
    assert time.monotonic() - started < 5 and server.memory() - before < 100 * MB
    status, events = server.call("classify_sketch", data_url(seven), client="198.51.100.2")
    assert status == 200 and answer_of(events) == "7"


def test_the_sketch_blob_route_is_gone_and_holds_nothing(server, seven):
    tiny = png_bytes(Image.new("RGBA", (8, 8)))
    before = server.memory()
    form = {"type": "layer", "index": "100000000", "id": "x", "fn_name": "accept_blobs", "session_hash": "h0st1le"}
    for component in range(0, 60):  # whatever component a client names: none of them keeps blobs
        response = server.http.post(
            "/gradio_api/component_server",
            data={**form, "component_id": str(component)},
            files={"blob": ("blob", tiny, "image/png")},
        )
        assert response.status_code == 404 and "not part of the demo" in response.text, (component, response.text)
    assert server.memory() - before < 30 * MB
    still_answers(server, seven)


def test_a_huge_png_is_refused_at_once_with_little_memory(server, seven, tmp_path):
    huge = tmp_path / "huge.png"
    decompression_bomb(huge, side=13000)  # 169 megapixels
    value = server.uploaded(huge.read_bytes(), client="198.51.100.3")
    started = time.monotonic()
    _, events = server.call("classify_upload", value, client="198.51.100.3")
    assert time.monotonic() - started < 1.5
    assert "event: error" in events and "digit.png is too large to process safely (more than 24.0 megapixels)" in events
    assert server.memory("VmHWM") < server.memory() + 300 * MB
    still_answers(server, seven)


def test_uploads_are_bounded_per_request_per_client_and_in_all(server, seven):
    many = [("files", (f"{i}.png", seven, "image/png")) for i in range(app.LIMITS.files_per_request + 1)]
    response = server.http.post("/gradio_api/upload", files=many, headers={"X-Forwarded-For": "203.0.113.1"})
    assert response.status_code == 413 and "files per upload request" in response.text
    chunk = os.urandom(MB)  # a client fills its quota: 3 MB
    responses = [server.upload(chunk, client="203.0.113.2") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 429, 429]
    assert "limit reached: at most 3 MB" in responses[2].text
    assert server.upload(seven, client="203.0.113.3").status_code == 200, "another client is not held back"
    for i in range(8):  # many clients together fill the whole cache quota: 6 MB
        server.upload(chunk, client=f"203.0.113.{10 + i}")
    full = server.upload(chunk, client="203.0.113.99")
    assert full.status_code == 429 and "holds all the uploads it can" in full.text
    assert server.cache_bytes() < SMALL_LIMITS["cache_bytes"] + 2 * MB
    chunked = server.http.post(
        "/gradio_api/upload",
        content=iter([b"--b\r\n"]),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert chunked.status_code == 411


def test_routes_the_demo_does_not_use_are_refused(server):
    response = server.http.post("/gradio_api/process_recording", files={"data": ("a.wav", b"x" * 1000)})
    assert response.status_code == 404 and "not part of the demo" in response.text


def test_a_page_events_number_that_is_not_one_is_answered_in_one_line(server, seven):
    """The Look inside slider is a page event any client can join the queue for, with whatever value it likes."""
    before = server.memory()
    for bad in ("abc", None, [1] * 10_000, {"epoch": 1}, "NaN", 1e308, -5):
        done = gradio_api.page_event(f"{server.url}/", "inside-epoch", "input", {"inside-epoch": bad}, "hostile-slider")
        error = done["output"]["error"]
        assert not done["success"] and error and "\n" not in error, (bad, done)
        assert "Malformed input: send a number from 1 to " in error, (bad, error)
    assert server.memory() - before < 50 * 2**20, "the server kept what it was sent"
    still_answers(server, seven)


def test_the_log_has_one_line_per_refusal_and_no_traceback(server):
    log = server.log_text()
    assert "refused call/classify_upload from" in log and "Traceback" not in log, log[-3000:]
