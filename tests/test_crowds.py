"""The public demo under crafted requests and real crowds (issue 35), over raw HTTP and MCP as a hostile client or
two ordinary people at once would use it: the server's CPU time and memory (``/proc/PID``), its log, its upload
cache and its corrections are checked, not only the answers.

The servers are ``tests/hostile_server.py`` (``python app.py`` in its own process, a few limits made smaller):
behind one trusted proxy (the tests act as many clients through ``X-Forwarded-For``) and reached directly.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio_api
import httpx
import numpy as np
import pytest
from bad_inputs import png_bytes
from PIL import Image
from test_hostile import REFUSED_FILE, Server, answer_of, data_url, still_answers
from test_mcp import data_url as file_data_url

from mnist_hub.corrections import read_corrections
from training.synthetic import ONE, dots, draw

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("crowds"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def direct_server(tmp_path_factory):
    """People reach this one directly: no proxy is trusted, whatever a request's headers say."""
    running = Server(tmp_path_factory.mktemp("direct"), trusted_proxies=0)
    yield running
    running.stop()


def cpu_seconds(server: Server) -> float:
    """The server process's CPU time so far (user and system, all its threads)."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def saved_corrections(server: Server) -> int:
    return len(read_corrections(server.corrections)) if server.corrections.exists() else 0


def send_corrections(server: Server, picture: dict, headers: list[list[tuple[str, str]]]) -> list[str]:
    """One correction of ``picture`` (labelled 3) per entry of ``headers``; each answer's line."""
    answers = []
    for extra in headers:
        joined = server.http.post("/gradio_api/call/send_correction", json={"data": [picture, "3"]}, headers=extra)
        joined.raise_for_status()
        events = server.http.get(f"/gradio_api/call/send_correction/{joined.json()['event_id']}", headers=extra)
        answers.append(json.loads(events.text.split("data: ", 1)[1].splitlines()[0])[0])
    return answers


def test_a_drawing_of_dots_costs_the_server_little_on_every_route(server, seven):
    """300 one-pixel dots, 2 KB of PNG within every limit: 26-38 CPU seconds and +380 MB each, before."""
    picture = png_bytes(dots(300, np.random.default_rng(0)))
    assert len(picture) < 4000
    cpu, memory = cpu_seconds(server), server.memory()
    _, events = server.call("classify_sketch", data_url(picture), client="198.51.100.20")
    assert "event: error" in events and "Too many separate marks to read as a number" in events, events
    uploaded = server.uploaded(picture, client="198.51.100.20")
    for api in ("classify_upload", "classify_number", "look_inside"):
        _, events = server.call(api, uploaded, client="198.51.100.20")
        assert "event: error" in events and "Too many separate marks" in events, (api, events)
    assert cpu_seconds(server) - cpu < 3, "four readings of the dots drawing"
    assert server.memory() - memory < 50 * MB
    still_answers(server, seven, client="198.51.100.21")


def test_two_people_looking_inside_at_once_each_see_their_own_digit(server, seven):
    """Before, the forward hooks sat on the one shared network: 2-22 % of concurrent calls failed."""
    pictures = {
        "7": server.uploaded(seven, client="198.51.100.22"),
        "1": server.uploaded(png_bytes(draw(ONE)), client="198.51.100.23"),
    }

    def look(digit: str) -> tuple[str, int | None]:
        client = "198.51.100.22" if digit == "7" else "198.51.100.23"
        _, events = server.call("look_inside", pictures[digit], client=client)
        if "event: complete" not in events:
            return digit, None
        return digit, json.loads(events.split("event: complete\ndata: ", 1)[1].splitlines()[0])[1]["digit"]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(look, ["7", "1"] * 30))
    assert [int(digit) for digit, _ in answers] == [seen for _, seen in answers], answers
    assert "Traceback" not in server.log_text()


def test_the_client_is_the_entry_the_trusted_proxy_added_however_many_header_lines(server, seven):
    """A proxy that adds its own X-Forwarded-For line: the guard read the joined lines, app.py the first one, and a
    client rotating the first line stored 40 corrections of 40 (the limit is 30 an hour)."""
    picture = server.uploaded(seven, client="198.51.100.30")
    headers = [[("X-Forwarded-For", f"10.9.{k}.1"), ("X-Forwarded-For", "198.51.100.30")] for k in range(40)]
    before = saved_corrections(server)
    answers = send_corrections(server, picture, headers)
    assert saved_corrections(server) - before == 30
    assert answers[30:] == ["Not saved: at most 30 corrections per hour from one address. Thank you!"] * 10


def test_an_ipv6_client_counts_by_its_64(server, seven):
    """One home connection holds 2^64 addresses: 20 of them took the whole 600 corrections an hour, before."""
    picture = server.uploaded(seven, client="198.51.100.31")
    before = saved_corrections(server)
    neighbours = [[("X-Forwarded-For", f"2001:db8:7:1::{k:x}")] for k in range(1, 41)]
    answers = send_corrections(server, picture, neighbours)
    assert saved_corrections(server) - before == 30 and answers[-1].startswith("Not saved: at most 30")
    assert send_corrections(server, picture, [[("X-Forwarded-For", "2001:db8:7:2::1")]])[0].startswith("Thanks")


