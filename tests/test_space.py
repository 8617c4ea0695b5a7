"""The Space as ``training.deploy_space`` stages it, started from the staged folder alone and used in Chromium:
every picture the page shows loads, and an example is answered (issue 35: the staged Space had no examples/, and
its four example pictures were broken)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from local_server import free_port
from test_browser import CHROMIUM, CHROMIUM_ARGS

from training.deploy_space import stage

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    """``python app.py`` in the staged folder, the checkout not importable (only the packages the Space installs)."""
    folder = stage(tmp_path_factory.mktemp("space"), "user/mnist-cnn", None, None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MNIST_HUB_") and k != "PYTHONPATH"}
    where = subprocess.run(
        [sys.executable, "-c", "import mnist_hub, serving; print(mnist_hub.__file__, serving.__file__)"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(path.startswith(str(folder)) for path in where), where
    port = free_port()
    env.update(GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), GRADIO_TEMP_DIR=str(folder / "cache"))
    env["MNIST_HUB_CORRECTIONS_DIR"] = str(folder / "corrections")
    log = open(folder / "server.log", "w")  # noqa: SIM115  # closed below
    process = subprocess.Popen([sys.executable, "app.py"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            assert process.poll() is None, (folder / "server.log").read_text()
            assert time.monotonic() < deadline, "the staged Space did not start"
            time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()


def test_the_staged_space_shows_every_picture_and_answers_an_example(space):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(space)
        expect(page.locator("#examples img")).to_have_count(4)
        for tab in ("Model", "Misses", "Draw"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_function("() => [...document.images].every(i => i.complete)")
        broken = page.eval_on_selector_all("img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0))")
        assert not broken and not failed, (broken, failed)
        page.locator("#examples img").nth(2).click()  # the number
        answer = page.locator('#upload-label [data-testid="label-output-value"]')
        expect(answer).to_contain_text("2024", timeout=30_000)
        assert not failed, failed
        browser.close()
