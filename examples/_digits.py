"""Shared pieces of the digits examples (`demo.py`, `adaptive.py`): data, splits, model, metrics, one training run.

Data: scikit-learn's bundled UCI handwritten digits (1,797 real 8x8 scans, no
download), kept at their native 8x8 resolution as uint8 `(1, 8, 8)` tensors.

Splits (all stratified by class):

- a fixed test split (20 %, the same for every seed and configuration); nothing
  in training and nothing in the adaptive policy ever looks at it;
- from the remaining training pool, a seed-dependent subset of `labelled`
  images, split again into `train` (80 %) and `val` (20 %). For a given seed every
  configuration trains on the same `train` images; only the adaptive policy
  reads `val`.

Metrics: test accuracy and the expected calibration error (ECE, 15 equal-width
confidence bins, Guo et al. 2017).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from collate import MixUpOrCutMix
from loaders import AugmentedDataset
from loaders.adaptive import AdaptiveStrength, OverfitPolicy, WithKnobs
from loaders.image import Cutout

NUM_CLASSES = 10
TEST_FRACTION = 0.2
VAL_FRACTION = 0.2
ECE_BINS = 15
CUTOUT_ARGS: dict[str, Any] = {"size": 0.25, "p": 0.5}  # a 2x2 hole on 8x8 (chosen on validation, demo.py)
MIX_ARGS: dict[str, Any] = {
    "mixup_alpha": 0.4,  # chosen on validation (demo.py --select)
    "cutmix_alpha": 1.0,
    "switch_prob": 0.5,
    "p": 0.5,
}


class Digits(Dataset):
    """All images in one uint8 tensor `(N, 1, 8, 8)`; a sample is `(image view, int label)`."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])

    def subset(self, idx: Any) -> Digits:
        """The samples at `idx`, copied."""
        t = torch.as_tensor(np.asarray(idx), dtype=torch.long)
        return Digits(self.images[t].clone(), self.labels[t].clone())


def load_digits_all() -> Digits:
    """All 1,797 UCI digits as uint8 `(N, 1, 8, 8)` images (pixel values 0..16 scaled to 0..255)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.from_numpy(np.round(data.images * (255.0 / 16.0)).astype(np.uint8)).unsqueeze(1)
    return Digits(x, torch.from_numpy(data.target.astype(np.int64)))


def pool_and_test_indices(
    labels: np.ndarray, test_fraction: float = TEST_FRACTION, split_seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified indices of the training pool and of the fixed test split."""
    from sklearn.model_selection import train_test_split

    pool, test = train_test_split(
        np.arange(len(labels)), test_size=test_fraction, random_state=split_seed, stratify=labels
    )
    return np.sort(pool), np.sort(test)


def load_digits_split(test_fraction: float = TEST_FRACTION, split_seed: int = 0) -> tuple[Digits, Digits]:
    """The digits split (stratified) into a training pool and the fixed test split."""
    every = load_digits_all()
    pool, test = pool_and_test_indices(every.labels.numpy(), test_fraction, split_seed)
    return every.subset(pool), every.subset(test)


def labelled_indices(
    labels: np.ndarray, labelled: int, seed: int, val_fraction: float = VAL_FRACTION
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into `labels`) of `labelled` images drawn by `seed`, split into train and validation (stratified).

    `labelled == len(labels)` uses them all (then only the train/validation split depends on the seed).
    """
    from sklearn.model_selection import train_test_split

    if not 50 <= labelled <= len(labels):
        raise ValueError(f"labelled must be in [50, {len(labels)}] (the training pool), got {labelled}")
    idx = np.arange(len(labels))
    if labelled < len(labels):
        idx, _ = train_test_split(idx, train_size=labelled, random_state=seed, stratify=labels)
    tr, va = train_test_split(idx, test_size=val_fraction, random_state=seed, stratify=labels[idx])
    return np.sort(tr), np.sort(va)


def labelled_split(pool: Digits, labelled: int, seed: int, val_fraction: float = VAL_FRACTION) -> tuple[Digits, Digits]:
    """The train and validation datasets of `labelled_indices` (drawn from the training pool only)."""
    tr, va = labelled_indices(pool.labels.numpy(), labelled, seed, val_fraction)
    return pool.subset(tr), pool.subset(va)


def make_model(kind: str = "cnn") -> nn.Module:
    """The demo's network for 8x8 digits (chosen on the validation split, see `demo.py --select`).

    `"cnn"`: three 3x3 convolutions (32, 32, 64 channels) and a 128-unit dense layer, no batch
    normalization (about 61k parameters); `"cnn-bn"`: a smaller CNN with batch normalization
    (16 and 32 channels, about 6k parameters), the other candidate.
    """
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8 -> 4
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4 -> 2
            nn.Flatten(),
            nn.Linear(64 * 2 * 2, 128),
            nn.ReLU(),
            nn.Linear(128, NUM_CLASSES),
        )
    if kind == "cnn-bn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8 -> 4
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4 -> 2
            nn.Flatten(),
            nn.Linear(32 * 2 * 2, NUM_CLASSES),
        )
    raise ValueError(f"model kind must be 'cnn' or 'cnn-bn', got {kind!r}")


def to_input(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [0, 1]."""
    return x.float().div_(255.0)