def test_no_header_names_the_client_when_no_proxy_is_trusted(direct_server, seven):
    """Uvicorn trusted X-Forwarded-For from 127.0.0.1 (Gradio's default): through any proxy or tunnel on the same
    host, a client named its own address, and 40 corrections of 40 were stored."""
    picture = direct_server.uploaded(seven)
    rotating = [[("X-Forwarded-For", f"203.0.113.{k}")] for k in range(40)]
    send_corrections(direct_server, picture, rotating)
    assert saved_corrections(direct_server) == 30


def mcp_call(server: Server, client: str, tool: str, picture: str):
    """One MCP tool call from ``client`` (behind the trusted proxy); its result, or the McpError raised."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client
    from mcp.shared.exceptions import McpError

    async def run():
        async with (
            streamablehttp_client(f"{server.url}/gradio_api/mcp/http/", headers={"X-Forwarded-For": client}) as (
                read,
                write,
                _,
            ),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            try:
                return await session.call_tool(tool, {"image": picture})
            except McpError as err:
                return err

    return asyncio.run(run())


def test_an_mcp_agent_counts_as_its_own_client_and_cannot_lock_out_another(server):
    """Every MCP call reached the app from 127.0.0.1: one agent's pictures filled everyone's upload quota, and the
    data URLs it sent stayed on disk for good."""
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (640, 640, 3), dtype=np.uint8))
    big = "data:image/png;base64," + base64.b64encode(png_bytes(noise)).decode()
    assert 1.1 * MB < len(big) * 3 / 4 < 1.5 * MB  # two fit in the 3 MB a client may upload, three do not
    cache = server.cache_bytes()
    answers = [mcp_call(server, "198.51.100.40", "read_picture", big) for _ in range(3)]
    assert [getattr(a, "isError", None) for a in answers[:2]] == [False, False], answers
    assert "upload limit reached" in str(answers[2]), answers[2]
    other = mcp_call(server, "198.51.100.41", "read_number", file_data_url(ROOT / "examples" / "number.png"))
    assert not other.isError and "'2024'" in other.content[0].text
    assert server.cache_bytes() - cache < 2 * (2 * 1.5 + 0.1) * MB, "what was counted, written twice at most"
    assert "Traceback" not in server.log_text()


def test_written_mcp_pictures_are_deleted_with_the_cache(tmp_path):
    """Gradio writes each data URL into its cache outside the files its clean-up deletes (as of 6.31)."""
    import gradio as gr
    from gradio import processing_utils, route_utils

    from serving import mcp

    with gr.Blocks() as demo:
        gr.Markdown("x")
    mcp.install(demo)
    path = processing_utils.save_base64_to_cache(file_data_url(ROOT / "examples" / "digit.png"), str(tmp_path))
    assert Path(path).is_file()
    route_utils.delete_files_created_by_app(demo, age=None)
    assert not Path(path).exists()


def trickle(server: Server, client: str) -> socket.socket:
    """An upload that declares 100 KB and sends its first line only."""
    connection = socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    connection.settimeout(30)
    connection.sendall(
        b"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nX-Forwarded-For: " + client.encode() + b"\r\n\r\n--b\r\n"
    )
    return connection


def response_of(connection: socket.socket) -> str:
    """The whole HTTP response read from ``connection`` (headers and a body of its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
        data.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0]
    ):
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode()


def test_slow_uploads_hold_back_no_one_else(server, seven):
    """Ten uploads trickling from one address held every 'read at once' slot with no deadline: everyone else's
    upload got 429 (a declared 10 MB at 100 B/s lasted 29 hours)."""
    slow = [trickle(server, "198.51.100.50") for _ in range(10)]
    deadline, held = time.monotonic() + 30, "from 198.51.100.50: too many uploads at once"
    while server.log_text().count(held) < 8 and time.monotonic() < deadline:  # the guard has seen all ten
        time.sleep(0.05)
    assert server.log_text().count(held) == 8, "eight of the ten are refused at once (their answers come once drained)"
    assert server.upload(seven, client="198.51.100.51").status_code == 200, "another address is answered"
    answers = []
    for connection in slow:
        answers.append(response_of(connection))
        connection.close()
    refused_at_once = [a for a in answers if "HTTP/1.1 429" in a and "Too many uploads at once" in a]
    too_slow = [a for a in answers if "HTTP/1.1 408" in a and "The upload came too slowly" in a]
    assert len(refused_at_once) == 8 and len(too_slow) == 2, answers
    assert server.upload(seven, client="198.51.100.50").status_code == 200


