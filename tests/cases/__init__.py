"""Harness cases: one row per public transform and collate (like albumentations' ``aug_definitions.py``).

Each module in this package (one per area: ``core``, ``image``, ``audio``, ``text``,
``adaptive``, ``hf``, ``collate``, ...) defines ``CASES``, a dict mapping a class to a
`Case`. ``tests/test_harness.py`` collects every module here and checks that every
public transform/collate class discovered in the packages has exactly one row.

- ``examples()`` returns a list of ``(instance, input)`` pairs. For a transform, ``input``
  is one sample; for a collate it is a ``loaders.keys.KeyedBatch``.
- ``bad_args()`` returns a list of keyword dicts; each must make the constructor raise
  ``ValueError`` or ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class Case(NamedTuple):
    examples: Callable[[], list[Any]]
    bad_args: Callable[[], list[dict[str, Any]]]
