"""load_model: local folders, repo ids from the offline Hub cache, the environment, and clear errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants

import mnist_hub
from mnist_hub import ConvolutionalNetwork, ModelLoadError, load_model


def fill_hub_cache(repo_id: str, folder: Path, refs: dict[str, str]) -> None:
    """Lay ``folder`` out in the Hub cache as repo ``repo_id``; ``refs`` maps a branch or tag to a commit sha."""
    repo_dir = Path(constants.HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))
    for ref, sha in refs.items():
        snapshot = repo_dir / "snapshots" / sha
        snapshot.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "model.safetensors"):
            shutil.copy(folder / name, snapshot / name)
        (repo_dir / "refs").mkdir(exist_ok=True)
        (repo_dir / "refs" / ref).write_text(sha)


@pytest.fixture()
def saved(tmp_path) -> tuple[ConvolutionalNetwork, Path]:
    torch.manual_seed(3)
    model = ConvolutionalNetwork().eval()
    model.save_pretrained(tmp_path / "model")
    return model, tmp_path / "model"


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_local_folder(saved):
    model, folder = saved
    assert same_weights(load_model(folder), model)
    assert same_weights(load_model(str(folder)), model)


def test_repo_id_and_revision_from_offline_cache(saved, tmp_path):
    model, folder = saved
    other = ConvolutionalNetwork()
    other.save_pretrained(tmp_path / "other")
    fill_hub_cache("someone/mnist-cnn", folder, {"main": "a" * 40})
    fill_hub_cache("someone/mnist-cnn", tmp_path / "other", {"v1.0": "b" * 40})
    assert same_weights(load_model("someone/mnist-cnn"), model)
    assert same_weights(ConvolutionalNetwork.from_pretrained("someone/mnist-cnn"), model)
    assert same_weights(load_model("someone/mnist-cnn", revision="v1.0"), other)


def test_environment_chooses_the_model(saved, monkeypatch):
    model, folder = saved
    monkeypatch.setenv("MNIST_HUB_MODEL", str(folder))
    assert same_weights(load_model(), model)


def test_default_is_the_bundled_model(monkeypatch):
    monkeypatch.delenv("MNIST_HUB_MODEL", raising=False)
    assert same_weights(load_model(), ConvolutionalNetwork.from_pretrained(mnist_hub.DEFAULT_MODEL))


def test_missing_folder(tmp_path):
    with pytest.raises(ModelLoadError, match=r"Model folder .*nope does not exist\."):
        load_model(tmp_path / "nope")


def test_folder_without_weights(saved):
    _, folder = saved
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match=r"has no model\.safetensors"):
        load_model(folder)


def test_unknown_repo_offline():
    with pytest.raises(ModelLoadError, match=r"nobody/missing .*not in the local Hub cache"):
        load_model("nobody/missing")


def test_unknown_revision_offline(saved):
    _, folder = saved
    fill_hub_cache("someone/revs", folder, {"main": "c" * 40})
    with pytest.raises(ModelLoadError, match="someone/revs at revision v9"):
        load_model("someone/revs", revision="v9")


def test_path_that_cannot_be_a_repo_id(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model("./runs/missing-model")


class Booby:
    """Unpickling this creates ``marker``: proof of whether a loader ran pickled code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def damage(folder: Path, fault: str, marker: Path) -> None:
    weights, config = folder / "model.safetensors", folder / "config.json"
    if fault == "only pytorch_model.bin":
        weights.unlink()
        torch.save({"trap": Booby(marker)}, folder / "pytorch_model.bin")
    elif fault == "truncated weights":
        weights.write_bytes(weights.read_bytes()[:1000])
    elif fault == "config does not match":
        config.write_text(config.read_text().replace('"fc2_features": 84', '"fc2_features": 80'))
    elif fault == "no config.json":
        config.unlink()


FAULTS = {
    "only pytorch_model.bin": r"no model\.safetensors \(a? ?pickled pytorch_model\.bin is (not|never) loaded\)",
    "truncated weights": "corrupt",
    "config does not match": r"do not match its config\.json",
    "no config.json": r"no config\.json",
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("where", ["folder", "hub"])
def test_damaged_models_are_one_clear_line_and_nothing_is_unpickled(request, saved, tmp_path, fault, where):
    from hub_stub import Repo

    _, folder = saved
    marker = tmp_path / "unpickled"
    damage(folder, fault, marker)
    source = str(folder)
    if where == "hub":  # the same files as a repo on the Hub test double
        hub = request.getfixturevalue("hub")
        source = "someone/damaged"
        hub.repos[source] = Repo(commits={"d" * 40: {p.name: p.read_bytes() for p in folder.iterdir()}})
        hub.repos[source].refs["main"] = "d" * 40
    with pytest.raises(ModelLoadError, match=FAULTS[fault]) as err:
        load_model(source)
    assert "\n" not in str(err.value)
    with pytest.raises(ModelLoadError, match=FAULTS[fault]) as again:  # the mixin's own entry point, the same line
        ConvolutionalNetwork.from_pretrained(source)
    assert str(again.value) == str(err.value), "one policy, one message, whichever entry point"
    assert not marker.exists(), "a pickle was loaded"


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ("[1, 2]", "must be a JSON object, not list"),
        ("{not json", "is not valid JSON"),
        ('{"fc1_features": 1000000}', "fc1_features must be an integer from 1 to 1024, not 1000000"),
        ('{"conv1_channels": 6.5}', "conv1_channels must be an integer"),
        ('{"temperature": NaN}', "temperature must be a finite positive number, not nan"),
        ('{"temperature": -1}', "temperature must be a finite positive number"),
        ('{"temperature": 0}', "temperature must be a finite positive number, not 0"),  # every answer NaN
        ('{"digit_threshold": "0.5"}', "digit_threshold must be None or a number from 0 to 1, not '0.5'"),
        ('{"digit_threshold": 1.5}', "digit_threshold must be None or a number from 0 to 1"),
        ('{"hidden": 3}', "unknown setting 'hidden'"),
    ],
)
def test_config_json_is_checked_before_the_network_is_built(saved, config, reason, monkeypatch):
    _, folder = saved
    (folder / "config.json").write_text(config)
    built = []
    monkeypatch.setattr(torch.nn.Linear, "__init__", lambda *a, **k: built.append(a) or None)
    with pytest.raises(ModelLoadError) as err:
        load_model(folder)
    assert str(err.value).startswith(f"config.json of {folder} ") and reason in str(err.value)
    assert "\n" not in str(err.value) and not built, "refused before a single layer is built"


