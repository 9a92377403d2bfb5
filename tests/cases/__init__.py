"""Harness cases: one row per public transform and collate (like albumentations' ``aug_definitions.py``).

Each module in this package (one per area: ``core``, ``image``, ``audio``, ``text``,
``adaptive``, ``hf``, ``collate``, ...) defines ``CASES``, a dict mapping a class to a
:class:`Case`. ``tests/test_harness.py`` collects every module here and checks that every
public transform/collate class discovered in the packages has exactly one row.

- ``examples()`` returns a list of ``(instance, input)`` pairs. For a transform, ``input``
  is one sample; for a collate it is a ``loaders.keys.KeyedBatch``.
- ``bad_args()`` returns a list of keyword dicts; each must make the constructor raise
  ``ValueError`` or ``TypeError``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple


class Case(NamedTuple):
    examples: Callable[[], List[Any]]
    bad_args: Callable[[], List[Dict[str, Any]]]
