"""The demo in a real browser (Debian Chromium driven by Playwright): draw with the mouse, read the answer."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium (.ci/run installs it)")
    pytest.skip("Debian chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

import app  # noqa: E402
from mnist_hub.showcase import load_showcase  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A "7" and a "1" as strokes, in fractions of the canvas's visible square.
SEVEN = [[(0.30, 0.25), (0.70, 0.25), (0.45, 0.80)]]
ONE = [[(0.50, 0.20), (0.50, 0.80)]]


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, server):
    """The demo on a desktop screen, with a mouse."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    yield page
    page.close()


def draw_strokes(page, strokes) -> None:
    canvas = page.locator("#sketch .pixi-target canvas").first
    box = canvas.bounding_box()
    side = min(box["width"], box["height"]) * 0.8
    left = box["x"] + (box["width"] - side) / 2
    top = box["y"] + (box["height"] - side) / 2
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        page.mouse.move(left + x0 * side, top + y0 * side)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(left + x * side, top + y * side, steps=25)
        page.mouse.up()


def sketch_answer(page):
    return page.locator('#sketch-label [data-testid="label-output-value"]')


def test_draw_a_digit_without_tapping_any_tool_and_read_the_answer(page):
    """The brush is active at page load: no tool is tapped before the first stroke."""
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)
    expect(page.locator('#sketch-label [data-testid$="-confidence-set"]')).to_have_count(3)
    page.screenshot(path=str(ARTIFACTS / "demo-draw.png"))


def test_clear_says_nothing_is_drawn_and_the_next_stroke_draws(page):
    page.locator('#sketch [aria-label="Clear canvas"]').first.click()
    expect(sketch_answer(page)).to_have_text(app.NOTHING_DRAWN, timeout=20_000)
    draw_strokes(page, ONE)  # no tool tapped after Clear either
    expect(sketch_answer(page)).to_have_text("1", timeout=20_000)


def test_after_another_tab_the_brush_is_still_ready(page):
    page.locator('#sketch [aria-label="Clear canvas"]').first.click()
    expect(sketch_answer(page)).to_have_text(app.NOTHING_DRAWN, timeout=20_000)
    page.get_by_role("tab", name="Upload").click()
    page.get_by_role("tab", name="Draw").click()
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)


def test_a_chosen_eraser_is_not_overridden(page):
    page.locator('#sketch button[aria-label="Erase"]').click()
    page.wait_for_timeout(500)  # give the page script a chance to (wrongly) switch back
    assert "highlight" in page.locator('#sketch button[aria-label="Erase"]').get_attribute("class")
    assert "highlight" not in page.locator('#sketch button[aria-label="Brush"]').get_attribute("class")
    page.locator('#sketch button[aria-label="Brush"]').click()


def test_a_drawn_star_is_not_a_digit_and_the_page_says_so(page):
    from mnist_hub.synthetic import STAR

    page.locator('#sketch [aria-label="Clear canvas"]').first.click()
    expect(sketch_answer(page)).to_have_text(app.NOTHING_DRAWN, timeout=20_000)
    star = [[(0.1 + 0.8 * x, 0.1 + 0.8 * y) for x, y in STAR[0]]]
    draw_strokes(page, star)
    expect(sketch_answer(page)).to_have_text(app.NOT_A_DIGIT, timeout=20_000)
    expect(page.locator("#sketch-seen")).to_contain_text("Closest digit:")
    page.screenshot(path=str(ARTIFACTS / "demo-not-a-digit.png"))
    page.locator('#sketch [aria-label="Clear canvas"]').first.click()


def test_wrong_answer_corrected_in_the_page_is_saved(page):
    from mnist_hub.corrections import read_corrections

    page.locator('#sketch [aria-label="Clear canvas"]').first.click()
    expect(sketch_answer(page)).to_have_text(app.NOTHING_DRAWN, timeout=20_000)
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)
    expect(page.locator("#sketch-sent")).to_contain_text("nothing about you")  # what is kept, said up front
    before = len(read_corrections(os.environ["MNIST_HUB_CORRECTIONS_DIR"]))
    choice = page.locator("#sketch-fix input")
    choice.click()
    page.get_by_role("option", name="4", exact=True).click()
    page.locator("#sketch-send").click()
    expect(page.locator("#sketch-sent")).to_contain_text("Thanks — saved: 4 (the model said 7)", timeout=20_000)
    stored = read_corrections(os.environ["MNIST_HUB_CORRECTIONS_DIR"])
    assert len(stored) == before + 1 and stored[-1].label == "4" and stored[-1].answer == "7"
    page.locator('#sketch [aria-label="Clear canvas"]').first.click()


