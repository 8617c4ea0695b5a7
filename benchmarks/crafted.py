"""What crafted drawings cost the server: CPU seconds and candidate digits scored per reading, beside a baseline.

    python benchmarks/crafted.py                      # beside 3f17a7f, main as issue 35 found it
    python benchmarks/crafted.py --update-readme

Small PNGs within every limit of the demo (``training.synthetic``'s dots, sprinkled, blobs, zigzag and combs:
shaped to make a number's reading do the most work), and two honest pictures, each read by ``read_number`` as
the demo reads an upload, in a fresh process per checkout, on 1 thread (the demo answers one request per core).
CPU seconds are the process's own (``time.process_time``), the median of ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.inference import extract, run_in
from benchmarks.readme import report
from training.synthetic import SEVEN, blobs, combs, dots, draw, sprinkled, zigzag

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "3f17a7f"  # main as issue 35 found it: every run of adjacent pieces a candidate, scored twice
TARGET = 0.5  # CPU seconds for any request within the limits (issue 35)
READER = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(1)
from mnist_hub import load_model
from mnist_hub import predict
from pathlib import Path
if Path(sys.argv[1], "mnist_hub", "numbers.py").exists():  # since issue 36 (an import would find this checkout's)
    from mnist_hub import numbers as reader
else:
    reader = predict
model, scored = load_model(), []
classify = reader.classify
reader.classify = lambda m, x: (scored.append(len(x)), classify(m, x))[1]
results = {}
for path in sys.argv[3:]:
    data = open(path, "rb").read()
    seconds = []
    for _ in range(int(sys.argv[2])):
        scored.clear()
        start = time.process_time()
        try:
            text = reader.number_text(reader.read_number(model, data)[1])
        except ValueError as err:
            text = str(err).split(":")[0]
        seconds.append(time.process_time() - start)
    results[path] = [statistics.median(seconds), sum(scored), text]
print(json.dumps(results))
"""


def pictures() -> dict[str, object]:
    """The crafted drawings and two honest pictures, by name."""
    rng = np.random.default_rng(0)
    return {
        "300 dots (issue 35)": dots(300, rng),
        "100 dots": dots(100, rng),
        "40 dots": dots(40, rng),
        "noise inside a 1-px margin": sprinkled(0.02, rng),
        "40 blobs": blobs(40, rng),
        "zigzag, 6 px period": zigzag(30, 6),
        "zigzag, 3 px period": zigzag(60, 3),
        "38 combs": combs(38),
        "8 wide combs": combs(8, side=280, height=40),
        "a drawn 7": draw(SEVEN),
        "examples/number.png": ROOT / "examples" / "number.png",
    }


def read_all(root: Path, files: list[Path], runs: int) -> dict[str, list]:
    return json.loads(run_in(root, READER, runs, *files).splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", default=BASELINE, help="revision read side by side, '' for none (%(default)s)")
    p.add_argument("--runs", type=int, default=3, help="readings of each picture (median; default %(default)s)")
    p.add_argument("--update-readme", action="store_true", help="write the table into benchmarks/README.md")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for k, (name, picture) in enumerate(pictures().items()):
            files[name] = Path(tmp) / f"{k}.png"
            if isinstance(picture, Path):
                files[name].write_bytes(picture.read_bytes())
            else:
                picture.save(files[name])
        now = read_all(ROOT, list(files.values()), args.runs)
        base = extract(args.baseline, Path(tmp) / "baseline") if args.baseline else None
        before = read_all(base, list(files.values()), 1) if base else {}
        sizes = {name: path.stat().st_size for name, path in files.items()}
    rows = [f"{'picture':<28}{'PNG':>8}{'CPU s':>8}{'scored':>8}{'before':>9}{'scored':>8}  read now"]
    for name, path in files.items():
        seconds, scored, text = now[str(path)]
        was = before.get(str(path))
        then = f"{was[0]:>9.2f}{was[1]:>8,}" if was else f"{'-':>9}{'-':>8}"
        rows.append(f"{name:<28}{sizes[name]:>8,}{seconds:>8.3f}{scored:>8,}{then}  {text[:40]}")
    crafted = [now[str(files[name])][0] for name in list(files)[:-2]]
    worst = max(crafted)
    met = "" if worst <= TARGET else ": not met"
    dots_before = before.get(str(files["300 dots (issue 35)"]))
    rows += [
        "",
        f"the costliest crafted drawing: {worst:.2f} CPU s (target: <= {TARGET} CPU s{met})"
        + (f"; 300 dots before: {dots_before[0]:.1f} CPU s, {dots_before[1]:,} candidates" if dots_before else ""),
        f"'before' is {args.baseline or 'not measured'}; CPU seconds on 1 thread, median of {args.runs} readings",
    ]
    report("crafted", "\n".join(rows), "python benchmarks/crafted.py --update-readme", args.update_readme)


if __name__ == "__main__":
    main()
