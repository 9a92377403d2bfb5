"""Argument validation shared by every transform and collate.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the
argument, the value received and what is allowed. Nothing here uses ``assert``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "check_probability",
    "check_number",
    "check_int",
    "check_range_pair",
    "check_choice",
    "check_callable",
    "check_seed",
    "check_bool",
    "resolve_seed",
    "check_knobs",
    "check_stream_split",
    "check_state",
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
    """Return ``value`` as float after checking it is a finite real in the range.

    Args:
        name: the argument's name, for the message.
        value: the value given.
        low: the lower bound, or None.
        high: the upper bound, or None.
        low_inclusive: whether ``low`` itself is allowed.
        high_inclusive: whether ``high`` itself is allowed.
        owner: the class or function name that prefixes error messages.

    Returns:
        ``float(value)``.

    Raises:
        TypeError: not a real number (bools are refused).
        ValueError: NaN, infinite, or out of the range (the message shows the range).

    Example:
        >>> check_number("alpha", 2, low=0.0, low_inclusive=False)
        2.0
    """
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
    """Check ``value`` is a probability in [0, 1].

    Example:
        >>> check_probability("p", 0.5)
        0.5
    """
    return check_number(name, value, low=0.0, high=1.0, owner=owner)


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None, owner: str = "") -> int:
    """Check ``value`` is an integer (not bool) within [low, high].

    Raises:
        TypeError: not an integer.
        ValueError: out of the range.

    Example:
        >>> check_int("batch_size", 8, low=1)
        8
    """
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
) -> tuple[float, float]:
    """Normalise ``value`` to an ordered ``(lo, hi)`` pair inside the bounds.

    A scalar ``v`` becomes ``(v, v)``, or ``(-v, v)`` when ``symmetric_scalar``.

    Example:
        >>> check_range_pair("factors", 0.2, symmetric_scalar=True), check_range_pair("size", (1, 3))
        ((-0.2, 0.2), (1.0, 3.0))
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
    a = check_number(
        f"{name}[0]",
        pair[0],
        low=low,
        high=high,
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
        owner=owner,
    )
    b = check_number(
        f"{name}[1]",
        pair[1],
        low=low,
        high=high,
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
        owner=owner,
    )
    if a > b:
        raise ValueError(f"{where}{name} must be ordered (min <= max), got {value!r}")
    return (a, b)


def check_choice(name: str, value: Any, choices: Sequence[Any], *, owner: str = "") -> Any:
    """Check ``value`` is one of ``choices`` (no silent fallback).

    Example:
        >>> check_choice("mode", "max", ("max", "min"))
        'max'
    """
    where = f"{owner}: " if owner else ""
    if value not in choices:
        raise ValueError(f"{where}{name} must be one of {list(choices)!r}, got {value!r}")
    return value


def check_callable(name: str, value: Any, *, owner: str = "", allow_none: bool = False) -> Any:
    """Check ``value`` is callable (or None when allowed).

    Example:
        >>> check_callable("fn", abs) is abs
        True
    """
    where = f"{owner}: " if owner else ""
    if value is None and allow_none:
        return None
    if not callable(value):
        raise TypeError(f"{where}{name} must be callable, got {value!r} ({type(value).__name__})")
    return value


def check_seed(name: str, value: Any, *, owner: str = "", allow_none: bool = True) -> int | None:
    """Check a seed: a non-negative int (or None when allowed).

    Example:
        >>> check_seed("seed", 3), check_seed("seed", None)
        (3, None)
    """
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


def check_bool(name: str, value: Any, *, owner: str = "") -> bool:
    """Check ``value`` is a ``bool`` (not merely truthy).

    Example:
        >>> check_bool("drop_last", True)
        True
    """
    if not isinstance(value, bool):
        where = f"{owner}: " if owner else ""
        raise TypeError(f"{where}{name} must be a bool, got {value!r} ({type(value).__name__})")
    return value


def resolve_seed(seed: Any, *, owner: str = "") -> int:
    """Check a seed, or draw one from OS entropy when it is ``None``.

    The drawn seed is a 63-bit int. Call this once in the constructing (main) process: workers
    receive the value with the pickled object, so they all agree.

    Args:
        seed: a non-negative int or ``None``.
        owner: the class or function name that prefixes error messages.

    Returns:
        The seed.

    Raises:
        TypeError: a seed that is not an int.
        ValueError: a negative seed.

    Example:
        >>> resolve_seed(7), 0 <= resolve_seed(None) < 2**63
        (7, True)
    """
    value = check_seed("seed", seed, owner=owner)
    if value is None:
        import numpy as np

        value = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    return value


