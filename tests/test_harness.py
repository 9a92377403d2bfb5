"""The check harness every transform and collate must pass, discovered automatically.

Every concrete :class:`loaders.Transform` subclass defined in the ``loaders``
package, and every class in the ``collate`` package that defines
``_harness_examples``, is collected by walking the packages: nothing is kept by
hand. A transform without ``_harness_examples``/``_harness_bad_args`` fails.

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
from tests.cases import Case


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
COLLATES = sorted(
    {
        obj
        for m in _COLLATE_MODULES
        for obj in list(vars(m).values())
        if inspect.isclass(obj)
        and obj.__module__.split(".")[0] == "collate"
        and not obj.__name__.startswith("_")
        and (obj in ROWS or "_harness_examples" in vars(obj))
    },
    key=lambda c: c.__qualname__,
)


def _row(cls):
    """The harness row of ``cls`` from ``tests/cases`` (legacy: the class's own ``_harness_*`` methods)."""
    if cls in ROWS:
        return ROWS[cls]
    if "_harness_examples" in vars(cls) and "_harness_bad_args" in vars(cls):  # legacy, being moved to tests/cases
        return Case(cls._harness_examples, cls._harness_bad_args)
    pytest.fail(f"{cls.__qualname__} has no harness row: add one to a module in tests/cases/")


def _cases(cls):
    cases = _row(cls).examples()
    assert cases, f"{cls.__qualname__}: harness examples() returned nothing"
    return cases


def _bad_args(cls):
    bad = _row(cls).bad_args()
    assert bad, f"{cls.__qualname__}: harness bad_args() returned nothing"
    return bad


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
