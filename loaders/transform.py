"""The transform base class and composition: sample, then apply.

A transform draws its parameters from a generator it is given
(``sample(rng) -> params``) and then applies them deterministically
(``apply(x, params)``). Params are plain data (dicts of numbers, lists, strings)
that can be logged and replayed. No transform touches a global RNG.

Subclasses implement ``_sample(rng, strength) -> dict`` and ``_apply(x, params)``
and call ``super().__init__(p=p)``.

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
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .keys import as_generator
from .validation import check_callable, check_number, check_probability

__all__ = ["Transform", "Compose", "OneOf", "RandomApply", "Lambda", "AugmentationError"]


class AugmentationError(RuntimeError):
    """A transform (or the wrapped dataset) failed on a sample.

    The message names the sample's dataset index, the epoch and the transform; the
    original exception is chained as ``__cause__``.

    Example:
        >>> from loaders import AugmentedDataset
        >>> ds = AugmentedDataset([("a", 0)], Lambda(abs), seed=0)
        >>> try:
        ...     ds[0]
        ... except AugmentationError as e:
        ...     type(e.__cause__).__name__
        'TypeError'
    """


class Transform:
    """Base class of every transform: validate in ``__init__``, draw in ``_sample``, compute in ``_apply``.

    Calling a transform, ``t(x, rng)``, is ``t.apply(x, t.sample(rng))``. ``sample`` decides
    whether to apply (probability `effective_p`) and draws the parameters as plain data;
    ``apply`` is deterministic and never mutates ``x``.

    Args:
        p: probability of applying, in [0, 1].

    Attributes:
        strength_mode: how adaptive strength acts: ``"p"`` (scale the probability, the
            default), ``"magnitude"``, ``"both"`` or ``"none"``.

    Example:
        >>> import numpy as np
        >>> class Shift(Transform):
        ...     def _sample(self, rng, strength):
        ...         return {"by": int(rng.integers(1, 4))}
        ...     def _apply(self, x, params):
        ...         return x + params["by"]
        >>> t = Shift(p=1.0)
        >>> params = t.sample(np.random.default_rng(0))
        >>> t.apply(10, params) == t(10, rng=np.random.default_rng(0))
        True
    """

    #: How adaptive strength acts: "p" (scale the probability), "magnitude", "both" or "none".
    strength_mode: str = "p"

    def __init__(self, p: float = 1.0) -> None:
        self.p = check_probability("p", p, owner=type(self).__name__)

    # -- to override -------------------------------------------------------
    def _sample(self, rng: np.random.Generator, strength: float) -> dict[str, Any]:
        return {}

    def _apply(self, x: Any, params: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement _apply(x, params)")

    # -- public API ----------------------------------------------------------
    def effective_p(self, strength: float = 1.0) -> float:
        """Probability of applying at this strength (``p * strength`` when ``strength_mode`` scales ``p``)."""
        if self.strength_mode in ("p", "both"):
            return self.p * strength
        return self.p

    def sample(self, rng: np.random.Generator, strength: float = 1.0) -> dict[str, Any]:
        """Draw the parameters for one application (plain, loggable data).

        Args:
            rng: the sample's generator (a ``numpy.random.Generator``).
            strength: the adaptive strength in [0, 1].

        Returns:
            ``{"apply": bool, ...}`` with the transform's own parameters when applied.

        Raises:
            TypeError: ``rng`` is not a ``numpy.random.Generator``.
            ValueError: ``strength`` outside [0, 1].
        """
        strength = self._sample_args(rng, strength)
        apply = bool(rng.random() < self.effective_p(strength))
        params: dict[str, Any] = {"apply": apply}
        if apply:
            params.update(self._sample(rng, strength))
        return params

    def _sample_args(self, rng: Any, strength: Any) -> float:
        """The checks of `sample`'s arguments (one place for every override): returns ``strength`` as float."""
        if type(strength) is not float or not 0.0 <= strength <= 1.0:  # the common case skips the full check
            strength = check_number("strength", strength, low=0.0, high=1.0, owner=type(self).__name__)
        if rng.__class__ is not np.random.Generator and not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"{type(self).__name__}.sample: rng must be a numpy.random.Generator, got {type(rng).__name__}"
            )
        return strength

    def apply(self, x: Any, params: dict[str, Any]) -> Any:
        """Apply drawn ``params`` to ``x`` deterministically. Never mutates ``x``.

        Args:
            x: the input.
            params: what `sample` returned.

        Returns:
            The transformed input (``x`` itself when ``params["apply"]`` is false).
        """
        if not params.get("apply", True):
            return x
        return self._apply(x, params)

    def __call__(self, x: Any, rng: Any = None, *, strength: float = 1.0) -> Any:
        """Sample and apply: ``rng`` is None (fresh entropy), an int seed or a ``numpy.random.Generator``."""
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
    """Wrap a deterministic callable ``x -> x``: Lambda is not keyed.

    Lambda draws nothing from the sample key and seeds nothing, so `fn` must not draw
    random numbers: a callable that uses `random`, `np.random` or `torch.rand` would
    give another stream with every `num_workers` and could not be replayed from
    `ds.params(i)`. Run random callables in [Seeded][loaders.Seeded] or a library
    adapter ([TorchVision][loaders.image.TorchVision], [TorchAudio][loaders.audio.TorchAudio],
    [Audiomentations][loaders.audio.Audiomentations], [NLPAug][loaders.text.NLPAug]).

    Args:
        fn: the function; must be picklable (a module-level function) for workers.

    Raises:
        TypeError: ``fn`` is not callable.

    Example:
        >>> Lambda(abs)(-3, rng=0)
        3
    """

    strength_mode = "none"

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__(p=1.0)
        self.fn = check_callable("fn", fn, owner="Lambda")

    def _apply(self, x, params):
        return self.fn(x)


