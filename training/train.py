"""Train the MNIST CNN and write a complete model folder (the Hub repo layout).

    python -m training.train --output-dir runs/mnist-cnn                    # the default (fast) recipe
    python -m training.train --recipe notebook --output-dir runs/notebook   # the notebook's recipe, exactly

The folder gets config.json, model.safetensors, the card README.md, metrics.json, training_curves.png,
confusion_matrix.png, misses.safetensors and misses.png. It is built in a temporary folder and swapped into
place, so it is always complete. After each epoch a checkpoint is written beside it; if the run is killed,
the same command with --resume continues from the last completed epoch and ends with the same weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from mnist_hub.export import export_onnx
from mnist_hub.files import CARD_NAME, ONNX_NAME, SNAPSHOTS_NAME, WEIGHTS_NAME
from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.preprocessing import mnist_to_tensor
from mnist_hub.snapshots import load_snapshots, save_snapshots
from training.artifacts import sha256_of, write_evaluation_artifacts
from training.atomic import staged_directory
from training.augment import random_affine, random_low_resolution
from training.card import write_model_card
from training.checkpoint import CheckpointError, checkpoint_path, load_checkpoint, save_checkpoint
from training.data import DataError, load_mnist
from training.extra_data import ExtraData, held_out_figures, load_extra_data
from training.gate import DEFAULT_DRAWN, gate_figures
from training.metrics import Evaluation, evaluate, format_accuracy
from training.outliers import make_outliers
from training.push import add_push_arguments
from training.push import run as push_folder
from training.recipe import Recipe, add_recipe_arguments, check_recipe_arguments, flag, recipe_for
from training.refusal import evaluate_refusal, fit_calibration, refusal_report, refused_mask

OUTLIER_SHARE = 0.5  # each batch of digits comes with this many non-digits per digit
SNAPSHOT_EPOCHS = "1,2,3,5,10,20"  # kept for Look inside (with the last): ~120 KB each in float16


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m training.train",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    add_recipe_arguments(p)
    p.add_argument("--data-dir", default=None, help="MNIST root (default: $MNIST_DATA_DIR, else ./data)")
    p.add_argument("--output-dir", default="runs/mnist-cnn", help="model folder to (re)write (default: %(default)s)")
    p.add_argument(
        "--extra-data",
        metavar="PATH_OR_DATASET_REPO",
        default=None,
        help="also train on users' corrections: a corrections folder or a Hub dataset repo (user/name[@revision])",
    )
    p.add_argument(
        "--unreviewed",
        action="store_true",
        help="with --extra-data: train on corrections not reviewed yet too (never on rejected ones); the card says so",
    )
    p.add_argument(
        "--extra-weight",
        type=int,
        default=1,
        help="each correction counts as this many training digits (default: %(default)s)",
    )
    p.add_argument(
        "--snapshots",
        default=SNAPSHOT_EPOCHS,
        help="epochs whose weights are kept for Look inside, comma-separated, and the last (default: %(default)s)",
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--train-limit", type=int, default=None, help="train on the first N images only (smoke runs)")
    p.add_argument("--test-limit", type=int, default=None, help="evaluate on the first N test images only")
    p.add_argument(
        "--gate-drawn",
        type=int,
        default=DEFAULT_DRAWN,
        help="test digits redrawn on canvases for the per-digit push gate (training.gate; default: %(default)s)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed run from its last completed epoch (OUTPUT-DIR.checkpoint.pt; same flags)",
    )
    publish = p.add_argument_group("publishing (with --push-to; see python -m training.push --help)")
    publish.add_argument(
        "--push-to",
        metavar="USER/NAME",
        default=None,
        help="after training, push the folder to this Hub repo (quality gate included)",
    )
    add_push_arguments(publish)
    args = p.parse_args(argv)
    check_recipe_arguments(p, args)
    for name in ("train_limit", "test_limit", "threads", "extra_weight"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"{flag(name)} must be at least 1")
    if args.gate_drawn < 0:
        p.error("--gate-drawn cannot be negative")
    try:
        args.snapshots = sorted({int(e) for e in args.snapshots.split(",") if e.strip()})
    except ValueError:
        p.error(f"--snapshots takes epoch numbers separated by commas, not {args.snapshots!r}")
    if any(e < 1 for e in args.snapshots):
        p.error("--snapshots: epochs count from 1")
    return args


def pick_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def make_deterministic(seed: int, device: torch.device) -> torch.Generator:
    """Seed everything and forbid non-deterministic kernels: same flags, same machine, same weights."""
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    return torch.Generator().manual_seed(seed)


def describe_parameters(model: torch.nn.Module) -> str:
    """The model and its per-layer parameter counts, as the notebook's ``count_parameters`` printed them."""
    lines = [str(model), ""]
    total = 0
    for name, param in model.named_parameters():
        if param.requires_grad:
            lines.append(f"{name:<14}{tuple(param.shape)!s:<14}{param.numel():>8,}")
            total += param.numel()
    lines.append(f"{'total':<28}{total:>8,}")
    return "\n".join(lines)


