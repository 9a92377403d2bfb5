"""The per-sample core of the dataset wrappers: pick the input, draw from the key, apply, rebuild.

[SampleAugmenter][loaders.dataset.augment.SampleAugmenter] is what
[AugmentedDataset][loaders.AugmentedDataset] and
[AugmentedIterableDataset][loaders.AugmentedIterableDataset] run on every sample, inside the
DataLoader worker. Reading a field and rebuilding the sample go through `loaders.structure`.

Example:
    >>> from loaders import Lambda
    >>> aug = SampleAugmenter(Lambda(abs), None, "auto", 1, False, False, True, "demo")
    >>> aug((-3, 1), index=0, epoch=0, seed=0, knobs={})
    (3, 1)
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._fastkeys import BatchGenerators
from ..keys import rekeyed_sample_rng
from ..structure import check_key, get_field, replace_fields
from ..transform import AugmentationError, Compose, Transform

__all__ = [
    "AUTO",
    "BATCHED_KEYS_MIN",
    "SampleAugmenter",
    "TransformOutputError",
    "check_field_key",
    "check_input_key",
    "check_transform",
    "output_kind",
    "read_knobs",
    "short_repr",
]

#: The default ``input_key``: position 0 of a tuple sample, the whole sample when it is bare.
AUTO = "auto"
#: Batches at least this long derive their per-sample generators in one vectorised pass
#: (`loaders._fastkeys`, bit-identical to `loaders.keys.sample_rng`); shorter ones call ``sample_rng``.
BATCHED_KEYS_MIN = 16


class TransformOutputError(AugmentationError, TypeError):
    """A transform returned ``None`` or a different kind of object than its input."""


def check_transform(transform: Any, name: str, owner: str) -> Transform | None:
    """Accept a `Transform`, a list of them (run as `Compose`) or ``None``.

    Raises:
        TypeError: a plain callable (wrap a random one in [Seeded][loaders.Seeded] or a library
            adapter such as [TorchVision][loaders.image.TorchVision], a deterministic one in
            [Lambda][loaders.Lambda]) or anything else.

    Example:
        >>> from loaders import Lambda
        >>> check_transform([Lambda(abs)], "transform", "demo")
        Compose(transforms=[Lambda(fn=<built-in function abs>)], p=1.0)
    """
    if transform is None or isinstance(transform, Transform):
        return transform
    if isinstance(transform, (list, tuple)):
        return Compose(list(transform))
    if callable(transform):
        raise TypeError(
            f"{owner}: {name} must be a loaders.Transform (or a list of them, or None), got the plain callable "
            f"{transform!r}; a random callable goes in an adapter keyed by the sample (loaders.image.TorchVision, "
            "loaders.image.Albumentations, loaders.audio.TorchAudio, loaders.audio.Audiomentations, "
            "loaders.text.NLPAug) or, for any other code drawing from random/np.random/torch, "
            "loaders.Seeded(fn, rngs=...); a deterministic one in loaders.Lambda"
        )
    raise TypeError(
        f"{owner}: {name} must be a loaders.Transform, a list of them or None, got {transform!r} "
        f"({type(transform).__name__}), which is not callable"
    )


def check_field_key(name: str, key: Any, owner: str) -> Any:
    """Check one field address: ``None``, an int position, or a str (or bytes) key.

    Example:
        >>> check_field_key("target_key", "label", "demo")
        'label'
    """
    if isinstance(key, bytes):
        return key
    try:
        return check_key(name, key, owner=owner)
    except TypeError:
        raise TypeError(
            f"{owner}: {name} must be an int (tuple position), a str (dict key), None or {AUTO!r}, "
            f"got {key!r} ({type(key).__name__})"
        ) from None


def check_input_key(key: Any, owner: str) -> Any:
    """Check ``input_key``: ``"auto"``, ``None``, an int, a str, or a non-empty list of those.

    Example:
        >>> check_input_key(["image", "mask"], "demo")
        ['image', 'mask']
    """
    if isinstance(key, list):
        if not key:
            raise ValueError(f"{owner}: input_key must not be an empty list")
        return [check_field_key(f"input_key[{i}]", k, owner) for i, k in enumerate(key)]
    return check_field_key("input_key", key, owner)


def read_knobs(knobs: Mapping[str, Any]) -> dict[str, float]:
    """Read every knob's current value: ``{name: float(source.get())}``.

    Example:
        >>> from loaders.keys import SharedValue
        >>> read_knobs({"strength": SharedValue(0.5)})
        {'strength': 0.5}
    """
    return {name: float(src.get()) for name, src in knobs.items()} if knobs else {}


def output_kind(x: Any) -> str:
    """The kind of object a transform must preserve (tensor, ndarray and PIL images are one kind).

    Example:
        >>> output_kind(np.zeros(2)) == output_kind(torch.zeros(2)), output_kind("a")
        (True, 'str')
    """
    if isinstance(x, (torch.Tensor, np.ndarray)) or (hasattr(x, "mode") and hasattr(x, "tobytes")):
        return "array"
    if isinstance(x, str):
        return "str"
    if isinstance(x, (bytes, bytearray)):
        return "bytes"
    if isinstance(x, Mapping):
        return "mapping"
    if isinstance(x, (list, tuple)):
        return "sequence"
    if isinstance(x, numbers.Number):
        return "number"
    return type(x).__qualname__


def short_repr(obj: Any, limit: int = 80) -> str:
    """``repr(obj)`` cut to ``limit`` characters.

    Example:
        >>> short_repr("x" * 100, limit=10)
        "'xxxxxx..."
    """
    r = repr(obj)
    return r if len(r) <= limit else r[: limit - 3] + "..."


class SampleAugmenter:
    """Picks the input(s) of a sample, draws from the key, applies, rebuilds the sample.

    Args:
        transform: the input transform, or None.
        target_transform: the target's own transform, or None.
        input_key: ``"auto"``, None, a position/key, or a list of them (one draw for all).
        target_key: where the target is.
        transform_target: apply the input's draw to the target too.
        return_params: append a log of the draw to the sample.
        check_types: refuse outputs of another kind than the input.
        owner: the wrapper's name, for error messages.
    """

    def __init__(
        self,
        transform: Transform | None,
        target_transform: Transform | None,
        input_key: Any,
        target_key: Any,
        transform_target: bool,
        return_params: bool,
        check_types: bool,
        owner: str,
    ) -> None:
        self.transform = transform
        self.target_transform = target_transform
        self.input_key = input_key
        self.target_key = target_key
        self.transform_target = transform_target
        self.return_params = return_params
        self.check_types = check_types
        self.owner = owner
        # Fast path for the common case: one transform on one position of a tuple sample.
        simple = transform is not None and target_transform is None and not transform_target and not return_params
        self._fast_pos = (
            (0 if input_key == AUTO else input_key)
            if simple and (input_key == AUTO or isinstance(input_key, int))
            else None
        )

    def _keys(self, sample: Any, index: int) -> list[Any]:
        """The keys of the inputs to transform: None means the whole sample."""
        key = self.input_key
        if key == AUTO:
            if isinstance(sample, (tuple, list)):
                key = 0
            elif isinstance(sample, Mapping):
                raise TypeError(
                    f"{self.owner}: sample {index} is a dict with keys {list(sample)!r}; pass "
                    "input_key='<name>' to say which entry is the input"
                )
            else:
                key = None
        keys = list(key) if isinstance(key, list) else [key]
        if self.transform_target:
            keys.append(self.target_key)
        return keys

    def _check(self, x_in: Any, x_out: Any, t: Transform, index: int, epoch: int, role: str) -> None:
        if type(x_out) is type(x_in):
            return
        if x_out is None or (self.check_types and output_kind(x_out) != output_kind(x_in)):
            raise TransformOutputError(
                f"{self.owner}: transform {t!r} returned {short_repr(x_out)} ({type(x_out).__name__}) for the "
                f"{role} of sample index {index} (epoch {epoch}), whose input was a {type(x_in).__name__}; "
                "a transform must return the same kind of object (tensor/ndarray/PIL, str, ...)"
                + ("" if x_out is None else "; pass check_types=False to allow it")
            )

    def batch(
        self, samples: Sequence[Any], idx: list[int], epoch: int, seed: int, knobs: Mapping[str, float]
    ) -> list[Any]:
        """Augment a batch; long batches derive their generators in one vectorised pass."""
        if len(idx) < BATCHED_KEYS_MIN or (self.transform is None and self.target_transform is None):
            return [self(s, i, epoch, seed, knobs) for s, i in zip(samples, idx, strict=True)]
        gens = BatchGenerators(seed, epoch, idx)
        get = gens.get
        return [self(s, i, epoch, seed, knobs, get(j)) for j, (s, i) in enumerate(zip(samples, idx, strict=True))]

    def _fail(self, t: Transform | None, e: Exception, index: int, epoch: int, seed: int) -> AugmentationError:
        return AugmentationError(
            f"{self.owner}: transform {t!r} failed on sample index {index} (epoch {epoch}, seed {seed}): "
            f"{type(e).__name__}: {e}"
        )

    def __call__(
        self,
        sample: Any,
        index: int,
        epoch: int,
        seed: int,
        knobs: Mapping[str, float],
        rng: np.random.Generator | None = None,
    ) -> Any:
        """Augment one sample; ``rng`` (if given) must be ``sample_rng(seed, epoch, index)``."""
        t, tt = self.transform, self.target_transform
        k = self._fast_pos
        if t is not None and k is not None and type(sample) is tuple and -len(sample) <= k < len(sample):
            x = sample[k]
            if rng is None:
                rng = rekeyed_sample_rng(seed, epoch, index)
            try:
                y = t.apply(x, t.sample(rng, strength=knobs.get("strength", 1.0)))
            except Exception as e:
                raise self._fail(t, e, index, epoch, seed) from e
            self._check(x, y, t, index, epoch, f"entry {k!r}")
            return sample[:k] + (y,) + sample[k + 1 :] if k >= 0 else replace_fields(sample, {k: y})
        if t is None and tt is None and not self.return_params:
            return sample
        return self._general(sample, index, epoch, seed, knobs, rng)

    def _general(
        self,
        sample: Any,
        index: int,
        epoch: int,
        seed: int,
        knobs: Mapping[str, float],
        rng: np.random.Generator | None,
    ) -> Any:
        t, tt, owner = self.transform, self.target_transform, self.owner
        keys = self._keys(sample, index) if t is not None else []
        if (tt is not None or len(keys) > 1) and None in keys:
            raise TypeError(
                f"{owner}: sample {index} is used whole (a bare input, or input_key=None), so there "
                "is no separate target to transform; use (input, target) tuples or dicts"
            )
        inputs = [(k, get_field(sample, k, index=index, owner=owner)) for k in keys]
        target = get_field(sample, self.target_key, index=index, owner=owner) if tt is not None else None
        if rng is None:
            rng = rekeyed_sample_rng(seed, epoch, index)
        strength = knobs.get("strength", 1.0)
        params = tparams = None
        out = sample
        current = t
        try:
            if t is not None:
                params = t.sample(rng, strength=strength)
                new = {}
                for k, x in inputs:
                    y = t.apply(x, params)
                    self._check(x, y, t, index, epoch, "input" if k is None else f"entry {k!r}")
                    new[k] = y
                out = replace_fields(sample, new)
            if tt is not None:
                current = tt
                tparams = tt.sample(rng, strength=strength)
                y = tt.apply(target, tparams)
                self._check(target, y, tt, index, epoch, f"target {self.target_key!r}")
                out = replace_fields(out, {self.target_key: y})
        except TransformOutputError:  # raised by _check above, already names the sample
            raise
        except Exception as e:
            raise self._fail(current, e, index, epoch, seed) from e
        if self.return_params:
            log: dict[str, Any] = {"index": index, "epoch": epoch, "seed": seed, "strength": strength, "params": params}
            if tt is not None:
                log["target_params"] = tparams
            if isinstance(out, Mapping):
                out = replace_fields(out, {"aug_params": log})
            elif isinstance(out, list):
                out = list(out) + [log]
            elif isinstance(out, tuple):
                out = tuple(out) + (log,)
            else:
                out = (out, log)
        return out
