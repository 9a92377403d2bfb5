"""Epoch and settings shared by the keyed dataset wrappers, and their resumable state.

Epoch ownership: one epoch value per wrapped dataset. It lives in an
[EpochClock][loaders.dataset.state.EpochClock] in shared memory, so persistent
DataLoader workers see it. The dataset, its [KeyedBatchSampler][loaders.KeyedBatchSampler]
and the index sampler inside it (your ``DistributedSampler``, or the sampler the batch
sampler builds) share that value: a ``set_epoch(e)`` call on any of them sets the
augmentation epoch and the shuffle epoch together, and the latest call wins. A
``DistributedSampler`` you pass in is never reset to an older value: the batch sampler
reads its ``epoch`` when a pass starts, and follows it if it changed since the last sync.
So ``sampler.set_epoch(e)`` (the torch idiom, what Lightning calls), ``loader.batch_sampler.set_epoch(e)``
and ``dataset.set_epoch(e)`` are equivalent; call one of them before each epoch.

Example:
    >>> clock = EpochClock()
    >>> seen = []
    >>> class Listener:
    ...     def on_epoch(self, epoch):
    ...         seen.append(epoch)
    >>> listener = Listener()
    >>> clock.subscribe(listener.on_epoch)
    >>> clock.set(3)
    >>> clock.get(), seen
    (3, [3])
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from ..keys import SharedValue
from ..transform import Transform
from ..validation import check_bool, check_int, check_knobs, resolve_seed
from .augment import AUTO, SampleAugmenter, check_field_key, check_input_key, check_transform

__all__ = ["EpochClock", "KeyedWrapper", "MAX_EPOCH"]

#: The largest epoch (epochs live in a float64 in shared memory).
MAX_EPOCH = 2**53


class EpochClock:
    """An epoch in shared memory, with listeners in the owning process.

    Listeners are bound methods held weakly (a batch sampler that is dropped stops
    listening); they are not pickled, so DataLoader workers only get the value.

    Args:
        epoch: the initial epoch.
    """

    def __init__(self, epoch: int = 0) -> None:
        self._value = SharedValue(epoch)
        self._listeners: list[weakref.WeakMethod] = []

    def get(self) -> int:
        """The current epoch."""
        return int(self._value.get())

    def set(self, epoch: int) -> None:
        """Set the epoch and tell every live listener (in this process)."""
        self._value.set(epoch)
        alive = []
        for ref in self._listeners:
            method = ref()
            if method is not None:
                alive.append(ref)
                method(epoch)
        self._listeners = alive

    def subscribe(self, method: Callable[[int], None]) -> None:
        """Call the bound ``method(epoch)`` on every later `set` (held weakly)."""
        self._listeners.append(weakref.WeakMethod(method))

    def __getstate__(self) -> dict[str, Any]:
        return {"_value": self._value}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._value = state["_value"]
        self._listeners = []

    def __repr__(self) -> str:
        return f"EpochClock({self.get()})"


class KeyedWrapper:
    """Settings and epoch shared by the keyed dataset wrappers (a base class).

    Subclasses call `setup` in their constructor. See
    [AugmentedDataset][loaders.AugmentedDataset] for the meaning of each setting.
    """

    transform: Transform | None
    target_transform: Transform | None
    seed: int
    input_key: Any
    target_key: Any
    transform_target: bool
    return_params: bool
    check_types: bool
    knobs: dict[str, Any]
    _epoch: EpochClock
    _augment: SampleAugmenter

    def setup(
        self,
        transform: Any,
        seed: Any,
        input_key: Any,
        target_key: Any,
        transform_target: Any,
        target_transform: Any,
        knobs: Any,
        return_params: Any,
        check_types: Any,
        owner: str,
    ) -> None:
        """Validate and store the common settings (called once by the constructor)."""
        self.transform = check_transform(transform, "transform", owner)
        self.target_transform = check_transform(target_transform, "target_transform", owner)
        self.seed = resolve_seed(seed, owner=owner)
        self.input_key = check_input_key(input_key, owner)
        self.target_key = check_field_key("target_key", target_key, owner)
        for name, flag in (
            ("transform_target", transform_target),
            ("return_params", return_params),
            ("check_types", check_types),
        ):
            check_bool(name, flag, owner=owner)
        if transform_target and self.transform is None:
            raise ValueError(f"{owner}: transform_target=True needs a transform")
        if transform_target and self.target_transform is not None:
            raise ValueError(
                f"{owner}: pass either transform_target=True (the target gets the input's params) or "
                "target_transform= (its own draw), not both"
            )
        if (transform_target or self.target_transform is not None) and self.target_key is None:
            raise ValueError(f"{owner}: target_key must name the target entry when the target is transformed")
        self.transform_target = transform_target
        self.return_params = return_params
        self.check_types = check_types
        self.knobs = check_knobs(knobs, owner=owner)
        self._epoch = EpochClock(0)
        self._augment = SampleAugmenter(
            self.transform,
            self.target_transform,
            self.input_key,
            self.target_key,
            transform_target,
            return_params,
            check_types,
            owner,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Pickles made before the epoch clock stored a bare SharedValue.
        if isinstance(state.get("_epoch"), SharedValue):
            clock = EpochClock.__new__(EpochClock)
            clock.__setstate__({"_value": state["_epoch"]})
            state["_epoch"] = clock
        self.__dict__.update(state)

    @property
    def epoch(self) -> int:
        """The current epoch (shared with every worker)."""
        return self._epoch.get()

    @property
    def epoch_clock(self) -> EpochClock:
        """The shared [EpochClock][loaders.dataset.state.EpochClock] (batch samplers subscribe to it)."""
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch; the value lives in shared memory, so persistent workers see it (fork and spawn).

        Call it before iterating the DataLoader for that epoch (not while a loop is running).
        A [KeyedBatchSampler][loaders.KeyedBatchSampler] over this dataset passes the value on
        to the index sampler inside it (for example a ``DistributedSampler``).
        """
        self._epoch.set(check_int("epoch", epoch, low=0, high=MAX_EPOCH, owner=type(self).__name__))

    def _repr_args(self) -> str:
        parts = [f"transform={self.transform!r}", f"seed={self.seed}", f"epoch={self.epoch}"]
        if self.input_key != AUTO:
            parts.append(f"input_key={self.input_key!r}")
        if self.transform_target:
            parts.append(f"transform_target=True, target_key={self.target_key!r}")
        if self.target_transform is not None:
            parts.append(f"target_transform={self.target_transform!r}, target_key={self.target_key!r}")
        if self.knobs:
            parts.append(f"knobs={self.knobs!r}")
        if self.return_params:
            parts.append("return_params=True")
        if not self.check_types:
            parts.append("check_types=False")
        return ", ".join(parts)
