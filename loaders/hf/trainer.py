"""`transformers.Trainer` with mixing collates: soft-target loss, ``labels`` for the model, unmixed evaluation.

Importing this module imports ``transformers`` (``import loaders.hf`` does not: `loaders.hf`
loads this module the first time ``loaders.hf.MixingTrainer`` is used).

Example:
    >>> import torch
    >>> from collate import MixUp
    >>> collate = TrainerCollate(MixUp(num_classes=2, input_key="x", target_key="label", seed=0), {"label": "labels"})
    >>> out = collate([{"x": torch.zeros(2), "label": 0}, {"x": torch.ones(2), "label": 1}])
    >>> sorted(out), out["labels"].shape
    (['labels', 'x'], torch.Size([2, 2]))
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any

import transformers
from torch.utils.data import DataLoader, IterableDataset

from ..dataset import AugmentedDataset
from .loss import soft_target_loss

__all__ = ["MixingTrainer", "TrainerCollate", "unmixed_collate"]


class TrainerCollate:
    """Run a collate, then rename keys and drop the ones the model does not take.

    The collate receives the samples exactly as the dataset returned them (a
    `loaders.keys.KeyedBatch` stays one, so the mix stays keyed on the batch), unlike
    ``transformers``' ``RemoveColumnsCollator``, which rebuilds a plain list first.

    Args:
        collate_fn: the collate (for example `collate.MixUpOrCutMix` with dict samples).
        rename: batch key -> model argument (``{"label": "labels"}``, as Hugging Face's own
            collators do).
        keep: the batch keys to keep after renaming (the model's arguments), or None for all.

    Raises:
        TypeError: from calling, when the collate does not return a dict.
    """

    def __init__(
        self,
        collate_fn: Callable[[Any], Any],
        rename: Mapping[str, str] | None = None,
        keep: Collection[str] | None = None,
    ) -> None:
        if not callable(collate_fn):
            raise TypeError(f"TrainerCollate: collate_fn must be callable, got {collate_fn!r}")
        self.collate_fn = collate_fn
        self.rename = dict(rename or {})
        self.keep = None if keep is None else set(keep)

    def __call__(self, samples: Any) -> dict[str, Any]:
        """Collate ``samples`` and return the model's keyword arguments."""
        batch = self.collate_fn(samples)
        if not isinstance(batch, Mapping):
            raise TypeError(
                f"TrainerCollate: the collate returned a {type(batch).__name__}; transformers.Trainer needs dict "
                "batches, so use dict samples (e.g. {'pixel_values': ..., 'label': ...}) with input_key/target_key"
            )
        out: dict[str, Any] = {self.rename.get(str(k), str(k)): v for k, v in batch.items()}
        if self.keep is not None:
            out = {k: v for k, v in out.items() if k in self.keep}
        return out

    def __repr__(self) -> str:
        return f"TrainerCollate({self.collate_fn!r}, rename={self.rename!r}, keep={self.keep!r})"


def unmixed_collate(collate_fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The evaluation twin of a collate: mixing off, through the collate's own public switch.

    A collate with ``unmixed()`` (the mixing collates) gives a copy with mixing off and a flag of
    its own, so the training collate keeps mixing, also in persistent workers. A collate with
    only ``eval()`` is copied and switched; any other collate is used as it is.

    Example:
        >>> from collate import MixUp
        >>> mix = MixUp(num_classes=3)
        >>> unmixed_collate(mix).mixing, mix.mixing
        (False, True)
    """
    unmixed = getattr(collate_fn, "unmixed", None)
    if callable(unmixed):
        return unmixed()
    if callable(getattr(collate_fn, "eval", None)):
        clone = copy.copy(collate_fn)
        clone.eval()  # type: ignore[attr-defined]
        return clone
    return collate_fn


class MixingTrainer(transformers.Trainer):
    """A `transformers.Trainer` for mixing collates and keyed datasets.

    - The loss is [soft_target_loss][loaders.hf.soft_target_loss] unless ``compute_loss_func`` is
      given. Trainer then takes ``labels`` out of the inputs before the model call, so a
      classifier never sees float labels and never switches ``config.problem_type`` to
      multi-label.
    - The collate's ``label`` key is passed to the model as ``labels`` (``label_key`` says which
      key), as Hugging Face's own collators do; the mixing collates keep the sample's keys.
    - The collate receives the samples as the dataset returned them (a `loaders.keys.KeyedBatch`
      from ``AugmentedDataset``), so mixing stays keyed on the batch; keys the model does not
      take are dropped after the collate (``remove_unused_columns``).
    - The training loader of an [AugmentedDataset][loaders.AugmentedDataset] is
      ``dataset.loader(shuffle=True)``: keyed shuffle and augmentation, epoch set by Trainer.
    - Evaluation and prediction batches go through the same collate with mixing switched off
      ([unmixed_collate][loaders.hf.trainer.unmixed_collate]), so two ``evaluate()`` calls agree.

    Args:
        *args: as `transformers.Trainer`.
        compute_loss_func: the loss; default [soft_target_loss][loaders.hf.soft_target_loss].
        label_key: the batch key holding the targets (renamed to ``labels``).
        **kwargs: as `transformers.Trainer` (``data_collator`` is the mixing collate).
    """

    def __init__(
        self,
        *args: Any,
        compute_loss_func: Callable[..., Any] | None = None,
        label_key: str = "label",
        **kwargs: Any,
    ) -> None:
        if not isinstance(label_key, str):
            raise TypeError(f"MixingTrainer: label_key must be a str, got {label_key!r}")
        kwargs["compute_loss_func"] = compute_loss_func or soft_target_loss
        super().__init__(*args, **kwargs)
        self.label_key = label_key
        self._mixing_eval_loaders: dict[str, DataLoader] = {}

    def _model_keys(self) -> set[str] | None:
        if not self.args.remove_unused_columns:
            return None
        model = self.accelerator.unwrap_model(self.model)
        params = inspect.signature(model.forward).parameters
        return {name for name in params if name not in ("self", "kwargs")} | {"labels"}

    def _collator(self, train: bool) -> TrainerCollate:
        collate = self.data_collator if train else unmixed_collate(self.data_collator)
        rename = {} if self.label_key == "labels" else {self.label_key: "labels"}
        return TrainerCollate(collate, rename, self._model_keys())

    def _loader(self, dataset: Any, batch_size: int, train: bool) -> DataLoader:
        args = self.args
        params: dict[str, Any] = {
            "collate_fn": self._collator(train),
            "num_workers": args.dataloader_num_workers,
            "pin_memory": args.dataloader_pin_memory,
        }
        if args.dataloader_num_workers > 0:
            params.update(
                persistent_workers=args.dataloader_persistent_workers,
                prefetch_factor=args.dataloader_prefetch_factor,
                multiprocessing_context=args.dataloader_multiprocessing_context,
            )
        drop_last = args.dataloader_drop_last if train else False
        if isinstance(dataset, AugmentedDataset):
            loader = dataset.loader(batch_size=batch_size, shuffle=train, drop_last=drop_last, **params)
        elif isinstance(dataset, IterableDataset):
            loader = DataLoader(dataset, batch_size=batch_size, drop_last=drop_last, **params)
        else:
            loader = DataLoader(dataset, batch_size=batch_size, shuffle=train, drop_last=drop_last, **params)
        return self.accelerator.prepare(loader)

    def get_train_dataloader(self) -> DataLoader:
        """The training loader: the keyed loader of an `AugmentedDataset`, the mixing collate."""
        if self.train_dataset is None:
            raise ValueError("MixingTrainer: training requires a train_dataset")
        return self._loader(self.train_dataset, self.args.train_batch_size, train=True)

    def get_eval_dataloader(self, eval_dataset: Any = None) -> DataLoader:
        """The evaluation loader: the same collate with mixing off (cached with persistent workers)."""
        if eval_dataset is None and self.eval_dataset is None:
            raise ValueError("MixingTrainer: evaluation requires an eval_dataset")
        key = eval_dataset if isinstance(eval_dataset, str) else "eval"
        if self.args.dataloader_persistent_workers and key in self._mixing_eval_loaders:
            return self._mixing_eval_loaders[key]
        if isinstance(eval_dataset, str):
            dataset = self.eval_dataset[eval_dataset]  # type: ignore[index]
        else:
            dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
        loader = self._loader(dataset, self.args.eval_batch_size, train=False)
        if self.args.dataloader_persistent_workers:
            self._mixing_eval_loaders[key] = loader
        return loader

    def get_test_dataloader(self, test_dataset: Any) -> DataLoader:
        """The prediction loader: the same collate with mixing off."""
        return self._loader(test_dataset, self.args.eval_batch_size, train=False)
