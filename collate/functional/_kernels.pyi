# Type stub of the C extension built from _kernels.c (see collate/functional/kernels.py).
from collections.abc import Sequence
from typing import Any

def lerp_f32(
    out: int,
    ptrs: Sequence[int],
    perm: Sequence[int],
    weights: float | Sequence[float],
    mode: int,
    numel: int,
    channels: int = 0,
) -> None: ...
def blend_u8(
    out: int, ptrs: Sequence[int], perm: Sequence[int], weights: int | Sequence[int], numel: int, channels: int = 0
) -> None: ...
def cut_rows(
    out: int,
    ptrs: Sequence[int],
    perm: Sequence[int],
    boxes: Sequence[Any],
    copy: bool,
    elem_size: int,
    outer: int,
    height: int,
    width: int,
    inner: int,
    channels: int = 0,
) -> None: ...
def one_hot_f32(
    out: int,
    targets: Sequence[Any],
    perm: Sequence[int] | None,
    lam: float | Sequence[float],
    num_classes: int,
    eps: float,
) -> bool: ...
def fill_boxes(
    out: int,
    rows: Sequence[int],
    y0: Sequence[int],
    y1: Sequence[int],
    x0: Sequence[int],
    x1: Sequence[int],
    elem: int,
    outer: int,
    height: int,
    width: int,
    fill: bytes,
) -> None: ...
def isa() -> str: ...
