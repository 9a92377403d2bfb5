"""Lightning `Trainer.fit` with keyed augmentation: fresh augmentation and shuffle every epoch, no user hook.

`AugmentedDataset.loader(...)` gives the DataLoader a `KeyedBatchSampler`. Lightning calls
`set_epoch` on the loader's index sampler each epoch (never on the dataset); the sampler shares
the epoch with the dataset, so every epoch gets a fresh shuffle and fresh augmentation. Under
DDP, Lightning injects a `DistributedSampler` and rebuilds the batch sampler as
`KeyedBatchSampler(sampler, batch_size=..., drop_last=...)`: the shuffle is kept (the keyed
sampler is a `RandomSampler`, so Lightning sees that the loader shuffles) and each rank draws
the same per-sample augmentation as one process would for that epoch and index.

Run:

    python examples/lightning_fit.py                    # one process, CPU
    python examples/lightning_fit.py --devices 2        # two processes (ddp_spawn, gloo)

With `--record DIR` every rank saves, per batch, the epoch, the dataset indices and the
augmented samples it saw before the collate (`DIR/devices<n>/rank<r>.pt`);
`tests/examples/test_lightning_fit.py` checks them against the one-process keyed stream.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import lightning as L
import torch
from torch import nn

from collate import MixUpOrCutMix
from loaders import AugmentedDataset
from loaders.image import Cutout

NUM_CLASSES = 4


def make_dataset(n: int = 32, seed: int = 0) -> AugmentedDataset:
    """A small keyed dataset of 1x8x8 images with Cutout."""
    g = torch.Generator().manual_seed(1234)
    images = torch.rand(n, 1, 8, 8, generator=g)
    labels = torch.arange(n) % NUM_CLASSES
    base = list(zip(images, labels.tolist(), strict=True))
    return AugmentedDataset(base, Cutout(size=0.5, p=1.0), seed=seed)


class RecordingCollate:
    """Keeps what each batch looked like before the collate (epoch, indices, augmented images)."""

    def __init__(self, inner: MixUpOrCutMix) -> None:
        self.inner = inner
        self.log: list[dict] = []

    def __call__(self, batch):
        self.log.append(
            {"epoch": batch.epoch, "indices": list(batch.indices), "images": torch.stack([s[0] for s in batch])}
        )
        return self.inner(batch)


class TinyClassifier(L.LightningModule):
    """A linear classifier trained with the stock cross-entropy on soft targets."""

    def __init__(self, batch_size: int = 4, record: str | None = None) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Flatten(), nn.Linear(64, NUM_CLASSES))
        self.criterion = nn.CrossEntropyLoss()
        self.batch_size = batch_size
        self.record = record
        self.collate = RecordingCollate(MixUpOrCutMix(num_classes=NUM_CLASSES, p=1.0, seed=0))

    def train_dataloader(self):
        ds = make_dataset()
        return ds.loader(batch_size=self.batch_size, shuffle=True, collate_fn=self.collate)

    def training_step(self, batch, batch_idx):
        images, targets = batch
        return self.criterion(self.model(images), targets)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def on_train_end(self) -> None:
        if self.record:
            Path(self.record).mkdir(parents=True, exist_ok=True)
            torch.save(self.collate.log, os.path.join(self.record, f"rank{self.global_rank}.pt"))


def fit(devices: int = 1, epochs: int = 3, record: str | None = None) -> None:
    """Train for ``epochs`` on ``devices`` CPU processes (``ddp_spawn`` with gloo when more than one)."""
    strategy = "ddp_spawn" if devices > 1 else "auto"
    trainer = L.Trainer(
        accelerator="cpu",
        devices=devices,
        strategy=strategy,
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with warnings.catch_warnings():
        # Lightning suggests more DataLoader workers for this toy loader; not relevant here.
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        trainer.fit(TinyClassifier(record=record))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1], help="one fit per value, in turn")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--record", default=None, help="folder for the per-rank records")
    args = parser.parse_args()
    for devices in args.devices:
        record = None if args.record is None else os.path.join(args.record, f"devices{devices}")
        fit(devices, args.epochs, record)
        print(f"trained {args.epochs} epochs on {devices} process(es)")


if __name__ == "__main__":
    main()
