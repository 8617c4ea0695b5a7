"""The demo's front door: every POST meets these limits before Gradio sees it.

Gradio trusts its API clients more than a public endpoint can (README "Running it in public"). ``PublicGuard`` is
an ASGI middleware, on Starlette's primitives (``Headers``, ``QueryParams``, ``JSONResponse``), that refuses with one
line (HTTP 4xx, one log line, no traceback) what each rule below closes, and lets everything a browser or
``gradio_client`` sends through unchanged. Each rule names the Gradio behaviour it closes (checked in 6.31, over raw
HTTP, by tests/test_hostile.py and tests/test_crowds.py): when a Gradio release changes that behaviour, the rule's
test says whether the rule may go.

- Files only from the upload cache (``file_problem``): a file value without ``meta`` names any file on the server
  and Gradio opens it; a ``url`` with a ``data:`` URL is decoded past ``max_file_size``.
- Bounded bodies (``bounded``): Gradio reads a JSON body whole, whatever its size.
- Uploads (``upload``): the upload route takes up to 1,000 files a request and keeps them for an hour, reads a body
  at any speed, and counts nothing per client; here, files per request, bytes and files per client and in all, a
  deadline and two at once per client.
- Routes the demo does not use are 404 (``__call__``): the sketch's blob route ``component_server`` (its ``index``
  sizes a list in memory), recordings, streams.
- A queue stream for a session that never joined is 404 (``stream``): Gradio raises after the stream has started and
  logs a traceback.
- MCP messages (``mcp``): a picture travels as a data URL Gradio writes to disk outside the cache's clean-up, from
  127.0.0.1, outside any per-client count; here it is counted against its caller's upload quota.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.datastructures import Headers, QueryParams
from starlette.responses import JSONResponse

from serving.clients import CALLER_HEADER, LOOPBACK, scope_client, signed
from serving.fair_queue import STREAMS
from serving.quota import Quota

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

API = "/gradio_api/"
JSON_ROUTES = ("queue/join", "call/", "run/", "api/", "cancel", "reset")  # what a page or a client sends values to
UPLOAD_ROUTE = "upload"
MCP_ROUTE = "mcp/"  # Gradio's MCP server: JSON-RPC, whose image arguments are URLs or data: URLs
STREAM_ROUTE = "queue/data"  # a session's event stream (GET)
MCP_USER = (b"x-gradio-user", b"mcp")  # Gradio's MCP server calling its own app from 127.0.0.1 (gradio/mcp.py)
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
    client_uploads_at_once: int = 2  # upload requests of one client read at once
    upload_grace: float = 10.0  # seconds an upload may take whatever its speed; after them...
    upload_rate: int = 16 * 2**10  # ...it must have arrived at this many bytes per second (on average since then)
    sessions_kept: int = 10_000  # queue sessions remembered (their event streams may be read)


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
    """The declared body size, or None (none declared, or not a number)."""
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def multipart_parts(body: bytes, content_type: str) -> int:
    """How many parts (files and fields) a multipart/form-data body holds (0 if it is not one)."""
    boundary = next(
        (p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";") if p.strip().startswith("boundary=")),
        "",
    )
    return max(body.count(b"--" + boundary.encode("latin-1")) - 1, 0) if boundary else 0


DRAIN_BYTES = 64 * 2**20  # a refused request's body is read and dropped up to this; past it, the connection closes
DRAIN_SECONDS = 5.0  # ...and for at most this long: a client that trickles it gets the answer all the same


async def drain(receive: Receive) -> None:
    dropped, until = 0, time.monotonic() + DRAIN_SECONDS
    while dropped <= DRAIN_BYTES:
        try:
            message = await before(receive(), until)
        except TooSlow:
            return
        dropped += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


async def read_body(receive: Receive, limit: int, grace: float | None = None, rate: int = 0) -> bytes:
    """The whole request body, or ``TooLarge`` as soon as it passes ``limit`` bytes; with a ``grace``, ``TooSlow``
    as soon as it falls behind ``rate`` bytes a second counted from ``grace`` seconds after the start."""
    chunks, size, start = [], 0, time.monotonic()
    while True:
        if grace is None:
            message = await receive()
        else:  # when the bytes so far stop being enough, the wait is cancelled (a timer, not a task per chunk)
            message = await before(receive(), start + grace + size / rate)
        if message["type"] == "http.disconnect":
            raise TooLarge("disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def before(waiting: Awaitable[Message], deadline: float) -> Message:
    """``waiting``'s result, or ``TooSlow`` at ``deadline`` (``time.monotonic``)."""
    task, expired = asyncio.current_task(), []
    assert task is not None

    def expire() -> None:
        expired.append(True)
        task.cancel()

    loop = asyncio.get_running_loop()
    timer = loop.call_later(max(deadline - time.monotonic(), 0.0), expire)
    try:
        return await waiting
    except asyncio.CancelledError:
        if expired:
            if hasattr(task, "uncancel"):  # Python 3.11 on: the task is not left cancelling
                task.uncancel()
            raise TooSlow from None
        raise
    finally:
        timer.cancel()


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the client's own messages (disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_again() -> Message:
        return pending.pop() if pending else await receive()

    return receive_again