@torch.no_grad()
def predict_proba(model: nn.Module, data: Digits) -> torch.Tensor:
    """Softmax probabilities `(N, 10)` of the model in eval mode on clean images."""
    model.eval()
    return torch.softmax(model(to_input(data.images)), dim=1)


def accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows whose arg-max is the label."""
    return float((probs.argmax(1) == labels).float().mean())


def _bins(probs: torch.Tensor, labels: torch.Tensor, n_bins: int):
    conf, pred = probs.double().max(1)
    correct = (pred == labels).double()
    edges = torch.linspace(0.0, 1.0, n_bins + 1, dtype=torch.float64)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        yield (conf > lo) & (conf <= hi), conf, correct


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = ECE_BINS) -> float:
    """ECE with `n_bins` equal-width confidence bins (Guo et al. 2017).

    Confidence is the top class probability; bin `b` holds the predictions with
    confidence in `(b / n_bins, (b + 1) / n_bins]`. ECE is the sum over bins of
    `(bin size / N) * |accuracy in bin - mean confidence in bin|`.
    """
    ece = 0.0
    for in_bin, conf, correct in _bins(probs, labels, n_bins):
        if in_bin.any():
            ece += float(in_bin.double().mean()) * abs(float(correct[in_bin].mean() - conf[in_bin].mean()))
    return ece


def reliability_bins(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = ECE_BINS) -> dict[str, list[Any]]:
    """Per confidence bin (as in `expected_calibration_error`): count, mean confidence, accuracy (None if empty)."""
    out: dict[str, list[Any]] = {
        "edges": np.linspace(0.0, 1.0, n_bins + 1).tolist(),
        "count": [],
        "confidence": [],
        "accuracy": [],
    }
    for in_bin, conf, correct in _bins(probs, labels, n_bins):
        n = int(in_bin.sum())
        out["count"].append(n)
        out["confidence"].append(float(conf[in_bin].mean()) if n else None)
        out["accuracy"].append(float(correct[in_bin].mean()) if n else None)
    return out


@dataclass(frozen=True)
class Config:
    """One augmentation configuration: Cutout per sample, mixing in the collate, or a knob driven by a policy."""

    name: str
    description: str
    cutout: bool
    mix: bool
    adaptive: bool = False


CONFIGS = (
    Config("none", "no augmentation", cutout=False, mix=False),
    Config("cutout", "Cutout(size=0.25, p=0.5)", cutout=True, mix=False),
    Config("mix", "MixUpOrCutMix(mixup_alpha=0.4, cutmix_alpha=1.0, p=0.5)", cutout=False, mix=True),
    Config("both", "Cutout + MixUpOrCutMix", cutout=True, mix=True),
    Config("adaptive", "Cutout + MixUpOrCutMix, strength from OverfitPolicy", cutout=True, mix=True, adaptive=True),
)


def build(
    config: Config,
    train: Digits,
    seed: int,
    strength: AdaptiveStrength | None = None,
    transform: Any = None,
    cutout_args: dict[str, Any] | None = None,
    mix_args: dict[str, Any] | None = None,
):
    """The `AugmentedDataset` and the collate of a configuration (`strength`: the knob, if any).

    With a knob, `Cutout` applies with probability `p * strength` and the collate mixes with
    probability `p * strength`: strength 0 is "none", strength 1 is "both". `transform` replaces
    the configuration's per-sample transform (`Cutout`) when given; `cutout_args` and `mix_args`
    replace `CUTOUT_ARGS` and `MIX_ARGS`.
    """
    cutout_args = CUTOUT_ARGS if cutout_args is None else cutout_args
    mix_args = MIX_ARGS if mix_args is None else mix_args
    if transform is None and config.cutout:
        transform = Cutout(**cutout_args)
    knobs = {"strength": strength} if strength is not None else None
    dataset = AugmentedDataset(train, transform, seed=seed, knobs=knobs)
    # p=0: never mixes, but the labels still become one-hot soft targets, so the loss code never branches.
    collate = MixUpOrCutMix(NUM_CLASSES, **{**mix_args, "p": mix_args["p"] if config.mix else 0.0}, seed=seed)
    return dataset, collate


def train_run(
    config: Config,
    train: Digits,
    val: Digits,
    test: Digits,
    *,
    seed: int,
    steps: int | None = None,
    epochs: int | None = None,
    batch_size: int = 64,
    lr: float = 3e-3,
    workers: int = 0,
    target: float = 0.05,
    ada_kimg: float | None = None,
    probe_every: int | None = None,
    fixed_strength: float | None = None,
    transform: Any = None,
    cutout_args: dict[str, Any] | None = None,
    mix_args: dict[str, Any] | None = None,
    model_kind: str = "cnn",
) -> dict[str, Any]:
    """Train a fresh model for `steps` optimizer steps or `epochs` epochs; return metrics, test probabilities, traces.

    Give exactly one of `steps` and `epochs` (an epoch is `len(train) // batch_size` full batches).

    Every `probe_every` batches (default: 4 for an adaptive run, never otherwise) the clean-image
    accuracy on as many training images as there are validation images and on the validation split
    is measured and recorded; an adaptive run feeds it to `OverfitPolicy.for_classifier`, which holds
    the train/validation gap at `target`. The test split is only used once, at the end.
    `ada_kimg` (thousands of samples for a full 0 -> 1 swing) defaults to a quarter of the run.
    `fixed_strength` runs a non-adaptive configuration behind a knob held at that value;
    `transform` replaces the configuration's per-sample transform; `cutout_args` and `mix_args`
    replace `CUTOUT_ARGS` and `MIX_ARGS`; `model_kind` picks the network (`make_model`).
    """
    if len(train) < batch_size:
        raise ValueError(f"batch_size={batch_size} exceeds the {len(train)} training images (full batches only)")
    if (steps is None) == (epochs is None):
        raise ValueError(f"give exactly one of steps and epochs, got steps={steps}, epochs={epochs}")
    steps = epochs * (len(train) // batch_size) if epochs is not None else int(steps or 0)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    torch.manual_seed(seed)
    if config.adaptive:
        strength: AdaptiveStrength | None = AdaptiveStrength(0.0)
    else:
        strength = AdaptiveStrength(fixed_strength) if fixed_strength is not None else None
    dataset, collate = build(config, train, seed, strength, transform, cutout_args, mix_args)
    loader = dataset.loader(
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        collate_fn=WithKnobs(collate),
    )
    policy = None
    if probe_every is None and config.adaptive:
        probe_every = 4
    if config.adaptive and strength is not None:
        kimg = ada_kimg if ada_kimg is not None else steps * batch_size / 4 / 1000.0
        policy = OverfitPolicy.for_classifier(strength, target=target, ada_kimg=kimg)
    probe = train.subset(np.random.default_rng(seed).permutation(len(train))[: len(val)])
    model = make_model(model_kind)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    criterion = nn.CrossEntropyLoss()  # stock loss: the collate's soft targets are class probabilities
    applied: list[float] = []
    trace: list[dict[str, Any]] = []
    step, epoch = 0, 0
    t0 = time.perf_counter()
    while step < steps:
        dataset.set_epoch(epoch)
        for (images, targets), knobs in loader:  # targets: float (B, 10), rows sum to 1
            model.train()
            loss = criterion(model(to_input(images)), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            applied.append(float(knobs.get("strength", 1.0)))  # the value this batch was built with
            if probe_every and step % probe_every == 0:
                train_acc = accuracy(predict_proba(model, probe), probe.labels)
                val_acc = accuracy(predict_proba(model, val), val.labels)
                if policy is not None:
                    policy.step(train_acc=train_acc, val_acc=val_acc, num_samples=probe_every * batch_size)
                trace.append(
                    {
                        "step": step,
                        "epoch": step / len(loader),
                        "train_acc": train_acc,
                        "val_acc": val_acc,
                        "strength": strength.get() if strength is not None else None,
                    }
                )
            if step == steps:
                break
        epoch += 1
    seconds = time.perf_counter() - t0
    del loader  # shuts down persistent workers
    probs = predict_proba(model, test)
    return {
        "config": config.name,
        "seed": seed,
        "train_images": len(train),
        "val_images": len(val),
        "steps": steps,
        "epochs": steps / (len(train) // batch_size),
        "test_accuracy": accuracy(probs, test.labels),
        "ece": expected_calibration_error(probs, test.labels),
        "val_accuracy": accuracy(predict_proba(model, val), val.labels),
        "mean_strength": float(np.mean(applied)) if strength is not None else None,
        "final_strength": strength.get() if strength is not None else None,
        "train_seconds": seconds,
        "applied_strength": applied if strength is not None else None,
        "trace": trace,
        "probs": probs,
    }


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), (float(a.std(ddof=1)) if len(a) > 1 else 0.0)
