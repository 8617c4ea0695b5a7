"""Servers the tests start, always on 127.0.0.1: a free port, and the demo launched with the app's own limits."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def behind_a_proxy():
    """The app's limits with one trusted proxy, as on a Space: a test acts as several people by sending each one's
    address in ``X-Forwarded-For`` (without a proxy, every request from a test is one client's, 127.0.0.1)."""
    import dataclasses

    import app

    return dataclasses.replace(app.LIMITS, trusted_proxies=1)


def serve_on_free_port(demo, **limits) -> str:
    """Launch ``demo`` with the app's limits (``app.serve``; ``limits`` override them) on a free port; its URL."""
    import app

    port = free_port()
    app.serve(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **limits)
    return f"http://127.0.0.1:{port}/"