async def refuse(send: Send, status: int, message: str) -> None:
    await respond(send, status, {"detail": message})


async def respond(send: Send, status: int, payload: dict) -> None:
    """Answer with ``payload`` as JSON (Starlette's ``JSONResponse``, which reads nothing of the request)."""
    await JSONResponse(payload, status_code=status)({"type": "http"}, nothing_to_receive, send)


async def nothing_to_receive() -> Message:
    return {"type": "http.disconnect"}


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
        self.reading_by: dict[str, int] = {}  # ... per client
        self.sessions: OrderedDict[str, None] = OrderedDict()  # queue sessions joined, the latest last
        self.prepaid = deque[tuple[float, int]]()  # (until, bytes): MCP pictures counted, to be uploaded by Gradio

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        peer = (scope.get("client") or (None,))[0]
        if peer not in LOOPBACK:  # a caller's signature is this process's own, never a client's
            scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k != CALLER_HEADER.encode()]
        path = scope["path"]
        route = path[path.index(API) + len(API) :] if API in path else None
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.stream(scope, receive, send, route)
        client = scope_client(scope, self.limits.trusted_proxies)
        if route is None or route.startswith(JSON_ROUTES):
            return await self.values(scope, receive, send, client, route or path)
        if route.startswith(UPLOAD_ROUTE):
            return await self.upload(scope, receive, send, client, peer)
        if route.startswith(MCP_ROUTE):
            return await self.mcp(scope, receive, send, client, route)
        await self.refused(send, client, route, 404, "this route is not part of the demo", receive)

    async def stream(self, scope: Scope, receive: Receive, send: Send, route: str | None) -> None:
        """A GET: a queue session's or an API call's event stream is counted as open while it lasts
        (``fair_queue.STREAMS``: a job no one reads is dropped before it runs). A session that never joined the
        queue here is answered in one line (Gradio answers it with a traceback in its log after the stream has
        started, as of 6.31)."""
        if route == STREAM_ROUTE:
            keys = QueryParams(scope.get("query_string", b"")).getlist("session_hash")[:1]
            if not any(key in self.sessions for key in keys):
                client = scope_client(scope, self.limits.trusted_proxies)
                return await self.refused(send, client, route, 404, "no such session: join the queue first")
        elif route is not None and route.startswith("call/"):
            keys = [route.rsplit("/", 1)[-1]]
        else:
            return await self.app(scope, receive, send)
        for key in keys:
            STREAMS[key] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            for key in keys:
                STREAMS[key] -= 1
                if STREAMS[key] <= 0:
                    del STREAMS[key]

    def joined(self, payload: Any) -> None:
        session = payload.get("session_hash") if isinstance(payload, dict) else None
        if isinstance(session, str):
            self.sessions[session] = None
            self.sessions.move_to_end(session)
            while len(self.sessions) > self.limits.sessions_kept:
                self.sessions.popitem(last=False)

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
        if route.startswith("queue/join"):
            self.joined(payload)
        await self.app(scope, replay(body, receive), send)

    async def upload(self, scope: Scope, receive: Receive, send: Send, client: str, peer: str | None) -> None:
        """Gradio's upload route, within the request, client and cache quotas (counted before anything is kept),
        read at a minimum rate and at most ``client_uploads_at_once`` at a time per client."""
        limits, route = self.limits, UPLOAD_ROUTE
        length = content_length(scope)
        paid = length is not None and peer in LOOPBACK and MCP_USER in scope.get("headers", [])
        paid = paid and self.take_prepaid(length)
        refusal = self.upload_refusal(client, length, paid)
        if refusal is not None:
            return await self.refused(send, client, route, *refusal, receive)
        body = await self.read_upload(send, client, receive, length)
        if body is None:
            return
        parts = multipart_parts(body, Headers(scope=scope).get("content-type", ""))
        if parts > limits.files_per_request:
            message = f"at most {limits.files_per_request} files per upload request"
            return await self.refused(send, client, route, 413, message)
        files = max(parts, 1)
        if not paid and not self.client_uploads.take(client, files, len(body)):
            return await self.refused(send, client, route, 429, self.client_quota_message())
        if not paid and not self.all_uploads.take("*", files, len(body)):
            return await self.refused(send, client, route, 429, "the demo holds all the uploads it can for now")
        await self.app(scope, replay(body, receive), send)

    def upload_refusal(self, client: str, length: int | None, paid: bool) -> tuple[int, str] | None:
        """Why an upload of ``length`` declared bytes is refused before it is read (status, message); None if not."""
        limits = self.limits
        if length is None:
            return 411, "an upload must say its Content-Length"
        if length > limits.upload_request_bytes:
            return 413, f"File size exceeded: at most {limits.upload_request_bytes // 2**20} MB per upload"
        if not paid and not self.client_uploads.room(client, 1, length):
            return 429, self.client_quota_message()
        if not paid and not self.all_uploads.room("*", 1, length):
            return 429, "the demo holds all the uploads it can for now"
        if self.reading >= limits.uploads_at_once or self.reading_by.get(client, 0) >= limits.client_uploads_at_once:
            return 429, "too many uploads at once; try again in a moment"
        return None

    async def read_upload(self, send: Send, client: str, receive: Receive, length: int) -> bytes | None:
        """An upload's body of ``length`` bytes, counted among those read at once; None once refused."""
        limits, route = self.limits, UPLOAD_ROUTE
        self.reading += 1
        self.reading_by[client] = self.reading_by.get(client, 0) + 1
        try:
            return await read_body(receive, length, limits.upload_grace, limits.upload_rate)
        except TooLarge:
            await self.refused(send, client, route, 400, "the upload is longer than its Content-Length")
        except TooSlow:
            rate = f"{limits.upload_rate // 2**10} KB/s after the first {limits.upload_grace:g} s"
            await self.refused(send, client, route, 408, f"the upload came too slowly (at least {rate})")
        finally:
            self.reading -= 1
            self.reading_by[client] -= 1
            if not self.reading_by[client]:
                del self.reading_by[client]
        return None

    def take_prepaid(self, length: int) -> bool:
        """Whether an upload of ``length`` bytes from Gradio's MCP server is one of the pictures an MCP message
        was already counted for (``mcp``): each such upload uses up what it was counted for, within a minute."""
        self.forget_prepaid()
        for k, (_, size) in enumerate(self.prepaid):
            if length <= size:
                del self.prepaid[k]
                return True
        return False

    def forget_prepaid(self) -> None:
        """Forget the MCP pictures counted more than a minute ago that Gradio never uploaded."""
        now = time.monotonic()
        while self.prepaid and self.prepaid[0][0] < now:
            self.prepaid.popleft()

    def client_quota_message(self) -> str:
        limits = self.limits
        return (
            f"upload limit reached: at most {limits.client_upload_bytes // 2**20} MB in "
            f"{limits.client_upload_files:,} files per {limits.cache_window / 60:.0f} minutes from one address"
        )

    async def mcp(self, scope: Scope, receive: Receive, send: Send, client: str, route: str) -> None:
        """An MCP message: bounded; no argument that makes the server fetch a URL on the caller's behalf (a
        picture is sent as a data: URL; Gradio would download an http(s) one); its pictures counted as the
        caller's uploads; and the caller's address signed into it, for the call Gradio makes back to the app."""
        body = await self.bounded(scope, receive, send, client, route, self.limits.mcp_bytes)
        if body is None:
            return
        message = parsed(body)
        texts = list(strings(message))
        if any(text.lower().startswith(REMOTE) for text in texts):
            reason = "A picture must be sent as a data: URL (data:image/png;base64,...), not a URL the demo fetches."
            return await self.mcp_refused(send, client, route, message, reason)
        pictures = [len(text) * 3 // 4 for text in texts if text.startswith("data:")]
        if pictures:
            size, count = sum(pictures), len(pictures)
            if not self.client_uploads.take(client, count, size):
                return await self.mcp_refused(send, client, route, message, self.client_quota_message() + ".")
            if not self.all_uploads.take("*", count, size):
                reason = "The demo holds all the uploads it can for now."
                return await self.mcp_refused(send, client, route, message, reason)
            self.forget_prepaid()
            until = time.monotonic() + 60
            self.prepaid.extend((until, picture + 2**12) for picture in pictures)  # with the form's own bytes
        scope["headers"] = [*scope.get("headers", []), (CALLER_HEADER.encode(), signed(client).encode())]
        await self.app(scope, replay(body, receive), send)

    async def mcp_refused(self, send: Send, client: str, route: str, message: Any, reason: str) -> None:
        """A refused MCP message: its JSON-RPC error, as MCP clients read it, or HTTP 422 for anything else."""
        log.warning("refused %s from %s: %s", route[:80], client, reason)
        if isinstance(message, dict) and "id" in message:
            error = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32602, "message": reason}}
            return await respond(send, 200, error)
        await refuse(send, 422, reason)


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
