"""Raw calls to a running demo's ``/gradio_api/call/<api_name>`` route, without gradio_client.

gradio_client would upload a local path itself and would hide the HTTP status a browser reacts to.
"""

from __future__ import annotations

import json
import urllib.request


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
