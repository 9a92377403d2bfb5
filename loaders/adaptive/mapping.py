"""How the knob maps to each transform: remap it for one transform, or print the mapping of a pipeline.

Example:
    >>> from loaders import Lambda
    >>> StrengthRange(Lambda(abs), low=1.0, high=1.0).child_strength(0.0)
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence

from ..transform import Transform
from ..validation import check_number

__all__ = ["StrengthRange", "describe_strength"]


class StrengthRange(Transform):
    """Remap the knob for one transform: the child sees ``low + (high - low) * s``.

    ``StrengthRange(t, 1.0, 1.0)`` keeps ``t`` at full strength whatever the
    knob (e.g. flips that should not fade); ``StrengthRange(t, 0.0, 0.5)``
    lets the knob reach only half of ``t``'s configured strength. The wrapper
    itself always applies (its own ``strength_mode`` is ``"none"``).

    Args:
        transform: the wrapped `Transform`.
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


def _children(t: Transform):
    kids = getattr(t, "transforms", None)
    if isinstance(kids, (list, tuple)):
        return [(f"[{i}]", c) for i, c in enumerate(kids) if isinstance(c, Transform)]
    kid = getattr(t, "transform", None)
    return [(".transform", kid)] if isinstance(kid, Transform) else []


def describe_strength(transform: Transform, strengths: Sequence[float] = (0.0, 0.5, 1.0)) -> str:
    """A table of how each transform in a pipeline maps the knob to its probability.

    One row per transform (children indented), its ``strength_mode`` and
    ``effective_p`` at each knob value (after any `StrengthRange`).

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
        rows.append(
            ("  " * depth + label + type(t).__name__, t.strength_mode, [f"{t.effective_p(s):.3g}" for s in strs])
        )
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
