"""Harness rows for the adaptive-strength transform wrapper."""

from __future__ import annotations

from typing import Any

import numpy as np

from loaders import Lambda, RandomApply
from loaders.adaptive import StrengthRange
from tests.cases import Case


def _examples() -> list[Any]:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    return [
        (StrengthRange(RandomApply([Lambda(np.negative)], p=0.5), low=0.2, high=0.9), x),
        (StrengthRange(Lambda(np.flipud), low=1.0, high=1.0), x),
    ]


def _bad_args() -> list[dict[str, Any]]:
    return [
        {"transform": abs},
        {"transform": Lambda(abs), "low": -0.1},
        {"transform": Lambda(abs), "high": 1.5},
        {"transform": Lambda(abs), "low": "0"},
    ]


CASES = {StrengthRange: Case(examples=_examples, bad_args=_bad_args)}
