"""Harness rows for the core containers: Compose, OneOf, RandomApply and Lambda."""

from __future__ import annotations

import numpy as np

from loaders import Compose, Lambda, OneOf, RandomApply
from tests.cases import Case


def _x() -> np.ndarray:
    return np.arange(6, dtype=np.float32).reshape(2, 3)


CASES = {
    Lambda: Case(
        examples=lambda: [(Lambda(np.negative), _x())],
        bad_args=lambda: [{"fn": 3}],
    ),
    Compose: Case(
        examples=lambda: [(Compose([Lambda(np.negative), Lambda(np.flipud)]), _x())],
        bad_args=lambda: [{"transforms": 3}, {"transforms": [print]}, {"transforms": [], "p": 2.0}],
    ),
    RandomApply: Case(
        examples=lambda: [(RandomApply([Lambda(np.negative)], p=0.5), np.arange(4, dtype=np.float64))],
        bad_args=lambda: [{"transforms": [Lambda(abs)], "p": -0.1}, {"transforms": Lambda(abs)}],
    ),
    OneOf: Case(
        examples=lambda: [(OneOf([Lambda(np.negative), Lambda(np.flipud)], weights=[1, 3]), _x())],
        bad_args=lambda: [
            {"transforms": []},
            {"transforms": [Lambda(abs)], "weights": [1, 2]},
            {"transforms": [Lambda(abs)], "weights": [-1]},
        ],
    ),
}
