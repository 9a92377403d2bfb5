"""The base of the text transforms and the one check that a sample is text.

[StringTransform][loaders.text.base.StringTransform] is the base of every transform on a
`str`: `sample` draws plain params `{"apply": bool, "seed": int, ...}` and `apply`
replays them with a local [HashRng][loaders.text.rng.HashRng]. [check_text][loaders.text.base.check_text]
is the single check every text entry point uses (transforms, the Hugging Face row
transform, the text collate).

Example:
    >>> check_text("fine", "RandomSwap")
    'fine'
    >>> check_text(b"raw", "RandomSwap")
    Traceback (most recent call last):
    ...
    TypeError: RandomSwap: text is bytes (b'raw'); decode it to str first (e.g. value.decode('utf-8'))
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from ..keys import as_generator
from ..transform import Transform
from .rng import HashRng

__all__ = ["SEED_SCALE", "StringTransform", "check_text"]

#: A uniform on [0, 1) times this is a 53-bit sub-seed (the resolution of a float64 uniform).
SEED_SCALE = float(1 << 53)
_GENERATOR = np.random.Generator


def check_text(value: Any, where: str) -> str:
    """Return `value` if it is a `str`; otherwise raise a `TypeError` that names `where`.

    Args:
        value: the sample (or field of a sample) that must be text.
        where: who is asking and about which sample, e.g. `"RandomSwap"` or
            `"TextCollate: sample 3 ['text']"`; it starts the message.

    Returns:
        `value` itself.

    Raises:
        TypeError: `value` is `None`, bytes (with the decode hint) or any other non-`str`.

    Example:
        >>> check_text(None, "EDA")
        Traceback (most recent call last):
        ...
        TypeError: EDA: text is None (NoneType); every sample needs a str
    """
    if isinstance(value, str):
        return value
    if value is None:
        raise TypeError(f"{where}: text is None (NoneType); every sample needs a str")
    if isinstance(value, (bytes, bytearray)):
        raise TypeError(
            f"{where}: text is bytes ({bytes(value[:20])!r}{'...' if len(value) > 20 else ''}); "
            "decode it to str first (e.g. value.decode('utf-8'))"
        )
    raise TypeError(f"{where}: text must be a str, got {type(value).__name__} ({value!r:.60})")


class StringTransform(Transform, metaclass=abc.ABCMeta):
    """Base of the text transforms: draws a sub-seed, checks the input is a `str`.

    A subclass implements `_run(x, params, rng) -> (output, info)`, where `rng` is a
    [HashRng][loaders.text.rng.HashRng] seeded from `params["seed"]`; `apply` returns the
    output and [explain][loaders.text.base.StringTransform.explain] the output with the info.
    Subclasses that draw more than the seed override `_sample` (it must return the seed too).

    Args:
        p: probability of applying (times adaptive strength).

    Example:
        >>> from loaders.text import RandomSwap
        >>> isinstance(RandomSwap(), StringTransform)
        True
    """

    _plain_sample: bool = True
    _p_scales: bool = True

    def sample(self, rng: np.random.Generator, strength: float = 1.0) -> dict[str, Any]:
        """Draw `{"apply": bool, "seed": int, ...}`.

        One uniform `u` decides whether to apply (`u < p * strength`); when it
        does, `u / (p * strength)` is again uniform on [0, 1) and, scaled to 53 bits,
        becomes the sub-seed of the replay (one draw instead of two: the text ops are
        cheap enough for that to matter). Subclasses that draw more (EDA's op,
        SyntaxParaphrase's order) get them from `_sample` after it.

        Args:
            rng: the sample's generator.
            strength: adaptive strength in [0, 1].

        Returns:
            The params, plain data.

        Raises:
            TypeError: `rng` is not a `numpy.random.Generator`.
            ValueError: `strength` is outside [0, 1].
        """
        strength = self._sample_args(rng, strength)
        p = self.p * strength if self._p_scales else self.effective_p(strength)
        u = rng.random()
        if not u < p:
            return {"apply": False}
        if self._plain_sample:
            return {"apply": True, "seed": int(u / p * SEED_SCALE)}
        params: dict[str, Any] = {"apply": True}
        params.update(self._sample(rng, strength))
        return params

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_sample = cls._sample is StringTransform._sample
        cls._p_scales = cls.strength_mode in ("p", "both") and cls.effective_p is Transform.effective_p

    def __call__(self, x: Any, rng: Any = None, *, strength: float = 1.0) -> Any:
        """Sample with `rng` (a generator, a seed or `None`) and apply to `x`."""
        if rng.__class__ is not _GENERATOR:
            rng = as_generator(rng)
        return self.apply(x, self.sample(rng, strength))

    def _sample(self, rng: np.random.Generator, strength: float) -> dict[str, Any]:
        return {"seed": int(rng.random() * SEED_SCALE)}

    @abc.abstractmethod
    def _run(self, x: str, params: dict[str, Any], rng: HashRng) -> tuple[str, dict[str, Any]]:
        """Apply to a non-empty `x` with the generator of the params; return `(output, info)`."""

    def apply(self, x: Any, params: dict[str, Any]) -> str:
        """Replay `params` on the text `x` (deterministic; `x` itself when not applied or empty).

        Raises:
            TypeError: `x` is not a `str`.
        """
        check_text(x, type(self).__name__)
        if not params.get("apply", True) or not x:
            return x
        return self._run(x, params, HashRng(params["seed"]))[0]

    def explain(self, x: str, params: dict[str, Any]) -> dict[str, Any]:
        """What `apply(x, params)` does: `{"output": str, "applied": bool, ...}` with the op's info.

        Raises:
            TypeError: `x` is not a `str`.
        """
        check_text(x, type(self).__name__)
        if not params.get("apply", True) or not x:
            return {"output": x, "applied": False}
        out, info = self._run(x, params, HashRng(params["seed"]))
        return {"output": out, "applied": True, **info}