def run_settings(args: argparse.Namespace, device: torch.device) -> dict:
    """Everything that decides the weights: a checkpoint only continues the run it came from."""
    return {
        "recipe": args.recipe,
        **asdict(recipe_for(args)),
        "seed": args.seed,
        "train_limit": args.train_limit,
        "test_limit": args.test_limit,
        "device": device.type,
        "extra_data": args.extra_data,
        "extra_weight": args.extra_weight,
        "unreviewed": args.unreviewed,
    }


def recorded_command(argv: Sequence[str], secrets: Iterable[str | None]) -> str:
    """The command that started the run, as metrics.json and the card record it, with every secret left out.

    An argument holding a secret is dropped together with the option that introduced it, however it was spelled
    (``--token X``, ``--token=X`` or any prefix argparse accepts, such as ``--tok X``).
    """
    secrets = [s for s in secrets if s]
    kept: list[str] = []
    for arg in argv:
        if any(secret in arg for secret in secrets):
            if kept and kept[-1].startswith("-") and "=" not in kept[-1]:
                kept.pop()
            continue
        kept.append(arg)
    return "python -m training.train " + shlex.join(kept)


def make_optimizer(
    model: torch.nn.Module, recipe: Recipe, steps_per_epoch: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """The recipe's optimizer, and its learning-rate schedule stepped every batch (None for a constant rate)."""
    params, lr, decay = model.parameters(), recipe.lr, recipe.weight_decay
    if recipe.optimizer == "sgd":
        optimizer: torch.optim.Optimizer = torch.optim.SGD(
            params, lr=lr, momentum=0.9, nesterov=True, weight_decay=decay
        )
    elif recipe.optimizer == "adamw":
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=decay)
    else:
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=decay)
    if recipe.schedule == "constant":
        return optimizer, None
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.lr, epochs=recipe.epochs, steps_per_epoch=steps_per_epoch
    )
    return optimizer, scheduler


def train_epoch(
    state: TrainingState, data: TrainingData, recipe: Recipe, desc: str, quiet: bool, outliers: bool
) -> tuple[float, float]:
    """One pass over the shuffled training images in batches, updating the weights' moving average (if any) after
    every step; returns (mean loss, accuracy) on the training batches.

    With ``outliers`` (outlier exposure, Hendrycks et al. 2019), each batch also holds random non-digits, augmented
    alike, whose loss is the cross-entropy to the uniform distribution: the network learns to answer "no digit in
    particular" for them, which is what its ``digit_score`` then reads."""
    model, optimizer, scheduler, generator, average = (
        state.model,
        state.optimizer,
        state.scheduler,
        state.generator,
        state.average,
    )
    x_train, y_train, outliers = data.x_train, data.y_train, data.outliers if outliers else None
    model.train()
    batches = torch.randperm(len(x_train), generator=generator).to(x_train.device).split(recipe.batch_size)
    progress = tqdm(batches, desc=desc, disable=quiet, unit="batch", mininterval=0.5)
    seen = correct = 0
    loss_sum = 0.0
    for step, batch in enumerate(progress):
        xb, yb = x_train[batch], y_train[batch]
        if recipe.augment and recipe.lowres:
            xb = random_low_resolution(xb, generator, recipe.lowres)
        if outliers is not None:
            picks = torch.randint(len(outliers), (round(OUTLIER_SHARE * len(batch)),), generator=generator)
            xb = torch.cat([xb, outliers[picks.to(outliers.device)]])
        if recipe.augment:
            xb = random_affine(xb, generator, elastic_alpha=recipe.elastic)
        log_probs = model(xb)
        log_probs, outlier_log_probs = log_probs[: len(yb)], log_probs[len(yb) :]
        if recipe.label_smoothing:  # cross_entropy of log-probabilities: log_softmax is idempotent
            loss = F.cross_entropy(log_probs, yb, label_smoothing=recipe.label_smoothing)
        else:
            loss = F.nll_loss(log_probs, yb)
        digit_loss = loss.detach()  # what is reported: the loss on the digits alone
        if outliers is not None:
            loss = loss - recipe.outliers * outlier_log_probs.mean()  # cross-entropy to uniform, up to a constant
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if average is not None:
            average.update_parameters(model)
        seen += len(yb)
        loss_sum += digit_loss.item() * len(yb)
        correct += int((log_probs.argmax(1) == yb).sum())
        if step % 50 == 0 or step == len(batches) - 1:
            progress.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{100 * correct / seen:.2f}%")
    return loss_sum / seen, correct / seen


