"""The guard's refusals, in process: what a refused client reads, what the log says, and how much of a refused body
is drained (serving/guard.py). The same answers over real sockets are tests/test_hostile.py's and test_crowds.py's;
these are here because a server in a subprocess is out of a mutation run's reach (mutmut's survivors, issue 39)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time

import numpy as np
import pytest
import torch

import app
from serving import guard
from serving.clients import CALLER_HEADER, verified


def answered(call) -> tuple[int, dict] | None:
    """The status and JSON body that an ASGI ``call(send)`` sends; None if it sends nothing."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(call(send))
    if not sent:
        return None
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


def test_a_refusal_is_one_json_detail_as_gradio_clients_read_it():
    assert answered(lambda send: guard.refuse(send, 429, "Too many.")) == (429, {"detail": "Too many."})


def test_a_refused_request_is_told_in_a_sentence_and_logged_in_one_line_naming_route_and_client(caplog):
    public = guard.PublicGuard(None, app.LIMITS, upload_folder=lambda: "/nowhere")
    with caplog.at_level(logging.WARNING, logger="mnist_hub.demo"):
        status, body = answered(
            lambda send: public.refused(send, "198.51.100.7", "/gradio_api/upload", 429, "too many uploads at once")
        )
    assert (status, body) == (429, {"detail": "Too many uploads at once."})
    assert caplog.messages == ["refused /gradio_api/upload from 198.51.100.7: too many uploads at once (HTTP 429)"]


@pytest.mark.parametrize("message", [{"jsonrpc": "2.0", "id": 7, "method": "tools/call"}, ["not", "a", "message"]])
def test_a_refused_mcp_message_is_a_json_rpc_error_or_one_line(caplog, message):
    public = guard.PublicGuard(None, app.LIMITS, upload_folder=lambda: "/nowhere")
    with caplog.at_level(logging.WARNING, logger="mnist_hub.demo"):
        status, body = answered(lambda send: public.mcp_refused(send, "198.51.100.8", "/gradio_api/mcp/", message, "x"))
    if isinstance(message, dict):
        assert (status, body) == (200, {"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "x"}})
    else:
        assert (status, body) == (422, {"detail": "x"})
    assert caplog.messages == ["refused /gradio_api/mcp/ from 198.51.100.8: x"]


def test_a_refused_body_is_drained_up_to_drain_bytes_and_no_further(monkeypatch):
    """A client still sending gets its answer, but a refused body is not read without end."""
    monkeypatch.setattr(guard, "DRAIN_BYTES", 10)
    read = []

    async def receive() -> dict:
        read.append(4)
        return {"type": "http.request", "body": b"abcd", "more_body": len(read) < 100}

    asyncio.run(guard.drain(receive))
    assert len(read) == 3, "12 bytes are past the 10 a refused body may drop"


def test_an_mcp_pictures_upload_uses_up_what_was_counted_for_it_even_to_the_byte():
    public = guard.PublicGuard(None, app.LIMITS, upload_folder=lambda: "/nowhere")
    until = time.monotonic() + 60  # counted now, good for a minute
    public.prepaid.extend([(until, 500), (until, 1000)])
    assert public.take_prepaid(500) and list(public.prepaid) == [(until, 1000)], "the first that holds it, exactly"
    assert not public.take_prepaid(1001) and public.take_prepaid(1000) and not public.prepaid
    public.prepaid.append((time.monotonic() - 1, 1000))  # its minute is over: Gradio never uploaded it
    assert not public.take_prepaid(10) and not public.prepaid


def mcp_post(public: guard.PublicGuard, message: dict) -> tuple[tuple[int, dict] | None, list[tuple[dict, bytes]]]:
    """POST ``message`` to the MCP route from 203.0.113.5 through ``public``: (its refusal, or None; what the app
    behind the guard received: scope and body)."""
    passed: list[tuple[dict, bytes]] = []

    async def behind(scope, receive, send) -> None:
        passed.append((scope, (await receive())["body"]))

    public.app = behind
    body = json.dumps(message).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/gradio_api/mcp/",
        "client": ("203.0.113.5", 40000),
        "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    return answered(lambda send: public(scope, receive, send)), passed


def test_an_mcp_message_with_a_url_to_fetch_is_refused_and_a_data_url_is_passed_on_signed():
    direct = dataclasses.replace(app.LIMITS, trusted_proxies=0)
    call = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"arguments": {"image": "https://x.test/a.png"}},
    }
    refusal, passed = mcp_post(guard.PublicGuard(None, direct, upload_folder=lambda: "/nowhere"), call)
    assert refusal is not None and refusal[0] == 200 and refusal[1]["id"] == 3 and not passed
    assert "must be sent as a data: URL" in refusal[1]["error"]["message"]
    call["params"]["arguments"]["image"] = "data:image/png;base64," + "A" * 4000
    public = guard.PublicGuard(None, direct, upload_folder=lambda: "/nowhere")
    refusal, passed = mcp_post(public, call)
    assert refusal is None and json.loads(passed[0][1]) == call, "passed on as it came"
    caller = [v.decode() for k, v in passed[0][0]["headers"] if k == CALLER_HEADER.encode()]
    assert [verified(v) for v in caller] == ["203.0.113.5"], "its caller's address, signed for the call back"
    ((_, counted),) = public.prepaid  # its picture (3,000 bytes decoded), counted among the caller's uploads
    assert 3000 <= counted - 2**12 <= 3100


def test_where_a_number_was_cut_is_drawn_at_most_cuts_width_wide():
    from mnist_hub.predict import Prediction
    from serving.readings import CUTS_WIDTH, cuts_html

    ink = np.zeros((100, 720), np.float32)
    digit = Prediction(torch.full((10,), 0.1), torch.zeros(1, 1, 28, 28), box=(0, 100, 0, 360))
    html = cuts_html(ink, [digit, digit])
    assert f'width="{CUTS_WIDTH}" height="50"' in html and "2 boxes, one per digit read" in html
