"""Argument validation shared by every transform and collate.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the
argument, the value received and what is allowed. Nothing here uses ``assert``.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence, Tuple

__all__ = [
    "check_probability",
    "check_number",
    "check_int",
    "check_range_pair",
    "check_choice",
    "check_callable",
    "check_seed",
]


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    owner: str = "",
) -> float:
    """Return ``value`` as float after checking it is a finite real in the range."""
    where = f"{owner}: " if owner else ""
    if not _is_real(value):
        raise TypeError(f"{where}{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{where}{name} must be finite, got {value!r}")
    lo_ok = low is None or (value >= low if low_inclusive else value > low)
    hi_ok = high is None or (value <= high if high_inclusive else value < high)
    if not (lo_ok and hi_ok):
        lb = "[" if low_inclusive else "("
        hb = "]" if high_inclusive else ")"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{where}{name} must be in {lb}{lo}, {hi}{hb}, got {value!r}")
    return value


def check_probability(name: str, value: Any, *, owner: str = "") -> float:
    """Check ``value`` is a probability in [0, 1]."""
    return check_number(name, value, low=0.0, high=1.0, owner=owner)


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None, owner: str = "") -> int:
    """Check ``value`` is an integer (not bool) within [low, high]."""
    where = f"{owner}: " if owner else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{where}{name} must be in [{lo}, {hi}], got {value!r}")
    return value


def check_range_pair(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_scalar: bool = True,
    symmetric_scalar: bool = False,
    owner: str = "",
) -> Tuple[float, float]:
    """Normalise ``value`` to an ordered ``(lo, hi)`` pair inside the bounds.

    A scalar ``v`` becomes ``(v, v)``, or ``(-v, v)`` when ``symmetric_scalar``.
    """
    where = f"{owner}: " if owner else ""
    if _is_real(value):
        if not allow_scalar:
            raise TypeError(f"{where}{name} must be a (min, max) pair, got {value!r}")
        v = float(value)
        pair = (-abs(v), abs(v)) if symmetric_scalar else (v, v)
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        pair = tuple(value)
    else:
        raise TypeError(f"{where}{name} must be a number or a (min, max) pair, got {value!r}")
    a = check_number(f"{name}[0]", pair[0], low=low, high=high, low_inclusive=low_inclusive,
                     high_inclusive=high_inclusive, owner=owner)
    b = check_number(f"{name}[1]", pair[1], low=low, high=high, low_inclusive=low_inclusive,
                     high_inclusive=high_inclusive, owner=owner)
    if a > b:
        raise ValueError(f"{where}{name} must be ordered (min <= max), got {value!r}")
    return (a, b)


def check_choice(name: str, value: Any, choices: Sequence[Any], *, owner: str = "") -> Any:
    """Check ``value`` is one of ``choices`` (no silent fallback)."""
    where = f"{owner}: " if owner else ""
    if value not in choices:
        raise ValueError(f"{where}{name} must be one of {list(choices)!r}, got {value!r}")
    return value


def check_callable(name: str, value: Any, *, owner: str = "", allow_none: bool = False) -> Any:
    """Check ``value`` is callable (or None when allowed)."""
    where = f"{owner}: " if owner else ""
    if value is None and allow_none:
        return None
    if not callable(value):
        raise TypeError(f"{where}{name} must be callable, got {value!r} ({type(value).__name__})")
    return value


def check_seed(name: str, value: Any, *, owner: str = "", allow_none: bool = True) -> int | None:
    """Check a seed: a non-negative int (or None when allowed)."""
    where = f"{owner}: " if owner else ""
    if value is None:
        if allow_none:
            return None
        raise TypeError(f"{where}{name} must be a non-negative int, got None")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}{name} must be a non-negative int or None, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{where}{name} must be a non-negative int, got {value!r}")
    return int(value)