def training_record(
    args: argparse.Namespace, recipe: Recipe, device: torch.device, train_images: int, wall_time: float, command: str
) -> dict:
    """The ``training`` section of metrics.json: how the weights were made, and the command that makes them again."""
    return {
        "recipe": args.recipe,
        **asdict(recipe),
        "seed": args.seed,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "train_images": train_images,
        "wall_time_seconds": round(wall_time, 2),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu_count": os.cpu_count(),
        "command": command,
    }


def calibrated(
    model: ConvolutionalNetwork, recipe: Recipe, x_held: torch.Tensor | None, y_held: torch.Tensor | None
) -> ConvolutionalNetwork:
    """The trained network with its temperature (and, if it was taught non-digits, its "not a digit" threshold)
    fitted on the held-out digits, built anew so that ``config.json`` records them. Without held-out digits the
    network is returned as it is."""
    if x_held is None or y_held is None:
        return model
    temperature, threshold = fit_calibration(model, x_held, y_held, recipe.refuse_share)
    result = ConvolutionalNetwork(
        **recipe.network_sizes(),
        temperature=temperature,
        digit_threshold=round(threshold, 6) if recipe.outliers else None,
    )
    result.load_state_dict(model.state_dict())
    print(
        f"Calibrated on {len(y_held):,} held-out digits: temperature {temperature:.4f}"
        + (f", not-a-digit threshold {threshold:.4f}" if recipe.outliers else "")
    )
    return result.eval()


def write_model_folder(
    output_dir: Path,
    model: ConvolutionalNetwork,
    final: Evaluation,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    training: dict,
    history: list[dict],
    snapshots: dict[int, dict[str, torch.Tensor]],
    gate_drawn: int = DEFAULT_DRAWN,
) -> None:
    """Weights, config, snapshots, metrics, plots, misses and card, built aside and renamed into ``output_dir`` when
    complete."""
    model = model.cpu().to(memory_format=torch.contiguous_format)
    refusal = evaluate_refusal(model, test_images, test_labels)
    print("\n" + refusal_report(refusal))
    with staged_directory(output_dir) as staging:
        model.save_pretrained(staging)
        (staging / CARD_NAME).unlink()  # the mixin's generic card; ours is rendered from the metrics
        write_evaluation_artifacts(
            staging,
            final,
            test_images,
            weights_sha256=sha256_of(staging / WEIGHTS_NAME),
            parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
            training=training,
            history=history,
            refusal=refusal,
            refused=refused_mask(model, test_images),
            snapshots=snapshot_accuracies(staging / SNAPSHOTS_NAME, snapshots, model, test_images, test_labels),
            gate=gate_figures(model, test_images, test_labels, gate_drawn),
        )
        export_onnx(model, staging / ONNX_NAME)
        write_model_card(staging)


def snapshot_accuracies(
    path: Path,
    snapshots: dict[int, dict[str, torch.Tensor]],
    model: ConvolutionalNetwork,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
) -> list[dict]:
    """Save the snapshots at ``path`` and measure each as it is read back (float16 weights): metrics.json's
    ``snapshots``, the test accuracy after each kept epoch."""
    save_snapshots(path, snapshots)
    measured = []
    for epoch, network in load_snapshots(path, model):
        result = evaluate(network, test_images, test_labels)
        measured.append({"epoch": epoch, "test_accuracy": round(result.accuracy, 6), "correct": result.correct})
    return measured


