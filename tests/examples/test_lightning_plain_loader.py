"""A plain `DataLoader(ds)` under Lightning: the pitfall, and the documented one-line fix.

Lightning calls `set_epoch` only on the loader's samplers. A plain `DataLoader(ds, ...)` has no
keyed sampler, so without help every epoch replays epoch 0's augmentation. The docs' fix
(`docs/guides/training-stacks.md`) is one hook in the LightningModule:
`def on_train_epoch_start(self): self.trainer.train_dataloader.dataset.set_epoch(self.current_epoch)`.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from collate import MixUpOrCutMix
from loaders import AugmentedDataset
from loaders.image import Cutout

L = pytest.importorskip("lightning")


def _dataset() -> AugmentedDataset:
    g = torch.Generator().manual_seed(0)
    base = list(zip(torch.rand(16, 1, 8, 8, generator=g), [i % 4 for i in range(16)], strict=True))
    return AugmentedDataset(base, Cutout(size=0.5, p=1.0), seed=0)


def _fit(ds: AugmentedDataset, *, hook: bool) -> list[torch.Tensor]:
    first_batches: list[torch.Tensor] = []

    class Module(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(64, 4)

        def training_step(self, batch, batch_idx):
            x, y = batch
            if batch_idx == 0:
                first_batches.append(x.clone())
            return nn.functional.cross_entropy(self.layer(x.flatten(1)), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    if hook:

        def on_train_epoch_start(self) -> None:  # the documented one-liner
            self.trainer.train_dataloader.dataset.set_epoch(self.current_epoch)

        Module.on_train_epoch_start = on_train_epoch_start  # type: ignore[method-assign]

    loader = DataLoader(ds, batch_size=8, shuffle=False, collate_fn=MixUpOrCutMix(num_classes=4, p=0.0))
    trainer = L.Trainer(
        max_epochs=3,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice on workers and logging, not under test here
        trainer.fit(Module(), loader)
    return first_batches


def _expected(ds: AugmentedDataset, epoch: int) -> torch.Tensor:
    ds.set_epoch(epoch)
    return torch.stack([ds[i][0] for i in range(8)])


def test_plain_loader_without_the_hook_repeats_epoch_zero():
    ds = _dataset()
    batches = _fit(ds, hook=False)
    assert len(batches) == 3
    assert torch.equal(batches[0], batches[1]) and torch.equal(batches[1], batches[2])


def test_plain_loader_with_the_documented_hook_gets_each_epochs_draws():
    ds = _dataset()
    batches = _fit(ds, hook=True)
    assert len(batches) == 3
    assert not torch.equal(batches[0], batches[1])
    for epoch, got in enumerate(batches):
        assert torch.equal(got, _expected(_dataset(), epoch)), f"epoch {epoch}"
