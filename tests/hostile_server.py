"""The demo as its own process (``python tests/hostile_server.py PORT``), as ``python app.py`` serves it, with some
of ``app.LIMITS`` made smaller from ``$HOSTILE_LIMITS`` (JSON) so that a test can reach them quickly.

Its own process, so that a test can watch the server's memory (``/proc/PID/status``) and log apart from its own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import app

if __name__ == "__main__":
    limits = dataclasses.replace(app.LIMITS, **json.loads(os.environ.get("HOSTILE_LIMITS", "{}")))
    app.keep_memory_flat()
    app.serve(app.demo, limits=limits, server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
