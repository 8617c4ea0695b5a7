"""The corrections review page in a real browser (Debian Chromium driven by Playwright): look, reject one, reject a
sender's all, and the decisions are on disk."""

from __future__ import annotations

import json

import pytest
from local_server import free_port
from playwright.sync_api import expect, sync_playwright
from review_corpus import write_corpus
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from mnist_hub import DEFAULT_MODEL
from training.decisions import REJECT, REVIEW_FILE
from training.review import load_review
from training.review_page import review_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def reviewing(mnist_test, tmp_path_factory):
    folder = tmp_path_factory.mktemp("corrections")
    kinds = write_corpus(folder, *mnist_test)
    review = load_review(str(folder), str(DEFAULT_MODEL), "ann")
    review.flag_new()
    page = review_page(review)
    port = free_port()
    page.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", folder, kinds
    page.close()


def test_a_maintainer_rejects_one_correction_then_a_senders_flood_in_one_action(reviewing):
    url, folder, kinds = reviewing
    flood = len(kinds["flood"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        expect(page.locator("#summary")).to_contain_text("30 corrections: 0 accepted, 0 rejected, 14 flagged")
        thumbnails = page.locator("#corrections .thumbnail-item")
        expect(thumbnails).to_have_count(flood)  # the largest flagged group by label: the "1"s of the flood
        expect(page.locator("#corrections").get_by_text("1 · ref 7 ⚑").first).to_be_visible()
        thumbnails.first.click()
        expect(page.locator("#details")).to_contain_text("labelled 1")
        expect(page.locator("#details")).to_contain_text("sender flooder")
        page.screenshot(path=str(ARTIFACTS / "review.png"))
        page.locator("#reject-one").click()
        expect(page.locator("#message")).to_contain_text("Saved 1 decision(s).")
        expect(thumbnails).to_have_count(flood - 1)  # rejected: no longer among the flagged
        page.locator("#group-by").get_by_text("sender").click()
        expect(page.locator("#group input")).to_have_value(f"flooder ({flood - 1})")
        page.locator("#reject-group").click()
        expect(page.locator("#message")).to_contain_text(f"Saved {flood - 1} decision(s).")
        expect(page.locator("#summary")).to_contain_text(f"{flood} rejected, 2 flagged")
        browser.close()
    lines = [json.loads(line) for line in (folder / REVIEW_FILE).read_text().splitlines()]
    rejected = {line["file_name"] for line in lines if line["decision"] == REJECT and line["reviewer"] == "ann"}
    assert rejected == kinds["flood"]
