"""The public demo's settings: its limits, all in one place (README "Running it in public"), and what the
environment says (read through ``mnist_hub.settings``, the one home of every ``MNIST_HUB_*`` name). ``app.serve``
applies them.
"""

from __future__ import annotations

from mnist_hub import settings
from serving import mcp
from serving.guard import Limits

MAX_FILE_SIZE = "10mb"  # one uploaded file (Gradio's own check)
WORKERS = 2  # requests answered at once (the machines have 2 cores)
QUEUE_SIZE = 64  # requests waiting beyond this are told at once that the app is busy
JOBS_PER_CLIENT = 4  # requests of one client address waiting or answered at once (a page sends one at a time)
UNREAD_GRACE = 10.0  # seconds a request may wait with no one reading its answer before it is dropped
SESSIONS_KEPT = QUEUE_SIZE  # Gradio keeps a copy of the UI's state per session (10,000 by default)
CACHE_CLEANUP = (600, 3600)  # every 10 minutes, delete uploads and outputs older than an hour
# Proxies in front of the app that append the address they saw to X-Forwarded-For: 1 on a Hugging Face Space
# (training/deploy_space.py sets it), 0 when people reach the server directly (the header is then ignored).
TRUSTED_PROXIES = settings.trusted_proxies()
LIMITS = Limits(
    upload_request_bytes=10 * 2**20 + 2**16,  # one 10 MB file and its form fields
    files_per_request=8,  # a person uploads one picture at a time
    client_upload_bytes=100 * 2**20,  # a person uploads a few photos an hour
    client_upload_files=5_000,
    cache_bytes=4 * 2**30,  # all clients together, while their uploads stay in the cache
    cache_files=100_000,
    cache_window=sum(CACHE_CLEANUP),  # an upload is deleted at most an hour and ten minutes after it came
    uploads_at_once=8,  # each is held in memory (<= 10 MB) while it is checked
    json_bytes=256 * 2**10,  # a call's values: a drawing as a PNG data URL (~10 KB), file references, labels
    mcp_bytes=mcp.MESSAGE_BYTES,  # an MCP message: the mcp package's own limit (a picture of up to ~3 MB as base64)
    trusted_proxies=TRUSTED_PROXIES,
)
CORRECTIONS_PER_HOUR = 30  # corrections (digits) kept per client address per hour; beyond, a clear "not saved"
CORRECTIONS_PER_HOUR_ALL = 600  # from all addresses together
CORRECTIONS_MAX_BYTES = 200 * 1024 * 1024  # the corrections folder stops growing here (disk space it takes) ...
CORRECTIONS_MAX_FILES = 50_000  # ... or at this many corrections, in folders of at most 5,000 (the Hub's limit: 10,000)
