"""Gradio's components as a public endpoint needs them: every value a client can send answered in one line.

Gradio answers a malformed value with a bare "Error" or its own message, and a traceback in the server log, as of
6.31 (a client can write tracebacks into the log as fast as it sends requests). Each wrapper keeps Gradio's own
check and changes only the answer: one line (``gr.Error(..., print_exception=False)``), no traceback. They wrap the
instance rather than subclass it: a subclass makes Gradio write a .pyi file beside the app.
"""

from __future__ import annotations

import math

import gradio as gr
import pydantic
from PIL import Image


def one_line_errors(component: gr.components.Component, expected: str) -> gr.components.Component:
    """Answer whatever the component's preprocessing refuses in one line: its own message, or what was expected.

    A Dropdown refuses a value not among its choices with a ``gr.Error`` that is logged with its traceback; a
    Dataset fails on an index that is not one of its samples with a bare error.
    """
    original = component.preprocess

    def preprocess(payload):
        try:
            return original(payload)
        except gr.Error as err:
            raise gr.Error(str(err.message).splitlines()[0][:300], print_exception=False) from None
        except Exception:
            raise gr.Error(f"Malformed input: send {expected}.", print_exception=False) from None

    component.preprocess = preprocess  # type: ignore[method-assign]
    return component


def refuse_malformed_values(component: gr.components.Component, expected: str) -> gr.components.Component:
    """Answer an API client that sends a value of the wrong shape with what was expected.

    Gradio validates each input against the component's ``data_model`` (pydantic) before anything else runs
    (``Blocks.preprocess_data``) and answers a mismatch with a bare "Error" and a traceback in the server log;
    no upstream issue tracks this as of Gradio 6.31. The check is Gradio's own, unchanged; only the answer
    changes, and only for pydantic's ValidationError. tests/test_app.py's malformed-value tests fail without this.
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


def refuse_non_numbers(slider: gr.Slider) -> gr.Slider:
    """Answer a client that sends a slider something other than a number within its bounds in one line.

    ``gr.Slider`` has no data model to validate against: its bounds check compares the value first, and a string,
    a list or None fails there with a bare "Error", a number out of bounds with Gradio's message, both with a
    traceback in the server log. The bounds are the slider's own; a number within them goes on to Gradio's
    preprocessing unchanged.
    """
    original = slider.preprocess

    def preprocess(payload):
        number = not isinstance(payload, bool) and isinstance(payload, (int, float)) and math.isfinite(payload)
        if not number or not slider.minimum <= payload <= slider.maximum:
            expected = f"a number from {slider.minimum:g} to {slider.maximum:g}"
            raise gr.Error(f"Malformed input: send {expected}.", print_exception=False)
        return original(payload)

    slider.preprocess = preprocess  # type: ignore[method-assign]
    return slider


def let_bad_files_through(image: gr.Image) -> gr.Image:
    """Hand undecodable uploads to our function, which says precisely what is wrong with them.

    ``gr.Image`` opens each upload with Pillow before our code runs, and a file Pillow cannot decode (empty,
    not an image, truncated, a decompression bomb) fails there with a bare "Error" for the user and a traceback
    in the log (https://github.com/gradio-app/gradio/issues/6489, open as of Gradio 6.31). Only Pillow's
    decoding errors are passed on, as the file's path; prepare_image then reads the file and names the problem.
    """
    original = image.preprocess

    def preprocess(payload):
        try:
            return original(payload)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            return str(payload.path) if payload is not None and payload.path else None

    image.preprocess = preprocess  # type: ignore[method-assign]
    return image
