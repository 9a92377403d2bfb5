"""Run another library's random code sample-stably: the global generators seeded from the key.

Most augmentation libraries draw from global generators: Python's `random`, numpy's legacy
`np.random.*` functions and torch's default CPU generator. [Seeded][loaders.Seeded] makes
such code keyed like every other transform here: `sample(rng)` draws one 64-bit seed
(plain data, so `ds.params(i)` followed by `apply` replays the draw), and `apply(x, params)`
seeds the named generators from it, calls the function, and puts the caller's generator
states back exactly as they were.

This module is the one place in the library that touches global generator state. Every
seeded call holds one process-wide lock ([seeded_call][loaders.seeded.seeded_call]), so
concurrent calls from several threads serialise and each sees only its own seed.
Code *outside* a seeded call that draws from the same global generators in another
thread at the same moment is not covered by the lock: it may draw from the seeded
stream (and the seeded call from its draws). DataLoader workers are processes, each with
its own generators and its own lock.

How each generator is seeded from the 64-bit `seed` (and what the save/restore costs):

* `"random"`: `random.seed(seed)`; state saved with `random.getstate()` and restored
  with `random.setstate()`.
* `"numpy"`: exactly `np.random.seed(seed >> 32)`. The caller's bit generator is swapped
  out (`np.random.set_bit_generator`) for a private MT19937 seeded that way and swapped
  back afterwards, so its stream continues untouched; numpy's legacy gaussian cache
  (one pending value of `np.random.randn` and friends) is read with `np.random.get_state`
  and put back when it was set. Reading that state dominates the cost (about 35
  microseconds per call, as numpy copies it out word by word; the seeding itself takes
  2): half of a plain save, seed and full `np.random.set_state` restore.
* `"torch"`: `torch.default_generator.manual_seed(seed)` (torch's CPU generator uses the
  low 32 bits for its Mersenne Twister state), saved and restored with
  `get_state`/`set_state`. CUDA generators are not touched (`torch.manual_seed` would
  seed them too and costs 100 times more); transforms run by DataLoader workers draw on
  the CPU.

Numpy and torch get different bits of the seed, so the two Mersenne Twisters never start
from the same state.

Example:
    >>> import random
    >>> import numpy as np
    >>> from loaders import Seeded
    >>> def jitter(x):
    ...     return x + random.random() + float(np.random.random())
    >>> t = Seeded(jitter, rngs=("random", "numpy"))
    >>> params = t.sample(np.random.default_rng(0))
    >>> sorted(params)
    ['apply', 'seed']
    >>> before = random.getstate()
    >>> t.apply(1.0, params) == t.apply(1.0, params)   # the same params replay the draw
    True
    >>> random.getstate() == before                     # the caller's stream is untouched
    True
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from .transform import Transform
from .validation import check_callable

__all__ = ["Seeded", "RNG_NAMES", "check_rngs", "seeded_call", "draw_seed"]

#: The global generators [Seeded][loaders.Seeded] can seed, in the order they are seeded.
RNG_NAMES = ("random", "numpy", "torch")

_MASK32 = 0xFFFFFFFF
_TO_UNIT = 1.0 / (1 << 53)
# numpy >= 1.25 can swap the global RandomState's bit generator; older versions save and
# restore the state instead (exact too, about 40 microseconds more).
# (Both are public numpy functions that numpy's type stubs do not list, hence getattr.)
_get_bit_generator: Any = getattr(np.random, "get_bit_generator", None)
_set_bit_generator: Any = getattr(np.random, "set_bit_generator", None)
_SWAP_NUMPY = _get_bit_generator is not None and _set_bit_generator is not None


class _GlobalSeeding:
    """The process-wide lock and the private numpy generators used while seeded calls nest."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.depth = 0
        self.numpy_scratch: list[tuple[np.random.RandomState, Any]] = []

    def scratch(self, depth: int) -> tuple[np.random.RandomState, Any]:
        while len(self.numpy_scratch) <= depth:
            bit_generator = np.random.MT19937(0)
            self.numpy_scratch.append((np.random.RandomState(bit_generator), bit_generator))
        return self.numpy_scratch[depth]


_STATE = _GlobalSeeding()


