"""training.train: a short real run on an MNIST subset learns, writes every artifact, and is reproducible."""

from __future__ import annotations

import json
import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard

from mnist_hub import load_model
from mnist_hub.files import MODEL_FOLDER_FILES
from mnist_hub.misses import Misses
from mnist_hub.preprocessing import mnist_to_tensor
from training import train as train_script
from training.data import DataError, load_mnist
from training.metrics import evaluate
from training.recipe import RECIPES, Recipe

SMOKE = ["--train-limit", "3000", "--test-limit", "1000", "--epochs", "2", "--batch-size", "50", "--quiet"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_data_dir) -> Path:
    out = tmp_path_factory.mktemp("train") / "model"
    assert train_script.main([*SMOKE, "--output-dir", str(out), "--seed", "7"]) == 0
    return out


def test_run_writes_every_artifact_and_nothing_else(trained):
    assert {p.relative_to(trained).as_posix() for p in trained.rglob("*") if p.is_file()} == set(MODEL_FOLDER_FILES)
    assert [p.name for p in trained.parent.iterdir()] == ["model"], "no staging folder or checkpoint left behind"


def test_run_learns(trained, mnist_test):
    images, labels = mnist_test[0][:1000], mnist_test[1][:1000]
    torch.manual_seed(7)
    untrained = evaluate(train_script.ConvolutionalNetwork(), images, labels).accuracy
    trained_acc = evaluate(load_model(trained), images, labels).accuracy
    assert untrained < 0.3
    assert trained_acc > 0.85
    history = json.loads((trained / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["train_loss"] < history[0]["train_loss"]


def test_metrics_describe_the_written_weights(trained, mnist_test):
    metrics = json.loads((trained / "metrics.json").read_text())
    fresh = evaluate(load_model(trained), mnist_test[0][:1000], mnist_test[1][:1000])
    assert metrics["test"]["correct"] == fresh.correct
    assert metrics["test"]["total"] == 1000
    assert metrics["test"]["confusion_matrix"] == fresh.confusion.tolist()
    assert metrics["parameters"] == 60_074
    assert metrics["training"]["recipe"] == "default"
    assert metrics["training"]["epochs"] == 2 and metrics["training"]["batch_size"] == 50
    assert metrics["training"]["command"].startswith("python -m training.train ")
    assert metrics["history"][-1]["test_accuracy"] == metrics["test"]["accuracy"]
    misses = Misses.load(trained / "misses.safetensors")
    assert len(misses) == 1000 - fresh.correct == metrics["test"]["misses"]
    assert torch.equal(misses.images, mnist_test[0][misses.indices])
    assert (misses.predictions != misses.labels).all()


def test_same_seed_same_weights_other_seed_other_weights(trained, tmp_path):
    assert train_script.main([*SMOKE, "--output-dir", str(tmp_path / "again"), "--seed", "7"]) == 0
    assert train_script.main([*SMOKE, "--output-dir", str(tmp_path / "other"), "--seed", "8"]) == 0
    weights = (trained / "model.safetensors").read_bytes()
    assert (tmp_path / "again" / "model.safetensors").read_bytes() == weights
    assert (tmp_path / "other" / "model.safetensors").read_bytes() != weights


def test_interrupted_run_leaves_the_previous_model_untouched(mnist_data_dir, tmp_path, monkeypatch, capsys):
    out = tmp_path / "model"
    out.mkdir()
    (out / "model.safetensors").write_bytes(b"previous")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_script, "write_evaluation_artifacts", interrupt)
    assert train_script.main([*SMOKE, "--epochs", "1", "--output-dir", str(out)]) == 130
    assert f"{out} is unchanged" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "model.checkpoint.pt"]  # for --resume
    assert (out / "model.safetensors").read_bytes() == b"previous"


