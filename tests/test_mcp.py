"""The demo as an MCP server: its tools, listed and called with the `mcp` package's own client, under the same
rules as every other request (no URL fetched on a caller's behalf, the same size limits)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError

ROOT = Path(__file__).resolve().parents[1]


def data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def session_run(server: str, work):
    """Run ``work(session)`` in an MCP client session with the demo; its result."""

    async def run():
        async with (
            streamablehttp_client(server + "gradio_api/mcp/http/") as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await work(session)

    return asyncio.run(run())


def test_the_tools_say_what_they_take_and_return(server):
    tools = session_run(server, lambda session: session.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    assert {"read_picture", "read_number", "read_drawing"} <= set(by_name)
    number = by_name["read_number"]
    assert number.description.startswith("Read a handwritten number") and "left to right" in number.description
    assert list(number.inputSchema["properties"]) == ["image"]


def test_reading_a_number_and_a_digit(server):
    async def work(session):
        number = await session.call_tool("read_number", {"image": data_url(ROOT / "examples" / "number.png")})
        digit = await session.call_tool("read_picture", {"image": data_url(ROOT / "examples" / "digit.png")})
        return number, digit

    number, digit = session_run(server, work)
    assert not number.isError and "'2024'" in number.content[0].text
    assert not digit.isError and "'digit': 7" in " ".join(c.text for c in digit.content if hasattr(c, "text"))


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/seven.png", "https://example.org/seven.png", "file:///etc/passwd"])
def test_no_url_is_fetched_on_a_callers_behalf(server, url):
    async def work(session):
        try:
            await session.call_tool("read_number", {"image": url})
        except McpError as err:
            return err
        return None

    refused = session_run(server, work)
    assert isinstance(refused, McpError) and "must be sent as a data: URL" in str(refused)


def test_a_picture_that_is_not_one_is_a_tool_error_and_the_server_goes_on(server):
    async def work(session):
        bad = await session.call_tool(
            "read_number", {"image": "data:image/png;base64," + base64.b64encode(b"x").decode()}
        )
        good = await session.call_tool("read_number", {"image": data_url(ROOT / "examples" / "number.png")})
        return bad, good

    bad, good = session_run(server, work)
    assert bad.isError and "not an image file" in bad.content[0].text
    assert not good.isError and "'2024'" in good.content[0].text
