"""A rate limiter: events (each a count and a size) per key within a sliding window.

The guard counts uploads with it (per client address, and for everyone), the corrections desk corrections; one
limiter, so one behaviour to test (tests/test_corrections.py's hour-long window, tests/test_hostile.py's uploads).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from time import monotonic


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
            return self.fits(key, count, nbytes, monotonic() if now is None else now)

    def take(self, key: str, count: int = 1, nbytes: int = 0, now: float | None = None) -> bool:
        """Count the event if it fits within the limits; whether it did."""
        now = monotonic() if now is None else now
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