@dataclass
class TrainingData:
    """What a run trains on: the training digits (held-out ones taken out, corrections added), the held-out digits
    for calibration, the test set, the corrections, and the non-digits for outlier exposure."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_held: torch.Tensor | None
    y_held: torch.Tensor | None
    test_images: torch.Tensor
    test_labels: torch.Tensor
    extra: ExtraData | None
    outliers: torch.Tensor | None


def load_data(args: argparse.Namespace, recipe: Recipe, device: torch.device) -> TrainingData:
    """MNIST as the flags say (limits, held-out digits, users' corrections) and the generated non-digits."""
    train_images, train_labels = load_mnist(args.data_dir, train=True)
    test_images, test_labels = load_mnist(args.data_dir, train=False)
    train_images, train_labels = train_images[: args.train_limit], train_labels[: args.train_limit]
    # channels_last makes the small convolutions and poolings markedly faster on CPU (measured).
    x_train = mnist_to_tensor(train_images).to(device, memory_format=torch.channels_last)
    y_train = train_labels.to(device)
    x_held, y_held = None, None
    if recipe.holdout >= len(x_train):
        raise DataError(f"--holdout {recipe.holdout} leaves no training digits of {len(x_train):,}: hold out fewer")
    if recipe.holdout:  # a fixed, seeded share of the training digits, never trained on: for calibration only
        order = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(args.seed)).to(device)
        held, kept = order[: recipe.holdout], order[recipe.holdout :]
        x_held, y_held, x_train, y_train = x_train[held].cpu(), y_train[held].cpu(), x_train[kept], y_train[kept]
    extra = None
    if args.extra_data:
        extra = corrections(args)
        repeated = extra.train_digits.repeat(args.extra_weight, 1, 1, 1)
        x_train = torch.cat([x_train, repeated.to(device, memory_format=torch.channels_last)])
        y_train = torch.cat([y_train, extra.train_labels.repeat(args.extra_weight).to(device)])
    outliers = None
    if recipe.outliers:
        print(f"Generating {recipe.outlier_count:,} non-digit pictures for outlier exposure (training.outliers)")
        outliers = make_outliers(recipe.outlier_count, args.seed, quiet=args.quiet)
        if extra is not None and len(extra.train_outliers):
            outliers = torch.cat([outliers, extra.train_outliers.repeat(args.extra_weight, 1, 1, 1)])
        outliers = outliers.to(device, memory_format=torch.channels_last)
    test_images, test_labels = test_images[: args.test_limit], test_labels[: args.test_limit]
    return TrainingData(x_train, y_train, x_held, y_held, test_images, test_labels, extra, outliers)


def corrections(args: argparse.Namespace) -> ExtraData:
    """Users' corrections (``--extra-data``), said in one line; ``DataError`` when they cannot be read."""
    try:
        extra = load_extra_data(args.extra_data, unreviewed=args.unreviewed)
    except (ValueError, OSError) as err:
        raise DataError(f"Cannot read the corrections {args.extra_data}: {err}") from None
    print(
        f"Corrections from {extra.source}" + (f" @ {extra.revision}" if extra.revision else "") + ": "
        f"{len(extra.train_labels)} digits (x{args.extra_weight}) and {len(extra.train_outliers)} not-digits "
        f"join training, {len(extra.held_out)} are held out"
    )
    return extra


@dataclass
class TrainingState:
    """Everything a run carries from epoch to epoch, in one shape: what a checkpoint holds and ``--resume``
    restores (``state_dict`` / ``load_state_dict``), and what ``train_epoch`` updates."""

    model: ConvolutionalNetwork
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    generator: torch.Generator
    average: AveragedModel | None
    history: list[dict] = field(default_factory=list)  # one record per epoch (metrics.json's history)
    snapshots: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)  # epoch -> the weights then

    @classmethod
    def start(cls, recipe: Recipe, device: torch.device, generator: torch.Generator, steps: int) -> TrainingState:
        """A fresh network, its optimizer and schedule for ``steps`` batches an epoch, and its moving average."""
        model = ConvolutionalNetwork(**recipe.network_sizes()).to(device, memory_format=torch.channels_last)
        optimizer, scheduler = make_optimizer(model, recipe, steps)
        average = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(recipe.ema)) if recipe.ema else None
        return cls(model, optimizer, scheduler, generator, average)

    @property
    def trained(self) -> ConvolutionalNetwork:
        """What is evaluated and saved: the moving average of the weights, if any, else the network."""
        return self.average.module if self.average is not None else self.model

    @property
    def epoch(self) -> int:
        """The last completed epoch (0 before the first)."""
        return len(self.history)

    def state_dict(self) -> dict:
        return {
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "generator": self.generator.get_state(),
            "average": self.average.state_dict() if self.average is not None else None,
            "history": self.history,
            "snapshots": self.snapshots,
        }

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        if self.average is not None:
            self.average.load_state_dict(state["average"])
        self.history = state["history"]
        self.snapshots = state.get("snapshots", {})

    def record(self, epoch: int, train: tuple[float, float], test: Evaluation, seconds: float, keep: bool) -> None:
        """Close an epoch: its figures into the history, and (``keep``) its weights into the snapshots."""
        self.history.append(
            {
                "epoch": epoch,
                "train_loss": round(train[0], 6),
                "train_accuracy": round(train[1], 6),
                "test_loss": round(test.loss, 6),
                "test_accuracy": round(test.accuracy, 6),
                "seconds": round(seconds, 3),
            }
        )
        if keep:
            self.snapshots[epoch] = {k: v.detach().cpu().clone() for k, v in self.trained.state_dict().items()}


