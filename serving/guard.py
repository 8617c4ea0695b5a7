"""The demo's front door: every POST meets these limits before Gradio sees it.

Gradio trusts its API clients more than a public endpoint can (README "Running it in public"): a file value
without ``meta`` names any file on the server, a ``data:`` URL skips the upload size limit, the upload route keeps
up to 1,000 files a request for an hour, and routes the demo does not use (the sketch's blob route
``component_server``, recordings, streams) run Gradio code it does not need. ``PublicGuard`` is an ASGI middleware
that refuses those requests with one line (HTTP 4xx, one log line, no traceback) and lets everything a browser or
``gradio_client`` sends through unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

API = "/gradio_api/"
JSON_ROUTES = ("queue/join", "call/", "run/", "api/", "cancel", "reset")  # what a page or a client sends values to
UPLOAD_ROUTE = "upload"
MCP_ROUTE = "mcp/"  # Gradio's MCP server: JSON-RPC, whose image arguments are URLs or data: URLs
TRUSTED_PROXIES_ENV = "MNIST_HUB_TRUSTED_PROXIES"  # how many proxies stand in front of the app (app.py reads it)
SEND_A_FILE = "send the image itself, e.g. gradio_client.handle_file(path)"
log = logging.getLogger("mnist_hub.demo")


@dataclass(frozen=True)
class Limits:
    """What one client, and all of them together, may make the server hold; set in one place, ``app.serve``."""

    upload_request_bytes: int  # one upload request, all its files
    files_per_request: int
    client_upload_bytes: int  # per client address, within ``cache_window`` seconds
    client_upload_files: int
    cache_bytes: int  # all clients together, within ``cache_window``
    cache_files: int
    cache_window: float  # how long an upload stays in Gradio's cache (delete_cache's age plus its period)
    uploads_at_once: int  # upload requests read at once (each is held in memory while it is checked)
    json_bytes: int  # any other request's body
    mcp_bytes: int  # one MCP message (a picture travels in it as a base64 data: URL)
    trusted_proxies: int  # proxies in front that append the address they saw to X-Forwarded-For (0: none)


@dataclass
class Tally:
    """One key's events within the window, oldest first, and their running totals."""

    events: deque[tuple[float, int, int]] = field(default_factory=deque)
    count: int = 0
    size: int = 0


