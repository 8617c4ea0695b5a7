"""A Hub token given on the command line is used for the push and written nowhere: not in the model folder,
not in any file of any commit on the Hub, not on stdout or stderr, not in a commit message or the log."""

from __future__ import annotations

import json
import logging
import shlex
import sys
from pathlib import Path

import pytest

from mnist_hub import DEFAULT_MODEL
from training import deploy_space, push
from training import train as train_script

SECRET = "hf_valid_s3cret_never_written_0123456789"
REPO = "user/mnist-cnn"


def assert_secret_nowhere(hub, capsys, caplog, *folders: Path) -> None:
    out, err = capsys.readouterr()
    assert SECRET not in out + err, "the token was printed"
    assert SECRET not in caplog.text, "the token was logged"
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), f"the token is in {path}"
    assert hub.repos, "something was pushed"
    for repo_id, repo in hub.repos.items():
        for sha, files in repo.commits.items():
            assert SECRET not in repo.messages.get(sha, "")
            for name, data in files.items():
                assert SECRET.encode() not in data, f"the token is in {name} of {repo_id}@{sha}"
    assert any(SECRET in auth for auth in hub.authorizations), "the token did reach the Hub"


@pytest.fixture()
def debug_log(caplog):
    caplog.set_level(logging.INFO)
    for name in ("huggingface_hub", "httpx", "httpx2", "httpcore", "training", "mnist_hub"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.mark.slow
@pytest.mark.parametrize(
    "token_args",
    [["--token", SECRET], [f"--token={SECRET}"], ["--tok", SECRET]],  # argparse accepts unique prefixes too
    ids=["separate", "equals", "abbreviated"],
)
def test_train_and_push_with_token_flag_writes_the_token_nowhere(
    hub, tmp_path, mnist_data_dir, capsys, debug_log, monkeypatch, token_args
):
    monkeypatch.delenv("HF_TOKEN")
    out = tmp_path / "run"
    args = ["--train-limit", "2000", "--epochs", "1", "--quiet", "--output-dir", str(out)]
    publish = ["--push-to", REPO, "--tag", "v1", "--min-accuracy", "0"]
    monkeypatch.setattr(sys, "argv", ["train.py", *args, *publish, *token_args])  # as `python -m training.train`
    assert train_script.main() == 0
    assert_secret_nowhere(hub, capsys, debug_log, out)
    recorded = json.loads((out / "metrics.json").read_text())["training"]["command"]
    assert recorded == "python -m training.train " + shlex.join([*args, *publish])


@pytest.mark.slow
def test_a_run_started_from_python_records_its_own_arguments(tmp_path, mnist_data_dir, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["caller.py", "--an-argument-of-the-caller"])
    out = tmp_path / "run"
    args = ["--train-limit", "500", "--test-limit", "100", "--epochs", "1", "--quiet", "--output-dir", str(out)]
    assert train_script.main(args) == 0
    recorded = json.loads((out / "metrics.json").read_text())["training"]["command"]
    assert recorded == "python -m training.train " + shlex.join(args)


def test_push_with_token_flag_writes_the_token_nowhere(hub, tmp_path, capsys, debug_log, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    assert push.main([str(DEFAULT_MODEL), "--repo-id", REPO, "--tag", "v1", "--token", SECRET]) == 0
    assert_secret_nowhere(hub, capsys, debug_log, DEFAULT_MODEL)


def test_failed_push_with_token_flag_writes_the_token_nowhere(hub, capsys, debug_log, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    hub.fail_next[r"/commit/"] = "echo"  # a careless server that repeats the credentials in its error
    assert push.main([str(DEFAULT_MODEL), "--repo-id", REPO, "--token", SECRET]) == 2
    out, err = capsys.readouterr()
    assert SECRET not in out + err + debug_log.text and "***" in err


def test_deploy_space_with_token_flag_writes_the_token_nowhere(hub, capsys, debug_log, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    assert deploy_space.main(["--space-id", "user/mnist-demo", "--model-id", REPO, "--token", SECRET]) == 0
    assert_secret_nowhere(hub, capsys, debug_log)
    assert SECRET not in json.dumps(hub.repos["spaces/user/mnist-demo"].variables)


def test_recorded_command_drops_every_spelling_of_a_secret_option():
    from training.train import recorded_command

    argv = ["--epochs", "2", "--token", "hf_A", "--token=hf_B", "--tok", "hf_C", "--to=hf_D", "--seed", "1"]
    secrets = ["hf_A", "hf_B", "hf_C", "hf_D", None]
    assert recorded_command(argv, secrets) == "python -m training.train --epochs 2 --seed 1"
    # A value that only looks like an option is still dropped with its option.
    assert recorded_command(["--token", "-x-", "--epochs", "1"], secrets=["-x-"]) == (
        "python -m training.train --epochs 1"
    )


def test_a_folder_that_already_holds_the_token_is_never_pushed(hub, tmp_path, capsys, monkeypatch):
    """A folder trained before the fix recorded ``--token`` in metrics.json (and so in the card)."""
    import shutil

    from training.card import write_model_card

    monkeypatch.delenv("HF_TOKEN")
    folder = tmp_path / "old"
    shutil.copytree(DEFAULT_MODEL, folder)
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["training"]["command"] += f" --token {SECRET}"
    (folder / "metrics.json").write_text(json.dumps(metrics))
    write_model_card(folder)
    assert push.main([str(folder), "--repo-id", REPO, "--token", SECRET]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: Refusing to push: README.md contains your Hub token") and err.count("\n") == 1
    assert SECRET not in out + err
    assert hub.requests == [], "nothing reached the Hub"


def test_a_commit_message_holding_the_token_is_refused(hub, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    args = [str(DEFAULT_MODEL), "--repo-id", REPO, "--token", SECRET, "--commit-message", f"oops {SECRET}"]
    assert push.main(args) == 2
    out, err = capsys.readouterr()
    assert err == "error: Refusing to push: the commit message contains your Hub token.\n"
    assert SECRET not in out and hub.requests == []
