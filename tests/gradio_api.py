"""Raw calls to a running demo's ``/gradio_api/call/<api_name>`` route, without gradio_client.

gradio_client would upload a local path itself and would hide the HTTP status a browser reacts to.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path


def join(server: str, api_name: str, value) -> str:
    """Queue one call and return its event id; a refusal raises ``urllib.error.HTTPError``."""
    request = urllib.request.Request(
        f"{server}gradio_api/call/{api_name}",
        data=json.dumps({"data": [value]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["event_id"]


def call(server: str, api_name: str, value) -> str:
    """Queue one call and return its whole event stream (``event: complete`` / ``event: error`` ...)."""
    event_id = join(server, api_name, value)
    with urllib.request.urlopen(f"{server}gradio_api/call/{api_name}/{event_id}", timeout=30) as response:
        return response.read().decode()


def upload(server: str, path: str) -> dict:
    """Upload a file as the page does; the file value (``FileData``) that names it in the server's upload cache."""
    import httpx

    with open(path, "rb") as f:
        response = httpx.post(f"{server}gradio_api/upload", files={"files": (Path(path).name, f)}, timeout=30)
    response.raise_for_status()
    (stored,) = response.json()
    return {"path": stored, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def page_event(server: str, elem_id: str, event: str, values: dict, session: str) -> dict:
    """Run one of the page's own events (not an API endpoint) for ``session`` as the browser does: join the queue
    with the event's ``fn_index`` and read the session's stream up to its ``process_completed`` message.

    ``values`` maps the ``elem_id`` of each input to send; the others (a ``gr.State`` among them: the server holds
    it for the session) are sent as null.
    """
    with urllib.request.urlopen(f"{server}config", timeout=30) as response:
        config = json.load(response)
    elem_ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    target = next(k for k, name in elem_ids.items() if name == elem_id)
    fn, dependency = next((k, d) for k, d in enumerate(config["dependencies"]) if [target, event] in d["targets"])
    body = {
        "data": [values.get(elem_ids.get(i)) for i in dependency["inputs"]],
        "fn_index": fn,
        "session_hash": session,
        "trigger_id": target,
    }
    request = urllib.request.Request(
        f"{server}gradio_api/queue/join", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        event_id = json.load(response)["event_id"]
    with urllib.request.urlopen(f"{server}gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for line in stream:
            if line.startswith(b"data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    return message
    raise AssertionError(f"the stream of {session} ended before its event completed")
