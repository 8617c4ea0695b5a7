"""serving.malloc, each setting seen doing what it is for, in a fresh interpreter with and without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# Prints what keep_memory_flat set, then
# - "mapped": after a 1 MiB block is freed (glibc then raises its threshold to 1 MiB unless it is fixed), whether
#   a 512 KiB block gets a mapping of its own (mallinfo2's count of mapped blocks goes up);
# - "heaps": how many heaps malloc_info reports after four threads have each allocated a block.
PROBE = textwrap.dedent(
    """
    import ctypes, json, sys, tempfile, threading
    from serving.malloc import keep_memory_flat

    FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in FIELDS.split()]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.fopen.restype = ctypes.c_void_p
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    made = keep_memory_flat() if sys.argv[1] == "call" else []

    libc.free(libc.malloc(1 << 20))
    before = libc.mallinfo2().hblks
    block = libc.malloc(512 << 10)
    mapped = libc.mallinfo2().hblks - before == 1
    libc.free(block)

    threads = [threading.Thread(target=lambda: libc.malloc(100)) for _ in range(4)]
    for thread in threads:
        thread.start()
        thread.join()  # one after the other: a heap freed by a finished thread may or may not be reused
    with tempfile.NamedTemporaryFile() as report:
        stream = libc.fopen(report.name.encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        heaps = open(report.name).read().count("<heap nr=")
    print(json.dumps({"made": made, "mapped": mapped, "heaps": heaps}))
    """
)


def run_probe(arm: str, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | env
    done = subprocess.run([sys.executable, "-c", PROBE, arm], capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc"),
    pytest.mark.slow,
]  # fresh interpreters


def test_without_it_glibc_lets_large_blocks_into_the_heap_and_gives_threads_heaps_of_their_own():
    probe = run_probe("skip")
    assert probe["made"] == [] and probe["mapped"] is False
    assert probe["heaps"] >= 2


def test_with_it_large_blocks_keep_mappings_of_their_own_and_all_threads_share_one_heap():
    made = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_ARENA_MAX"]
    assert run_probe("call") == {"made": made, "mapped": True, "heaps": 1}


def test_the_environments_settings_win():
    probe = run_probe("call", MALLOC_MMAP_THRESHOLD_="1048576", MALLOC_ARENA_MAX="4")
    assert probe["made"] == [] and probe["mapped"] is False
    assert 2 <= probe["heaps"] <= 4