def _reset_after_fork() -> None:
    # A fork taken while another thread held the lock would leave it held forever in the child.
    global _STATE
    _STATE = _GlobalSeeding()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def check_rngs(rngs: Any, *, owner: str = "Seeded") -> tuple[str, ...]:
    """Check a selection of global generators by name.

    Args:
        rngs: a non-empty tuple or list of distinct names from `RNG_NAMES`
            (`"random"`, `"numpy"`, `"torch"`).
        owner: the class name that prefixes error messages.

    Returns:
        The names as a tuple, in the order given.

    Raises:
        TypeError: `rngs` is a single string or not a sequence of strings.
        ValueError: `rngs` is empty, repeats a name or names an unknown generator.

    Example:
        >>> check_rngs(["torch"])
        ('torch',)
    """
    if isinstance(rngs, (str, bytes)) or not isinstance(rngs, Sequence):
        raise TypeError(
            f"{owner}: rngs must be a tuple of generator names from {RNG_NAMES}, got {rngs!r}"
            + (f"; write rngs=({rngs!r},)" if isinstance(rngs, str) else "")
        )
    names = tuple(rngs)
    if not names:
        raise ValueError(f"{owner}: rngs must name at least one generator from {RNG_NAMES}, got {rngs!r}")
    for name in names:
        if not isinstance(name, str) or name not in RNG_NAMES:
            raise ValueError(f"{owner}: rngs contains {name!r}; allowed names are {RNG_NAMES}")
    if len(set(names)) != len(names):
        raise ValueError(f"{owner}: rngs names a generator twice: {rngs!r}")
    return names


def draw_seed(rng: np.random.Generator) -> int:
    """Draw the 64-bit seed of one seeded call from a keyed generator.

    Args:
        rng: the sample's generator.

    Returns:
        An int in `[0, 2**64)`: one raw output of the generator's bit generator.

    Example:
        >>> draw_seed(np.random.default_rng(0)) == draw_seed(np.random.default_rng(0))
        True
    """
    return int(rng.bit_generator.random_raw())


_TORCH_ONLY = ("torch",)


def _torch_only(fn: Callable[[Any], Any], x: Any, seed: int) -> Any:
    gen = torch.default_generator
    with _STATE.lock:
        saved = gen.get_state()
        gen.manual_seed(seed)
        try:
            return fn(x)
        finally:
            gen.set_state(saved)


def seeded_call(fn: Callable[[Any], Any], x: Any, seed: int, rngs: tuple[str, ...] = RNG_NAMES) -> Any:
    """Call `fn(x)` with the named global generators seeded from `seed`, then restore them.

    The call holds the process-wide lock (re-entrant: a seeded call may make another).
    Whatever `fn` does, raises included, the caller's generator states are put back.

    Args:
        fn: any callable of one argument.
        x: its argument.
        seed: an int in `[0, 2**64)` (see [draw_seed][loaders.seeded.draw_seed]).
        rngs: the generators to seed, checked names from `RNG_NAMES`
            (see [check_rngs][loaders.seeded.check_rngs]).

    Returns:
        What `fn(x)` returns.

    Example:
        >>> import torch
        >>> a = seeded_call(lambda n: torch.rand(n), 2, seed=7, rngs=("torch",))
        >>> bool((a == seeded_call(lambda n: torch.rand(n), 2, seed=7, rngs=("torch",))).all())
        True
    """
    if rngs == _TORCH_ONLY:
        return _torch_only(fn, x, seed)
    state = _STATE
    with state.lock:
        depth = state.depth
        state.depth = depth + 1
        py_saved = np_saved = np_bitgen = torch_saved = None
        try:
            if "random" in rngs:
                py_saved = random.getstate()
                random.seed(seed)
            if "numpy" in rngs:
                np_saved = np.random.get_state(legacy=False)
                if _SWAP_NUMPY:
                    np_bitgen = _get_bit_generator()
                    scratch, scratch_bitgen = state.scratch(depth)
                    scratch.seed(seed >> 32)  # exactly np.random.seed(seed >> 32)
                    _set_bit_generator(scratch_bitgen)
                else:  # pragma: no cover - numpy < 1.25
                    np.random.seed(seed >> 32)
            if "torch" in rngs:
                torch_saved = torch.default_generator.get_state()
                torch.default_generator.manual_seed(seed)
            return fn(x)
        finally:
            if torch_saved is not None:
                torch.default_generator.set_state(torch_saved)
            if np_saved is not None:
                if np_bitgen is not None:
                    _set_bit_generator(np_bitgen)  # the caller's own object, untouched meanwhile
                    if np_saved["has_gauss"]:
                        np.random.set_state(np_saved)  # rare: put the pending gaussian back too
                else:  # pragma: no cover - numpy < 1.25
                    np.random.set_state(np_saved)
            if py_saved is not None:
                random.setstate(py_saved)
            state.depth = depth


