"""Keep a long-running server's memory flat: two glibc malloc settings, made before its threads start.

Measured with `benchmarks/load.py` (see README), the demo's server grew by megabytes with every round of
requests while the memory in use stayed the same: the growth was free memory that glibc kept.

- glibc gives each block above its mmap threshold (128 KiB at start) a mapping of its own, returned to the system
  when freed, but it raises the threshold to the size of every such block that is freed (up to 32 MiB). After the
  first requests, the per-request image buffers (a 280x280 RGBA canvas is 306 KiB, its float copies more) are cut
  from the heap instead, and the gaps they leave stay. A fixed threshold keeps them in mappings of their own.
- glibc gives threads up to 8 heaps per core, each with free space of its own that the others cannot use; the
  server's worker threads come and go with the load and land on any of them. One heap is shared by all.

These are what the ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_ARENA_MAX`` environment variables set for a whole
process; set in the environment, they win.
"""

from __future__ import annotations

import ctypes
import os

M_MMAP_THRESHOLD = -3  # glibc <malloc.h>
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value
SETTINGS = {"MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, MMAP_THRESHOLD), "MALLOC_ARENA_MAX": (M_ARENA_MAX, 1)}


def keep_memory_flat() -> list[str]:
    """Fix the mmap threshold and share one heap among all threads; call it before starting threads.

    Returns the settings made (by their environment variables' names): none where malloc is not glibc's (macOS,
    musl, Windows) and none that the environment sets already.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # TypeError: Windows has no process-wide symbol table
        return []
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return [
        name for name, (option, value) in SETTINGS.items() if name not in os.environ and mallopt(option, value) == 1
    ]
