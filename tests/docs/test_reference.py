"""Every public transform and collate has a reference page, and every exported name is documented.

A reference page documents an object with a mkdocstrings line `::: dotted.path`. This test resolves each path at
run time and checks that the public names of the packages are all reached; the strict build
(`tests/docs/test_build.py`) checks that the docs tool resolves the same paths statically.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
import textwrap
import types

import pytest
import yaml

import collate
import loaders
from loaders import Transform
from tests.docs.blocks import DOCS

REFERENCE = DOCS / "reference"
# Packages whose `__all__` is the public API; each exported name needs a place in the reference.
PUBLIC_MODULES = [
    "loaders",
    "loaders.image",
    "loaders.audio",
    "loaders.text",
    "loaders.hf",
    "loaders.adaptive",
    "loaders.keys",
    "loaders.dataset",
    "loaders.structure",
    "loaders.seeded",
    "loaders.layout",
    "collate",
    "collate.functional",
]


def _resolve(path: str):
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def _try_resolve(path: str):
    """The object at `path`, or a fresh sentinel (documented nowhere) when it cannot be imported."""
    try:
        return _resolve(path)
    except (ImportError, AttributeError):
        return object()


def _identifiers():
    """`{identifier: page}` for every `::: identifier` line, and `{identifier: members}` where options list them.

    `members` is `None` when the options do not restrict them (all public members are rendered), `False` or a list.
    """
    out, members = {}, {}
    for page in sorted(REFERENCE.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r"^::: ([\w.]+)\n((?:[ \t]+.*\n)*)", text + "\n", flags=re.M):
            out.setdefault(m.group(1), page.relative_to(DOCS).as_posix())
            options = (yaml.safe_load(textwrap.dedent(m.group(2))) or {}).get("options", {}) if m.group(2) else {}
            members[m.group(1)] = options.get("members")
    return out, members


IDENTIFIERS, MEMBERS = _identifiers()


@functools.cache
def _documented_objects():
    """Objects documented by the reference: each identifier's object, and the members rendered on module pages.

    Identifiers that do not resolve are skipped here; `test_every_reference_identifier_resolves` reports them.
    """
    seen = []
    for ident in IDENTIFIERS:
        obj = _try_resolve(ident)
        seen.append(obj)
        if isinstance(obj, types.ModuleType) and MEMBERS[ident] is not False:
            names = MEMBERS[ident] or getattr(obj, "__all__", None) or [n for n in vars(obj) if not n.startswith("_")]
            seen += [_try_resolve(f"{ident}.{n}") for n in names]
    return seen


def _is_documented(obj, documented) -> bool:
    return any(obj is d for d in documented)


def _public_classes():
    for package in (loaders, collate):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                importlib.import_module(info.name)
    out, todo = set(), [Transform]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in out:
                out.add(sub)
                todo.append(sub)
    transforms = {
        c
        for c in out
        if c.__module__.split(".")[0] == "loaders" and not c.__name__.startswith("_") and not inspect.isabstract(c)
    }
    collates = {getattr(collate, n) for n in collate.__all__ if inspect.isclass(getattr(collate, n))}
    return sorted(transforms | collates, key=lambda c: f"{c.__module__}.{c.__qualname__}")


@pytest.mark.parametrize("ident", sorted(IDENTIFIERS))
def test_every_reference_identifier_resolves(ident):
    _resolve(ident)


@pytest.mark.parametrize("cls", _public_classes(), ids=lambda c: c.__qualname__)
def test_every_transform_and_collate_has_its_own_reference_page(cls):
    pages = [page for ident, page in IDENTIFIERS.items() if _try_resolve(ident) is cls]
    assert pages, (
        f"{cls.__module__}.{cls.__qualname__} has no reference page: add docs/reference/<area>/<name>.md "
        f"with '::: <public path>' and a nav entry in mkdocs.yml"
    )


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_exported_name_is_in_the_reference(module):
    mod = importlib.import_module(module)
    documented = _documented_objects()
    missing = [n for n in mod.__all__ if not _is_documented(_try_resolve(f"{module}.{n}"), documented)]
    assert not missing, f"{module}: exported but not in docs/reference: {missing}"


def test_every_reference_page_is_in_the_nav():
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    for page in REFERENCE.rglob("*.md"):
        assert page.relative_to(DOCS).as_posix() in nav, f"{page} is not in the nav of mkdocs.yml"
