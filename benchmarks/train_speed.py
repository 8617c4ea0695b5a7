"""Training wall time: the notebook's loop as the notebook wrote it, against the default recipe, in one run.

    python benchmarks/train_speed.py                   # 2 CPU threads, medians of 3 runs each
    python benchmarks/train_speed.py --update-readme   # and write the table into benchmarks/README.md

The notebook: torchvision MNIST with ToTensor, a DataLoader of batch 10 (per-item PIL decoding), Adam 1e-3,
5 epochs, the test set evaluated after every epoch in batches of 10. The default recipe: `python -m training.train`
(in-memory uint8 tensors batched by indexing, larger batches, one-cycle LR). Both time the training loop with its
per-epoch evaluation; both train the same ConvolutionalNetwork. Target: the default recipe reaches >= 98.5 % in
<= 1/5 of the notebook's time. The breakdown rows show where the notebook's time goes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnist_hub import ConvolutionalNetwork, mnist_to_tensor  # noqa: E402
from training import train as train_script  # noqa: E402
from training.data import load_mnist, resolve_data_dir  # noqa: E402


def notebook_loaders(data_dir: str | None):
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    root = str(resolve_data_dir(data_dir))
    transform = transforms.ToTensor()
    train_data = datasets.MNIST(root=root, train=True, download=True, transform=transform)
    test_data = datasets.MNIST(root=root, train=False, download=True, transform=transform)
    return DataLoader(train_data, batch_size=10, shuffle=True), DataLoader(test_data, batch_size=10, shuffle=False)


def notebook_run(data_dir: str | None, seed: int) -> tuple[float, float]:
    """(seconds, test accuracy) of the notebook's training loop, written as the notebook wrote it."""
    torch.manual_seed(seed)
    train_loader, test_loader = notebook_loaders(data_dir)
    model = ConvolutionalNetwork()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    start = time.perf_counter()
    for _epoch in range(5):
        model.train()
        for x_train, y_train in train_loader:
            y_pred = model(x_train)
            loss = criterion(y_pred, y_train)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x_test, y_test in test_loader:
                correct += int((model(x_test).argmax(1) == y_test).sum())
    return time.perf_counter() - start, correct / len(test_loader.dataset)


def recipe_run(
    data_dir: str | None, seed: int, recipe: str, extra: list[str] | None = None
) -> tuple[float, float, float | None]:
    """(seconds, test accuracy, validation accuracy or None) of `python -m training.train --recipe RECIPE
    [EXTRA...]`, as its metrics.json records them; the validation digits are the training digits the recipe holds
    out (``--holdout``), never trained on."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            "--recipe",
            recipe,
            "--seed",
            str(seed),
            "--output-dir",
            f"{tmp}/model",
            "--quiet",
            "--threads",
            str(torch.get_num_threads()),
        ]
        if data_dir:
            argv += ["--data-dir", data_dir]
        if train_script.main([*argv, *(extra or [])]) != 0:
            raise SystemExit("training.train failed")
        metrics = json.loads(Path(tmp, "model", "metrics.json").read_text())
    validation = metrics["training"].get("validation")
    held = validation["correct"] / validation["total"] if validation else None
    return metrics["training"]["wall_time_seconds"], metrics["test"]["accuracy"], held


def breakdown(data_dir: str | None) -> list[str]:
    """Where one notebook epoch's time goes, each part measured alone."""
    train_loader, _ = notebook_loaders(data_dir)
    start = time.perf_counter()
    for _batch in train_loader:
        pass
    loading = time.perf_counter() - start

    images, labels = load_mnist(data_dir, train=True)
    x, y = mnist_to_tensor(images), labels
    model = ConvolutionalNetwork()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

    def steps(batch: int, count: int) -> float:
        start = time.perf_counter()
        for i in range(count):
            xb, yb = x[i * batch : (i + 1) * batch], y[i * batch : (i + 1) * batch]
            loss = nn.functional.nll_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    small = steps(10, 6000)
    large = steps(1000, 60)
    return [
        f"{'one notebook epoch, DataLoader alone (60,000 PIL items)':<58}{loading:>8.1f} s",
        f"{'one epoch as 6,000 steps of 10 in-memory images':<58}{small:>8.1f} s",
        f"{'one epoch as 60 steps of 1,000 in-memory images':<58}{large:>8.1f} s  (the arithmetic)",
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="runs of each (default: %(default)s)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--update-readme", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    notebook, ours = [], []
    for i in range(args.repeats):  # interleaved, so both see the same machine
        notebook.append(notebook_run(args.data_dir, args.seed + i))
        ours.append(recipe_run(args.data_dir, args.seed + i, "default")[:2])
        print(
            f"run {i + 1}: notebook {notebook[-1][0]:.1f} s {100 * notebook[-1][1]:.2f}% | "
            f"default {ours[-1][0]:.1f} s {100 * ours[-1][1]:.2f}%",
            flush=True,
        )
    nb_time = statistics.median(t for t, _ in notebook)
    our_time = statistics.median(t for t, _ in ours)
    rows = [
        f"{args.threads} CPU threads, torch {torch.__version__}, medians of {args.repeats} runs",
        f"{'recipe':<40}{'wall time':>12}{'test accuracy':>16}",
        f"{'notebook (seed): batch 10, DataLoader':<40}{nb_time:>10.1f} s"
        f"{100 * statistics.median(a for _, a in notebook):>15.2f}%",
        f"{'default: in-memory, one-cycle':<40}{our_time:>10.1f} s"
        f"{100 * statistics.median(a for _, a in ours):>15.2f}%",
        "",
        f"default / notebook wall time: 1/{nb_time / our_time:.1f} (target: 1/5 or less)",
        "",
        *breakdown(args.data_dir),
    ]
    table = "\n".join(rows)
    from benchmarks.readme import report

    report("train-speed", table, "python benchmarks/train_speed.py --update-readme", args.update_readme)


if __name__ == "__main__":
    main()
