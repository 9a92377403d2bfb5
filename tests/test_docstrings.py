"""Every public module, class and function of `loaders` and `collate` has a docstring, and none uses Sphinx roles.

Public: a module whose dotted name has no underscore-prefixed part; in it, the names of `__all__` (lazily exported
names included: they are read with `getattr`), or, without `__all__`, the classes and functions defined there whose
names do not start with an underscore; and the public methods and properties a public class defines itself.
The documentation tools render Markdown cross-references (`` `Name` `` or `[Name][loaders.image.Cutout]`), not
Sphinx roles such as `:class:` or `:func:`, so no docstring anywhere in the packages (private ones included) uses them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import collate
import loaders

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (loaders, collate)
SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|obj|data|const|ref|doc|term|any):`")


def _public_modules():
    modules = []
    for package in PACKAGES:
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            modules.append(importlib.import_module(info.name))
    return modules


def _own_doc(obj) -> str | None:
    if inspect.isclass(obj):
        return vars(obj).get("__doc__")
    return getattr(obj, "__doc__", None)


def _public_objects():
    """(qualified name, object) for every public class, function, method and property, each object once."""
    seen: set[int] = set()
    out = []

    def add(name, obj):
        if id(obj) not in seen:
            seen.add(id(obj))
            out.append((name, obj))

    for module in _public_modules():
        if hasattr(module, "__all__"):
            names = list(module.__all__)
        else:
            names = [n for n, v in vars(module).items() if getattr(v, "__module__", None) == module.__name__]
        for name in names:
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue  # walked as a module
            if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
                continue  # constants and type aliases
            if (getattr(obj, "__module__", None) or "").split(".")[0] not in ("loaders", "collate"):
                continue  # a re-exported third-party name
            add(f"{obj.__module__}.{obj.__qualname__}", obj)
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member) or isinstance(member, property):
                        add(f"{obj.__module__}.{obj.__qualname__}.{attr}", member)
    return out


def test_public_modules_have_docstrings():
    missing = [m.__name__ for m in _public_modules() if not (m.__doc__ or "").strip()]
    assert not missing, f"modules without a docstring: {missing}"


def test_public_classes_and_functions_have_docstrings():
    objects = _public_objects()
    assert len(objects) > 50, "the walk found too few public names"
    missing = sorted(name for name, obj in objects if not (_own_doc(obj) or "").strip())
    assert not missing, "public names without a docstring:\n" + "\n".join(missing)


def _sphinx_roles(path: Path):
    """Yield `(line, name, role)` for every Sphinx role in a docstring of this file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if not doc:
                continue
            start = node.body[0].lineno
            for match in SPHINX_ROLE.finditer(doc):
                yield start + doc[: match.start()].count("\n"), getattr(node, "name", "<module>"), match.group()


def test_no_sphinx_roles_in_docstrings():
    found = [
        f"{path.relative_to(ROOT)}:{line} {name}: {role}"
        for package in ("loaders", "collate")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name, role in _sphinx_roles(path)
    ]
    assert not found, f"{len(found)} Sphinx roles in docstrings (use Markdown: `Name` or [Name][module.Name]):\n" + (
        "\n".join(found)
    )


def _static_names(body) -> set[str]:
    """Names a module body binds where type checkers see them (imports and definitions, `if` blocks included)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.If, ast.Try)):
            names |= _static_names(node.body) | _static_names(node.orelse)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_package_exports_are_visible_to_type_checkers():
    """Every package lists its exports in a literal `__all__`, each bound statically (lazy ones under TYPE_CHECKING)."""
    problems = []
    for package in ("loaders", "collate"):
        for init in sorted((ROOT / package).rglob("__init__.py")):
            if any(part.startswith("_") for part in init.relative_to(ROOT).parent.parts):
                continue
            tree = ast.parse(init.read_text(encoding="utf-8"))
            exported = [
                node.value
                for node in tree.body
                if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
            ]
            where = init.relative_to(ROOT)
            try:
                names = ast.literal_eval(exported[0]) if exported else None
            except ValueError:
                names = None
            if names is None:
                problems.append(f"{where}: no literal __all__")
                continue
            submodules = {p.stem for p in init.parent.glob("*.py")} | {
                p.name for p in init.parent.iterdir() if (p / "__init__.py").is_file()
            }
            unbound = [n for n in names if n not in _static_names(tree.body) and n not in submodules]
            if unbound:
                problems.append(f"{where}: {unbound} only lazy (declare them under `if TYPE_CHECKING:`)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "text, hits",
    [(":class:`Cutout`", 1), (":py:func:`f` and :meth:`A.b`", 2), ("`Cutout` and [Cutout][loaders.image.Cutout]", 0)],
)
def test_sphinx_role_pattern(text, hits):
    assert len(SPHINX_ROLE.findall(text)) == hits
