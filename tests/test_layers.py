"""The package layout keeps one direction: the import contract holds and no private name crosses a module.

- `lint-imports` (contracts in `pyproject.toml`): core < modalities (image, audio, text: independent of each other)
  < wrappers (dataset, adaptive, then hf) < collate; no import cycles between the modules of a package; a private
  module is imported only from inside its parent package.
- An AST scan of every module in `loaders` and `collate`: no module imports another module's private
  (underscore-prefixed) name, neither `from x import _y` nor `x._y` on a name bound to an imported module.
  (Private submodules such as `loaders._fastkeys` may be imported from inside their parent package; the
  `private_modules` contract checks that.)
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("loaders", "collate")


def test_import_contracts_hold(capsys):
    cli = pytest.importorskip("importlinter.cli")
    rc = cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert rc == 0, "lint-imports found broken contracts:\n" + out


# -- private names ---------------------------------------------------------------------------------------------


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _is_module(dotted: str, root: Path) -> bool:
    """Whether `dotted` names a module, found on disk (nothing is imported: no side effects, no cost)."""
    top, *rest = dotted.split(".")
    if (root / top / "__init__.py").is_file():  # a package of this tree
        locations = [root / top]
    else:
        try:
            spec = importlib.util.find_spec(top)  # a top-level name: imports nothing
        except (ImportError, ValueError):
            return False
        if spec is None or not rest:
            return spec is not None
        locations = [Path(p) for p in (spec.submodule_search_locations or ())]
    for location in locations:
        where = location.joinpath(*rest)
        if where.with_suffix(".py").is_file() or (where / "__init__.py").is_file():
            return True
        if where.parent.is_dir() and any(where.parent.glob(where.name + ".*.so")):  # compiled, e.g. torch._C
            return True
    return False


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of the module a `from ... import` statement reads from."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _private_name_uses(path: Path, root: Path = ROOT):
    """Yield `(line, text)` for every private name this file takes from another module."""
    module = _module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bound: dict[str, str] = {}  # local name -> the module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    bound[top] = top
                for part in alias.name.split(".")[1:]:
                    if _is_private(part) and not _inside(module, alias.name.rsplit("." + part, 1)[0]):
                        yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node)
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if _is_private(alias.name):
                    # a private submodule may be imported from inside its parent package
                    if not (_is_module(target, root) and _inside(module, source)):
                        yield node.lineno, f"from {source} import {alias.name}"
                elif _is_module(target, root):
                    bound[alias.asname or alias.name] = target
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
            continue
        chain, base = [node.attr], node.value
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in bound:
            continue
        owner = bound[base.id]
        for part in reversed(chain[1:]):  # walk down to the object that holds the private attribute
            if not _is_module(f"{owner}.{part}", root):
                owner = ""
                break
            owner = f"{owner}.{part}"
        if owner and not _inside(f"{owner}.{node.attr}", module):
            yield node.lineno, f"{base.id}.{'.'.join(reversed(chain))} (private name of module {owner})"


def test_no_private_names_cross_modules():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in _sources()
        for line, text in sorted(set(_private_name_uses(path)))
    ]
    assert not found, "private names imported from another module (make them public in the lower module):\n" + (
        "\n".join(found)
    )


def test_scan_finds_private_names(tmp_path):
    """The scan itself flags both forms and lets dunders and private submodules of the package pass."""
    pkg = tmp_path / "pkg" / "sub"
    pkg.mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "core.py").write_text("_CONST = 1\n")
    (pkg / "__init__.py").write_text("")
    (pkg / "_impl.py").write_text("def _helper():\n    pass\n")
    bad = pkg / "bad.py"
    bad.write_text(
        "import numpy as np\n"
        "from . import _impl\n"  # a private submodule, from inside its package: allowed
        "from ._impl import _helper\n"  # a private name of another module: flagged
        "from .. import core as C\n"
        "import pkg.core\n"
        "x = C._CONST + pkg.core._CONST\n"  # private attributes of imported modules: flagged
        "y = np.__version__ + _impl.public\n"  # a dunder and a public name: allowed
    )
    outside = tmp_path / "pkg" / "other.py"
    outside.write_text("from .sub import _impl\n")  # a private submodule from outside its package: flagged
    found = [text for _, text in _private_name_uses(bad, tmp_path)]
    assert sorted(found) == [
        "C._CONST (private name of module pkg.core)",
        "from pkg.sub._impl import _helper",
        "pkg.core._CONST (private name of module pkg.core)",
    ]
    assert [text for _, text in _private_name_uses(outside, tmp_path)] == ["from pkg.sub import _impl"]
