"""The demo (``make demo``): Cutout and MixUp/CutMix inside the DataLoader, on real handwritten digits.

Trains the same small CNN three times on scikit-learn's bundled UCI digits
(1,797 real 8x8 scans, no download), upsampled once to 16x16:

1. ``none``        no augmentation;
2. ``cutout``      ``Cutout(size=0.5, p=0.5)`` per sample, in the workers;
3. ``cutout+mix``  Cutout plus ``MixUpOrCutMix`` in the ``collate_fn``.

Each run goes through a ``DataLoader`` with 2 worker processes and the stock
``nn.CrossEntropyLoss`` on soft targets: all three runs use the same
``MixUpOrCutMix`` collate (with ``p=0`` for the first two, which still turns
the labels into one-hot soft targets), so the training loop never branches.
Prints a table of test accuracy and training samples/second and saves a grid
of augmented samples (Cutout, MixUp and CutMix with their lambdas) to
``outputs/demo_samples.png``, plus the numbers to ``outputs/demo_results.json``.

Seeds are fixed: the split, the initial weights, the shuffle order and every
augmentation draw (keyed on ``(seed, epoch, index)``) are the same on every run.

Usage:
    python examples/demo.py [--epochs 20] [--quick] [--workers 2] [--out outputs]
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
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a fresh clone without installing

from collate import CutMix, MixUp, MixUpOrCutMix  # noqa: E402
from loaders import AugmentedDataset  # noqa: E402
from loaders.image import Cutout  # noqa: E402

NUM_CLASSES = 10


class Digits(Dataset):
    """All images in one uint8 tensor ``(N, 1, S, S)``; a sample is ``(image view, int label)``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.images[i], int(self.labels[i])