class Quota:
    """Events (each a count and a size) per key within a sliding window: thread-safe; memory bounded by the keys
    active within the window, and each check costs the events it forgets, not all it holds."""

    def __init__(self, window: float, max_count: int, max_bytes: int | None = None) -> None:
        self.window, self.max_count, self.max_bytes = window, max_count, max_bytes
        self.lock = threading.Lock()
        self.tallies: dict[str, Tally] = {}
        self.calls = 0

    def used(self, key: str, now: float) -> tuple[int, int]:
        """(count, bytes) of ``key`` within the window; forgets older events (call with the lock held)."""
        tally = self.tallies.get(key)
        if tally is None:
            return 0, 0
        while tally.events and tally.events[0][0] <= now - self.window:
            _, count, size = tally.events.popleft()
            tally.count -= count
            tally.size -= size
        if not tally.events:
            del self.tallies[key]
        return tally.count, tally.size

    def fits(self, key: str, count: int, nbytes: int, now: float) -> bool:
        used_count, used_bytes = self.used(key, now)
        bytes_fit = self.max_bytes is None or used_bytes + nbytes <= self.max_bytes
        return used_count + count <= self.max_count and bytes_fit

    def room(self, key: str, count: int = 1, nbytes: int = 0, now: float | None = None) -> bool:
        """Whether an event of ``count`` and ``nbytes`` would fit now (nothing is counted)."""
        with self.lock:
            return self.fits(key, count, nbytes, time.monotonic() if now is None else now)

    def take(self, key: str, count: int = 1, nbytes: int = 0, now: float | None = None) -> bool:
        """Count the event if it fits within the limits; whether it did."""
        now = time.monotonic() if now is None else now
        with self.lock:
            if not self.fits(key, count, nbytes, now):
                return False
            tally = self.tallies.setdefault(key, Tally())
            tally.events.append((now, count, nbytes))
            tally.count += count
            tally.size += nbytes
            self.calls += 1
            if self.calls % 1024 == 0:  # now and then, forget every key idle for a whole window
                for idle in [k for k, t in self.tallies.items() if t.events[-1][0] <= now - self.window]:
                    del self.tallies[idle]
            return True


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The address a request came from: the socket's peer, or, behind ``trusted_proxies`` proxies that each append
    the address they saw to ``X-Forwarded-For``, the entry that many from the right (what the outermost proxy saw;
    anything a client wrote before it is ignored)."""
    if trusted_proxies > 0 and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if hops:
            return hops[-min(trusted_proxies, len(hops))]
    return peer or "unknown"


def file_values(value: Any) -> Iterator[dict]:
    """Every dict in a JSON value that a Gradio component would read as a file (it has a ``path`` or a ``url``, or
    Gradio's ``meta``), depth first, without recursion (a deeply nested body cannot exhaust the stack)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            meta = item.get("meta")
            if "path" in item or "url" in item or (isinstance(meta, dict) and meta.get("_type") == "gradio.FileData"):
                yield item
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def file_problem(value: Any, upload_folder: str) -> str | None:
    """Why ``value`` names a file this server must not open (None when every file in it was uploaded here).

    A file value is accepted only when its ``path`` lies in ``upload_folder`` (Gradio's upload cache) and its
    ``url``, if any, is this server's own URL of that same file: never another server file, and never a ``data:``,
    ``file:`` or remote URL, which Gradio would decode or fetch.
    """
    folder = os.path.realpath(upload_folder)
    for item in file_values(value):
        path, url = item.get("path"), item.get("url")
        if path is None and url is None:
            continue  # an empty value: the component's own check answers it
        if not isinstance(path, str):
            return "a file value must name an uploaded file"
        resolved = os.path.realpath(path)
        if os.path.commonpath([resolved, folder]) != folder or resolved == folder:
            return "only files uploaded to this demo are read"
        if url is not None and not own_url(url, path):
            return "a file value's url must be this server's own URL of the uploaded file"
    return None


def own_url(url: Any, path: str) -> bool:
    """Whether ``url`` is the URL a page uses for the uploaded ``path``: http(s), ending in ``/file=<path>``."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and unquote(parts.path).endswith("/file=" + path)


def content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def header(scope: Scope, wanted: bytes) -> str | None:
    values = [value.decode("latin-1") for name, value in scope.get("headers", []) if name == wanted]
    return ", ".join(values) if values else None


def multipart_parts(body: bytes, content_type: str) -> int:
    """How many parts (files and fields) a multipart/form-data body holds (0 if it is not one)."""
    boundary = next(
        (p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";") if p.strip().startswith("boundary=")),
        "",
    )
    return max(body.count(b"--" + boundary.encode("latin-1")) - 1, 0) if boundary else 0


DRAIN_BYTES = 64 * 2**20  # a refused request's body is read and dropped up to this; past it, the connection closes


async def drain(receive: Receive) -> None:
    dropped = 0
    while dropped <= DRAIN_BYTES:
        message = await receive()
        dropped += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return


class TooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or ``TooLarge`` as soon as it passes ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise TooLarge("disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the client's own messages (disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_again() -> Message:
        return pending.pop() if pending else await receive()

    return receive_again


async def refuse(send: Send, status: int, message: str) -> None:
    await respond(send, status, {"detail": message})


async def respond(send: Send, status: int, payload: dict) -> None:
    """Answer with ``payload`` as JSON."""
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class PublicGuard:
    """ASGI middleware: bounded bodies, files only from the upload cache, upload quotas per client and in all."""

    def __init__(self, app: Callable, limits: Limits, upload_folder: Callable[[], str] | None = None) -> None:
        self.app, self.limits = app, limits
        if upload_folder is None:
            from gradio.utils import get_upload_folder

            upload_folder = get_upload_folder
        self.upload_folder = upload_folder
        self.client_uploads = Quota(limits.cache_window, limits.client_upload_files, limits.client_upload_bytes)
        self.all_uploads = Quota(limits.cache_window, limits.cache_files, limits.cache_bytes)
        self.reading = 0  # upload requests being read now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        path = scope["path"]
        route = path[path.index(API) + len(API) :] if API in path else None
        client = client_address(
            (scope.get("client") or (None,))[0], header(scope, b"x-forwarded-for"), self.limits.trusted_proxies
        )
        if route is None or route.startswith(JSON_ROUTES):
            return await self.values(scope, receive, send, client, route or path)
        if route.startswith(UPLOAD_ROUTE):
            return await self.upload(scope, receive, send, client)
        if route.startswith(MCP_ROUTE):
            return await self.mcp(scope, receive, send, client, route)
        await self.refused(send, client, route, 404, "this route is not part of the demo", receive)

    async def refused(
        self, send: Send, client: str, route: str, status: int, message: str, unread: Receive | None = None
    ) -> None:
        """Answer ``status`` with ``message`` and log one line; ``unread``: the body not read yet, which is
        read and dropped first (up to ``DRAIN_BYTES``) so that a client still sending it gets the answer."""
        log.warning("refused %s from %s: %s (HTTP %d)", route[:80], client, message, status)
        if unread is not None:
            await drain(unread)
        await refuse(send, status, message[0].upper() + message[1:] + ".")

    async def bounded(self, scope: Scope, receive: Receive, send: Send, client: str, route: str, limit: int):
        """The body, or None once a refusal has been sent (over ``limit``, declared or sent)."""
        length = content_length(scope)
        if length is not None and length > limit:
            await self.refused(send, client, route, 413, f"request too large (at most {limit:,} bytes)", receive)
            return None
        try:
            return await read_body(receive, limit)
        except TooLarge:
            await self.refused(send, client, route, 413, f"request too large (at most {limit:,} bytes)", receive)
            return None

    async def values(self, scope: Scope, receive: Receive, send: Send, client: str, route: str) -> None:
        """A request carrying component values: every file in it must have been uploaded here."""
        body = await self.bounded(scope, receive, send, client, route, self.limits.json_bytes)
        if body is None:
            return
        payload = parsed(body)
        problem = file_problem(payload, self.upload_folder())
        if problem:
            return await self.refused(send, client, route, 422, f"{problem}: {SEND_A_FILE}")
        await self.app(scope, replay(body, receive), send)

    async def upload(self, scope: Scope, receive: Receive, send: Send, client: str) -> None:
        """Gradio's upload route, within the request, client and cache quotas (counted before anything is kept)."""
        limits, route = self.limits, UPLOAD_ROUTE
        length = content_length(scope)
        if length is None:
            return await self.refused(send, client, route, 411, "an upload must say its Content-Length", receive)
        if length > limits.upload_request_bytes:
            mb = limits.upload_request_bytes // 2**20
            message = f"File size exceeded: at most {mb} MB per upload"
            return await self.refused(send, client, route, 413, message, receive)
        if not self.client_uploads.room(client, 1, length):
            return await self.refused(send, client, route, 429, self.client_quota_message(), receive)
        if not self.all_uploads.room("*", 1, length):
            message = "the demo holds all the uploads it can for now"
            return await self.refused(send, client, route, 429, message, receive)
        if self.reading >= limits.uploads_at_once:
            message = "too many uploads at once; try again in a moment"
            return await self.refused(send, client, route, 429, message, receive)
        self.reading += 1
        try:
            body = await read_body(receive, length)
        except TooLarge:
            return await self.refused(send, client, route, 400, "the upload is longer than its Content-Length")
        finally:
            self.reading -= 1
        parts = multipart_parts(body, header(scope, b"content-type") or "")
        if parts > limits.files_per_request:
            message = f"at most {limits.files_per_request} files per upload request"
            return await self.refused(send, client, route, 413, message)
        files = max(parts, 1)
        if not self.client_uploads.take(client, files, len(body)):
            return await self.refused(send, client, route, 429, self.client_quota_message())
        if not self.all_uploads.take("*", files, len(body)):
            return await self.refused(send, client, route, 429, "the demo holds all the uploads it can for now")
        await self.app(scope, replay(body, receive), send)

    def client_quota_message(self) -> str:
        limits = self.limits
        return (
            f"upload limit reached: at most {limits.client_upload_bytes // 2**20} MB in "
            f"{limits.client_upload_files:,} files per {limits.cache_window / 60:.0f} minutes from one address"
        )

    async def mcp(self, scope: Scope, receive: Receive, send: Send, client: str, route: str) -> None:
        """An MCP message: bounded, and no argument that makes the server fetch a URL on the caller's behalf (a
        picture is sent as a data: URL; Gradio would download an http(s) one)."""
        body = await self.bounded(scope, receive, send, client, route, self.limits.mcp_bytes)
        if body is None:
            return
        message = parsed(body)
        if any(text.lower().startswith(REMOTE) for text in strings(message)):
            reason = "A picture must be sent as a data: URL (data:image/png;base64,...), not a URL the demo fetches."
            log.warning("refused %s from %s: %s", route[:80], client, reason)
            if isinstance(message, dict) and "id" in message:  # a JSON-RPC request: its error, as MCP clients read it
                error = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32602, "message": reason}}
                return await respond(send, 200, error)
            return await refuse(send, 422, reason)
        await self.app(scope, replay(body, receive), send)


def parsed(body: bytes) -> Any:
    """A request body as JSON, or None when it is not JSON (then Gradio answers it as it does)."""
    try:
        return json.loads(body) if body else None
    except (ValueError, RecursionError):
        return None


REMOTE = ("http://", "https://", "file:", "ftp://", "//")


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
