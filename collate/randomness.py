"""The randomness of the collates, in one place.

A batch that carries keys ([KeyedBatch][loaders.keys.KeyedBatch], as
[AugmentedDataset][loaders.dataset.AugmentedDataset] returns) draws from
``batch_rng(batch.keys, salt=seed or 0)``, so the draw depends only on the batch (not
on the worker or the process). A plain list draws from the collate's own generator,
created lazily in each process from ``(seed, worker id, worker seed)``, so no two
workers repeat each other and non-persistent workers draw anew each epoch (the worker
seed changes, and is reproducible under ``torch.manual_seed``); ``seed=None`` takes
fresh OS entropy in every process. The generator is never pickled.

A batch's knobs may scale the mixing probability: ``"mix_strength"``, else
``"strength"``, in [0, 1].

Example:
    >>> from loaders.keys import KeyedBatch
    >>> r = CollateRandomness(seed=3, owner="MixUp")
    >>> batch = KeyedBatch([0, 1], seed=0, epoch=1, indices=[5, 6], knobs={"strength": 0.5})
    >>> a = r.generator(batch).random()
    >>> a == CollateRandomness(seed=3).generator(batch).random(), r.strength(batch)
    (True, 0.5)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from torch.utils.data import get_worker_info

from loaders.keys import COLLATE_STREAM, KeyedBatch, batch_rng
from loaders.validation import check_number

__all__ = ["CollateRandomness"]


class CollateRandomness:
    """Hands a collate the generator for a batch and the batch's mixing strength.

    Args:
        seed: salt of the keyed draws and seed of the per-process generator (``None``:
            salt 0 for keyed batches, OS entropy for plain lists).
        owner: the collate's name for error messages.
    """

    def __init__(self, seed: int | None = None, owner: str = "") -> None:
        self.seed = seed
        self.owner = owner
        self._rng: np.random.Generator | None = None
        self._pid: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Drop the generator: it must never be copied into another process."""
        state = dict(self.__dict__)
        state["_rng"] = None
        state["_pid"] = None
        return state

    def __repr__(self) -> str:
        return f"CollateRandomness(seed={self.seed!r}, owner={self.owner!r})"

    def generator(self, batch: Sequence[Any]) -> np.random.Generator:
        """The generator for ``batch``: keyed on its samples' keys, else this process's own.

        Raises:
            ValueError: a [KeyedBatch][loaders.keys.KeyedBatch] whose indices do not match its length.
        """
        if isinstance(batch, KeyedBatch):
            if len(batch.indices) != len(batch):
                raise ValueError(f"{self.owner}: KeyedBatch has {len(batch)} samples but {len(batch.indices)} indices")
            return batch_rng(batch.keys, salt=self.seed or 0)
        pid = os.getpid()
        if self._rng is None or self._pid != pid:
            info = get_worker_info()
            if self.seed is None:
                self._rng = np.random.default_rng()
            elif info is None:
                self._rng = np.random.default_rng([COLLATE_STREAM, self.seed])
            else:
                # the worker seed changes every epoch for non-persistent workers (and is
                # reproducible under torch.manual_seed), the id separates the workers
                self._rng = np.random.default_rng([COLLATE_STREAM, self.seed, info.id, info.seed])
            self._pid = pid
        return self._rng

    def strength(self, batch: Sequence[Any]) -> float:
        """The batch's mixing strength knob (``"mix_strength"``, else ``"strength"``); 1.0 without knobs.

        Raises:
            ValueError: a knob outside [0, 1].
        """
        if not isinstance(batch, KeyedBatch):
            return 1.0
        knobs = batch.knobs
        s = knobs.get("mix_strength", knobs.get("strength", 1.0))
        return check_number("mix_strength knob", s, low=0.0, high=1.0, owner=self.owner)
