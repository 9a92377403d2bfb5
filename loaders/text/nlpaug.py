"""[NLPAug][loaders.text.NLPAug]: nlpaug's data-free text augmenters, keyed by the sample.

nlpaug is imported only when an adapter is constructed.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..seeded import Seeded

__all__ = ["NLPAug", "SUPPORTED_AUGMENTERS", "describe_augmenter"]

#: nlpaug draws from Python's `random` and numpy's legacy global generator.
NLPAUG_RNGS = ("random", "numpy")

#: The nlpaug augmenters that need no downloaded data or model (their resources ship in the
#: nlpaug wheel, or they need none), as `(module, class name)`; the flows `Sequential` and
#: `Sometimes` are accepted when every augmenter inside them is one of these.
SUPPORTED_AUGMENTERS = (
    ("nlpaug.augmenter.char", "KeyboardAug"),
    ("nlpaug.augmenter.char", "OcrAug"),
    ("nlpaug.augmenter.char", "RandomCharAug"),
    ("nlpaug.augmenter.word", "RandomWordAug"),
    ("nlpaug.augmenter.word", "SplitAug"),
    ("nlpaug.augmenter.word", "SpellingAug"),
    ("nlpaug.augmenter.word", "ReservedAug"),
)
_FLOWS = (("nlpaug.flow", "Sequential"), ("nlpaug.flow", "Sometimes"))


def _classes(names: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    import importlib

    return tuple(getattr(importlib.import_module(module), name) for module, name in names)


def _unsupported(augmenter: Any, supported: tuple[Any, ...], flows: tuple[Any, ...]) -> list[Any]:
    """The augmenters (depth first) that are not data-free: empty when all are."""
    if isinstance(augmenter, flows):
        return [bad for child in augmenter for bad in _unsupported(child, supported, flows)]
    return [] if isinstance(augmenter, supported) else [augmenter]


def describe_augmenter(augmenter: Any) -> str:
    """A readable repr of an nlpaug augmenter or flow: its class and constructor arguments.

    nlpaug's own objects print as `<... object at 0x...>`; this names the class and the
    constructor arguments it keeps as attributes.

    Example:
        >>> import nlpaug.augmenter.word as naw
        >>> describe_augmenter(naw.RandomWordAug(action="swap", aug_max=3))[:46]
        "RandomWordAug(action='swap', name='RandomWord_"
    """
    if isinstance(augmenter, list):  # nlpaug flows are lists of augmenters
        inner = ", ".join(describe_augmenter(a) for a in augmenter)
        return f"{type(augmenter).__name__}([{inner}])"
    try:
        names = [n for n in inspect.signature(type(augmenter).__init__).parameters if n != "self"]
    except (TypeError, ValueError):  # pragma: no cover - a C-level __init__
        names = []
    parts = []
    for name in names:
        value = getattr(augmenter, name, None)
        if value is not None and not callable(value):
            parts.append(f"{name}={value!r}")
    return f"{type(augmenter).__name__}({', '.join(parts)})"


class NLPAug(Seeded):
    """Run an nlpaug text augmenter per sample, seeded from the sample key; returns a `str`.

    nlpaug draws from Python's `random` and numpy's legacy global generator; this adapter
    seeds those two from the key and restores them afterwards, so the same sample,
    epoch and seed give the same text with any `num_workers`, start method or process.
    nlpaug's `augment` returns a list; the adapter returns its one string. nlpaug gives
    nothing back for text it cannot augment (an empty string, for example): the text
    then passes unchanged.

    Supported: the augmenters that need no downloaded data or model, whose resources
    ship with nlpaug or that need none: `nlpaug.augmenter.char.KeyboardAug`, `OcrAug`,
    `RandomCharAug`, and `nlpaug.augmenter.word.RandomWordAug`, `SplitAug`,
    `SpellingAug` (its bundled English misspelling list), `ReservedAug`; and
    `nlpaug.flow.Sequential` / `Sometimes` of these. The others (`SynonymAug`,
    `AntonymAug`, `ContextualWordEmbsAug`, `BackTranslationAug`, ...) download
    WordNet or models at run time, and the model-based ones draw from torch as well;
    they are refused. For synonyms use [SynonymReplacement][loaders.text.SynonymReplacement]
    (WordNet ships with this library).

    `p` (scaled by the adaptive strength) decides whether the augmenter runs at all; its
    own probabilities (`aug_char_p`, `aug_word_p`, `Sometimes`) act on top.
    Params: `{"apply": bool, "seed": int}`.

    Args:
        augmenter: a supported nlpaug augmenter or flow.
        p: probability of running the augmenter (times the adaptive strength).

    Raises:
        TypeError: `augmenter` is not a supported nlpaug augmenter or flow.
        ValueError: `p` is outside [0, 1].

    Example:
        >>> import numpy as np
        >>> import nlpaug.augmenter.word as naw
        >>> t = NLPAug(naw.RandomWordAug(action="swap"))
        >>> params = t.sample(np.random.default_rng(0))
        >>> out = t.apply("the quick brown fox jumps", params)
        >>> isinstance(out, str), out == t.apply("the quick brown fox jumps", params)
        (True, True)
    """

    def __init__(self, augmenter: Any, *, p: float = 1.0) -> None:
        owner = type(self).__name__
        supported, flows = _classes(SUPPORTED_AUGMENTERS), _classes(_FLOWS)
        bad = _unsupported(augmenter, supported, flows)
        if bad:
            names = ", ".join(name for _, name in SUPPORTED_AUGMENTERS)
            inner = "" if bad[0] is augmenter else f" (it holds {type(bad[0]).__name__})"
            raise TypeError(
                f"{owner}: augmenter must be an nlpaug augmenter that needs no downloaded data ({names}) or a "
                f"Sequential/Sometimes flow of them, got {augmenter!r} ({type(augmenter).__name__}){inner}"
            )
        super().__init__(augmenter.augment, rngs=NLPAUG_RNGS, p=p)
        self.augmenter = augmenter

    def __repr__(self) -> str:
        return f"{type(self).__name__}(augmenter={describe_augmenter(self.augmenter)}, p={self.p!r})"

    def _run(self, x: Any) -> Any:
        if not isinstance(x, str):
            raise TypeError(f"{type(self).__name__}: text must be a str, got {type(x).__name__}")
        out = self.augmenter.augment(x)
        if isinstance(out, list):
            return out[0] if out else x
        return out if isinstance(out, str) else x
