"""The corrections' way to the Hub, from a running demo that must start whatever the Hub does."""

from __future__ import annotations

import logging
import threading
import time

from mnist_hub.corrections import CorrectionStore, start_uploads

log = logging.getLogger("mnist_hub.demo")


def upload_corrections(
    store: CorrectionStore, repo_id: str, token: str | None, every_minutes: float, source: str | None
) -> threading.Thread | None:
    """Upload ``store``'s folder to the dataset repo ``repo_id`` every ``every_minutes``.

    When the repo cannot be created or reached, or the token is refused, this says so in one log line and tries
    again every ``every_minutes`` in a background thread (returned), while the store keeps saving locally: what
    it saved meanwhile goes up with the first upload that succeeds.
    """

    def attempt() -> bool:
        try:
            start_uploads(store.folder, repo_id, token, every_minutes, source, lock=store.lock)
        except Exception as err:  # network, token, Hub: never the demo's end
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
            if token:
                reason = reason.replace(token, "***")
            log.warning(
                "corrections: cannot upload to dataset repo %s (%s); saving locally, trying again in %g minutes",
                repo_id,
                reason[:200],
                every_minutes,
            )
            return False
        log.info("corrections: uploading to dataset repo %s every %g minutes", repo_id, every_minutes)
        return True

    if attempt():
        return None

    def retry() -> None:
        while True:
            time.sleep(every_minutes * 60)
            if attempt():
                return

    thread = threading.Thread(target=retry, name="corrections-upload-retry", daemon=True)
    thread.start()
    return thread