class Seeded(Transform):
    """Run any callable with the global generators seeded from the sample's key.

    For code you do not control that draws from Python's `random`, numpy's legacy
    global generator (`np.random.*`) or torch's default CPU generator (`torch.rand`
    and friends): `sample(rng)` draws a 64-bit seed, `apply(x, params)` seeds the
    generators named in `rngs` from it, calls `fn(x)` and restores the caller's
    generator states exactly. The same key gives the same output with any
    `num_workers`, start method or process, and `ds.params(i)` followed by `apply`
    replays the draw.

    Calls hold a process-wide lock, so concurrent calls from threads serialise and
    stay correct; code outside a seeded call that uses the same global generators
    in another thread at the same time is not protected (see
    [loaders.seeded][loaders.seeded] for the details). Per call, sampling included:
    about 4 microseconds for `"torch"` alone, 17 for `"random"`, 36 for `"numpy"`,
    54 for all three; seed only what `fn` uses. The library adapters
    ([TorchVision][loaders.image.TorchVision], [TorchAudio][loaders.audio.TorchAudio],
    [Audiomentations][loaders.audio.Audiomentations],
    [NLPAug][loaders.text.NLPAug]) are built on this and seed only their library's
    generators.

    `p` (scaled by the adaptive strength) decides whether `fn` runs at all; the
    probabilities inside `fn` act on top of it. Params: `{"apply": bool, "seed": int}`.

    Args:
        fn: the callable `x -> x`. It must be picklable for DataLoader workers
            under spawn (a module-level function or a picklable object).
        rngs: the generators to seed, a tuple of names from `("random", "numpy", "torch")`.
        p: probability of calling `fn` (times the adaptive strength).

    Raises:
        TypeError: `fn` is not callable, or `rngs` is not a tuple of names.
        ValueError: `rngs` is empty, repeats a name or names an unknown generator,
            or `p` is outside [0, 1].

    Example:
        >>> import numpy as np, torch
        >>> t = Seeded(lambda x: x + torch.rand(()), rngs=("torch",))
        >>> params = t.sample(np.random.default_rng(3))
        >>> bool(t.apply(torch.zeros(()), params) == t.apply(torch.zeros(()), params))
        True
    """

    def __init__(self, fn: Callable[[Any], Any], *, rngs: Sequence[str] = RNG_NAMES, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.fn = check_callable("fn", fn, owner=type(self).__name__)
        self.rngs = check_rngs(rngs, owner=type(self).__name__)

    def sample(self, rng: np.random.Generator, strength: float = 1.0) -> dict[str, Any]:
        """Draw whether to apply and the seed of the call: two raw 64-bit words of ``rng``'s bit generator.

        The first word ``r`` decides: applied when ``(r >> 11) / 2**53 < effective_p(strength)``
        (the value ``rng.random()`` gives for numpy's Philox, PCG64 and SFC64); the second is
        the seed. Raw words keep the draw short, which matters right after a heavy op has
        evicted the interpreter's caches.

        Args:
            rng: the sample's generator (a ``numpy.random.Generator``).
            strength: the adaptive strength in [0, 1].

        Returns:
            ``{"apply": bool, "seed": int}`` (no seed when not applied).

        Raises:
            TypeError: ``rng`` is not a ``numpy.random.Generator``.
            ValueError: ``strength`` outside [0, 1].
        """
        strength = self._sample_args(rng, strength)
        bits = rng.bit_generator
        if (int(bits.random_raw()) >> 11) * _TO_UNIT >= self.effective_p(strength):
            return {"apply": False}
        return {"apply": True, "seed": draw_seed(rng)}

    def _run(self, x: Any) -> Any:
        """The call made while the generators are seeded (the adapters override it)."""
        return self.fn(x)

    def apply(self, x: Any, params: dict[str, Any]) -> Any:
        """Call the function on ``x`` with the generators seeded from ``params["seed"]``.

        Args:
            x: the input.
            params: what `sample` returned.

        Returns:
            The function's output (``x`` itself when ``params["apply"]`` is false).
        """
        if not params.get("apply", True):
            return x
        if (
            self.rngs == _TORCH_ONLY
        ):  # TorchVision, TorchAudio: straight to the steps (few frames run cold after a heavy op)
            return _torch_only(self._run, x, params["seed"])
        return seeded_call(self._run, x, params["seed"], self.rngs)
