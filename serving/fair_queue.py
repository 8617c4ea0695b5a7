"""A fair share of Gradio's queue: no client holds more than a few places, and no one waits for a job nobody reads.

Gradio's queue (as of 6.31) has one size for everyone and runs every job it was given: one client could fill its
64 places and keep both workers busy for everyone else's minutes, and a job whose client joined and went away (it
never opened the stream its answer comes on) still ran. ``install`` changes two steps of the queue:

- ``push``: a client (``serving.clients``) with ``per_client`` jobs waiting or running is answered at once, 503
  with one line;
- ``get_events``: before the next jobs are chosen, a job that has waited ``grace`` seconds with no stream open for
  it (``STREAMS``, kept by the guard) is dropped, and its session told so, should it come back.

It reads the queue's own records (``Event.request``, ``enqueue_time``, the waiting lists): the tests in
tests/test_hostile.py fail if a Gradio release changes them.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import gradio as gr
from gradio.server_messages import ProcessCompletedMessage

from serving.clients import request_client

STREAMS: Counter[str] = Counter()  # open event streams, by session hash (queue/data) or event id (call/<api>/<id>)
GONE = "Dropped before it ran: no one was reading its answer."


def install(demo: gr.Blocks, per_client: int, trusted_proxies: int, grace: float) -> None:
    """Bound ``demo``'s queue (``demo.queue()`` first) to ``per_client`` jobs a client, and drop unread jobs."""
    queue = demo._queue
    push, get_events = queue.push, queue.get_events
    busy = f"Too many requests from your address at once (at most {per_client}): wait for an answer, then try again."

    async def fair_push(body: Any, request: Any, username: str | None):
        client = request_client(request, trusted_proxies)
        held = sum(request_client(event.request, trusted_proxies) == client for event in jobs(queue))
        if held >= per_client:
            return False, busy, "queue_full"
        return await push(body=body, request=request, username=username)

    def read_events():
        drop_unread(queue, time.monotonic() - grace)
        return get_events()

    queue.push = fair_push
    queue.get_events = read_events


def jobs(queue: Any) -> list[Any]:
    """Every job waiting or running in ``queue``."""
    waiting = [event for line in queue.event_queue_per_concurrency_id.values() for event in line.queue]
    return waiting + [event for batch in queue.active_jobs if batch for event in batch]


def drop_unread(queue: Any, joined_before: float) -> None:
    """Take out of ``queue`` every waiting job that joined before ``joined_before`` with no stream open for it."""
    for line in queue.event_queue_per_concurrency_id.values():
        for event in list(line.queue):
            if event.enqueue_time < joined_before and not (STREAMS[event.session_hash] or STREAMS[event._id]):
                line.queue.remove(event)
                queue.event_ids_to_events.pop(event._id, None)
                queue.send_message(event, ProcessCompletedMessage(output={"error": GONE}, success=False))
                event.alive = False
