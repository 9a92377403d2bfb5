"""The transform base class and composition: sample, then apply.

A transform draws its parameters from a generator it is given
(``sample(rng) -> params``) and then applies them deterministically
(``apply(x, params)``). Params are plain data (dicts of numbers, lists, strings)
that can be logged and replayed. No transform touches a global RNG.

Subclasses implement ``_sample(rng, strength) -> dict`` and ``_apply(x, params)``
and call ``super().__init__(p=p)``. Every concrete subclass is picked up by the
check harness in ``tests/test_harness.py`` and must provide the classmethods
``_harness_examples()`` (a list of ``(transform, input)`` pairs) and
``_harness_bad_args()`` (a list of kwargs dicts that must raise).

Adaptive strength: ``sample(rng, strength=s)`` with ``s`` in [0, 1]. By default
(``strength_mode = "p"``) strength scales the probability of applying:
``p_effective = p * s``. Transforms that scale their magnitude instead set
``strength_mode = "magnitude"`` (or ``"both"``) and read ``strength`` in
``_sample``; each documents its mapping.

Example:
    >>> import numpy as np
    >>> class AddOne(Transform):
    ...     def _sample(self, rng, strength):
    ...         return {"k": int(rng.integers(1, 3))}
    ...     def _apply(self, x, params):
    ...         return x + params["k"]
    >>> t = AddOne(p=1.0)
    >>> params = t.sample(np.random.default_rng(0))
    >>> t.apply(10, params) == t.apply(10, params)
    True
    >>> Compose([AddOne(), AddOne()])(0, rng=1) >= 2
    True
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .validation import check_callable, check_choice, check_number, check_probability
from .keys import as_generator

__all__ = ["Transform", "Compose", "OneOf", "RandomApply", "Lambda", "AugmentationError"]


class AugmentationError(RuntimeError):
    """A transform failed on a sample; the message names the sample and transform."""


def _check_strength(strength: Any) -> float:
    return check_number("strength", strength, low=0.0, high=1.0)


class Transform:
    """Base class: validate in ``__init__``, draw in ``_sample``, compute in ``_apply``."""

    #: How adaptive strength acts: "p" (scale the probability), "magnitude", "both" or "none".
    strength_mode: str = "p"

    def __init__(self, p: float = 1.0) -> None:
        self.p = check_probability("p", p, owner=type(self).__name__)

    # -- to override -------------------------------------------------------
    def _sample(self, rng: np.random.Generator, strength: float) -> Dict[str, Any]:
        return {}

    def _apply(self, x: Any, params: Dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement _apply(x, params)")

    # -- public API ----------------------------------------------------------
    def effective_p(self, strength: float = 1.0) -> float:
        """Probability of applying at this strength."""
        if self.strength_mode in ("p", "both"):
            return self.p * strength
        return self.p

    def sample(self, rng: np.random.Generator, strength: float = 1.0) -> Dict[str, Any]:
        """Draw the parameters for one application (plain, loggable data)."""
        strength = _check_strength(strength)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{type(self).__name__}.sample: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        apply = bool(rng.random() < self.effective_p(strength))
        params: Dict[str, Any] = {"apply": apply}
        if apply:
            params.update(self._sample(rng, strength))
        return params

    def apply(self, x: Any, params: Dict[str, Any]) -> Any:
        """Apply drawn ``params`` to ``x`` deterministically. Never mutates ``x``."""
        if not params.get("apply", True):
            return x
        return self._apply(x, params)

    def __call__(self, x: Any, rng: Any = None, *, strength: float = 1.0) -> Any:
        return self.apply(x, self.sample(as_generator(rng), strength))

    def __repr__(self) -> str:
        parts = []
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if hasattr(self, name):
                parts.append(f"{name}={getattr(self, name)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class Lambda(Transform):
    """Wrap a deterministic callable ``x -> x`` (it must not draw random numbers).

    Args:
        fn: the function; must be picklable (a module-level function) for workers.
    """

    strength_mode = "none"

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__(p=1.0)
        self.fn = check_callable("fn", fn, owner="Lambda")

    def _apply(self, x, params):
        return self.fn(x)

    @classmethod
    def _harness_examples(cls):
        return [(cls(np.negative), np.arange(6, dtype=np.float32).reshape(2, 3))]

    @classmethod
    def _harness_bad_args(cls):
        return [{"fn": 3}]


def _as_transforms(transforms: Any, owner: str) -> List[Transform]:
    if isinstance(transforms, (Transform, str, bytes)) or not isinstance(transforms, Sequence):
        raise TypeError(f"{owner}: transforms must be a list of Transform, got {transforms!r}")
    out = []
    for i, t in enumerate(transforms):
        if isinstance(t, Transform):
            out.append(t)
        elif callable(t):
            raise TypeError(
                f"{owner}: transforms[{i}] is {t!r}, a plain callable; wrap deterministic callables in "
                "loaders.Lambda (random ones must be Transform subclasses so that they draw from the key)"
            )
        else:
            raise TypeError(f"{owner}: transforms[{i}] must be a Transform, got {t!r} ({type(t).__name__})")
    return out


class Compose(Transform):
    """Apply transforms in order (as a whole with probability ``p``).

    Args:
        transforms: list of :class:`Transform`.
        p: probability that the whole sequence is applied.
    """

    def __init__(self, transforms: Sequence[Transform], p: float = 1.0) -> None:
        super().__init__(p=p)
        self.transforms = _as_transforms(transforms, type(self).__name__)

    # Children scale by strength themselves; the container's own p does not.
    def effective_p(self, strength: float = 1.0) -> float:
        return self.p

    def _sample(self, rng, strength):
        return {"children": [t.sample(rng, strength) for t in self.transforms]}

    def _apply(self, x, params):
        for t, child in zip(self.transforms, params["children"]):
            x = t.apply(x, child)
        return x

    @classmethod
    def _harness_examples(cls):
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        return [(cls([Lambda(np.negative), Lambda(np.flipud)]), x)]

    @classmethod
    def _harness_bad_args(cls):
        return [{"transforms": 3}, {"transforms": [print]}, {"transforms": [], "p": 2.0}]


class RandomApply(Compose):
    """Apply the list of transforms as a whole with probability ``p`` (default 0.5)."""

    def __init__(self, transforms: Sequence[Transform], p: float = 0.5) -> None:
        super().__init__(transforms, p=p)

    @classmethod
    def _harness_examples(cls):
        return [(cls([Lambda(np.negative)], p=0.5), np.arange(4, dtype=np.float64))]

    @classmethod
    def _harness_bad_args(cls):
        return [{"transforms": [Lambda(abs)], "p": -0.1}, {"transforms": Lambda(abs)}]


class OneOf(Transform):
    """Apply exactly one of ``transforms``, chosen with ``weights`` (uniform by default).

    Args:
        transforms: candidate transforms.
        weights: non-negative weights (normalised), one per transform.
        p: probability of applying any.
    """

    def __init__(self, transforms: Sequence[Transform], weights: Optional[Sequence[float]] = None,
                 p: float = 1.0) -> None:
        super().__init__(p=p)
        self.transforms = _as_transforms(transforms, "OneOf")
        if not self.transforms:
            raise ValueError("OneOf: transforms must not be empty")
        if weights is None:
            self.weights = None
            self._w = np.full(len(self.transforms), 1.0 / len(self.transforms))
        else:
            if len(weights) != len(self.transforms):
                raise ValueError(f"OneOf: weights must have one entry per transform ({len(self.transforms)}), got {len(weights)}")
            w = [check_number(f"weights[{i}]", v, low=0.0, owner="OneOf") for i, v in enumerate(weights)]
            if sum(w) <= 0:
                raise ValueError(f"OneOf: weights must not all be zero, got {list(weights)!r}")
            self.weights = list(w)
            self._w = np.asarray(w) / sum(w)

    def effective_p(self, strength: float = 1.0) -> float:
        return self.p

    def _sample(self, rng, strength):
        i = int(rng.choice(len(self.transforms), p=self._w))
        return {"choice": i, "child": self.transforms[i].sample(rng, strength)}

    def _apply(self, x, params):
        return self.transforms[params["choice"]].apply(x, params["child"])

    @classmethod
    def _harness_examples(cls):
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        return [(cls([Lambda(np.negative), Lambda(np.flipud)], weights=[1, 3]), x)]

    @classmethod
    def _harness_bad_args(cls):
        return [{"transforms": []}, {"transforms": [Lambda(abs)], "weights": [1, 2]},
                {"transforms": [Lambda(abs)], "weights": [-1]}]