def _as_transforms(transforms: Any, owner: str) -> list[Transform]:
    if isinstance(transforms, (Transform, str, bytes)) or not isinstance(transforms, Sequence):
        raise TypeError(f"{owner}: transforms must be a list of Transform, got {transforms!r}")
    out = []
    for i, t in enumerate(transforms):
        if isinstance(t, Transform):
            out.append(t)
        elif callable(t):
            raise TypeError(
                f"{owner}: transforms[{i}] is {t!r}, a plain callable; wrap a random one in an adapter keyed by the "
                "sample (loaders.image.TorchVision, loaders.audio.TorchAudio, loaders.audio.Audiomentations, "
                "loaders.text.NLPAug) or loaders.Seeded(fn, rngs=...), a deterministic one in loaders.Lambda"
            )
        else:
            raise TypeError(f"{owner}: transforms[{i}] must be a Transform, got {t!r} ({type(t).__name__})")
    return out


class Compose(Transform):
    """Apply transforms in order (as a whole with probability ``p``).

    Each child draws from the same generator, in order; adaptive strength is passed on to
    the children (the container's own ``p`` is not scaled).

    Args:
        transforms: list of [Transform][loaders.Transform].
        p: probability that the whole sequence is applied.

    Raises:
        TypeError: not a list of transforms (wrap plain callables: random ones in `Seeded` or an
            adapter, deterministic ones in `Lambda`).

    Example:
        >>> Compose([Lambda(abs), Lambda(str)])(-2, rng=0)
        '2'
    """

    def __init__(self, transforms: Sequence[Transform], p: float = 1.0) -> None:
        super().__init__(p=p)
        self.transforms = _as_transforms(transforms, type(self).__name__)

    def effective_p(self, strength: float = 1.0) -> float:
        """The container's own ``p``: children scale by strength themselves."""
        return self.p

    def _sample(self, rng, strength):
        return {"children": [t.sample(rng, strength) for t in self.transforms]}

    def _apply(self, x, params):
        for t, child in zip(self.transforms, params["children"], strict=True):
            x = t.apply(x, child)
        return x


class RandomApply(Compose):
    """Apply the list of transforms as a whole with probability ``p`` (default 0.5).

    Args:
        transforms: list of [Transform][loaders.Transform].
        p: probability that the whole sequence is applied.

    Example:
        >>> RandomApply([Lambda(abs)], p=1.0)(-2, rng=0)
        2
    """

    def __init__(self, transforms: Sequence[Transform], p: float = 0.5) -> None:
        super().__init__(transforms, p=p)


class OneOf(Transform):
    """Apply exactly one of ``transforms``, chosen with ``weights`` (uniform by default).

    Args:
        transforms: candidate transforms.
        weights: non-negative weights (normalised), one per transform.
        p: probability of applying any.

    Raises:
        ValueError: no transforms, or weights of the wrong length, negative or all zero.

    Example:
        >>> OneOf([Lambda(abs), Lambda(str)], weights=[1, 0])(-2, rng=0)
        2
    """

    def __init__(self, transforms: Sequence[Transform], weights: Sequence[float] | None = None, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.transforms = _as_transforms(transforms, "OneOf")
        if not self.transforms:
            raise ValueError("OneOf: transforms must not be empty")
        if weights is None:
            self.weights = None
            self._w = np.full(len(self.transforms), 1.0 / len(self.transforms))
        else:
            if len(weights) != len(self.transforms):
                raise ValueError(
                    f"OneOf: weights must have one entry per transform ({len(self.transforms)}), got {len(weights)}"
                )
            w = [check_number(f"weights[{i}]", v, low=0.0, owner="OneOf") for i, v in enumerate(weights)]
            if sum(w) <= 0:
                raise ValueError(f"OneOf: weights must not all be zero, got {list(weights)!r}")
            self.weights = list(w)
            self._w = np.asarray(w) / sum(w)

    def effective_p(self, strength: float = 1.0) -> float:
        """The container's own ``p``: the chosen child scales by strength itself."""
        return self.p

    def _sample(self, rng, strength):
        i = int(rng.choice(len(self.transforms), p=self._w))
        return {"choice": i, "child": self.transforms[i].sample(rng, strength)}

    def _apply(self, x, params):
        return self.transforms[params["choice"]].apply(x, params["child"])
