"""A griffe extension for the docs build: read ``Example:`` as the Google-style examples section.

The docstrings in ``loaders`` and ``collate`` use the Google convention, where ``Example:`` and
``Examples:`` both introduce doctest examples (as Sphinx's napoleon reads them). griffe's Google
parser knows only ``Examples:`` and renders ``Example:`` as an admonition of plain Markdown text, in
which doctest output such as ``regions(params, 10)[0][1]`` reads as a broken cross-reference. This
extension renames the section header before the docstring is parsed; nothing else changes.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE_HEADER = re.compile(r"^(\s*)Example:[ \t]*$", flags=re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rewrite the ``Example:`` section header of every docstring to ``Examples:``."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rename the header as soon as an object with a docstring is created (before parsing)."""
        if obj.docstring is not None and "Example:" in obj.docstring.value:
            obj.docstring.value = _EXAMPLE_HEADER.sub(r"\1Examples:", obj.docstring.value)