@pytest.fixture(scope="module")
def phone(browser, server):
    """The demo on a 390 px wide touch screen (a phone)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(server)
    page.locator("#sketch .pixi-target canvas").first.wait_for(timeout=60_000)
    yield page
    context.close()


def touch_strokes(page, strokes) -> None:
    """Draw ``strokes`` with a finger: CDP touch events, as a phone's touch screen sends them."""
    cdp = page.context.new_cdp_session(page)
    canvas = page.locator("#sketch .pixi-target canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    side = min(box["width"], box["height"]) * 0.8
    left = box["x"] + (box["width"] - side) / 2
    top = box["y"] + (box["height"] - side) / 2

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": left + x * side, "y": top + y * side, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        touch("touchStart", x0, y0)
        previous = (x0, y0)
        for x, y in rest:
            for i in range(1, 26):
                touch("touchMove", previous[0] + (x - previous[0]) * i / 25, previous[1] + (y - previous[1]) * i / 25)
            previous = (x, y)
        touch("touchEnd", *previous)


def test_on_a_phone_a_finger_draws_at_first_touch_and_nothing_scrolls(phone):
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px wide)"
    canvas = phone.locator("#sketch .pixi-target canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box["width"] >= 0.8 * 390, f"the canvas is {box['width']:.0f} px of the 390 px screen"
    scrolled = phone.evaluate("window.scrollY")
    touch_strokes(phone, SEVEN)
    expect(sketch_answer(phone)).to_have_text("7", timeout=20_000)
    assert phone.evaluate("window.scrollY") == scrolled, "the page scrolled under the finger"
    phone.screenshot(path=str(ARTIFACTS / "demo-phone.png"), full_page=True)


SEVENTEEN = [[(0.15, 0.2), (0.15, 0.8)], [(0.45, 0.25), (0.85, 0.25), (0.6, 0.8)]]


def test_on_a_phone_a_number_drawn_by_finger_is_read_digit_by_digit(phone):
    phone.locator('#sketch [aria-label="Clear canvas"]').first.click()
    expect(sketch_answer(phone)).to_have_text(app.NOTHING_DRAWN, timeout=20_000)
    touch_strokes(phone, SEVENTEEN)
    expect(sketch_answer(phone)).to_have_text("Number: 17", timeout=20_000)
    expect(phone.locator("#sketch-seen figure")).to_have_count(2)
    phone.screenshot(path=str(ARTIFACTS / "demo-phone-number.png"), full_page=True)


def test_a_phone_photo_upload_shows_the_digit_and_what_the_model_saw(page, tmp_path, mnist_test):
    import numpy as np

    from mnist_hub.synthetic import photograph

    digit, label = mnist_test[0][1].numpy(), int(mnist_test[1][1])
    path = tmp_path / "photo.jpg"
    photograph(digit, np.random.default_rng(4), "notebook").save(path, quality=70)
    page.get_by_role("tab", name="Upload").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    expect(page.locator('#upload-label [data-testid="label-output-value"]')).to_have_text(str(label), timeout=20_000)
    expect(page.locator("#upload-seen img")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "demo-photo.png"))
    page.get_by_role("tab", name="Draw").click()


def test_misses_tab_shows_captioned_digits(page):
    page.get_by_role("tab", name="Misses").click()
    items = page.locator("#misses-gallery .thumbnail-item")
    expect(items.first).to_be_visible(timeout=20_000)
    assert items.count() == len(load_showcase().misses)
    caption = page.locator("#misses-gallery .caption-label").first
    expect(caption).to_contain_text("true ")
    expect(caption).to_contain_text(" → ")  # "predicted 1 (83%)", or "not a digit (closest 1, 41%)"
    page.screenshot(path=str(ARTIFACTS / "demo-misses.png"))


def test_a_full_queue_tells_the_user_to_try_again(page, gated_app, tmp_path):
    import time

    import gradio_api
    from gradio_client import Client, handle_file
    from gradio_client.utils import Status

    from mnist_hub.synthetic import SEVEN as SEVEN_STROKES
    from mnist_hub.synthetic import draw

    digit = tmp_path / "seven.png"
    draw(SEVEN_STROKES).save(digit)
    client = Client(gated_app.url, verbose=False)
    held = client.submit(handle_file(str(digit)), api_name="/classify_upload")  # its model waits at the gate
    deadline = time.monotonic() + 60
    while held.status().code != Status.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.05)
    for _ in range(gated_app.max_size):  # fill the waiting line behind it
        gradio_api.join(gated_app.url, "classify_upload", None)
    assert len(gated_app.demo._queue) == gated_app.max_size

    busy = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
    busy.goto(gated_app.url)
    busy.get_by_role("tab", name="Upload").click()
    busy.locator("#upload input[type=file]").set_input_files(str(digit))
    expect(busy.get_by_text("This application is currently busy. Please try again.")).to_be_visible(timeout=20_000)
    busy.screenshot(path=str(ARTIFACTS / "demo-busy.png"))
    busy.close()
    gated_app.gate.set()
    assert held.result(timeout=60)[0]["label"] == "7"