def load_digits_uint8(size: int, seed: int, test_fraction: float = 0.2):
    """The UCI digits as uint8 ``(N, 1, size, size)`` images, split stratified into train/test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = torch.from_numpy(data.images.astype(np.float32) / 16.0).unsqueeze(1)  # 0..16 -> [0, 1]
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    y = torch.from_numpy(data.target.astype(np.int64))
    tr, te = train_test_split(np.arange(len(y)), test_size=test_fraction, random_state=seed, stratify=data.target)
    return Digits(x[tr], y[tr]), Digits(x[te], y[te])


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),   # 16 -> 8
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 8 -> 4
        nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, NUM_CLASSES),
    )


def to_input(x: torch.Tensor) -> torch.Tensor:
    return x.float().div_(255.0)


@torch.no_grad()
def accuracy(model: nn.Module, test: Digits) -> float:
    model.eval()
    pred = model(to_input(test.images)).argmax(1)
    return float((pred == test.labels).float().mean())


def train_run(name, dataset, collate_fn, test, *, epochs, batch_size, workers, seed, lr, position):
    """Train a fresh model through a 2-worker DataLoader; return accuracy and throughput."""
    torch.manual_seed(seed)
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0, collate_fn=collate_fn, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
    criterion = nn.CrossEntropyLoss()  # stock loss: soft targets are class probabilities
    seen, t0 = 0, time.perf_counter()
    bar = tqdm(total=epochs * len(loader), desc=f"{name:<11}", unit="batch", position=position, leave=True,
               dynamic_ncols=True, file=sys.stderr)
    for epoch in range(epochs):
        dataset.set_epoch(epoch)  # reaches the persistent workers (shared memory)
        model.train()
        for images, targets in loader:  # targets: float (B, 10), rows sum to 1
            loss = criterion(model(to_input(images)), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            seen += images.shape[0]
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", epoch=epoch + 1, refresh=False)
    seconds = time.perf_counter() - t0
    bar.close()
    del loader  # shut the persistent workers down
    return {"run": name, "test_accuracy": accuracy(model, test), "samples_per_second": seen / seconds,
            "train_seconds": seconds, "epochs": epochs, "train_samples": len(dataset)}


def _pair_title(kind: str, lam: float, a: int, b: int, same: bool) -> str:
    return f"{kind} \u03bb={lam:.2f}\n" + (f"{a} (with itself)" if same else f"{a} + {b}")


def save_sample_grid(train: Digits, seed: int, path: Path, n: int = 8) -> Path:
    """Rows: originals, Cutout, MixUp, CutMix (titles carry labels and lambdas from return_params).

    The columns are the first training image of classes 0..n-1, so mixed pairs show two digits.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels_all = train.labels.tolist()
    idx = [labels_all.index(c) for c in range(n)]
    plain = AugmentedDataset(train, None, seed=seed)
    cut = AugmentedDataset(train, Cutout(size=0.5, p=1.0), seed=seed)
    batch = plain.__getitems__(idx)  # a KeyedBatch: the collates key their draws on it
    mix_x, _, mix_p = MixUp(NUM_CLASSES, alpha=0.8, per_sample=True, seed=seed, return_params=True)(batch)
    cm_x, _, cm_p = CutMix(NUM_CLASSES, alpha=1.0, per_sample=True, seed=seed, return_params=True)(batch)
    labels = [s[1] for s in batch]
    rows = [
        ("original", [s[0] for s in batch], [f"label {y}" for y in labels]),
        ("Cutout", [s[0] for s in cut.__getitems__(idx)], [f"Cutout, label {y}" for y in labels]),
        ("MixUp", list(mix_x), [_pair_title("MixUp", lam, labels[i], labels[j], i == j)
                                for i, (lam, j) in enumerate(zip(mix_p["lam"], mix_p["perm"]))]),
        ("CutMix", list(cm_x), [_pair_title("CutMix", lam, labels[i], labels[j], i == j)
                                for i, (lam, j) in enumerate(zip(cm_p["lam"], cm_p["perm"]))]),
    ]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.7 * n, 2.1 * len(rows)))
    for r, (_, images, titles) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c][0].numpy(), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(titles[c], fontsize=8)
            ax.axis("off")
    fig.suptitle("Augmented training samples (keyed draws, seed %d)" % seed, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 20, or 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: 2 epochs (unless --epochs)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (default 2)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--size", type=int, default=16, help="image side after upsampling the 8x8 digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training (default 1)")
    parser.add_argument("--out", default="outputs", help="folder for demo_samples.png and demo_results.json")
    args = parser.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else (2 if args.quick else 20)
    if epochs < 1 or args.threads < 1 or args.workers < 0 or args.batch_size < 1 or args.size < 8:
        parser.error("need --epochs >= 1, --workers >= 0, --batch-size >= 1 and --size >= 8")
    # One compute thread: on a 2-core machine the 2 workers need the other core, and
    # oversubscribed threads make each step many times slower.
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()

    train, test = load_digits_uint8(args.size, args.seed)
    print(f"UCI digits (scikit-learn): {len(train)} train / {len(test)} test images, upsampled 8x8 -> "
          f"{args.size}x{args.size}; {epochs} epochs per run, {args.workers} DataLoader workers", flush=True)
    out_dir = Path(args.out)
    png = save_sample_grid(train, args.seed, out_dir / "demo_samples.png")

    no_mix = MixUpOrCutMix(NUM_CLASSES, p=0.0, seed=args.seed)  # p=0: one-hot soft targets, no mixing
    runs = [
        ("none", "no augmentation", AugmentedDataset(train, None, seed=args.seed), no_mix),
        ("cutout", "Cutout(size=0.5, p=0.5)", AugmentedDataset(train, Cutout(size=0.5, p=0.5), seed=args.seed),
         no_mix),
        ("cutout+mix", "Cutout + MixUpOrCutMix(p=0.5)",
         AugmentedDataset(train, Cutout(size=0.5, p=0.5), seed=args.seed),
         MixUpOrCutMix(NUM_CLASSES, mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.5, p=0.5, seed=args.seed)),
    ]
    results = []
    for pos, (name, desc, ds, collate_fn) in enumerate(runs):
        r = train_run(name, ds, collate_fn, test, epochs=epochs, batch_size=args.batch_size,
                      workers=args.workers, seed=args.seed, lr=args.lr, position=0)
        r["augmentation"] = desc
        results.append(r)

    print()
    header = f"{'run':<12} {'augmentation':<32} {'test acc':>9} {'samples/s':>10} {'train s':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['run']:<12} {r['augmentation']:<32} {r['test_accuracy']:>9.2%} "
              f"{r['samples_per_second']:>10.0f} {r['train_seconds']:>8.1f}")
    total = time.perf_counter() - t_start
    print(f"\nTest set: {len(test)} held-out digits; samples/s = training samples per second of wall time "
          f"(data loading in {args.workers} workers + forward/backward on {torch.get_num_threads()} threads).")
    with open(out_dir / "demo_results.json", "w") as fh:
        json.dump({"epochs": epochs, "workers": args.workers, "seed": args.seed, "size": args.size,
                   "total_seconds": total, "runs": results}, fh, indent=2)
    print(f"Augmented samples: {png.resolve()}")
    print(f"Numbers:           {(out_dir / 'demo_results.json').resolve()}")
    print(f"Total time: {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