def test_requests_for_unknown_sessions_and_malformed_page_values_write_no_traceback(server):
    """Each GET of an unknown session's stream wrote a 5.4 KB traceback; malformed example clicks and Misses
    filters traced too."""
    for k in range(20):
        response = server.http.get(f"/gradio_api/queue/data?session_hash=unknown-{k}")
        assert response.status_code == 404 and "No such session" in response.text
    url = f"{server.url}/"
    for bad in (99, -1, "x", None, [1], 1.5):
        done = gradio_api.page_event(url, "examples", "click", {"examples": bad}, "hostile-examples")
        if bad is None:  # Gradio passes None through: nothing was clicked
            continue
        assert not done["success"] and done["output"]["error"] == "Malformed input: send an example's index, 0 to 3."
    for bad in ("banana", ["x"] * 5, 7):
        done = gradio_api.page_event(url, "true-digit", "change", {"true-digit": bad}, "hostile-misses")
        assert not done["success"] and "\n" not in done["output"]["error"], done
    assert "Traceback" not in server.log_text()
    assert server.log_text().count("no such session") == 20


def test_the_config_names_no_server_path_and_only_the_example_pictures_are_served(server):
    config = server.http.get("/config").text
    assert str(ROOT) not in config and str(server.cache) not in config and '"/tmp' not in config
    assert server.http.get(f"/gradio_api/file={ROOT / 'examples' / 'make_examples.py'}").status_code == 403
    assert server.http.get(f"/gradio_api/file={ROOT / 'examples' / 'digit.png'}").status_code == 200
    done = gradio_api.page_event(f"{server.url}/", "examples", "click", {"examples": 2}, "example-click")
    assert done["success"] and "2024" in json.dumps(done["output"]["data"])


def test_a_path_that_climbs_out_of_the_upload_folder_is_refused_by_the_guard(server, seven):
    """A path that starts in the upload folder and climbs out with '..' is the guard's to refuse (realpath): Gradio
    refused it too, but with a bare error and a traceback."""
    honest = server.uploaded(seven, client="198.51.100.60")
    climbing = {**honest, "path": honest["path"] + "/../../../../../../../../etc/passwd"}
    status, text = server.call("classify_upload", climbing, client="198.51.100.60")
    assert status == 422 and REFUSED_FILE in text


def test_the_mcp_tools_say_a_picture_is_a_data_url(server):
    from test_mcp import session_run

    tools = session_run(f"{server.url}/", lambda session: session.list_tools()).tools
    image = {tool.name: tool for tool in tools}["read_number"].inputSchema["properties"]["image"]
    assert "data URL" in image["format"] and "http" not in image["format"], image


def test_an_mcp_message_over_the_transports_limit_is_refused_in_one_line(server):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"x": "A" * (5 * MB)}})
    response = server.http.post("/gradio_api/mcp/http/", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "at most 4,194,304 bytes" in response.text


def test_the_servers_answer_after_all_this(server, direct_server, seven):
    still_answers(server, seven, client="198.51.100.99")
    _, events = direct_server.call("classify_upload", direct_server.uploaded(seven))
    assert answer_of(events) == "7"
    for running in (server, direct_server):
        assert "Traceback" not in running.log_text()
    assert httpx.get(f"{server.url}/config").status_code == 200


def test_one_client_holds_at_most_four_places_and_a_job_no_one_reads_never_runs(seven, tmp_path):
    """One client could fill all 64 places of the queue; a job whose client joined and went away still ran."""
    import dataclasses

    from conftest import GatedApp

    import app

    gated = GatedApp(max_size=16, limits=dataclasses.replace(app.LIMITS, trusted_proxies=1), unread_grace=1.0)
    http = httpx.Client(base_url=gated.url, timeout=30)
    try:
        path = tmp_path / "seven.png"
        path.write_bytes(seven)
        value = gradio_api.upload(gated.url, str(path))

        def join(client: str) -> httpx.Response:
            body = {"data": [value]}
            return http.post("gradio_api/call/classify_upload", json=body, headers={"X-Forwarded-For": client})

        first = join("198.51.100.70")  # answered at once, then held at the gate
        deadline = time.monotonic() + 30
        while not gated.calls:
            assert time.monotonic() < deadline, "the first job did not start"
            time.sleep(0.05)
        waiting = [join("198.51.100.70") for _ in range(3)]
        refused = join("198.51.100.70")
        assert [r.status_code for r in [first, *waiting]] == [200] * 4
        assert refused.status_code == 503 and "Too many requests from your address at once (at most 4)" in refused.text
        other = join("198.51.100.71")
        assert other.status_code == 200, "another client is not held back"
        time.sleep(1.5)  # longer than the grace: no one reads the waiting jobs' answers
        gated.gate.set()
        dropped = http.get(f"gradio_api/call/classify_upload/{waiting[0].json()['event_id']}")
        assert "event: error" in dropped.text and "no one was reading its answer" in dropped.text, dropped.text
        assert gated.calls == 1, "only the job that had started ran"
        read = join("198.51.100.72")
        answered = http.get(f"gradio_api/call/classify_upload/{read.json()['event_id']}")
        assert answer_of(answered.text) == "7" and gated.calls == 2
    finally:
        gated.gate.set()
        http.close()
        gated.demo.close()
