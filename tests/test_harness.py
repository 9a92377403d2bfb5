"""The check harness every transform and collate must pass, discovered automatically.

Every concrete `loaders.Transform` subclass defined in the ``loaders`` package,
and every class that ``collate`` exports, is collected by walking the packages:
nothing is kept by hand. Each must have one row in ``tests/cases/`` (a class
without one fails); the library itself carries no harness data.

Checks: pickles (the copy gives the same output), a useful ``repr``, does not
mutate its input, keeps dtype and device, the same key gives the same output,
bad arguments raise ``ValueError``/``TypeError``.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import numpy as np
import pytest
import torch

import collate
import loaders
from loaders import Transform
from loaders.keys import KeyedBatch
from tests._compare import deep_copy, deep_equal


def _import_all(package):
    mods = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        mods.append(importlib.import_module(info.name))
    return mods


def _all_subclasses(cls):
    out, todo = set(), [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in out:
                out.add(sub)
                todo.append(sub)
    return out


def _collect_rows():
    import tests.cases as cases_pkg

    rows = {}
    for info in pkgutil.iter_modules(cases_pkg.__path__, cases_pkg.__name__ + "."):
        mod = importlib.import_module(info.name)
        for cls, case in getattr(mod, "CASES", {}).items():
            assert cls not in rows, f"{cls.__qualname__} has two harness rows"
            rows[cls] = case
    return rows


ROWS = _collect_rows()


_LOADER_MODULES = _import_all(loaders)
_COLLATE_MODULES = _import_all(collate)

TRANSFORMS = sorted(
    (
        c
        for c in _all_subclasses(Transform)
        if c.__module__.split(".")[0] == "loaders" and not inspect.isabstract(c) and not c.__name__.startswith("_")
    ),
    key=lambda c: c.__qualname__,
)
# Classes ``collate`` exports that are not collate_fns, with the reason (their own tests cover them).
NOT_COLLATES = {"EmbeddingMixer": "a model-side embedding hook, not a collate_fn (tests/collate/test_text.py)"}
COLLATES = sorted(
    (
        getattr(collate, name)
        for name in collate.__all__
        if inspect.isclass(getattr(collate, name)) and name not in NOT_COLLATES
    ),
    key=lambda c: c.__qualname__,
)


def _row(cls):
    """The harness row of ``cls`` from ``tests/cases``."""
    if cls not in ROWS:
        pytest.fail(f"{cls.__qualname__} has no harness row: add one to a module in tests/cases/")
    return ROWS[cls]


def _cases(cls):
    cases = _row(cls).examples()
    assert cases, f"{cls.__qualname__}: harness examples() returned nothing"
    return cases


def _bad_args(cls):
    bad = _row(cls).bad_args()
    assert bad, f"{cls.__qualname__}: harness bad_args() returned nothing"
    return bad


def test_library_carries_no_harness_data():
    offenders = [
        f"{c.__module__}.{c.__qualname__}"
        for c in list(TRANSFORMS) + list(COLLATES)
        if any(name.startswith("_harness") for name in vars(c))
    ]
    assert not offenders, f"harness cases belong in tests/cases/, not the library: {offenders}"


def test_every_row_names_a_discovered_class():
    discovered = set(TRANSFORMS) | set(COLLATES)
    stray = [c.__qualname__ for c in ROWS if c not in discovered]
    assert not stray, f"rows for classes the harness does not discover: {stray}"


def test_discovery_found_the_core():
    names = {c.__name__ for c in TRANSFORMS}
    assert {"Compose", "OneOf", "RandomApply", "Lambda"} <= names


@pytest.mark.parametrize("cls", TRANSFORMS, ids=lambda c: c.__qualname__)
def test_transform_harness(cls):
    for t, x in _cases(cls):
        assert isinstance(t, cls)
        r = repr(t)
        assert r.startswith(type(t).__name__ + "(") and " object at 0x" not in r, r
        before = deep_copy(x)
        outs = []
        for key in (0, 1, 2, 3):
            out1 = t(x, rng=np.random.default_rng(key), strength=1.0)
            out2 = t(x, rng=np.random.default_rng(key), strength=1.0)
            assert deep_equal(out1, out2), f"{r}: same key gave different outputs"
            outs.append(out1)
            params = t.sample(np.random.default_rng(key))
            pickle.dumps(params)  # params are plain data
            assert deep_equal(t.apply(x, params), out1), f"{r}: sample+apply differs from __call__"
        assert deep_equal(x, before), f"{r} mutated its input"
        clone = pickle.loads(pickle.dumps(t))
        assert deep_equal(clone(x, rng=np.random.default_rng(7)), t(x, rng=np.random.default_rng(7)))
        for out in outs:
            if isinstance(x, torch.Tensor):
                assert isinstance(out, torch.Tensor) and out.dtype == x.dtype and out.device == x.device, r
            elif isinstance(x, np.ndarray):
                assert isinstance(out, np.ndarray) and out.dtype == x.dtype, r
            else:
                assert type(out) is type(x), r


@pytest.mark.parametrize("cls", TRANSFORMS, ids=lambda c: c.__qualname__)
def test_transform_bad_args(cls):
    for kwargs in _bad_args(cls):
        with pytest.raises((ValueError, TypeError)):
            cls(**kwargs)


@pytest.mark.parametrize("cls", COLLATES, ids=lambda c: c.__qualname__)
def test_collate_harness(cls):
    for fn, batch in _cases(cls):
        r = repr(fn)
        assert r.startswith(type(fn).__name__ + "(") and " object at 0x" not in r, r
        assert isinstance(batch, KeyedBatch), "collate harness examples must be KeyedBatch (keyed draws)"
        before = deep_copy(batch)
        out1 = fn(batch)
        out2 = fn(batch)
        assert deep_equal(list(batch), list(before)), f"{r} mutated the samples"
        assert deep_equal(out1, out2), f"{r}: same batch keys gave different outputs"
        clone = pickle.loads(pickle.dumps(fn))
        assert deep_equal(clone(batch), out1), f"{r}: pickled copy differs"


@pytest.mark.parametrize("cls", COLLATES, ids=lambda c: c.__qualname__)
def test_collate_bad_args(cls):
    for kwargs in _bad_args(cls):
        with pytest.raises((ValueError, TypeError)):
            cls(**kwargs)