def train(args: argparse.Namespace, command: str) -> Path:
    """Train as ``args`` say and write the model folder; ``command`` is recorded as the way to reproduce it."""
    recipe = recipe_for(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    generator = make_deterministic(args.seed, device)
    run = run_settings(args, device)
    checkpoint = checkpoint_path(args.output_dir)
    resumed = load_checkpoint(checkpoint, run) if args.resume else None
    if resumed is None and checkpoint.exists():
        print(f"Starting over: {checkpoint} (an unfinished run) will be replaced; --resume continues it.\n")
    data = load_data(args, recipe, device)
    state = TrainingState.start(recipe, device, generator, -(-len(data.x_train) // recipe.batch_size))
    print(describe_parameters(state.model))
    print(
        f"\nRecipe {args.recipe}: {asdict(recipe)}, seed {args.seed}, device {device}, "
        f"{torch.get_num_threads()} CPU threads, {len(data.x_train):,} training images\n"
    )
    start = time.perf_counter()
    if resumed is not None:
        state.load_state_dict(resumed)
        start -= state.history[-1]["seconds"]
        print(f"Resuming after epoch {resumed['epoch']} of {recipe.epochs} from {checkpoint}\n")

    for epoch in range(state.epoch + 1, recipe.epochs + 1):
        with_outliers = epoch > recipe.epochs - (recipe.outlier_epochs or recipe.epochs)
        figures = train_epoch(state, data, recipe, f"epoch {epoch}/{recipe.epochs}", args.quiet, with_outliers)
        test = evaluate(state.trained, data.test_images, data.test_labels)
        keep = epoch in args.snapshots or epoch == recipe.epochs
        state.record(epoch, figures, test, time.perf_counter() - start, keep)
        print(
            f"epoch {epoch}: train loss {figures[0]:.4f} acc {100 * figures[1]:.2f}% | "
            f"test loss {test.loss:.4f} acc {format_accuracy(test.correct, test.total)}",
            flush=True,
        )
        save_checkpoint(checkpoint, {"run": run, **state.state_dict()})
    wall_time = time.perf_counter() - start

    training = training_record(args, recipe, device, len(data.x_train), wall_time, command)
    if resumed is not None:
        training["resumed_after_epoch"] = resumed["epoch"]
    output_dir = finish(args, recipe, data, state, training)
    checkpoint.unlink(missing_ok=True)
    print(f"\nTrained in {wall_time:.1f} s; wrote {output_dir}")
    return output_dir


def finish(args: argparse.Namespace, recipe: Recipe, data: TrainingData, state: TrainingState, training: dict) -> Path:
    """Calibrate the trained network, evaluate it and write the model folder; returns the folder."""
    trained = calibrated(state.trained.cpu().eval(), recipe, data.x_held, data.y_held)
    if data.x_held is not None and data.y_held is not None:  # never trained on: what a recipe is chosen by
        right = int((trained.predict_proba(data.x_held).argmax(dim=1) == data.y_held).sum())
        training["validation"] = {"correct": right, "total": len(data.y_held)}
        print(f"Validation (held-out training digits): {format_accuracy(right, len(data.y_held))}")
    final = evaluate(trained, data.test_images, data.test_labels)
    print("\n" + final.report())
    if data.extra is not None:
        training["extra_data"] = {
            **data.extra.record(args.extra_weight),
            "held_out_results": held_out_figures(trained, data.extra),
        }
        print(f"Held-out corrections: {training['extra_data']['held_out_results']}")
    output_dir = Path(args.output_dir)
    write_model_folder(
        output_dir,
        trained,
        final,
        data.test_images,
        data.test_labels,
        training,
        state.history,
        state.snapshots,
        args.gate_drawn,
    )
    return output_dir


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    # A token may be given with --token (or be pasted into another flag from $HF_TOKEN): never record it.
    command = recorded_command(argv, secrets=[args.token, os.environ.get("HF_TOKEN")])
    try:
        output_dir = train(args, command)
    except (DataError, CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        message = f"\nInterrupted: {args.output_dir} is unchanged."
        if checkpoint_path(args.output_dir).exists():
            message += " The same command with --resume continues from the last completed epoch."
        print(message, file=sys.stderr)
        return 130
    if args.push_to:
        return push_folder(output_dir, args.push_to, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
