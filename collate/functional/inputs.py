"""Per-sample inputs of a batch: checks, the output batch, stacking, and the size thresholds of the kernels.

Example:
    >>> import torch
    >>> xs = [torch.zeros(2, 3), torch.ones(2, 3)]
    >>> check_same_shape(xs)
    >>> stack(xs).shape
    torch.Size([2, 2, 3])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, Union

import numpy as np
import torch
from torch import Tensor

from . import kernels

__all__ = [
    "as_tensor_inputs",
    "check_same_shape",
    "empty_batch",
    "stack",
    "index_select_scratch",
    "is_rowwise",
    "owner_prefix",
    "sample_namer",
    "Namer",
    "FLOAT_DTYPES",
    "INT_DTYPES",
    "CHUNK_BYTES",
    "SCRATCH_BYTES",
    "ROW_BYTES",
    "CUT_ROW_BYTES",
    "Box",
    "LamLike",
]

#: Floating dtypes mixed with ``torch.lerp`` (single rounding).
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
#: Integer dtypes mixed in float and rounded; wide ones use float64.
INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)

#: A half-open box ``(y0, y1, x0, x1)`` or segment ``(t0, t1)``.
Box = tuple[int, ...]
#: One lambda for the batch, or one per sample.
LamLike = Union[float, Sequence[float], Tensor, np.ndarray]  # noqa: UP007 (a runtime alias, Python 3.10)


def owner_prefix(owner: str) -> str:
    """The ``"Owner: "`` prefix of error messages (empty when ``owner`` is empty).

    Args:
        owner: the class or function name, or ``""``.

    Returns:
        The prefix.

    Example:
        >>> owner_prefix("MixUp"), owner_prefix("")
        ('MixUp: ', '')
    """
    return f"{owner}: " if owner else ""


#: Names sample ``i`` in error messages, e.g. ``"MixUp: sample 3 (dataset index 17)"``.
Namer = Callable[[int], str]


def sample_namer(owner: str = "", where: Namer | None = None) -> Namer:
    """The function naming sample ``i`` in error messages: ``where`` if given, else ``"owner: sample i"``.

    Args:
        owner: the class or function name that prefixes the default names.
        where: a namer to use as is.

    Returns:
        The namer.

    Example:
        >>> sample_namer("MixUp")(3), sample_namer(where=lambda i: f"row {i}")(3)
        ('MixUp: sample 3', 'row 3')
    """
    if where is not None:
        return where
    prefix = owner_prefix(owner)
    return lambda i: f"{prefix}sample {i}"


def as_tensor_inputs(
    inputs: Sequence[Any],
    *,
    owner: str = "",
    what: str = "input",
    check_shapes: bool = True,
    where: Namer | None = None,
) -> list[Tensor]:
    """Return the per-sample inputs as tensors (numpy arrays are wrapped, not copied).

    Checks that every input is a tensor or array with the same shape, dtype and
    device as the first; errors name the sample index. With
    ``check_shapes=False`` a list of tensors only has its types and dtypes
    checked (two C-level passes): the caller promises to stack it with
    ``torch.stack``, which rejects shape and device mismatches itself, and to
    call `check_same_shape` on its ``RuntimeError`` for our message (the
    mixing collates do; this saves about 30 us on 128 small samples).
    Arrays with negative strides (e.g. ``x[::-1]``) or read-only arrays are copied;
    object arrays are refused.

    Args:
        inputs: the per-sample inputs.
        owner: the class or function name that prefixes error messages.
        what: what the inputs are called in messages.
        check_shapes: also check shapes and devices (see above).
        where: ``where(i) -> str`` naming sample ``i`` (e.g. with its dataset index).

    Returns:
        The inputs as tensors.

    Raises:
        TypeError: an input that is neither a tensor nor a numeric array, or mixed dtypes.
        ValueError: an empty batch, or mixed shapes/devices.

    Example:
        >>> import numpy as np
        >>> [t.shape for t in as_tensor_inputs([np.zeros((2, 3)), np.ones((2, 3))])]
        [torch.Size([2, 3]), torch.Size([2, 3])]
    """
    if len(inputs) == 0:
        raise ValueError(f"{owner_prefix(owner)}got an empty batch (0 samples); a batch needs at least one sample")
    inputs = list(inputs)
    if set(map(type, inputs)) == {Tensor}:  # fast path: C-level maps, no per-sample Python frames
        if len(set(map(_DTYPE, inputs))) == 1 and (
            not check_shapes or (len(set(map(_SHAPE, inputs))) == 1 and len(set(map(_DEVICE, inputs))) == 1)
        ):
            return inputs
    name = sample_namer(owner, where)
    out: list[Tensor] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            out.append(x)
        elif isinstance(x, np.ndarray):
            if x.dtype.kind not in "biufc":
                raise TypeError(
                    f"{name(i)} {what} is a numpy array of dtype {x.dtype}; give numeric arrays (e.g. "
                    f"np.asarray(x, dtype=np.float32)), not {'objects' if x.dtype == object else 'strings'}"
                )
            # a read-only array would make torch.from_numpy warn, and negative strides (x[::-1])
            # are refused by it; we only read, so copy those instead
            ok = x.flags.writeable and all(s >= 0 for s in x.strides)
            out.append(torch.from_numpy(x if ok else np.array(x, order="C")))
        else:
            raise TypeError(
                f"{name(i)} {what} must be a torch.Tensor or numpy.ndarray, got "
                f"{type(x).__name__} (convert images with torchvision.transforms.v2.functional.pil_to_tensor "
                f"or ToImage() in the dataset)"
            )
    check_same_shape(out, owner=owner, what=what, where=where)
    return out


_SHAPE, _DTYPE, _DEVICE = attrgetter("shape"), attrgetter("dtype"), attrgetter("device")


def check_same_shape(xs: Sequence[Tensor], *, owner: str = "", what: str = "input", where: Namer | None = None) -> None:
    """Raise ``ValueError``/``TypeError`` naming the first sample whose shape, dtype or device differs.

    Args:
        xs: the per-sample tensors.
        owner: the class or function name that prefixes error messages.
        what: what the inputs are called in messages.
        where: ``where(i) -> str`` naming sample ``i`` (e.g. with its dataset index).

    Raises:
        ValueError: a shape or device differs from sample 0's.
        TypeError: a dtype differs from sample 0's.

    Example:
        >>> check_same_shape([torch.zeros(2), torch.zeros(3)], owner="MixUp")
        Traceback (most recent call last):
        ...
        ValueError: MixUp: sample 1 input has shape (3,), expected (2,) like sample 0; all inputs in a batch must \
