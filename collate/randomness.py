"""The randomness of the collates, in one place.

A batch that carries keys ([KeyedBatch][loaders.keys.KeyedBatch], as
[AugmentedDataset][loaders.dataset.AugmentedDataset] returns) draws from
``batch_rng(batch.keys, salt=seed or 0)``, so the draw depends only on the batch (not
on the worker or the process). A plain list draws from the collate's own generator,
created lazily in each process from ``(seed, worker id, worker seed)``, so no two
workers repeat each other and non-persistent workers draw anew each epoch (the worker
seed changes, and is reproducible under ``torch.manual_seed``); ``seed=None`` takes
fresh OS entropy in every process. The generator is never pickled.

Pairing: sample ``i`` is mixed with sample ``perm[i]``, where ``perm`` is drawn per
batch by [draw_pairing][collate.randomness.draw_pairing]: a random derangement by
default (no sample is its own partner, so at ``p=1`` every sample is mixed), or a
random permutation, torchvision's roll or timm's flip.

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

import copy
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import get_worker_info

from loaders.keys import COLLATE_STREAM, KeyedBatch, batch_rng, permutation
from loaders.validation import check_number

__all__ = ["CollateRandomness", "MixingSwitch", "PAIRINGS", "check_pairing", "draw_pairing"]

#: How a mixing collate pairs each sample with a partner (see [draw_pairing][collate.randomness.draw_pairing]).
PAIRINGS = ("derangement", "permutation", "roll", "flip")


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

        Args:
            batch: the list of samples (a [KeyedBatch][loaders.keys.KeyedBatch] or a plain list).

        Returns:
            The generator to draw the batch's parameters from.

        Raises:
            ValueError: a [KeyedBatch][loaders.keys.KeyedBatch] whose indices do not match its length.
        """
        if isinstance(batch, KeyedBatch):
            if len(batch.indices) != len(batch):
                raise ValueError(f"{self.owner}: KeyedBatch has {len(batch)} samples but {len(batch.indices)} indices")
            # a KeyedBatch: no per-sample key objects; this thread's batch generator, re-keyed (the
            # caller draws everything before anything else can re-key it)
            return batch_rng(batch, salt=self.seed or 0, reuse=True)
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

        Args:
            batch: the list of samples.

        Returns:
            The strength in [0, 1].

        Raises:
            ValueError: a knob outside [0, 1].
        """
        if not isinstance(batch, KeyedBatch):
            return 1.0
        knobs = batch.knobs
        if not knobs:
            return 1.0
        s = knobs.get("mix_strength", knobs.get("strength", 1.0))
        return check_number("mix_strength knob", s, low=0.0, high=1.0, owner=self.owner)


def check_pairing(pairing: Any, owner: str) -> str:
    """Validate a ``pairing=`` argument (one of [PAIRINGS][collate.randomness.PAIRINGS]).

    Args:
        pairing: the argument.
        owner: the collate's name, for the message.

    Returns:
        ``pairing`` itself.

    Raises:
        ValueError: any other value.

    Example:
        >>> check_pairing("roll", "MixUp")
        'roll'
    """
    if isinstance(pairing, str) and pairing in PAIRINGS:
        return pairing
    raise ValueError(f"{owner}: pairing must be one of {list(PAIRINGS)}, got {pairing!r}")


def draw_pairing(rng: np.random.Generator, n: int, pairing: str = "derangement") -> np.ndarray:
    """The partner of each sample of a batch of ``n``: ``perm[i]`` (an int64 array).

    - ``"derangement"``: a uniformly random permutation with no fixed point (drawn by
      rejection: about e = 2.7 permutations on average), so every sample gets another
      one as partner; a batch of one pairs with itself.
    - ``"permutation"``: a uniformly random permutation: about one sample per batch
      is its own partner and stays unmixed (the draw of earlier versions).
    - ``"roll"``: ``perm[i] = i - 1`` (cyclically), torchvision's ``batch.roll(1, 0)``; no draw.
    - ``"flip"``: ``perm[i] = n - 1 - i``, timm's ``batch.flip(0)``; the middle sample of
      an odd batch pairs with itself; no draw.

    Args:
        rng: the batch's generator (only the random pairings draw from it).
        n: the batch size, at least 1.
        pairing: one of [PAIRINGS][collate.randomness.PAIRINGS].

    Returns:
        The partner indices.

    Raises:
        ValueError: an unknown ``pairing``.

    Example:
        >>> draw_pairing(np.random.default_rng(0), 4, "roll").tolist(), draw_pairing(None, 3, "flip").tolist()
        ([3, 0, 1, 2], [2, 1, 0])
        >>> perm = draw_pairing(np.random.default_rng(0), 5)
        >>> sorted(perm.tolist()), bool((perm != np.arange(5)).all())
        ([0, 1, 2, 3, 4], True)
    """
    if pairing == "permutation":
        return permutation(rng, n)
    if pairing == "derangement":
        if n < 2:
            return np.arange(n)
        return permutation(rng, n, fixed_points=False)  # numpy's draws, redrawn in C until no fixed point
    if pairing == "roll":
        return np.roll(np.arange(n, dtype=np.int64), 1)
    if pairing == "flip":
        return np.arange(n - 1, -1, -1, dtype=np.int64)
    raise ValueError(f"pairing must be one of {list(PAIRINGS)}, got {pairing!r}")


class MixingSwitch:
    """Switch a collate's mixing off (evaluation) and on (training), also in running workers.

    The mode lives in a one-byte shared-memory tensor: `DataLoader` workers get the
    collate with the tensor's storage shared (fork, and spawn through torch's
    multiprocessing pickler), so ``collate.eval()`` in the main process reaches
    persistent workers too. A worker reads the mode when it collates a batch: batches
    a worker has already collated (prefetched) keep the mode they were made in, so
    switch between loader iterations, or give an evaluation loader its own copy with
    [unmixed][collate.randomness.MixingSwitch.unmixed]. A plain ``pickle`` copies the
    mode (the copy has its own flag).

    With mixing off, a collate returns the batch unmixed with soft targets, as with ``p=0``.

    Example:
        >>> from collate import MixUp
        >>> mix = MixUp(num_classes=3)
        >>> mix.eval() is mix, mix.mixing, mix.train().mixing
        (True, False, True)
    """

    #: The shared flag (1: mixing on); ``None`` in collates pickled before the switch existed.
    _mixing_flag: torch.Tensor | None = None

    def _share_switch(self) -> None:
        """After unpickling or ``copy.deepcopy``: keep the (copied) flag in shared memory for later workers."""
        flag = self._mixing_flag
        if flag is not None and not flag.is_shared():
            flag.share_memory_()

    def _init_switch(self) -> torch.Tensor:
        flag = torch.ones(1, dtype=torch.uint8).share_memory_()
        self._mixing_flag = flag
        return flag

    @property
    def mixing(self) -> bool:
        """Whether the collate mixes (``True`` after construction and ``train()``; ``False`` after ``eval()``)."""
        flag = self._mixing_flag
        return True if flag is None else bool(flag.item())

    def train(self, mode: bool = True) -> MixingSwitch:
        """Switch mixing on (``mode=True``) or off; returns the collate (like `torch.nn.Module.train`).

        Args:
            mode: whether to mix.

        Returns:
            The collate itself.

        Raises:
            TypeError: ``mode`` is not a bool.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        flag = self._mixing_flag
        if flag is None:
            flag = self._init_switch()
        flag.fill_(1 if mode else 0)
        return self

    def eval(self) -> MixingSwitch:
        """Switch mixing off: batches come out unmixed, with soft targets. Same as ``train(False)``.

        Returns:
            The collate itself.
        """
        return self.train(False)

    def unmixed(self) -> MixingSwitch:
        """A copy of the collate with mixing off and a flag of its own (for an evaluation loader).

        Returns:
            The copy; the original keeps its mode.
        """
        clone = copy.copy(self)
        clone._init_switch()
        own = getattr(self, "_random", None)
        if isinstance(own, CollateRandomness):  # its own generator: the copy's draws never shift the original's
            vars(clone)["_random"] = CollateRandomness(own.seed, own.owner)
        return clone.train(False)