def check_knobs(knobs: Any, *, owner: str = "") -> dict:
    """Check a mapping of knob names to sources with a ``.get() -> float`` method.

    Args:
        knobs: ``None`` (no knobs) or a mapping ``name -> source`` (for example
            `loaders.keys.SharedValue` or `loaders.adaptive.AdaptiveStrength`).
        owner: the class or function name that prefixes error messages.

    Returns:
        A new ``dict`` with the same items (``{}`` for ``None``).

    Raises:
        TypeError: not a mapping, a name that is not a str, or a source without ``.get()``.

    Example:
        >>> from loaders.keys import SharedValue
        >>> sorted(check_knobs({"strength": SharedValue(0.5)}))
        ['strength']
    """
    where = f"{owner}: " if owner else ""
    if knobs is None:
        return {}
    if not isinstance(knobs, Mapping):
        raise TypeError(f"{where}knobs must be a mapping name -> source with .get(), got {knobs!r}")
    out = {}
    for name, src in knobs.items():
        if not isinstance(name, str):
            raise TypeError(f"{where}knob names must be str, got {name!r}")
        if not callable(getattr(src, "get", None)):
            raise TypeError(
                f"{where}knobs[{name!r}] must have a .get() -> float method visible in workers "
                f"(e.g. loaders.keys.SharedValue), got {src!r} ({type(src).__name__})"
            )
        out[name] = src
    return out


def check_stream_split(
    batch_size: Any, drop_last: Any, rank: Any, world_size: Any, *, owner: str = ""
) -> tuple[int | None, bool, int | None, int | None]:
    """Check the batching and rank split of a stream wrapper.

    Args:
        batch_size: ``None`` or a positive int.
        drop_last: a bool.
        rank: ``None`` or an int in ``[0, world_size - 1]``.
        world_size: ``None`` or a positive int; given together with ``rank`` or not at all.
        owner: the class or function name that prefixes error messages.

    Returns:
        ``(batch_size, drop_last, rank, world_size)``.

    Raises:
        TypeError: a value of the wrong type.
        ValueError: a value out of range, or only one of ``rank`` and ``world_size``.

    Example:
        >>> check_stream_split(4, False, 1, 2)
        (4, False, 1, 2)
    """
    where = f"{owner}: " if owner else ""
    batch_size = None if batch_size is None else check_int("batch_size", batch_size, low=1, owner=owner)
    check_bool("drop_last", drop_last, owner=owner)
    if (rank is None) != (world_size is None):
        raise ValueError(
            f"{where}pass both rank and world_size or neither, got rank={rank!r}, world_size={world_size!r}"
        )
    if world_size is not None:
        world_size = check_int("world_size", world_size, low=1, owner=owner)
        rank = check_int("rank", rank, low=0, high=world_size - 1, owner=owner)
    return batch_size, drop_last, rank, world_size


def check_state(state: Any, keys: Sequence[str], owner: str, *, exact: bool = False) -> dict:
    """Check a state dict given to ``owner.load_state_dict`` (what ``state_dict()`` returned).

    Args:
        state: the state.
        keys: the keys it must have.
        owner: the class name for the message.
        exact: also refuse keys not in ``keys``.

    Returns:
        A plain ``dict`` copy of ``state``.

    Raises:
        TypeError: not a mapping.
        ValueError: a missing key (or, with ``exact``, an unexpected one), all named.

    Example:
        >>> check_state({"epoch": 1}, ["epoch"], "demo")
        {'epoch': 1}
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner}.load_state_dict: state must be a dict from state_dict(), got {type(state).__name__}")
    missing = [k for k in keys if k not in state]
    extra = [k for k in state if k not in keys] if exact else []
    if missing or extra:
        raise ValueError(
            f"{owner}.load_state_dict: state keys must be {sorted(keys)}, missing {missing}, unexpected {extra} "
            f"(got {sorted(map(str, state))}); pass what state_dict() returned"
        )
    return dict(state)
