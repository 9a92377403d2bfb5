"""Adaptive augmentation: a strength knob that follows the model's progress.

The training loop owns one (or a few) knobs in shared memory; a *policy*
updates them from the signals it needs; every transform and collate reads the
value that was bound to its batch when the batch's indices were dispatched.

Pieces:

- :class:`AdaptiveStrength`: one knob in ``[0, 1]`` in shared memory (built on
  :class:`loaders.keys.SharedValue`), with ``get()``, ``set()``, ``value`` and
  ``state_dict()``. Pass it to ``AugmentedDataset(..., knobs={"strength": s})``.
- :class:`AdaptiveKnobs`: a small named set of knobs driven by one master value
  with a scale per name, e.g. ``{"strength": 1.0, "mix_strength": 0.5}``. It is a
  mapping ``name -> AdaptiveStrength``, so it can be passed as ``knobs=`` as is.
- Policies, each with ``step(...)`` taking exactly the signals it needs and
  ``state_dict()``/``load_state_dict()``: :class:`OverfitPolicy`
  (StyleGAN2-ADA), :class:`ScheduleByEpoch` / :class:`ScheduleByStep`
  (linear/cosine ramps, off for the last N), :class:`PlateauPolicy`.
- Observability: :class:`WithKnobs` (a collate wrapper that returns the knob
  values each batch was built with) and :class:`KnobRecorder` (a batch-sampler
  wrapper that records the values bound at dispatch, in the main process).
- :class:`StrengthRange` (a transform wrapper that remaps the knob for one
  transform, e.g. keep flips at full strength) and :func:`describe_strength`.

Clipping rule (documented contract):

- ``AdaptiveStrength.set(v)`` *refuses* values outside ``[0, 1]`` (and NaN,
  inf, bools) with ``ValueError``/``TypeError``: a value set by hand that is out
  of range is a bug in the caller.
- Policies *clip*: the value a policy computes is clipped to
  ``[min_strength, max_strength]`` (default ``[0, 1]``) before it is written, as
  StyleGAN2-ADA clamps ``p`` at 0. Their state records the clipped value.
- ``AdaptiveKnobs.set(v)`` refuses ``v`` outside ``[0, 1]`` and clips each
  scaled value ``v * scale`` to ``[0, 1]``.

How strength maps to each transform (declared by the transform, see
:class:`loaders.Transform`): ``strength_mode`` is one of

===============  =========================  ==================================================
strength_mode    probability of applying    magnitude
===============  =========================  ==================================================
``"p"``          ``p * s`` (the default)    as configured
``"magnitude"``  ``p``                      scaled by ``s`` (0 = identity, 1 = as configured)
``"both"``       ``p * s``                  scaled by ``s``
``"none"``       ``p``                      as configured (strength ignored)
===============  =========================  ==================================================

``transform.effective_p(s)`` gives the probability; containers (``Compose``,
``RandomApply``, ``OneOf``) do not scale their own ``p`` and pass ``s`` on to
their children. Mixing collates (``collate.MixUp`` and friends) mix with
probability ``p * s`` where ``s`` is the batch's ``"mix_strength"`` knob, else
its ``"strength"`` knob, else 1.0.

Determinism: with :class:`loaders.KeyedBatchSampler` the knob values are read in
the main process when a batch's indices are dispatched and travel with the
batch (``KeyedBatch.knobs``). The DataLoader dispatches ``prefetch_factor *
num_workers`` batches ahead, so an update made after consuming batch ``i`` of an
epoch applies from batch ``i + prefetch_factor * num_workers + 1`` on, and an
update made between epochs applies to the whole next epoch: the same training
trajectory gives the same applied strengths, whatever the worker timing.

Example:
    >>> s = AdaptiveStrength(0.0)
    >>> policy = OverfitPolicy.for_classifier(s, target=0.05, ada_kimg=1.0)
    >>> policy.step(train_acc=1.0, val_acc=0.8, num_samples=100)  # gap 0.2 > 0.05: up by 100/1000
    0.1
    >>> s.get()
    0.1
    >>> s2 = AdaptiveStrength(0.0)
    >>> OverfitPolicy.for_classifier(s2, target=0.05, ada_kimg=1.0).load_state_dict(policy.state_dict())
    >>> s2.get()
    0.1
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import numpy as np
import torch

from .validation import check_callable, check_choice, check_int, check_number
from .keys import KeyedBatch, SharedValue
from .transform import Transform

__all__ = [
    "AdaptiveStrength",
    "AdaptiveKnobs",
    "MissingSignalError",
    "OverfitPolicy",
    "ScheduleByEpoch",
    "ScheduleByStep",
    "PlateauPolicy",
    "WithKnobs",
    "KnobRecorder",
    "StrengthRange",
    "describe_strength",
    "clip_strength",
]


class MissingSignalError(ValueError):
    """A policy was stepped without a signal it needs (the message names it)."""


def clip_strength(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """The clipping rule of the policies: ``min(max(value, low), high)``.

    NaN is refused (``ValueError``): clipping it would hide a broken signal.

    Example:
        >>> clip_strength(1.3), clip_strength(-0.2), clip_strength(0.4, 0.0, 0.3)
        (1.0, 0.0, 0.3)
    """
    value = float(value)
    if math.isnan(value):
        raise ValueError("clip_strength: value is NaN; a policy signal is broken")
    return min(max(value, float(low)), float(high))


def _check_strength_value(value: Any, owner: str) -> float:
    return check_number("value", value, low=0.0, high=1.0, owner=owner)


def _check_state(state: Any, keys: Sequence[str], owner: str) -> None:
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner}.load_state_dict: state must be a dict, got {type(state).__name__}")
    missing = [k for k in keys if k not in state]
    extra = [k for k in state if k not in keys]
    if missing or extra:
        raise ValueError(
            f"{owner}.load_state_dict: state keys must be {sorted(keys)}, "
            f"missing {missing}, unexpected {extra}"
        )


# ---------------------------------------------------------------------------
# Knobs
# ---------------------------------------------------------------------------


class AdaptiveStrength:
    """One augmentation strength in ``[0, 1]`` that every DataLoader worker sees.

    The value lives in shared memory (:class:`loaders.keys.SharedValue`): the
    DataLoader's pickler shares it with workers under fork and spawn, so
    updates reach persistent workers. A plain ``pickle`` copies the current
    value (a checkpoint should use :meth:`state_dict`).

    Args:
        initial: the starting value, in ``[0, 1]``.
        name: the knob name it is meant for (``"strength"`` for per-sample
            transforms, ``"mix_strength"`` for mixing collates); used by
            :meth:`as_knobs`.

    ``set`` refuses values outside ``[0, 1]`` (see the module's clipping rule).

    Example:
        >>> s = AdaptiveStrength(0.25)
        >>> s.set(0.5); s.get(), s.value
        (0.5, 0.5)
        >>> s.as_knobs()
        {'strength': AdaptiveStrength(0.5, name='strength')}
        >>> s.set(1.5)
        Traceback (most recent call last):
        ...
        ValueError: AdaptiveStrength: value must be in [0.0, 1.0], got 1.5
    """

    def __init__(self, initial: float = 0.0, name: str = "strength") -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"AdaptiveStrength: name must be a non-empty str, got {name!r}")
        self.name = name
        self._shared = SharedValue(_check_strength_value(initial, "AdaptiveStrength"))

    def get(self) -> float:
        """The current value (read from shared memory)."""
        return self._shared.get()

    def set(self, value: float) -> None:
        """Set the value; ``ValueError`` outside ``[0, 1]``."""
        self._shared.set(_check_strength_value(value, "AdaptiveStrength"))

    @property
    def value(self) -> float:
        return self.get()

    @value.setter
    def value(self, value: float) -> None:
        self.set(value)

    def as_knobs(self) -> Dict[str, "AdaptiveStrength"]:
        """``{name: self}``, ready for ``AugmentedDataset(..., knobs=...)``."""
        return {self.name: self}

    def state_dict(self) -> Dict[str, Any]:
        return {"value": self.get()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        _check_state(state, ["value"], "AdaptiveStrength")
        self.set(state["value"])

    def __repr__(self) -> str:
        return f"AdaptiveStrength({self.get()!r}, name={self.name!r})"


class AdaptiveKnobs(Mapping):
    """A small named set of knobs driven by one master value.

    Each knob ``name`` holds ``clip(master * scales[name], 0, 1)``. The object is
    a read-only mapping ``name -> AdaptiveStrength`` so it can be passed as
    ``AugmentedDataset(..., knobs=knobs)`` directly, and it has ``set()`` and
    ``value`` like :class:`AdaptiveStrength` so a policy can drive it.

    Args:
        scales: ``{knob name: scale >= 0}``; e.g. ``{"strength": 1.0,
            "mix_strength": 0.5}`` mixes at half the per-sample strength.
        initial: the starting master value, in ``[0, 1]``.

    Example:
        >>> knobs = AdaptiveKnobs({"strength": 1.0, "mix_strength": 0.5}, initial=0.8)
        >>> {k: v.get() for k, v in knobs.items()}
        {'strength': 0.8, 'mix_strength': 0.4}
        >>> knobs.set(1.0); knobs["mix_strength"].get()
        0.5
    """

    def __init__(self, scales: Mapping[str, float], initial: float = 0.0) -> None:
        if not isinstance(scales, Mapping) or not scales:
            raise TypeError(f"AdaptiveKnobs: scales must be a non-empty dict name -> scale, got {scales!r}")
        self.scales: Dict[str, float] = {}
        for name, scale in scales.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"AdaptiveKnobs: knob names must be non-empty str, got {name!r}")
            self.scales[name] = check_number(f"scales[{name!r}]", scale, low=0.0, owner="AdaptiveKnobs")
        self._knobs = {name: AdaptiveStrength(0.0, name=name) for name in self.scales}
        self._master = 0.0
        self.set(initial)

    def set(self, value: float) -> None:
        """Set the master value (``ValueError`` outside ``[0, 1]``) and every knob."""
        value = _check_strength_value(value, "AdaptiveKnobs")
        self._master = value
        for name, knob in self._knobs.items():
            knob.set(clip_strength(value * self.scales[name]))

    @property
    def value(self) -> float:
        """The master value."""
        return self._master

    @value.setter
    def value(self, value: float) -> None:
        self.set(value)

    def __getitem__(self, name: str) -> AdaptiveStrength:
        return self._knobs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._knobs)

    def __len__(self) -> int:
        return len(self._knobs)

    def state_dict(self) -> Dict[str, Any]:
        return {"value": self._master}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        _check_state(state, ["value"], "AdaptiveKnobs")
        self.set(state["value"])

    def __repr__(self) -> str:
        return f"AdaptiveKnobs({self.scales!r}, initial={self._master!r})"


def _check_target(strength: Any, owner: str) -> Any:
    if not (callable(getattr(strength, "set", None)) and hasattr(strength, "value")):
        raise TypeError(
            f"{owner}: strength must be an AdaptiveStrength or AdaptiveKnobs (an object with set() "
            f"and .value), got {strength!r} ({type(strength).__name__})"
        )
    return strength


# ---------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------


class _Policy:
    """Shared machinery: the value it drives, clipping, state and signal checks.

    A policy owns the value it writes: it starts from ``strength.value``
    (clipped to its range, and written back), and on every ``step`` writes its
    clipped value to ``strength``. Restoring a
    policy's state also writes the value into its strength.
    """

    _state_keys: Sequence[str] = ()

    def __init__(self, strength: Any, *, min_strength: float = 0.0, max_strength: float = 1.0) -> None:
        owner = type(self).__name__
        self.strength = _check_target(strength, owner)
        self.min_strength = check_number("min_strength", min_strength, low=0.0, high=1.0, owner=owner)
        self.max_strength = check_number("max_strength", max_strength, low=0.0, high=1.0, owner=owner)
        if self.min_strength > self.max_strength:
            raise ValueError(f"{owner}: min_strength ({min_strength}) must be <= max_strength ({max_strength})")
        self.value = clip_strength(float(strength.value), self.min_strength, self.max_strength)
        strength.set(self.value)  # the knob starts inside the policy's range
        self.num_steps = 0

    def _write(self, value: float) -> float:
        self.value = clip_strength(value, self.min_strength, self.max_strength)
        self.strength.set(self.value)
        return self.value

    def _require(self, needed: Dict[str, Any], extra: Dict[str, Any]) -> None:
        owner = f"{type(self).__name__}.step"
        unused = sorted(k for k, v in extra.items() if v is not None)
        if unused:
            raise TypeError(f"{owner}: got signal(s) {unused} that this policy does not use; it needs {sorted(needed)}")
        missing = sorted(k for k, v in needed.items() if v is None)
        if missing:
            given = {k: v for k, v in needed.items() if v is not None}
            raise MissingSignalError(
                f"{owner}: missing signal(s) {missing}; this policy needs {sorted(needed)} (got {given})"
            )

    def state_dict(self) -> Dict[str, Any]:
        """Plain data; ``load_state_dict`` on a fresh policy continues exactly."""
        state = {"value": self.value, "num_steps": self.num_steps}
        state.update({k: getattr(self, "_" + k) for k in self._state_keys})
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        owner = type(self).__name__
        _check_state(state, ["value", "num_steps", *self._state_keys], owner)
        value = check_number("state['value']", state["value"], low=0.0, high=1.0, owner=owner)
        self.num_steps = check_int("state['num_steps']", state["num_steps"], low=0, owner=owner)
        for k in self._state_keys:
            setattr(self, "_" + k, state[k])
        self.value = value
        self.strength.set(value)


def _finite(name: str, value: Any, owner: str, low: Optional[float] = None, high: Optional[float] = None) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{owner}: {name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    elif isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    return check_number(name, value, low=low, high=high, owner=owner)


class OverfitPolicy(_Policy):
    """Overfitting-driven strength, after StyleGAN2-ADA (Karras et al. 2020).

    Every ``interval`` steps the policy moves the strength by a fixed amount
    toward the target of an overfitting signal::

        value += sign(mean_signal - target) * num_samples / (ada_kimg * 1000)

    where ``mean_signal`` is the signal averaged over the interval (weighted by
    the number of values it averages) and ``num_samples`` the number of
    training samples seen over the interval. So strength can go from 0 to 1 in
    ``ada_kimg`` thousand samples. The result is clipped to
    ``[min_strength, max_strength]`` (ADA clamps at 0). StyleGAN2-ADA adjusts
    with the nominal ``batch_size * interval``; counting the actual samples is
    the same for full batches and right for a short last batch.

    Signals (``signal=``), with the arguments ``step`` then needs:

    - ``"acc_gap"``: ``train_acc - val_acc`` (``step(train_acc=, val_acc=, num_samples=)``),
      accuracies in [0, 1]. Preset :meth:`for_classifier`.
    - ``"loss_gap"``: ``val_loss - train_loss`` (``step(train_loss=, val_loss=, num_samples=)``).
    - ``"d_real_sign"``: ``E[sign(D(real))]`` over the discriminator's raw
      outputs on real images (``step(d_real=tensor)``; ``num_samples`` defaults
      to ``len(d_real)``), target 0.6. Preset :meth:`for_gan`.
    - ``"value"``: any scalar you compute (``step(signal=, num_samples=)``).

    A step with a missing signal raises :class:`MissingSignalError`; a signal
    the chosen mode does not use raises ``TypeError``.

    Args:
        strength: the :class:`AdaptiveStrength` (or :class:`AdaptiveKnobs`) to drive.
        signal: one of the signal names above.
        target: the signal value to hold.
        ada_kimg: thousands of samples for a full 0 -> 1 swing (ADA's default 500
            is for GANs trained on millions of images; small classifiers need
            far less, e.g. 0.5).
        interval: steps between adjustments (ADA: 4 minibatches).
        min_strength, max_strength: the clipping range.

    Example:
        >>> s = AdaptiveStrength()
        >>> ada = OverfitPolicy.for_gan(s, ada_kimg=0.5, interval=2)
        >>> ada.step(d_real=torch.tensor([1.0, 2.0, -1.0, 3.0]))   # accumulates, no change yet
        0.0
        >>> ada.step(d_real=torch.tensor([1.0, 1.0, 1.0, 1.0]))    # mean sign 0.75 > 0.6: +8/500
        0.016
    """

    _SIGNALS = {
        "acc_gap": ("train_acc", "val_acc", "num_samples"),
        "loss_gap": ("train_loss", "val_loss", "num_samples"),
        "d_real_sign": ("d_real",),
        "value": ("signal", "num_samples"),
    }
    _state_keys = ("acc_sum", "acc_count", "acc_samples", "acc_calls", "last_signal")

    def __init__(self, strength: Any, *, signal: str, target: float, ada_kimg: float, interval: int = 1,
                 min_strength: float = 0.0, max_strength: float = 1.0) -> None:
        super().__init__(strength, min_strength=min_strength, max_strength=max_strength)
        self.signal = check_choice("signal", signal, list(self._SIGNALS), owner="OverfitPolicy")
        self.target = check_number("target", target, owner="OverfitPolicy")
        self.ada_kimg = check_number("ada_kimg", ada_kimg, low=0.0, low_inclusive=False, owner="OverfitPolicy")
        self.interval = check_int("interval", interval, low=1, owner="OverfitPolicy")
        self._acc_sum = 0.0       # sum of signal values (weighted) since the last adjustment
        self._acc_count = 0.0     # their weight
        self._acc_samples = 0     # training samples seen since the last adjustment
        self._acc_calls = 0       # steps since the last adjustment
        self._last_signal: Optional[float] = None

    @property
    def last_signal(self) -> Optional[float]:
        """The mean signal of the last adjustment (``None`` before the first)."""
        return self._last_signal

    @classmethod
    def for_classifier(cls, strength: Any, *, target: float = 0.05, ada_kimg: float = 0.5,
                       metric: str = "acc", **kwargs: Any) -> "OverfitPolicy":
        """Classifier preset: train/validation gap (``metric="acc"`` or ``"loss"``).

        The default ``target`` 0.05 holds a 5-point accuracy gap; step once per
        evaluation with ``num_samples`` = training samples since the last step.
        """
        check_choice("metric", metric, ["acc", "loss"], owner="OverfitPolicy.for_classifier")
        return cls(strength, signal=f"{metric}_gap", target=target, ada_kimg=ada_kimg, **kwargs)

    @classmethod
    def for_gan(cls, strength: Any, *, target: float = 0.6, ada_kimg: float = 500.0, interval: int = 4,
                **kwargs: Any) -> "OverfitPolicy":
        """StyleGAN2-ADA preset: ``E[sign(D(real))]``, target 0.6, 500 kimg, every 4 batches."""
        return cls(strength, signal="d_real_sign", target=target, ada_kimg=ada_kimg, interval=interval, **kwargs)

    def _signal_value(self, s: Dict[str, Any]):
        owner = "OverfitPolicy.step"
        if self.signal == "d_real_sign":
            d = s["d_real"]
            if isinstance(d, np.ndarray):
                d = torch.from_numpy(d)
            if not isinstance(d, torch.Tensor):
                raise TypeError(f"{owner}: d_real must be a tensor of discriminator outputs, got {type(d).__name__}")
            if d.numel() == 0 or d.dim() == 0:
                raise ValueError(f"{owner}: d_real must hold one output per real sample, got shape {tuple(d.shape)}")
            d = d.detach()
            if not bool(torch.isfinite(d).all()):
                raise ValueError(f"{owner}: d_real contains NaN or inf")
            signs = torch.sign(d.to(torch.float64))
            n = s["num_samples"]
            n = d.shape[0] if n is None else check_int("num_samples", n, low=1, owner=owner)
            return float(signs.sum()), float(signs.numel()), n
        n = check_int("num_samples", s["num_samples"], low=1, owner=owner)
        if self.signal == "acc_gap":
            v = (_finite("train_acc", s["train_acc"], owner, 0.0, 1.0)
                 - _finite("val_acc", s["val_acc"], owner, 0.0, 1.0))
        elif self.signal == "loss_gap":
            v = _finite("val_loss", s["val_loss"], owner) - _finite("train_loss", s["train_loss"], owner)
        else:
            v = _finite("signal", s["signal"], owner)
        return v, 1.0, n

    def step(self, *, train_acc=None, val_acc=None, train_loss=None, val_loss=None, d_real=None, signal=None,
             num_samples=None) -> float:
        """Feed one observation; adjust every ``interval`` calls. Returns the value."""
        given = dict(train_acc=train_acc, val_acc=val_acc, train_loss=train_loss, val_loss=val_loss,
                     d_real=d_real, signal=signal, num_samples=num_samples)
        needed = {k: given[k] for k in self._SIGNALS[self.signal]}
        extra = {k: v for k, v in given.items() if k not in needed and k != "num_samples"}
        self._require(needed, extra)
        total, count, n = self._signal_value(given)
        self._acc_sum += total
        self._acc_count += count
        self._acc_samples += n
        self._acc_calls += 1
        self.num_steps += 1
        if self._acc_calls < self.interval:
            return self.value
        mean = self._acc_sum / self._acc_count
        self._last_signal = mean
        adjust = float(np.sign(mean - self.target)) * self._acc_samples / (self.ada_kimg * 1000.0)
        self._acc_sum, self._acc_count, self._acc_samples, self._acc_calls = 0.0, 0.0, 0, 0
        return self._write(self.value + adjust)

    def __repr__(self) -> str:
        return (f"OverfitPolicy(signal={self.signal!r}, target={self.target!r}, ada_kimg={self.ada_kimg!r}, "
                f"interval={self.interval!r}, value={self.value!r}, min_strength={self.min_strength!r}, "
                f"max_strength={self.max_strength!r})")


class _Schedule(_Policy):
    _unit = "epoch"
    _state_keys = ("last",)

    def __init__(self, strength: Any, total: int, *, start: float = 0.0, end: float = 1.0, shape: str = "linear",
                 ramp: Optional[int] = None, off_last: int = 0, off_value: float = 0.0) -> None:
        owner = type(self).__name__
        super().__init__(strength)
        self.total = check_int(self._total_name, total, low=1, owner=owner)
        self.start = check_number("start", start, low=0.0, high=1.0, owner=owner)
        self.end = check_number("end", end, low=0.0, high=1.0, owner=owner)
        self.shape = check_choice("shape", shape, ["linear", "cosine", "constant"], owner=owner)
        self.off_last = check_int("off_last", off_last, low=0, high=self.total, owner=owner)
        self.off_value = check_number("off_value", off_value, low=0.0, high=1.0, owner=owner)
        on = self.total - self.off_last
        if ramp is None:
            self.ramp = None
            self._ramp = max(on - 1, 1)
        else:
            self.ramp = check_int("ramp", ramp, low=1, owner=owner)
            self._ramp = self.ramp
        self._last = None

    def value_at(self, t: int) -> float:
        """The scheduled value at ``t`` (pure function; ``ValueError`` outside ``[0, total)``)."""
        owner = type(self).__name__
        t = check_int(self._unit, t, low=0, high=self.total - 1, owner=owner)
        if t >= self.total - self.off_last:
            return self.off_value
        if self.shape == "constant":
            return self.end
        u = min(t / self._ramp, 1.0)
        if self.shape == "cosine":
            u = (1.0 - math.cos(math.pi * u)) / 2.0
        return self.start + (self.end - self.start) * u

    def _step(self, t: Any) -> float:
        if t is None:
            raise MissingSignalError(f"{type(self).__name__}.step: missing signal {self._unit!r}; "
                                     f"call step({self._unit}=...)")
        v = self.value_at(t)
        self._last = int(t)
        self.num_steps += 1
        return self._write(v)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self._total_name}={self.total}, start={self.start!r}, end={self.end!r}, "
                f"shape={self.shape!r}, ramp={self.ramp!r}, off_last={self.off_last!r}, "
                f"off_value={self.off_value!r}, value={self.value!r})")


class ScheduleByEpoch(_Schedule):
    """Strength by epoch: a linear or cosine ramp, then off for the last epochs.

    ``value_at(e)`` ramps from ``start`` (epoch 0) to ``end`` over ``ramp``
    epochs (default: the whole "on" period, reaching ``end`` at its last
    epoch), holds ``end``, and is ``off_value`` for the last ``off_last`` epochs
    (timm's ``mixup_off_epoch = epochs - off_last``, which here does reach
    persistent workers). ``shape="constant"`` is ``end`` until switched off.
    Epochs outside ``[0, epochs)`` raise ``ValueError``.

    Call ``step(epoch=e)`` before iterating epoch ``e``: the DataLoader binds
    the value to every batch of that epoch.

    Args:
        strength: the knob to drive.
        epochs: total number of epochs.
        start, end: the ramp's end points, in [0, 1].
        shape: ``"linear"``, ``"cosine"`` or ``"constant"``.
        ramp: ramp length in epochs (``None``: the whole on period).
        off_last: number of final epochs with ``off_value``.
        off_value: the value when off (default 0).

    Example:
        >>> s = AdaptiveStrength()
        >>> sched = ScheduleByEpoch(s, epochs=6, off_last=1)
        >>> [round(sched.step(epoch=e), 2) for e in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 0.0]
    """

    _unit = "epoch"
    _total_name = "epochs"

    def __init__(self, strength: Any, epochs: int, *, start: float = 0.0, end: float = 1.0, shape: str = "linear",
                 ramp: Optional[int] = None, off_last: int = 0, off_value: float = 0.0) -> None:
        super().__init__(strength, epochs, start=start, end=end, shape=shape, ramp=ramp, off_last=off_last,
                         off_value=off_value)

    def step(self, *, epoch: Optional[int] = None) -> float:
        """Set the value for ``epoch``; returns it."""
        return self._step(epoch)


class ScheduleByStep(_Schedule):
    """Strength by optimizer step (iteration); same shapes as :class:`ScheduleByEpoch`.

    Call ``step(iteration=i)`` each iteration. Note the DataLoader dispatches
    ``prefetch_factor * num_workers`` batches ahead, so the value reaches the
    batches that many iterations later (deterministically).

    Example:
        >>> sched = ScheduleByStep(AdaptiveStrength(), steps=5, shape="cosine")
        >>> [round(sched.value_at(i), 3) for i in range(5)]
        [0.0, 0.146, 0.5, 0.854, 1.0]
    """

    _unit = "iteration"
    _total_name = "steps"

    def __init__(self, strength: Any, steps: int, *, start: float = 0.0, end: float = 1.0, shape: str = "linear",
                 ramp: Optional[int] = None, off_last: int = 0, off_value: float = 0.0) -> None:
        super().__init__(strength, steps, start=start, end=end, shape=shape, ramp=ramp, off_last=off_last,
                         off_value=off_value)

    def step(self, *, iteration: Optional[int] = None) -> float:
        """Set the value for ``iteration``; returns it."""
        return self._step(iteration)


class PlateauPolicy(_Policy):
    """Raise strength by ``step_size`` when the validation metric stalls.

    The stall test is ``torch.optim.lr_scheduler.ReduceLROnPlateau``'s: a
    metric improves when it beats the best so far by ``threshold`` (relative or
    absolute); after more than ``patience`` evaluations without improvement the
    strength rises by ``step_size`` (clipped at ``max_strength``), then
    ``cooldown`` evaluations are ignored.

    Args:
        strength: the knob to drive.
        mode: ``"max"`` (accuracy) or ``"min"`` (loss).
        patience: evaluations without improvement tolerated.
        step_size: how much to raise strength each time, in (0, 1].
        threshold, threshold_mode: what counts as an improvement (``"rel"`` or ``"abs"``).
        cooldown: evaluations to wait after a raise.
        min_strength, max_strength: the clipping range.

    Example:
        >>> s = AdaptiveStrength(0.0)
        >>> plateau = PlateauPolicy(s, mode="max", patience=1, step_size=0.25)
        >>> [plateau.step(metric=m) for m in (0.5, 0.6, 0.6, 0.6, 0.7)]
        [0.0, 0.0, 0.0, 0.25, 0.25]
    """

    _state_keys = ("best", "num_bad", "cooldown_counter")

    def __init__(self, strength: Any, *, mode: str = "max", patience: int = 3, step_size: float = 0.1,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_strength: float = 0.0, max_strength: float = 1.0) -> None:
        super().__init__(strength, min_strength=min_strength, max_strength=max_strength)
        owner = "PlateauPolicy"
        self.mode = check_choice("mode", mode, ["max", "min"], owner=owner)
        self.patience = check_int("patience", patience, low=0, owner=owner)
        self.step_size = check_number("step_size", step_size, low=0.0, high=1.0, low_inclusive=False, owner=owner)
        self.threshold = check_number("threshold", threshold, low=0.0, owner=owner)
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ["rel", "abs"], owner=owner)
        self.cooldown = check_int("cooldown", cooldown, low=0, owner=owner)
        self._best = math.inf if mode == "min" else -math.inf
        self._num_bad = 0
        self._cooldown_counter = 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return a > (best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, *, metric: Any = None) -> float:
        """Feed one validation metric; returns the (possibly raised) value."""
        self._require({"metric": metric}, {})
        current = _finite("metric", metric, "PlateauPolicy.step")
        self.num_steps += 1
        if self._is_better(current, self._best):
            self._best = current
            self._num_bad = 0
        else:
            self._num_bad += 1
        if self._cooldown_counter > 0:
            self._cooldown_counter -= 1
            self._num_bad = 0
        if self._num_bad > self.patience:
            self._cooldown_counter = self.cooldown
            self._num_bad = 0
            return self._write(self.value + self.step_size)
        return self.value

    def __repr__(self) -> str:
        return (f"PlateauPolicy(mode={self.mode!r}, patience={self.patience!r}, step_size={self.step_size!r}, "
                f"threshold={self.threshold!r}, threshold_mode={self.threshold_mode!r}, cooldown={self.cooldown!r}, "
                f"value={self.value!r}, max_strength={self.max_strength!r})")


# ---------------------------------------------------------------------------
# Observability
# ---------------------------------------------------------------------------


class WithKnobs:
    """Collate wrapper that also returns the knob values each batch was built with.

    ``collate_fn(batch)`` runs as usual (it receives the :class:`KeyedBatch`, so
    keyed mixing collates keep their keys); the loader then yields
    ``(collated, knobs)`` where ``knobs`` is the dict bound to the batch, e.g.
    ``{"strength": 0.3}``. The values come from the batch itself, so they are
    exactly what its transforms and collate used, whatever the prefetching.

    Args:
        collate_fn: the collate to wrap (default ``torch.utils.data.default_collate``).

    Raises:
        TypeError: when a batch is a plain list (the dataset is not an
            ``AugmentedDataset``, so there are no knobs to report).

    Example:
        >>> fn = WithKnobs()
        >>> out, knobs = fn(KeyedBatch([1, 2], seed=0, epoch=0, indices=[0, 1], knobs={"strength": 0.5}))
        >>> out.tolist(), knobs
        ([1, 2], {'strength': 0.5})
    """

    def __init__(self, collate_fn: Optional[Callable[[Any], Any]] = None) -> None:
        self.collate_fn = check_callable("collate_fn", collate_fn, owner="WithKnobs", allow_none=True)

    def __call__(self, batch: Any) -> Any:
        if not isinstance(batch, KeyedBatch):
            raise TypeError(
                f"WithKnobs: the batch is a plain {type(batch).__name__}, not a KeyedBatch; wrap the dataset in "
                "loaders.AugmentedDataset(..., knobs=...) so that batches carry their knob values"
            )
        fn = self.collate_fn if self.collate_fn is not None else torch.utils.data.default_collate
        return fn(batch), dict(batch.knobs)

    def __repr__(self) -> str:
        return f"WithKnobs(collate_fn={self.collate_fn!r})"


class KnobRecorder:
    """Batch-sampler wrapper that records the knob values bound to each batch at dispatch.

    Wrap :class:`loaders.KeyedBatchSampler` (which reads every knob when it
    yields a batch) and pass the recorder as ``DataLoader(batch_sampler=...)``.
    It lives in the main process, so ``history`` is readable from the
    training loop: one record per dispatched batch, in dispatch order (which
    is the order the DataLoader yields batches in), ``{"epoch": e, "batch": i,
    "knobs": {...}}`` with ``i`` counted from 0 in each epoch. Other attributes
    (``set_epoch``, ...) are forwarded to the wrapped sampler.

    Args:
        batch_sampler: an iterable of :class:`KeyedBatch` of indices.
        maxlen: keep only the last ``maxlen`` records (``None``: all).

    Example:
        >>> batches = [KeyedBatch([0, 1], epoch=3, knobs={"strength": 0.2})]
        >>> rec = KnobRecorder(batches)
        >>> [list(b) for b in rec], rec.history
        ([[0, 1]], [{'epoch': 3, 'batch': 0, 'knobs': {'strength': 0.2}}])
    """

    def __init__(self, batch_sampler: Any, maxlen: Optional[int] = None) -> None:
        if not hasattr(batch_sampler, "__iter__"):
            raise TypeError(f"KnobRecorder: batch_sampler must be iterable, got {type(batch_sampler).__name__}")
        self.batch_sampler = batch_sampler
        self.maxlen = None if maxlen is None else check_int("maxlen", maxlen, low=1, owner="KnobRecorder")
        self.history: List[Dict[str, Any]] = []

    def __iter__(self) -> Iterator[KeyedBatch]:
        for i, batch in enumerate(self.batch_sampler):
            if not isinstance(batch, KeyedBatch):
                raise TypeError(
                    f"KnobRecorder: the batch sampler yielded a plain {type(batch).__name__}; it must bind knobs at "
                    "dispatch (use loaders.KeyedBatchSampler)"
                )
            self.history.append({"epoch": batch.epoch, "batch": i, "knobs": dict(batch.knobs)})
            if self.maxlen is not None and len(self.history) > self.maxlen:
                del self.history[: len(self.history) - self.maxlen]
            yield batch

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def values(self, name: str = "strength", epoch: Optional[int] = None) -> List[float]:
        """The recorded values of one knob (optionally of one epoch), in batch order."""
        return [r["knobs"][name] for r in self.history if epoch is None or r["epoch"] == epoch]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("batch_sampler", "history", "maxlen"):
            raise AttributeError(name)
        return getattr(self.batch_sampler, name)

    def __repr__(self) -> str:
        return f"KnobRecorder({self.batch_sampler!r}, maxlen={self.maxlen!r})"


# ---------------------------------------------------------------------------
# Per-transform mapping
# ---------------------------------------------------------------------------


class StrengthRange(Transform):
    """Remap the knob for one transform: the child sees ``low + (high - low) * s``.

    ``StrengthRange(t, 1.0, 1.0)`` keeps ``t`` at full strength whatever the
    knob (e.g. flips that should not fade); ``StrengthRange(t, 0.0, 0.5)``
    lets the knob reach only half of ``t``'s configured strength. The wrapper
    itself always applies (its own ``strength_mode`` is ``"none"``).

    Args:
        transform: the wrapped :class:`Transform`.
        low: the child's strength when the knob is 0, in [0, 1].
        high: the child's strength when the knob is 1, in [0, 1].

    Example:
        >>> class Negate(Transform):          # strength_mode "p": applied with probability p * s
        ...     def _apply(self, x, params):
        ...         return -x
        >>> Negate(p=1.0)(3, rng=0, strength=0.0)
        3
        >>> StrengthRange(Negate(p=1.0), low=1.0, high=1.0)(3, rng=0, strength=0.0)
        -3
    """

    strength_mode = "none"

    def __init__(self, transform: Transform, low: float = 0.0, high: float = 1.0) -> None:
        super().__init__(p=1.0)
        if not isinstance(transform, Transform):
            raise TypeError(f"StrengthRange: transform must be a loaders.Transform, got {transform!r}")
        self.transform = transform
        self.low = check_number("low", low, low=0.0, high=1.0, owner="StrengthRange")
        self.high = check_number("high", high, low=0.0, high=1.0, owner="StrengthRange")

    def child_strength(self, strength: float) -> float:
        """The strength the wrapped transform receives."""
        return self.low + (self.high - self.low) * strength

    def _sample(self, rng, strength):
        return {"child": self.transform.sample(rng, self.child_strength(strength))}

    def _apply(self, x, params):
        return self.transform.apply(x, params["child"])

    @classmethod
    def _harness_examples(cls):
        from .transform import Lambda, RandomApply

        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        return [(cls(RandomApply([Lambda(np.negative)], p=0.5), low=0.2, high=0.9), x),
                (cls(Lambda(np.flipud), low=1.0, high=1.0), x)]

    @classmethod
    def _harness_bad_args(cls):
        from .transform import Lambda

        return [{"transform": abs}, {"transform": Lambda(abs), "low": -0.1},
                {"transform": Lambda(abs), "high": 1.5}, {"transform": Lambda(abs), "low": "0"}]


def _children(t: Transform):
    kids = getattr(t, "transforms", None)
    if isinstance(kids, (list, tuple)):
        return [(f"[{i}]", c) for i, c in enumerate(kids) if isinstance(c, Transform)]
    kid = getattr(t, "transform", None)
    return [(".transform", kid)] if isinstance(kid, Transform) else []


def describe_strength(transform: Transform, strengths: Sequence[float] = (0.0, 0.5, 1.0)) -> str:
    """A table of how each transform in a pipeline maps the knob to its probability.

    One row per transform (children indented), its ``strength_mode`` and
    ``effective_p`` at each knob value (after any :class:`StrengthRange`).

    Example:
        >>> from loaders import Compose, Lambda, RandomApply
        >>> print(describe_strength(Compose([RandomApply([Lambda(abs)], p=0.5)])))
        transform                 mode       p@0   p@0.5 p@1
        Compose                   p          1     1     1
          [0] RandomApply         p          0.5   0.5   0.5
            [0] Lambda            none       1     1     1
    """
    if not isinstance(transform, Transform):
        raise TypeError(f"describe_strength: transform must be a loaders.Transform, got {transform!r}")
    ss = [check_number("strengths[i]", s, low=0.0, high=1.0, owner="describe_strength") for s in strengths]
    rows = []

    def walk(t, label, depth, strs):
        rows.append(("  " * depth + label + type(t).__name__, t.strength_mode,
                     [f"{t.effective_p(s):.3g}" for s in strs]))
        if isinstance(t, StrengthRange):
            strs = [t.child_strength(s) for s in strs]
        for lab, child in _children(t):
            walk(child, lab + " " if lab.startswith("[") else "", depth + 1, strs)

    walk(transform, "", 0, ss)
    width = max(25, max(len(r[0]) for r in rows) + 1)
    head = "transform".ljust(width) + " " + "mode".ljust(10) + " " + " ".join(f"p@{s:.3g}".ljust(5) for s in ss)
    lines = [head.rstrip()]
    for name, mode, ps in rows:
        lines.append((name.ljust(width) + " " + mode.ljust(10) + " " + " ".join(p.ljust(5) for p in ps)).rstrip())
    return "\n".join(lines)
