"""Policies: update a knob from the training signals each one needs (overfitting, schedules, plateaus).

Example:
    >>> from loaders.adaptive import AdaptiveStrength
    >>> s = AdaptiveStrength(0.0)
    >>> ScheduleByEpoch(s, epochs=5).step(epoch=2)     # linear from 0 at epoch 0 to 1 at epoch 4
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from ..validation import check_choice, check_int, check_number, check_state
from .knobs import clip_strength

__all__ = ["MissingSignalError", "OverfitPolicy", "PlateauPolicy", "ScheduleByEpoch", "ScheduleByStep"]


class MissingSignalError(ValueError):
    """A policy was stepped without a signal it needs (the message names it)."""


def _check_target(strength: Any, owner: str) -> Any:
    if not (callable(getattr(strength, "set", None)) and hasattr(strength, "value")):
        raise TypeError(
            f"{owner}: strength must be an AdaptiveStrength or AdaptiveKnobs (an object with set() "
            f"and .value), got {strength!r} ({type(strength).__name__})"
        )
    return strength


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

    def _require(self, needed: dict[str, Any], extra: dict[str, Any]) -> None:
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

    def state_dict(self) -> dict[str, Any]:
        """Plain data; ``load_state_dict`` on a fresh policy continues exactly."""
        state = {"value": self.value, "num_steps": self.num_steps}
        state.update({k: getattr(self, "_" + k) for k in self._state_keys})
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        owner = type(self).__name__
        check_state(state, ["value", "num_steps", *self._state_keys], owner, exact=True)
        value = check_number("state['value']", state["value"], low=0.0, high=1.0, owner=owner)
        self.num_steps = check_int("state['num_steps']", state["num_steps"], low=0, owner=owner)
        for k in self._state_keys:
            setattr(self, "_" + k, state[k])
        self.value = value
        self.strength.set(value)


def _finite(name: str, value: Any, owner: str, low: float | None = None, high: float | None = None) -> float:
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
      accuracies in [0, 1]. Preset `for_classifier`.
    - ``"loss_gap"``: ``val_loss - train_loss`` (``step(train_loss=, val_loss=, num_samples=)``).
    - ``"d_real_sign"``: ``E[sign(D(real))]`` over the discriminator's raw
      outputs on real images (``step(d_real=tensor)``; ``num_samples`` defaults
      to ``len(d_real)``), target 0.6. Preset `for_gan`.
    - ``"value"``: any scalar you compute (``step(signal=, num_samples=)``).

    A step with a missing signal raises `MissingSignalError`; a signal
    the chosen mode does not use raises ``TypeError``.

    Args:
        strength: the `AdaptiveStrength` (or `AdaptiveKnobs`) to drive.
        signal: one of the signal names above.
        target: the signal value to hold.
        ada_kimg: thousands of samples for a full 0 -> 1 swing (ADA's default 500
            is for GANs trained on millions of images; small classifiers need
            far less, e.g. 0.5).
        interval: steps between adjustments (ADA: 4 minibatches).
        min_strength: the lower end of the clipping range.
        max_strength: the upper end of the clipping range.

    Example:
        >>> from loaders.adaptive import AdaptiveStrength
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

    def __init__(
        self,
        strength: Any,
        *,
        signal: str,
        target: float,
        ada_kimg: float,
        interval: int = 1,
        min_strength: float = 0.0,
        max_strength: float = 1.0,
    ) -> None:
        super().__init__(strength, min_strength=min_strength, max_strength=max_strength)
        self.signal = check_choice("signal", signal, list(self._SIGNALS), owner="OverfitPolicy")
        self.target = check_number("target", target, owner="OverfitPolicy")
        self.ada_kimg = check_number("ada_kimg", ada_kimg, low=0.0, low_inclusive=False, owner="OverfitPolicy")
        self.interval = check_int("interval", interval, low=1, owner="OverfitPolicy")
        self._acc_sum = 0.0  # sum of signal values (weighted) since the last adjustment
        self._acc_count = 0.0  # their weight
        self._acc_samples = 0  # training samples seen since the last adjustment
        self._acc_calls = 0  # steps since the last adjustment
        self._last_signal: float | None = None

    @property
    def last_signal(self) -> float | None:
        """The mean signal of the last adjustment (``None`` before the first)."""
        return self._last_signal

    @classmethod
    def for_classifier(
        cls, strength: Any, *, target: float = 0.05, ada_kimg: float = 0.5, metric: str = "acc", **kwargs: Any
    ) -> OverfitPolicy:
        """Classifier preset: train/validation gap (``metric="acc"`` or ``"loss"``).

        The default ``target`` 0.05 holds a 5-point accuracy gap; step once per
        evaluation with ``num_samples`` = training samples since the last step.
        """
        check_choice("metric", metric, ["acc", "loss"], owner="OverfitPolicy.for_classifier")
        return cls(strength, signal=f"{metric}_gap", target=target, ada_kimg=ada_kimg, **kwargs)

    @classmethod
    def for_gan(
        cls, strength: Any, *, target: float = 0.6, ada_kimg: float = 500.0, interval: int = 4, **kwargs: Any
    ) -> OverfitPolicy:
        """StyleGAN2-ADA preset: ``E[sign(D(real))]``, target 0.6, 500 kimg, every 4 batches."""
        return cls(strength, signal="d_real_sign", target=target, ada_kimg=ada_kimg, interval=interval, **kwargs)

    def _signal_value(self, s: dict[str, Any]):
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
            v = _finite("train_acc", s["train_acc"], owner, 0.0, 1.0) - _finite(
                "val_acc", s["val_acc"], owner, 0.0, 1.0
            )
        elif self.signal == "loss_gap":
            v = _finite("val_loss", s["val_loss"], owner) - _finite("train_loss", s["train_loss"], owner)
        else:
            v = _finite("signal", s["signal"], owner)
        return v, 1.0, n

    def step(
        self,
        *,
        train_acc=None,
        val_acc=None,
        train_loss=None,
        val_loss=None,
        d_real=None,
        signal=None,
        num_samples=None,
    ) -> float:
        """Feed one observation; adjust every ``interval`` calls. Returns the value."""
        given = dict(
            train_acc=train_acc,
            val_acc=val_acc,
            train_loss=train_loss,
            val_loss=val_loss,
            d_real=d_real,
            signal=signal,
            num_samples=num_samples,
        )
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
        return (
            f"OverfitPolicy(signal={self.signal!r}, target={self.target!r}, ada_kimg={self.ada_kimg!r}, "
            f"interval={self.interval!r}, value={self.value!r}, min_strength={self.min_strength!r}, "
            f"max_strength={self.max_strength!r})"
        )


class _Schedule(_Policy):
    _total_name: str = "total"
    _unit = "epoch"
    _state_keys = ("last",)

    def __init__(
        self,
        strength: Any,
        total: int,
        *,
        start: float = 0.0,
        end: float = 1.0,
        shape: str = "linear",
        ramp: int | None = None,
        off_last: int = 0,
        off_value: float = 0.0,
    ) -> None:
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
        self._last: int | None = None

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
            raise MissingSignalError(
                f"{type(self).__name__}.step: missing signal {self._unit!r}; call step({self._unit}=...)"
            )
        v = self.value_at(t)
        self._last = int(t)
        self.num_steps += 1
        return self._write(v)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._total_name}={self.total}, start={self.start!r}, end={self.end!r}, "
            f"shape={self.shape!r}, ramp={self.ramp!r}, off_last={self.off_last!r}, "
            f"off_value={self.off_value!r}, value={self.value!r})"
        )


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
        start: the value at the start of the ramp, in [0, 1].
        end: the value at the end of the ramp, in [0, 1].
        shape: ``"linear"``, ``"cosine"`` or ``"constant"``.
        ramp: ramp length in epochs (``None``: the whole on period).
        off_last: number of final epochs with ``off_value``.
        off_value: the value when off (default 0).

    Example:
        >>> from loaders.adaptive import AdaptiveStrength
        >>> s = AdaptiveStrength()
        >>> sched = ScheduleByEpoch(s, epochs=6, off_last=1)
        >>> [round(sched.step(epoch=e), 2) for e in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 0.0]
    """

    _unit = "epoch"
    _total_name = "epochs"

    def __init__(
        self,
        strength: Any,
        epochs: int,
        *,
        start: float = 0.0,
        end: float = 1.0,
        shape: str = "linear",
        ramp: int | None = None,
        off_last: int = 0,
        off_value: float = 0.0,
    ) -> None:
        super().__init__(
            strength, epochs, start=start, end=end, shape=shape, ramp=ramp, off_last=off_last, off_value=off_value
        )

    def step(self, *, epoch: int | None = None) -> float:
        """Set the value for ``epoch``; returns it."""
        return self._step(epoch)


