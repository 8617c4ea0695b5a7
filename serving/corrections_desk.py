"""The corrections desk: where the demo keeps what people send ("Wrong? It is 4"), and the page's Send and the
API's ``/send_correction`` that store it, under the limits per client address and for everyone."""

from __future__ import annotations

import os

import gradio as gr

from mnist_hub import settings
from mnist_hub.preprocessing import ImageError
from serving.clients import request_sender, sender_salt
from serving.quota import Quota
from serving.readings import correct
from serving.settings import CORRECTIONS_MAX_BYTES, CORRECTIONS_MAX_FILES
from serving.showcase import Showcase
from serving.store import CorrectionStore
from serving.tools import NO_DIGIT, NO_PICTURE, reader
from serving.uploads import upload_corrections


def corrections_store() -> CorrectionStore:
    """Where corrections go: $MNIST_HUB_CORRECTIONS_DIR (default ./corrections), and, when
    $MNIST_HUB_CORRECTIONS_REPO and a token ($HF_TOKEN, a Space secret) are set, that dataset repo too, every
    $MNIST_HUB_CORRECTIONS_EVERY minutes (default 5) and once more when the server stops. If the Hub cannot be
    reached or refuses the token, the demo starts all the same, saves locally and tries again later."""
    store = CorrectionStore(settings.corrections_dir(), CORRECTIONS_MAX_BYTES, max_files=CORRECTIONS_MAX_FILES)
    repo = settings.corrections_repo()
    if repo:
        from mnist_hub.project import SOURCE_URL

        upload_corrections(store, repo, os.environ.get("HF_TOKEN"), settings.corrections_every(), SOURCE_URL)
    return store


def correction_sender(showcase: Showcase, store: CorrectionStore, limits: tuple[Quota, Quota], proxies: int):
    """The page's Send and the API's /send_correction, both storing into ``store`` under ``limits``."""
    picture, salt = reader(showcase, NO_PICTURE, NO_DIGIT, drawing=False), sender_salt()

    def send_shown(kept, digit: str | None, number: str, request: gr.Request) -> str:
        """The page's Send: a correction of exactly the reading the page shows (kept in the session)."""
        label = digit if kept is not None and len(kept) == 1 else number
        sender = request_sender(request, proxies, salt, "page")
        return correct(kept, label, store, showcase.name, limits, sender, file_names=False)

    def send_correction(image, label: str, request: gr.Request) -> str:
        """Tell the demo what a picture it read wrong shows; the correction joins its public dataset.

        Args:
            image: the picture (PNG, JPEG, WebP, GIF or BMP; at most 10 MB), read as read_picture reads it.
            label: what it shows: a digit "0" to "9" or "not a digit"; for a number, all its digits ("2024").

        Returns:
            one line: saved (one 28x28 sample per digit, with the model's answer), or why not.
        """
        if image is None:
            return "Nothing to correct yet: draw or upload a digit first."
        try:
            kept = picture(image).kept
        except ImageError as err:
            return f"Not saved: {err}"
        if not kept:
            return f"Not saved: {NO_DIGIT[0].lower()}{NO_DIGIT[1:]}."
        return correct(kept, label, store, showcase.name, limits, request_sender(request, proxies, salt))

    return send_shown, send_correction
