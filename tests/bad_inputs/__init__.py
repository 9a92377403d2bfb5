"""The bad-input table: one module per area, each defining ``ROWS`` (see tests/test_bad_inputs.py).

``BadInput(id, call, exc_type, words)``: ``call`` is a zero-argument callable that must raise
``exc_type`` with a message containing every string in ``words`` (case-insensitive).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class BadInput(NamedTuple):
    id: str
    call: Callable[[], Any]
    exc_type: type[BaseException] | tuple[type[BaseException], ...]
    words: tuple[str, ...] | list[str]
