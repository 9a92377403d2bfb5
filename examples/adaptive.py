"""Adaptive augmentation on real digits: strength driven by the overfitting gap (StyleGAN2-ADA style).

Trains the demo's CNN (`examples/_digits.py`: scikit-learn's bundled UCI
digits at their native 8x8) on a deliberately small labelled set
(`--labelled`, default 200 images: 160 train + 40 validation, drawn from the
training pool) three times per seed:

1. `fixed 0`   strength 0: no augmentation at all;
2. `fixed 1`   strength 1: every transform and the mixing collate at full strength;
3. `adaptive`  `OverfitPolicy.for_classifier`: every 4 batches the strength moves by
   `num_samples / (ada_kimg * 1000)` toward holding the gap between the accuracy on
   clean training images and on the VALIDATION split at `--target`.

The validation split is carved out of the labelled training images; the test
split (360 images, fixed) is never seen by the policy and is only used for the
final numbers.

The augmentation is the same in all three runs, only the knob differs:
a random shift whose size scales with strength (`strength_mode = "magnitude"`),
`loaders.image.Cutout(size=0.25, p=0.5)` applied with probability `p * strength`
(`"p"` mode), and `collate.MixUpOrCutMix(p=0.5)` mixing with probability
`p * strength`. Batches are dispatched by `KeyedBatchSampler` (via
`AugmentedDataset.loader`), so the knob value is bound to each batch in the
main process; `WithKnobs` hands it back with the batch, and that *applied*
value is what the plot shows.

Prints final validation and test accuracy per run (mean ± sd over `--seeds`)
and saves `outputs/adaptive.png` (seed 0: applied strength per batch,
train/validation accuracy during training) and `outputs/adaptive_results.json`.

Usage:
    python examples/adaptive.py [--labelled 200] [--seeds 3] [--steps 300] [--quick] [--out outputs]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _digits import CUTOUT_ARGS, MIX_ARGS, Config, labelled_split, load_digits_split, mean_sd, train_run  # noqa: E402

from loaders import Compose, Transform  # noqa: E402
from loaders.adaptive import describe_strength  # noqa: E402
from loaders.image import Cutout  # noqa: E402


class RandomShift(Transform):
    """Shift a `CHW` image by up to `round(strength * max_shift)` pixels (zero fill).

    `strength_mode = "magnitude"`: always applied, the maximum shift scales
    with the knob (strength 0: identity).
    """

    strength_mode = "magnitude"

    def __init__(self, max_shift: int = 1, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.max_shift = int(max_shift)

    def _sample(self, rng, strength):
        m = int(round(strength * self.max_shift))
        dy, dx = (int(v) for v in rng.integers(-m, m + 1, size=2))
        return {"dy": dy, "dx": dx}

    def _apply(self, x, params):
        dy, dx = params["dy"], params["dx"]
        if dy == 0 and dx == 0:
            return x
        out = torch.zeros_like(x)
        h, w = x.shape[-2:]
        out[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
            ..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
        ]
        return out

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, p={self.p})"


def augmentation() -> Compose:
    """The per-sample pipeline all three runs share (only the knob differs)."""
    return Compose([RandomShift(max_shift=1), Cutout(**CUTOUT_ARGS)])


RUNS = (
    ("fixed 0", Config("fixed 0", "strength 0", cutout=True, mix=True), 0.0),
    ("fixed 1", Config("fixed 1", "strength 1", cutout=True, mix=True), 1.0),
    ("adaptive", Config("adaptive", "OverfitPolicy", cutout=True, mix=True, adaptive=True), None),
)


def save_plot(logs: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_s, ax_a) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    colors = {"fixed 0": "tab:gray", "fixed 1": "tab:orange", "adaptive": "tab:blue"}
    for log in logs:
        c = colors.get(log["run"])
        steps = np.arange(1, len(log["applied_strength"]) + 1)
        ax_s.plot(steps, log["applied_strength"], color=c, label=log["run"], drawstyle="steps-post")
        t = [p["step"] for p in log["trace"]]
        ax_a.plot(t, [p["val_acc"] for p in log["trace"]], color=c, label=f"{log['run']} validation")
        ax_a.plot(
            t, [p["train_acc"] for p in log["trace"]], color=c, linestyle="--", alpha=0.7, label=f"{log['run']} train"
        )
    ax_s.set_ylabel("strength applied to each batch")
    ax_s.set_ylim(-0.05, 1.3)
    ax_s.legend(loc="upper center", ncol=3)
    ax_s.set_title("Adaptive augmentation (OverfitPolicy on the train/validation accuracy gap), seed 0", fontsize=11)
    ax_a.set_xlabel("optimizer step")
    ax_a.set_ylabel("accuracy (clean images)")
    ax_a.set_ylim(0.5, 1.02)
    ax_a.legend(loc="lower right", ncol=3, fontsize=8)
    ax_a.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labelled", type=int, default=200, help="labelled images (80 %% train, 20 %% validation)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 3; --quick: 1)")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps per run (default 300; --quick: 8)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument("--target", type=float, default=0.05, help="train/validation accuracy gap to hold")
    parser.add_argument(
        "--ada-kimg",
        type=float,
        default=None,
        help="thousands of samples for a full 0 -> 1 swing (default: a quarter of the run)",
    )
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (default 0)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training (default 1)")
    parser.add_argument("--out", default="outputs")
    args = parser.parse_args(argv)
    steps = args.steps if args.steps is not None else (8 if args.quick else 300)
    n_seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)
    if steps < 1 or n_seeds < 1 or args.workers < 0 or args.batch_size < 1:
        parser.error("need --steps >= 1, --seeds >= 1, --workers >= 0, --batch-size >= 1")
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()

    pool, test = load_digits_split()
    try:
        splits = [labelled_split(pool, args.labelled, seed) for seed in range(n_seeds)]
    except ValueError as exc:
        parser.error(str(exc))
    train0, val0 = splits[0]
    print(
        f"UCI digits: {args.labelled} labelled images ({len(train0)} train + {len(val0)} validation, drawn from "
        f"{len(pool)}), {len(test)} test images; {steps} steps of batch {args.batch_size} per run, "
        f"{n_seeds} seeds",
        flush=True,
    )
    logs: list[dict[str, Any]] = []
    for seed, (train, val) in enumerate(splits):
        for name, config, fixed in RUNS:
            log = train_run(
                config,
                train,
                val,
                test,
                seed=seed,
                steps=steps,
                batch_size=args.batch_size,
                workers=args.workers,
                target=args.target,
                ada_kimg=args.ada_kimg,
                probe_every=4,
                fixed_strength=fixed,
                transform=augmentation(),
            )
            log.pop("probs")
            log["run"] = name
            logs.append(log)
            print(
                f"  seed {seed}  {name:<9} final val acc {log['val_accuracy']:.2%}  "
                f"test acc {log['test_accuracy']:.2%}  ({log['train_seconds']:.1f} s)",
                flush=True,
            )

    print("\nHow the knob maps to the augmentation (probability of applying at each strength):")
    print(describe_strength(augmentation()))
    print(f"MixUpOrCutMix(p={MIX_ARGS['p']}): mixes with probability p * strength.\n")
    header = f"{'run':<10} {'final val acc':>16} {'test acc':>16} {'mean strength':>14}"
    print(header + f"   (mean ± sd over {n_seeds} seeds)")
    print("-" * len(header))
    summary = {}
    for name, _, _ in RUNS:
        mine = [log for log in logs if log["run"] == name]
        v, vs = mean_sd([log["val_accuracy"] for log in mine])
        a, s = mean_sd([log["test_accuracy"] for log in mine])
        st = float(np.mean([np.mean(log["applied_strength"]) for log in mine]))
        summary[name] = {"val_accuracy": [v, vs], "test_accuracy": [a, s], "mean_strength": st}
        print(f"{name:<10} {100 * v:9.2f} ± {100 * vs:4.2f} {100 * a:9.2f} ± {100 * s:4.2f} {st:14.2f}")
    out_dir = Path(args.out)
    png = save_plot([log for log in logs if log["seed"] == 0], out_dir / "adaptive.png")
    with open(out_dir / "adaptive_results.json", "w") as fh:
        json.dump(
            {
                "steps": steps,
                "labelled": args.labelled,
                "train_size": len(train0),
                "val_size": len(val0),
                "test_size": len(test),
                "seeds": list(range(n_seeds)),
                "target": args.target,
                "ada_kimg": args.ada_kimg,
                "summary": summary,
                "runs": logs,
            },
            fh,
            indent=1,
        )
    print(f"\nPlot:    {png.resolve()}")
    print(f"Numbers: {(out_dir / 'adaptive_results.json').resolve()}")
    print(f"Total time: {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