def test_a_config_with_a_valid_threshold_loads_and_refuses_with_it(saved):
    _, folder = saved
    (folder / "config.json").write_text('{"temperature": 1.5, "digit_threshold": 0.4}')
    model = load_model(folder)
    assert model.temperature == 1.5 and model.digit_threshold == 0.4


@pytest.mark.parametrize("entry", ["load_model", "from_pretrained", "command line"])
def test_offline_an_unknown_model_fails_at_once_in_one_line(tmp_path, entry):
    """No Hub to reach (nothing listens at HF_ENDPOINT) and nothing cached: one line, in seconds, no retry noise."""
    import os
    import subprocess
    import sys
    import time

    from local_server import free_port

    code = {
        "load_model": "from mnist_hub import load_model as f",
        "from_pretrained": "from mnist_hub import ConvolutionalNetwork; f = ConvolutionalNetwork.from_pretrained",
    }
    script = (
        code[entry] + "\nfrom mnist_hub import ModelLoadError\ntry:\n    f('someone/no-such-model')\n"
        "except ModelLoadError as err:\n    print(err)"
        if entry in code
        else None
    )
    command = ["-c", script] if script else ["-m", "mnist_hub", "--model", "someone/no-such-model", "x.png"]
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, *command], env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    message = "Model someone/no-such-model is not in the local Hub cache and the Hub cannot be reached"
    if script:
        assert result.stdout.startswith(message) and result.stderr == "", result.stderr
    else:
        assert result.returncode == 2 and result.stderr.startswith(f"error: {message}") and result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr
    assert elapsed < 15, f"{elapsed:.1f} s (huggingface_hub alone retries for ~25 s)"


def test_a_cached_model_loads_offline_without_asking_the_hub_again(saved):
    model, folder = saved
    fill_hub_cache("someone/cached", folder, {"main": "c" * 40})
    original = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = False  # online, but nothing listens at HF_ENDPOINT
    try:
        assert same_weights(load_model("someone/cached"), model)
    finally:
        constants.HF_HUB_OFFLINE = original


@pytest.mark.parametrize("fault", [403, "echo"])
def test_a_failed_download_is_one_line_without_the_token(request, saved, fault, monkeypatch):
    """The Hub answers the weights' download with an error, one that repeats the request's credentials too."""
    from hub_stub import Repo

    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", lambda seconds: None)  # its retries, instantly
    hub = request.getfixturevalue("hub")
    _, folder = saved
    hub.repos["someone/flaky"] = Repo(commits={"e" * 40: {p.name: p.read_bytes() for p in folder.iterdir()}})
    hub.repos["someone/flaky"].refs["main"] = "e" * 40
    hub.fail_always[r"flaky/resolve/.*model\.safetensors"] = fault
    with pytest.raises(ModelLoadError) as err:
        load_model("someone/flaky")
    message = str(err.value)
    assert message.startswith("Could not download someone/flaky: ") and "\n" not in message, message
    assert ("403" if fault == 403 else "500") in message, "what the Hub answered, not 'cannot be reached'"
    assert os.environ["HF_TOKEN"] not in message, message


def test_a_model_from_the_hub_is_fetched_in_one_go_and_a_warm_start_asks_the_hub_twice(hub):
    from hub_stub import Repo

    from serving.showcase import SHOWN_FILES, load_showcase

    files = {
        p.relative_to(mnist_hub.DEFAULT_MODEL).as_posix(): p.read_bytes()
        for p in mnist_hub.DEFAULT_MODEL.rglob("*")
        if p.is_file()
    }
    hub.repos["someone/mnist"] = Repo(commits={"e" * 40: files}, refs={"main": "e" * 40})
    cold = load_showcase("someone/mnist")
    assert cold.metrics and cold.snapshots and len(cold.misses) > 0
    downloads = [path for method, path in hub.requests if method == "GET" and "/resolve/" in path]
    assert sorted(path.rsplit("/", 1)[1] for path in downloads) == sorted(
        name.rsplit("/", 1)[-1] for name in SHOWN_FILES
    )
    assert len(hub.requests) <= 3 + 2 * len(SHOWN_FILES), hub.requests  # was 21 for these 7 files
    hub.requests.clear()
    warm = load_showcase("someone/mnist")  # a restarted demo: everything is in the cache
    assert same_weights(warm.model, cold.model) and warm.model_id == "someone/mnist" and warm.revision is None
    assert len(hub.requests) <= 3, hub.requests  # the reachability check and the revision's file list (was 14)