have the same shape (pad variable-length inputs, e.g. with base_collate=collate.PadCollate(...))
    """
    name = sample_namer(owner, where)
    first = xs[0]
    for i, x in enumerate(xs):
        if x.shape != first.shape:
            raise ValueError(
                f"{name(i)} {what} has shape {tuple(x.shape)}, expected {tuple(first.shape)} "
                f"like sample 0; all {what}s in a batch must have the same shape (pad variable-length inputs, e.g. "
                f"with base_collate=collate.PadCollate(...))"
            )
        if x.dtype != first.dtype:
            raise TypeError(f"{name(i)} {what} has dtype {x.dtype}, expected {first.dtype} like sample 0")
        if x.device != first.device:
            raise ValueError(f"{name(i)} {what} is on {x.device}, expected {first.device} like sample 0")


def empty_batch(like: Tensor, batch_size: int) -> Tensor:
    """An uninitialised ``(batch_size, *like.shape)`` tensor with ``like``'s dtype and device.

    Inside a DataLoader worker (CPU) it lives in shared memory, as
    ``default_collate`` does, so sending it to the main process costs no copy.

    Args:
        like: a sample whose shape, dtype and device the batch takes.
        batch_size: the number of samples ``B``.

    Returns:
        The uninitialised batch.

    Example:
        >>> empty_batch(torch.zeros(3, 2), 4).shape
        torch.Size([4, 3, 2])
    """
    out = torch.empty((batch_size, *like.shape), dtype=like.dtype, device=like.device)
    if like.device.type == "cpu" and torch.utils.data.get_worker_info() is not None:
        out.share_memory_()
    return out


def stack(inputs: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """``torch.stack`` into ``out`` (or a new batch from `empty_batch`).

    Args:
        inputs: same-shaped per-sample tensors.
        out: an optional ``(B, *shape)`` output.

    Returns:
        The stacked batch.

    Example:
        >>> stack([torch.zeros(2), torch.ones(2)]).tolist()
        [[0.0, 0.0], [1.0, 1.0]]
    """
    if out is None:
        out = empty_batch(inputs[0], len(inputs))
    if kernels.usable(out, inputs) and kernels.stack_rows(out, inputs, trusted=True):
        return out  # one C call (channels-last rows rearranged with vector shuffles)
    return torch.stack(list(inputs), 0, out=out)


#: Working-set size (in float32 bytes) of one chunk of small samples: they are
#: stacked in chunks of about this size and mixed with one ``lerp_`` per chunk
#: (few C++ calls, cache-sized temporaries).
CHUNK_BYTES = 1 << 22
#: The mixing collates keep a per-thread scratch buffer for the partner rows of
#: batches up to this size (bytes), reused from batch to batch.
SCRATCH_BYTES = 1 << 23
#: Samples whose float32 size is at least this are mixed row by row straight
#: into the output, with no temporary at all.
ROW_BYTES = 1 << 18

#: CutMix copies samples of at least this many bytes row by row, pasting the
#: partner's box while the row is in cache; smaller ones are stacked in one call
#: and, with one box for the batch, the boxes move with one gather.
CUT_ROW_BYTES = 1 << 16


def is_rowwise(x: Tensor) -> bool:
    """Whether samples like ``x`` are mixed row by row (float32 size at least ``ROW_BYTES``).

    Args:
        x: one sample.

    Returns:
        ``True`` for large samples.

    Example:
        >>> is_rowwise(torch.zeros(3, 224, 224)), is_rowwise(torch.zeros(3, 32, 32))
        (True, False)
    """
    return x.numel() * 4 >= ROW_BYTES


def index_select_scratch(x: Tensor, index: Tensor, scratch: Tensor | None) -> Tensor:
    """``x.index_select(0, index)``, written into ``scratch`` when it fits.

    ``index`` is a permutation of the rows (the output has ``x``'s shape). ``scratch`` is a
    flat buffer the caller owns and reuses: a fresh megabyte-sized
    temporary per batch costs page faults whenever the allocator has handed that memory
    back to the OS in between (measured: about 60 minor faults per CIFAR-size batch
    without the buffer).

    Args:
        x: the batch to gather rows from.
        index: a LongTensor permutation of ``range(len(x))``.
        scratch: a flat buffer of ``x``'s dtype and device, or ``None``.

    Returns:
        ``x[index]``, a view of ``scratch`` when it fits.

    Example:
        >>> index_select_scratch(torch.arange(3.0), torch.tensor([2, 0, 1]), torch.empty(4)).tolist()
        [2.0, 0.0, 1.0]
    """
    if scratch is None or scratch.dtype != x.dtype or scratch.device != x.device or scratch.numel() < x.numel():
        return x.index_select(0, index)
    return torch.index_select(x, 0, index, out=scratch[: x.numel()].view(x.shape))