class ScheduleByStep(_Schedule):
    """Strength by optimizer step (iteration); same shapes as `ScheduleByEpoch`.

    Call ``step(iteration=i)`` each iteration. Note the DataLoader dispatches
    ``prefetch_factor * num_workers`` batches ahead, so the value reaches the
    batches that many iterations later (deterministically).

    Example:
        >>> from loaders.adaptive import AdaptiveStrength
        >>> sched = ScheduleByStep(AdaptiveStrength(), steps=5, shape="cosine")
        >>> [round(sched.value_at(i), 3) for i in range(5)]
        [0.0, 0.146, 0.5, 0.854, 1.0]
    """

    _unit = "iteration"
    _total_name = "steps"

    def __init__(
        self,
        strength: Any,
        steps: int,
        *,
        start: float = 0.0,
        end: float = 1.0,
        shape: str = "linear",
        ramp: int | None = None,
        off_last: int = 0,
        off_value: float = 0.0,
    ) -> None:
        super().__init__(
            strength, steps, start=start, end=end, shape=shape, ramp=ramp, off_last=off_last, off_value=off_value
        )

    def step(self, *, iteration: int | None = None) -> float:
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
        threshold: how much better a metric must be to count as an improvement.
        threshold_mode: ``"rel"`` (relative to the best) or ``"abs"`` (absolute).
        cooldown: evaluations to wait after a raise.
        min_strength: the lower end of the clipping range.
        max_strength: the upper end of the clipping range.

    Example:
        >>> from loaders.adaptive import AdaptiveStrength
        >>> s = AdaptiveStrength(0.0)
        >>> plateau = PlateauPolicy(s, mode="max", patience=1, step_size=0.25)
        >>> [plateau.step(metric=m) for m in (0.5, 0.6, 0.6, 0.6, 0.7)]
        [0.0, 0.0, 0.0, 0.25, 0.25]
    """

    _state_keys = ("best", "num_bad", "cooldown_counter")

    def __init__(
        self,
        strength: Any,
        *,
        mode: str = "max",
        patience: int = 3,
        step_size: float = 0.1,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_strength: float = 0.0,
        max_strength: float = 1.0,
    ) -> None:
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
        return (
            f"PlateauPolicy(mode={self.mode!r}, patience={self.patience!r}, step_size={self.step_size!r}, "
            f"threshold={self.threshold!r}, threshold_mode={self.threshold_mode!r}, cooldown={self.cooldown!r}, "
            f"value={self.value!r}, max_strength={self.max_strength!r})"
        )
