"""Knobs: a strength value in shared memory that every DataLoader worker sees, and named sets of them.

Example:
    >>> s = AdaptiveStrength(0.25)
    >>> s.set(0.5); s.get(), s.state_dict()
    (0.5, {'value': 0.5})
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from ..keys import SharedValue
from ..validation import check_number, check_state

__all__ = ["AdaptiveKnobs", "AdaptiveStrength", "clip_strength"]


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


class AdaptiveStrength:
    """One augmentation strength in ``[0, 1]`` that every DataLoader worker sees.

    The value lives in shared memory (`loaders.keys.SharedValue`): the
    DataLoader's pickler shares it with workers under fork and spawn, so
    updates reach persistent workers. A plain ``pickle`` copies the current
    value (a checkpoint should use `state_dict`).

    Args:
        initial: the starting value, in ``[0, 1]``.
        name: the knob name it is meant for (``"strength"`` for per-sample
            transforms, ``"mix_strength"`` for mixing collates); used by
            `as_knobs`.

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
        """The current value (same as `get`)."""
        return self.get()

    @value.setter
    def value(self, value: float) -> None:
        self.set(value)

    def as_knobs(self) -> dict[str, AdaptiveStrength]:
        """``{name: self}``, ready for ``AugmentedDataset(..., knobs=...)``."""
        return {self.name: self}

    def state_dict(self) -> dict[str, Any]:
        """``{"value": v}``: plain data for a checkpoint."""
        return {"value": self.get()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the value saved by `state_dict`."""
        check_state(state, ["value"], "AdaptiveStrength", exact=True)
        self.set(state["value"])

    def __repr__(self) -> str:
        return f"AdaptiveStrength({self.get()!r}, name={self.name!r})"


class AdaptiveKnobs(Mapping):
    """A small named set of knobs driven by one master value.

    Each knob ``name`` holds ``clip(master * scales[name], 0, 1)``. The object is
    a read-only mapping ``name -> AdaptiveStrength`` so it can be passed as
    ``AugmentedDataset(..., knobs=knobs)`` directly, and it has ``set()`` and
    ``value`` like `AdaptiveStrength` so a policy can drive it.

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
        self.scales: dict[str, float] = {}
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

    def state_dict(self) -> dict[str, Any]:
        """``{"value": master}``: plain data for a checkpoint."""
        return {"value": self._master}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the master value saved by `state_dict` (every knob follows)."""
        check_state(state, ["value"], "AdaptiveKnobs", exact=True)
        self.set(state["value"])

    def __repr__(self) -> str:
        return f"AdaptiveKnobs({self.scales!r}, initial={self._master!r})"
