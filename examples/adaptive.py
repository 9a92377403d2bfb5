"""Adaptive augmentation on real digits: strength driven by the overfitting gap (StyleGAN2-ADA style).

Trains the digits demo's CNN (``examples/demo.py``: scikit-learn's bundled UCI
digits, upsampled to 16x16) on a deliberately small training subset
(``--train-size``, default 100 images, 10 per class) three times:

1. ``fixed 0``   strength 0: no augmentation at all;
2. ``fixed 1``   strength 1: every transform and the mixing collate at full strength;
3. ``adaptive``  ``OverfitPolicy.for_classifier``: after every epoch the
   strength moves by ``num_samples / (ada_kimg * 1000)`` toward holding the
   train/validation accuracy gap at ``--target``.

The augmentation is the same in all three runs, only the knob differs:
a random shift whose size scales with strength (``strength_mode="magnitude"``),
``loaders.image.Cutout(size=0.5, p=1.0)`` applied with probability ``strength``
(``"p"`` mode), and ``collate.MixUpOrCutMix(p=1.0)`` mixing with probability
``strength``. Batches are dispatched by ``KeyedBatchSampler`` (via
``AugmentedDataset.loader``), so the knob value is bound to each batch in the
main process; ``WithKnobs`` hands it back with the batch, and that *applied*
value is what the plot shows.

Prints a table of final (and best) validation accuracy and saves
``outputs/adaptive.png`` (applied strength per batch, train/validation accuracy
per epoch) and ``outputs/adaptive_results.json``.

Usage:
    python examples/adaptive.py [--epochs 60] [--quick] [--workers 2] [--out outputs]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parent))  # run from a fresh clone without installing
sys.path.insert(0, str(_HERE))  # the demo's data and model

from demo import NUM_CLASSES, Digits, accuracy, load_digits_uint8, make_model, to_input  # noqa: E402

from collate import MixUpOrCutMix  # noqa: E402
from loaders import AugmentedDataset, Compose, Transform  # noqa: E402
from loaders.adaptive import AdaptiveStrength, OverfitPolicy, WithKnobs, describe_strength  # noqa: E402
from loaders.image import Cutout  # noqa: E402


class RandomShift(Transform):
    """Shift a ``CHW`` image by up to ``round(strength * max_shift)`` pixels (zero fill).

    ``strength_mode = "magnitude"``: always applied, the maximum shift scales
    with the knob (strength 0: identity).
    """

    strength_mode = "magnitude"

    def __init__(self, max_shift: int = 3, p: float = 1.0) -> None:
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
        out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
        return out


def small_subset(train, per_class: int, seed: int):
    """``per_class`` images of each digit, drawn with a fixed seed."""
    rng = np.random.default_rng(seed)
    labels = train.labels.numpy()
    idx = np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                          for c in range(NUM_CLASSES)])
    return Digits(train.images[idx], train.labels[idx])


def train_run(name, train, val, *, policy_args, initial, epochs, batch_size, workers, seed, lr):
    """One run; returns per-epoch accuracies and the strength applied to every batch."""
    torch.manual_seed(seed)
    strength = AdaptiveStrength(initial)
    policy = OverfitPolicy.for_classifier(strength, **policy_args) if policy_args else None
    augment = Compose([RandomShift(max_shift=2), Cutout(size=0.5, p=0.5)])
    ds = AugmentedDataset(train, augment, seed=seed, knobs={"strength": strength})
    collate_fn = WithKnobs(MixUpOrCutMix(NUM_CLASSES, p=0.5, seed=seed))
    loader = ds.loader(batch_size=batch_size, shuffle=True, drop_last=True, num_workers=workers,
                       persistent_workers=workers > 0, collate_fn=collate_fn)
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(loader))
    criterion = nn.CrossEntropyLoss()  # soft targets from the collate
    log = {"run": name, "batch_epoch": [], "batch_strength": [], "train_acc": [], "val_acc": [], "policy": []}
    t0 = time.perf_counter()
    for epoch in range(epochs):
        ds.set_epoch(epoch)
        model.train()
        batches = len(loader)
        for b, ((images, targets), knobs) in enumerate(loader):
            loss = criterion(model(to_input(images)), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            log["batch_epoch"].append(epoch + b / batches)
            log["batch_strength"].append(knobs["strength"])  # the value this batch was built with
        train_acc, val_acc = accuracy(model, train), accuracy(model, val)
        log["train_acc"].append(train_acc)
        log["val_acc"].append(val_acc)
        if policy is not None:
            policy.step(train_acc=train_acc, val_acc=val_acc, num_samples=batches * batch_size)
            log["policy"].append(policy.state_dict())
    log["seconds"] = time.perf_counter() - t0
    log["final_val_acc"] = log["val_acc"][-1]
    log["best_val_acc"] = max(log["val_acc"])
    log["final_strength"] = strength.get()
    del loader  # shut the persistent workers down
    return log, augment


def save_plot(logs, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, (ax_s, ax_a) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    colors = {"fixed 0": "tab:gray", "fixed 1": "tab:orange", "adaptive": "tab:blue"}
    for log in logs:
        c = colors.get(log["run"], None)
        ax_s.plot(log["batch_epoch"], log["batch_strength"], color=c, label=log["run"], drawstyle="steps-post")
        ep = np.arange(1, len(log["val_acc"]) + 1)
        ax_a.plot(ep, log["val_acc"], color=c, label=f"{log['run']} validation")
        ax_a.plot(ep, log["train_acc"], color=c, linestyle="--", alpha=0.7, label=f"{log['run']} train")
    ax_s.set_ylabel("strength applied to each batch")
    ax_s.set_ylim(-0.05, 1.3)
    ax_s.legend(loc="upper center", ncol=3)
    ax_s.set_title("Adaptive augmentation (OverfitPolicy, train/val accuracy gap)")
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("accuracy (clean images)")
    ax_a.legend(loc="lower right", ncol=2, fontsize=8)
    ax_a.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 80, or 3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (3 epochs unless --epochs)")
    parser.add_argument("--train-size", type=int, default=100, help="training images, a multiple of 10")
    parser.add_argument("--target", type=float, default=0.05, help="train/val accuracy gap to hold")
    parser.add_argument("--ada-kimg", type=float, default=1.0,
                        help="thousands of samples for a full 0 -> 1 swing of strength")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training (default 1)")
    parser.add_argument("--out", default="outputs")
    args = parser.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else (3 if args.quick else 80)
    if epochs < 1 or args.train_size < 10 or args.train_size % 10 or args.workers < 0 or args.batch_size < 1:
        parser.error("need --epochs >= 1, --train-size a positive multiple of 10, --workers >= 0, --batch-size >= 1")
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()

    full_train, val = load_digits_uint8(16, args.seed)
    train = small_subset(full_train, args.train_size // 10, args.seed)
    print(f"UCI digits: {len(train)} training images (of {len(full_train)}), {len(val)} validation images; "
          f"{epochs} epochs per run, {args.workers} workers", flush=True)
    policy_args = {"target": args.target, "ada_kimg": args.ada_kimg}
    runs = [("fixed 0", None, 0.0), ("fixed 1", None, 1.0), ("adaptive", policy_args, 0.0)]
    logs = []
    for name, pargs, initial in runs:
        log, augment = train_run(name, train, val, policy_args=pargs, initial=initial, epochs=epochs,
                                 batch_size=args.batch_size, workers=args.workers, seed=args.seed, lr=args.lr)
        logs.append(log)
        print(f"  {name:<9} final val acc {log['final_val_acc']:.2%}  ({log['seconds']:.1f} s)", flush=True)

    print("\nHow the knob maps to the augmentation (probability of applying at each strength):")
    print(describe_strength(augment))
    print("MixUpOrCutMix(p=0.5): mixes with probability p * strength.\n")
    header = f"{'run':<10} {'final val acc':>14} {'best val acc':>13} {'final train acc':>16} {'final strength':>15}"
    print(header)
    print("-" * len(header))
    for log in logs:
        print(f"{log['run']:<10} {log['final_val_acc']:>14.2%} {log['best_val_acc']:>13.2%} "
              f"{log['train_acc'][-1]:>16.2%} {log['final_strength']:>15.3f}")
    out_dir = Path(args.out)
    png = save_plot(logs, out_dir / "adaptive.png")
    with open(out_dir / "adaptive_results.json", "w") as fh:
        json.dump({"epochs": epochs, "train_size": len(train), "val_size": len(val), "seed": args.seed,
                   "target": args.target, "ada_kimg": args.ada_kimg, "runs": logs}, fh, indent=1)
    print(f"\nPlot:    {png.resolve()}")
    print(f"Numbers: {(out_dir / 'adaptive_results.json').resolve()}")
    print(f"Total time: {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