def test_rerun_replaces_the_folder_whole(mnist_data_dir, tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "stale.txt").write_text("from an older run")
    assert train_script.main([*SMOKE, "--epochs", "1", "--output-dir", str(out)]) == 0
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == set(MODEL_FOLDER_FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_missing_data_is_one_clear_line(tmp_path, monkeypatch, capsys):
    from torchvision.datasets import MNIST

    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # a closed local port
    with pytest.raises(DataError, match=r"MNIST is not in .*empty/MNIST/raw and could not be downloaded"):
        load_mnist(tmp_path / "empty", train=False)
    assert (
        train_script.main([*SMOKE, "--data-dir", str(tmp_path / "empty"), "--output-dir", str(tmp_path / "out")]) == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: MNIST is not in") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_bad_flags_are_rejected():
    with pytest.raises(SystemExit):
        train_script.parse_args(["--epochs", "0"])
    with pytest.raises(SystemExit):
        train_script.parse_args(["--recipe", "nope"])


def test_every_recipe_field_has_a_flag_and_zero_overrides(capsys):
    args = train_script.parse_args(["--recipe", "best", "--ema", "0", "--elastic", "0", "--optimizer", "sgd"])
    recipe = train_script.recipe_for(args)
    assert (recipe.ema, recipe.elastic, recipe.optimizer) == (0.0, 0.0, "sgd"), "a 0 on the command line counts"
    notebook = RECIPES["notebook"]
    for f in fields(Recipe):  # each field's flag, given a value the notebook recipe does not have, sets that field
        old, flag = getattr(notebook, f.name), f"--{f.name.replace('_', '-')}"
        if isinstance(old, bool):
            new, argv = not old, [flag if not old else f"--no-{flag[2:]}"]
        elif f.metadata["choices"]:
            new = next(choice for choice in f.metadata["choices"] if choice != old)
            argv = [flag, new]
        else:
            new = 0.25 if isinstance(old, float) else 7
            argv = [flag, str(new)]
        overridden = train_script.recipe_for(train_script.parse_args(["--recipe", "notebook", *argv]))
        assert getattr(overridden, f.name) == new != old, f.name
        assert replace(overridden, **{f.name: old}) == notebook, f"{flag} changed only {f.name}"
    for bad, message in [
        (["--ema", "1"], "--ema must be in [0, 1)"),
        (["--weight-decay", "-1"], "--weight-decay cannot be negative"),
        (["--lr", "0"], "--lr must be positive"),
        (["--outlier-count", "0"], "--outlier-count must be at least 1"),
        (["--refuse-share", "0.5"], "--refuse-share must be in [0, 0.5)"),
        (["--optimizer", "lion"], "invalid choice: 'lion'"),
    ]:
        with pytest.raises(SystemExit):
            train_script.parse_args(bad)
        assert message in capsys.readouterr().err, bad


def test_the_notebook_recipe_is_also_called_seed_as_before():
    notebook = train_script.parse_args(["--recipe", "notebook"])
    assert train_script.parse_args(["--recipe", "seed"]).recipe == notebook.recipe == "notebook"
    recipe = train_script.recipe_for(notebook)
    assert (recipe.epochs, recipe.batch_size, recipe.lr, recipe.schedule) == (5, 10, 1e-3, "constant")


def test_re_evaluating_a_trained_folder_keeps_its_record_and_card(trained, tmp_path):
    from training import evaluate as evaluate_script

    folder = tmp_path / "model"
    shutil.copytree(trained, folder)
    before = json.loads((folder / "metrics.json").read_text())
    (folder / "README.md").write_text("stale card")
    assert evaluate_script.main([str(folder), "--test-limit", "1000", "--output-dir", str(folder)]) == 0
    after = json.loads((folder / "metrics.json").read_text())
    assert after == before
    assert ModelCard.load(folder / "README.md").data.eval_results[0].metric_value == before["test"]["accuracy"]


def test_outlier_exposure_run_saves_its_calibration_and_reports_refusals(mnist_data_dir, tmp_path, mnist_test):
    from training.refusal import evaluate_refusal, non_digit_set

    out = tmp_path / "model"
    flags = ["--outliers", "0.5", "--outlier-count", "300", "--holdout", "500", "--refuse-share", "0.02"]
    assert train_script.main([*SMOKE, *flags, "--output-dir", str(out), "--seed", "3"]) == 0
    config = json.loads((out / "config.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    model = load_model(out)
    assert config["digit_threshold"] == model.digit_threshold is not None and config["temperature"] > 0
    assert metrics["training"]["train_images"] == 2500, "the held-out digits are not trained on"
    refusal = metrics["refusal"]
    fresh = evaluate_refusal(model, mnist_test[0][:1000], mnist_test[1][:1000], non_digit_set(per_kind=50))
    assert refusal["test_refused_count"] == fresh["test_refused_count"] > 0
    assert refusal["ece_after"] == fresh["ece_after"]
    assert set(refusal["non_digits"]) == {"letter", "scribble", "shape"}
    misses = Misses.load(out / "misses.safetensors")
    assert int(misses.refused.sum()) == refusal["test_refused_count"]
    card = (out / "README.md").read_text()
    assert "not a digit" in card and f"{refusal['test_refused_count']} (" in card
    assert "![Reliability diagram" in card and (out / "reliability.png").is_file()


def test_training_on_users_corrections_from_a_dataset_repo_changes_the_model_and_records_the_revision(
    trained, hub, tmp_path, mnist_test
):
    from huggingface_hub import HfApi

    from mnist_hub.preprocessing import prepare_image
    from serving.store import CorrectionStore
    from training.synthetic import STAR, draw

    store = CorrectionStore(tmp_path / "corrections", max_bytes=10**7)
    images, labels = mnist_test[0][:40].float() / 255, mnist_test[1][:40]
    for image, label in zip(images, labels, strict=True):
        store.save(image[None, None], str(int(label)), str((int(label) + 1) % 10), "user/mnist-cnn@main")  # wrong
    star = prepare_image(draw(STAR, width=12))
    for _ in range(10):
        store.save(star, "not a digit", "4", "user/mnist-cnn@main")
    api = HfApi()
    api.create_repo("user/mnist-corrections", repo_type="dataset", exist_ok=True)
    commit = api.upload_folder(repo_id="user/mnist-corrections", repo_type="dataset", folder_path=store.folder)
    api.upload_file(  # a later commit with a line that is not a correction: the pinned revision has none of it
        path_or_fileobj=b'{"file_name": "../../etc/passwd", "label": "1"}\n',
        path_in_repo="bad/metadata.jsonl",
        repo_id="user/mnist-corrections",
        repo_type="dataset",
    )
    out = tmp_path / "model"
    pinned = f"user/mnist-corrections@{commit.oid}"
    argv = [*SMOKE, "--seed", "7", "--extra-data", pinned, "--extra-weight", "3"]
    assert train_script.main([*argv, "--output-dir", str(out)]) == 2, "no correction is reviewed yet"
    assert not out.exists()
    assert train_script.main([*argv, "--unreviewed", "--output-dir", str(out)]) == 0
    extra = json.loads((out / "metrics.json").read_text())["training"]["extra_data"]
    assert extra["review"] == {"accepted": 0, "rejected": 0, "flagged": 0, "unreviewed": 50, "unreviewed_used": True}
    assert extra["source"] == "user/mnist-corrections" and extra["revision"] == commit.oid
    assert extra["held_out"] == 10 and extra["train_digits"] + extra["train_not_digits"] == 40
    assert extra["weight"] == 3 and extra["held_out_results"]["count"] == 10 and extra["skipped_lines"] == 0
    held = extra["held_out_results"]
    assert held["accuracy_before"] == 0.0, "every stored answer (the next digit, '4' for the stars) was wrong"
    assert held["accuracy_after"] >= 0.4, "the retrained model reads most held-out digits right"
    assert (out / "model.safetensors").read_bytes() != (trained / "model.safetensors").read_bytes()
    card = (out / "README.md").read_text()
    assert "users' corrections" in card and "**trained on corrections no one reviewed** (`--unreviewed`)" in card


def test_a_failed_download_leaves_no_empty_folders(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    from training.data import DataError, load_mnist

    def unreachable(self):  # what torchvision does offline: the folder first, then the download fails
        Path(self.raw_folder).mkdir(parents=True, exist_ok=True)
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(MNIST, "download", unreachable)
    with pytest.raises(DataError, match="could not be downloaded"):
        load_mnist(tmp_path / "data", train=False)
    assert not (tmp_path / "data").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(DataError):
        load_mnist(tmp_path / "kept", train=False)
    assert (tmp_path / "kept").is_dir() and not (tmp_path / "kept" / "MNIST").exists(), "only what it made is removed"


@pytest.mark.parametrize("script", ["train", "evaluate", "push", "deploy_space", "review"])
def test_each_script_names_itself_as_it_is_run(script, capsys):
    import importlib

    module = importlib.import_module(f"training.{script}")
    with pytest.raises(SystemExit):
        module.main(["--help"])
    assert capsys.readouterr().out.startswith(f"usage: python -m training.{script} ")


def test_snapshots_are_each_epochs_weights_with_their_measured_accuracy(trained, mnist_test):
    """Look inside's epochs: the snapshot file holds each kept epoch (here 1 and the last, 2); the accuracy recorded
    for each is that snapshot's own, read back in float16; the last answers as the final model, up to float16."""
    from mnist_hub.snapshots import load_snapshots

    model = load_model(trained)
    snapshots = load_snapshots(trained / "snapshots.safetensors", model)
    recorded = json.loads((trained / "metrics.json").read_text())["snapshots"]
    assert [e for e, _ in snapshots] == [r["epoch"] for r in recorded] == [1, 2]
    images, labels = mnist_test[0][:1000], mnist_test[1][:1000]
    for (epoch, network), record in zip(snapshots, recorded, strict=True):
        assert evaluate(network, images, labels).correct == record["correct"], f"epoch {epoch}"
    assert recorded[0]["test_accuracy"] < recorded[1]["test_accuracy"], "the network learned between the snapshots"
    x = mnist_to_tensor(images)
    final, last = model.calibrated_proba(x), snapshots[-1][1].calibrated_proba(x)
    assert (final - last).abs().max() < 0.02
    assert (final.argmax(1) == last.argmax(1)).float().mean() > 0.995
    card = (trained / "README.md").read_text()
    assert f"| 2 | {100 * recorded[1]['test_accuracy']:.2f}% |" in card


def test_snapshot_epochs_are_checked(capsys):
    for bad in ("0,1", "x"):
        with pytest.raises(SystemExit):
            train_script.parse_args(["--snapshots", bad])
        assert "--snapshots" in capsys.readouterr().err
    assert train_script.parse_args(["--snapshots", "5,1,5"]).snapshots == [1, 5]
