"""Load on the demo: N concurrent gradio_client clients, each sending M requests to both endpoints.

Each client is a person of their own behind the Space's proxy (``X-Forwarded-For``; app.py is started with
MNIST_HUB_TRUSTED_PROXIES=1, and a server given with --url must trust one proxy too): the demo's per-address
bounds (4 requests in its queue, 2 uploads read at once) would otherwise count them all as one.

    python benchmarks/load.py                       # starts app.py on 127.0.0.1, 32 clients x 20 requests, 5 rounds
    python benchmarks/load.py --url http://127.0.0.1:7860/ --clients 8 --requests 5
    python benchmarks/load.py --update-readme       # and write the figures into benchmarks/README.md

Prints requests/s, p50/p95/max latency, errors and wrong answers per round, and the server's resident memory
after each round: it grows while the server warms up to the load, then should stay flat across the last two
rounds. Only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Round:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong: int = 0
    seconds: float = 0.0

    def summary(self, memory_mb: float | None) -> str:
        lat = np.array(self.latencies) * 1000 if self.latencies else np.array([0.0])
        total = len(self.latencies) + len(self.errors)
        return (
            f"{total} requests in {self.seconds:.1f} s = {total / self.seconds:.1f} req/s | latency p50 "
            f"{np.percentile(lat, 50):.0f} ms, p95 {np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms | "
            f"errors {len(self.errors)}, wrong answers {self.wrong}"
            + (f" | server memory {memory_mb:.0f} MB" if memory_mb is not None else "")
        )


def draw_files(folder: Path) -> dict[str, Path]:
    """A drawn 1, 7 and 4 as PNG files: the drawings the app's tests read (training.synthetic)."""
    from training.synthetic import FOUR, ONE, SEVEN, draw

    files = {}
    for digit, strokes in (("1", ONE), ("7", SEVEN), ("4", FOUR)):
        files[digit] = folder / f"{digit}.png"
        draw(strokes).save(files[digit])
    return files


def run_round(url: str, files: dict[str, Path], clients: int, requests: int, sessions: list | None = None) -> Round:
    """One round: ``clients`` threads, each a new ``gradio_client`` session (or ``sessions[i]``), ``requests`` each."""
    from gradio_client import Client, handle_file

    result = Round()
    digits = list(files)

    def client_session(index: int) -> None:
        client = sessions[index] if sessions else Client(url, verbose=False, headers=person(index))
        for i in range(requests):
            digit = digits[(index + i) % len(digits)]
            upload = (index + i) % 2 == 0
            value = (
                handle_file(str(files[digit]))
                if upload
                else "data:image/png;base64," + base64.b64encode(files[digit].read_bytes()).decode()  # the pad's value
            )
            start = time.perf_counter()
            try:
                label, *_ = client.predict(value, api_name="/classify_upload" if upload else "/classify_sketch")
            except Exception as err:  # counted, not raised: the point is to see how many
                result.errors.append(f"{type(err).__name__}: {err}")
                continue
            result.latencies.append(time.perf_counter() - start)
            result.wrong += label.get("label") != digit

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client_session, range(clients)))
    result.seconds = time.perf_counter() - start
    return result


def person(index: int) -> dict[str, str]:
    """The headers of client ``index``: the address the proxy saw it from, one per client."""
    return {"X-Forwarded-For": f"198.51.{100 + index // 250}.{1 + index % 250}"}


def resident_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def start_app(root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start `python app.py` of the checkout at ``root`` on a free port of 127.0.0.1; return once it serves its page."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "MNIST_HUB_TRUSTED_PROXIES": "1",
    }
    app = subprocess.Popen(
        [sys.executable, str(root / "app.py")], env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return app, url
        except OSError:
            if app.poll() is not None:
                break
            time.sleep(0.05)
    app.kill()
    raise SystemExit("app.py did not start")


def main(argv: list[str] | None = None) -> list[Round]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=None, help="a running app on 127.0.0.1 (default: start app.py)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--requests", type=int, default=20, help="requests per client per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument(
        "--same-sessions",
        action="store_true",
        help="reuse the clients' sessions across rounds (default: new sessions each round, as new visitors are)",
    )
    p.add_argument("--update-readme", action="store_true", help="write the figures into benchmarks/README.md")
    args = p.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        raise SystemExit("load tests only target this machine (127.0.0.1)")
    app, url = (None, args.url) if args.url else start_app()
    rounds, memory, lines = [], [], []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            files = draw_files(Path(tmp))
            sessions = None
            if args.same_sessions:
                from gradio_client import Client

                sessions = [Client(url, verbose=False, headers=person(k)) for k in range(args.clients)]
            kind = "the same sessions every round" if args.same_sessions else "new sessions each round"
            cpus = os.cpu_count()
            say(f"{args.clients} clients x {args.requests} requests per round ({kind}), both endpoints, {cpus} CPUs")
            for number in range(1, args.rounds + 1):
                rounds.append(run_round(url, files, args.clients, args.requests, sessions))
                memory.append(resident_mb(app.pid if app else None))
                say(f"round {number}: " + rounds[-1].summary(memory[-1]))
                for error in sorted(set(rounds[-1].errors))[:5]:
                    say(f"  error: {error}")
    finally:
        if app is not None:
            app.terminate()
            app.wait(timeout=20)
    if len(memory) > 1 and None not in memory:
        say(
            f"server memory from round 1 to round {len(memory)}: {memory[-1] - memory[0]:+.0f} MB; "
            f"across the last two rounds: {memory[-1] - memory[-2]:+.0f} MB (target: flat)"
        )
    if args.update_readme:
        from benchmarks.readme import update_readme_block

        rounds_flag = f" --rounds {args.rounds}" if args.rounds != p.get_default("rounds") else ""
        command = "python benchmarks/load.py --update-readme" + rounds_flag
        update_readme_block("load", "\n".join(lines), command)
    return rounds


if __name__ == "__main__":
    main()
