"""The demo's tools for agents (Gradio's MCP server), told and kept as the public demo needs them.

Two of Gradio's MCP behaviours, as of 6.31, are changed here (``install``); each can go when Gradio changes it:

- The tools' schema says a picture is "a http or https url to a file" and the tools' description sends agents to
  an upload tool: the demo refuses URLs (``serving.guard``: it would fetch them on the caller's behalf) and takes
  a picture as a data URL inside the message, which the schema now says.
- Each data-URL argument is written into Gradio's cache (``processing_utils.save_base64_to_cache``) outside the
  files its clean-up deletes: they were kept forever. They join the clean-up (``delete_cache``: an hour), and the
  guard counts their bytes in the caller's upload quota before Gradio writes them.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import gradio.mcp
from gradio import processing_utils
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE

MESSAGE_BYTES = DEFAULT_MAX_REQUEST_BODY_SIZE  # the mcp package refuses a larger message (a plain 413): 4 MiB
PICTURE_FORMAT = "a picture as a data URL, e.g. data:image/png;base64,... (PNG, JPEG, WebP, GIF or BMP; no URLs)"
PICTURE_NOTE = (
    " Send a picture as a data URL in the call itself (at most ~3 MB of picture: an MCP message is at most 4 MiB);"
    " the demo fetches no URL."
)
GRADIO_FORMAT = "Gradio File Input - a http or https url to a file"  # what gradio/mcp.py writes into the schema
written: set[str] = set()  # the files written from data URLs, for the clean-up of every demo served here


def install(demo: gr.Blocks) -> None:
    """Put the files Gradio writes from data URLs into ``demo``'s clean-up, and tell agents to send data URLs."""
    if not any(files is written for files in demo.temp_file_sets):  # by identity: an empty set equals another
        demo.temp_file_sets.append(written)
    server = gradio.mcp.GradioMCPServer
    if getattr(server.get_input_schema, "tells_data_urls", False):
        return
    original_schema, original_save = server.get_input_schema, processing_utils.save_base64_to_cache

    def get_input_schema(self, tool_name: str, parameters: dict[str, str] | None = None):
        schema, positions = original_schema(self, tool_name, parameters)
        return data_url_format(schema), positions

    def save_base64_to_cache(base64_encoding: str, cache_dir: str, file_name: str | None = None) -> str:
        path = original_save(base64_encoding, cache_dir, file_name)
        written.add(path)
        return path

    get_input_schema.tells_data_urls = True  # type: ignore[attr-defined]
    server.get_input_schema = get_input_schema  # type: ignore[method-assign]
    server._file_data_tool_description = property(lambda self: PICTURE_NOTE)  # type: ignore[assignment]
    processing_utils.save_base64_to_cache = save_base64_to_cache


def data_url_format(node: Any) -> Any:
    """``node`` (a JSON schema) with Gradio's file format replaced by ``PICTURE_FORMAT``."""
    if isinstance(node, dict):
        return {k: PICTURE_FORMAT if v == GRADIO_FORMAT else data_url_format(v) for k, v in node.items()}
    if isinstance(node, list):
        return [data_url_format(item) for item in node]
    return node
