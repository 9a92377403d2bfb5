"""A batch stage: cheap per-sample transforms drawn per sample and applied on the stacked batch.

Transforms whose parameters are plain data (Cutout, time and frequency masks, gain) do not need a
copy of every sample in the dataset wrapper. [BatchStage][collate.stage.BatchStage] is a collate:
it stacks the batch once, draws every sample's parameters from that sample's key in one pass
(one generator re-keyed per sample, see [KeyedBatch.sample_generators][loaders.keys.KeyedBatch.sample_generators])
and applies them on the stacked batch, in place (a buffer the collate allocated, never a user's
tensor). Sample ``j`` gets exactly ``transform.apply(x_j, transform.sample(sample_rng(seed, epoch,
index_j, stream), strength))``: the output is bit-identical to the per-sample path.

Declare it where the batch is built, alone or as the ``base_collate`` of a mixing collate (the
stage runs before mixing, as it would in the dataset):

```python
from loaders import AugmentedDataset
from loaders.image import Cutout
from collate import BatchStage, MixUpOrCutMix

train = AugmentedDataset(cifar_train, seed=0)  # no per-sample copy for Cutout
collate_fn = MixUpOrCutMix(num_classes=10, base_collate=BatchStage(Cutout(size=0.5, p=0.5)))
```

The draws come from the stream [BATCH_STAGE_STREAM][loaders.keys.BATCH_STAGE_STREAM] by default, so
they never coincide with the dataset's own per-sample transform. With ``stream=SAMPLE_STREAM`` and a
dataset without a transform, moving a transform from ``AugmentedDataset(ds, t, seed=s)`` into
``BatchStage(t, stream=SAMPLE_STREAM)`` changes no pixel.

Example:
    >>> import torch
    >>> from loaders.image import Cutout
    >>> from loaders.keys import KeyedBatch
    >>> from loaders.keys import sample_rng
    >>> batch = KeyedBatch([(torch.ones(1, 8, 8), 0), (torch.ones(1, 8, 8), 1)], seed=0, epoch=0, indices=[5, 6])
    >>> cut = Cutout(size=4, p=1.0)
    >>> x, y = BatchStage(cut)(batch)
    >>> x.shape, y.tolist()
    (torch.Size([2, 1, 8, 8]), [0, 1])
    >>> per_sample = cut.apply(torch.ones(1, 8, 8), cut.sample(sample_rng(0, 0, 6, stream=BATCH_STAGE_STREAM)))
    >>> torch.equal(x[1], per_sample)
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import default_collate

from loaders.image import Cutout
from loaders.image.functional import check_fill, hole_boxes, hole_boxes_batch
from loaders.keys import BATCH_STAGE_STREAM, KeyedBatch
from loaders.layout import image_dims, image_layout
from loaders.structure import check_key, resolve_key
from loaders.transform import Compose, Transform
from loaders.validation import check_int

from . import functional as F
from .functional import kernels

__all__ = ["BatchStage"]


class BatchStage:
    """Collate that stacks a keyed batch and applies a per-sample transform on the stacked input.

    Args:
        transform: a [Transform][loaders.transform.Transform] (or a [Compose][loaders.transform.Compose]
            of them) whose ``apply`` works on one row of the stacked input, e.g.
            [Cutout][loaders.image.Cutout] on CHW images, or the audio masks and gain on
            ``(channels, time)`` rows.
        input_key: the input field (position of tuple samples, key of dict samples); ``None`` picks
            position 0 or the one key of `loaders.structure.INPUT_KEYS` present.
        stream: the stream of the per-sample draws (default
            [BATCH_STAGE_STREAM][loaders.keys.BATCH_STAGE_STREAM]; see the module notes).

    Returns:
        Called on a [KeyedBatch][loaders.keys.KeyedBatch], what `default_collate` returns for it,
        with the input field transformed sample by sample.

    Raises:
        TypeError: ``transform`` is not a Transform; a batch that is not a KeyedBatch (its keys
            key the draws); a collated input that is not a tensor.

    Example:
        >>> from loaders.audio import Gain
        >>> from loaders.keys import KeyedBatch
        >>> stage = BatchStage(Gain(db=(-6.0, 6.0)))
        >>> stage
        BatchStage(Gain(db=(-6.0, 6.0), sample_rate=None, p=1.0), input_key=None, stream=3)
        >>> out = stage(KeyedBatch([(torch.ones(1, 8), 0)] * 3, seed=1, epoch=0, indices=[0, 1, 2]))
        >>> out[0].shape
        torch.Size([3, 1, 8])
    """

    #: Its output is a fresh batch that a mixing collate may mix in place (see `collate.mix`).
    mix_in_place = True

    def __init__(self, transform: Transform, *, input_key: None | int | str = None, stream: int = BATCH_STAGE_STREAM):
        owner = type(self).__name__
        if not isinstance(transform, Transform):
            raise TypeError(
                f"{owner}: transform must be a loaders Transform (e.g. loaders.image.Cutout), got "
                f"{transform!r} ({type(transform).__name__})"
            )
        self.transform = transform
        self.input_key = check_key("input_key", input_key, owner=owner)
        self.stream = check_int("stream", stream, low=0, high=2**63 - 1, owner=owner)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transform!r}, input_key={self.input_key!r}, stream={self.stream})"

    def __call__(self, batch: Sequence[Any]) -> Any:
        """Stack ``batch`` with `default_collate` and transform its input rows in place."""
        owner = type(self).__name__
        if not isinstance(batch, KeyedBatch):
            raise TypeError(
                f"{owner}: needs a loaders.keys.KeyedBatch (what AugmentedDataset.__getitems__ hands the "
                f"collate_fn) to key its per-sample draws, got {type(batch).__name__}"
            )
        if len(batch) == 0:
            raise ValueError(f"{owner}: got an empty batch (0 samples)")
        if len(batch.indices) != len(batch):
            raise ValueError(f"{owner}: KeyedBatch has {len(batch)} samples but {len(batch.indices)} indices")
        first = batch[0]
        key = None if not isinstance(first, (tuple, list, Mapping)) else resolve_key(first, self.input_key, owner=owner)
        out = _collate(list(batch), first, key)
        x = out if key is None else out[key]
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{owner}: the collated input is a {type(x).__name__}; the batch stage needs tensors")
        self.apply_batch(x, batch)
        return out

    def apply_batch(self, x: torch.Tensor, batch: KeyedBatch) -> torch.Tensor:
        """Draw sample ``j``'s params from its key and apply them to ``x[j]``, in place; returns ``x``.

        ``x`` must be a tensor the caller owns (it is written to), with one row per sample of ``batch``.

        Example:
            >>> from loaders.image import Cutout
            >>> from loaders.keys import KeyedBatch
            >>> x = torch.ones(2, 1, 4, 4)
            >>> _ = BatchStage(Cutout(size=2, p=1.0)).apply_batch(x, KeyedBatch([0, 0], seed=0, indices=[1, 2]))
            >>> 0 < int((x == 0).sum()) <= 8
            True
        """
        t = self.transform
        n = x.shape[0] if x.ndim else 0
        if n != len(batch.indices):
            raise ValueError(f"{type(self).__name__}: {n} input rows for a batch of {len(batch.indices)} samples")
        knobs = batch.knobs
        strength = knobs.get("strength", 1.0)
        gens = batch.sample_generators(self.stream)
        xn = _numpy_view(x)
        if type(t) is Cutout and xn is not None:
            return _cutout_rows(t, x, xn, gens, strength, n)
        fills: dict[int, Any] = {}  # per Cutout of the stage: its in-place fill for these rows (None: generic path)
        for j in range(n):
            params = t.sample(gens.get(j), strength=strength)
            _apply_row(t, x, xn, j, params, fills)
        return x


def _collate(samples: list[Any], first: Any, key: Any) -> Any:
    """`default_collate`, with the input field stacked by `collate.functional.stack` when it can.

    That stack takes the one-pass C kernel for channel-first views of channels-last images (several
    times faster than torch's strided copy for RGB bytes); the output is what `default_collate`
    returns (a list for tuple and list samples), in shared memory inside a DataLoader worker.
    """
    if key is None:
        rows = samples
    elif (
        type(first) in (tuple, list)
        and type(key) is int
        and 0 <= key < len(first)
        and len(set(map(type, samples))) == 1
    ):
        if len(set(map(len, samples))) != 1:
            return default_collate(samples)  # its error for samples of unequal size
        rows = [s[key] for s in samples]
    else:
        return default_collate(samples)
    if not kernels.AVAILABLE or set(map(type, rows)) != {torch.Tensor}:
        return default_collate(samples)
    x = F.stack(rows)  # the kernel when the rows allow it, else torch.stack as default_collate
    if key is None:
        return x
    return [x if i == key else _collate_field([s[i] for s in samples]) for i in range(len(first))]


def _collate_field(values: list[Any]) -> Any:
    """`default_collate` of one field; plain Python ints (labels) directly as its ``torch.tensor(values)``.

    default_collate's type dispatch costs about 20 µs for 128 ints, five times the tensor itself.
    """
    if set(map(type, values)) == {int}:
        return torch.tensor(values)
    return default_collate(values)


def _numpy_view(x: torch.Tensor) -> np.ndarray | None:
    """``x`` as a numpy view (faster slicing) when it has one: CPU, no grad, a numpy dtype."""
    if x.device.type != "cpu" or x.requires_grad or x.dtype == torch.bfloat16:
        return None
    try:
        return x.numpy()
    except (TypeError, RuntimeError):
        return None


def _fast_cutout_fill(t: Cutout, row: torch.Tensor) -> float | None:
    """The fill when ``t`` can fill its boxes in this row in place (CHW/HW layout, one number), else ``None``."""
    if isinstance(t.fill, (tuple, list, np.ndarray, torch.Tensor)):
        return None
    layout = image_layout(row, t.layout, "Cutout")  # raises like Cutout for a contradicting shape
    if layout not in ("CHW", "HW"):
        return None
    h, w, c = image_dims(row, layout, "Cutout")
    if h == 0 or w == 0:
        return None  # Cutout itself raises the error
    return check_fill(t.fill, row, c, "Cutout")[0]


def _cutout_rows(t: Cutout, x: torch.Tensor, xn: np.ndarray, gens: Any, strength: Any, n: int) -> torch.Tensor:
    """A stage of one Cutout on a CPU batch: the loop of `BatchStage.apply_batch` without per-row dispatch.

    The same draws and the same result as calling `_apply_row` for each row: the in-place fill is
    decided on the first row the Cutout applies to; rows it cannot fill in place take the generic path.
    """
    fast = _cutout_batch_draws(t, x, gens, strength)
    if fast is not None:
        return _fill_drawn_holes(t, x, xn, *fast)
    fill: Any = _UNDECIDED
    h = w = 0
    for j in range(n):
        params = t.sample(gens.get(j), strength=strength)
        if not params.get("apply", True):
            continue
        if fill is _UNDECIDED:
            fill = _fast_cutout_fill(t, x[j])
            if fill is not None:
                h, w = xn.shape[-2], xn.shape[-1]
        if fill is None:
            _apply_row(t, x, None, j, params, {})
            continue
        target = xn[j]
        for y0, y1, x0, x1 in hole_boxes(params["holes"], params["unit"], h, w):
            target[..., y0:y1, x0:x1] = fill
    return x


def _cutout_batch_draws(
    t: Cutout, x: torch.Tensor, gens: Any, strength: Any
) -> tuple[tuple[int, str, Any], np.ndarray, np.ndarray] | None:
    """Every row's Cutout draws from the first words of its stream, at once; ``None``: take the loop.

    For a Cutout with a fixed hole count and size ([Cutout.fixed_draws][loaders.image.Cutout.fixed_draws])
    ``sample`` draws ``rng.random()`` (apply or not) and, when applied, ``rng.random(2)`` per hole, so
    the first ``1 + 2 * holes`` words of each sample's stream decide everything
    (``(raw >> 11) * 2**-53`` is ``rng.random()``). Returns ``(fixed_draws, rows, u)``: the applied
    rows and their uniforms, ``u[:, 1 + 2k]`` and ``u[:, 2 + 2k]`` the centre of hole ``k``.
    """
    fixed = t.fixed_draws()
    if fixed is None or type(strength) is not float or not 0.0 <= strength <= 1.0:
        return None
    u = (gens.first_words(1 + 2 * fixed[0]) >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    rows = np.flatnonzero(u[:, 0] < t.effective_p(strength))
    return fixed, rows, u[rows]


def _fill_drawn_holes(
    t: Cutout, x: torch.Tensor, xn: np.ndarray, fixed: tuple[int, str, Any], rows: np.ndarray, u: np.ndarray
) -> torch.Tensor:
    """Apply the draws of `_cutout_batch_draws` in place, with the same result as the per-row loop."""
    if len(rows) == 0:
        return x
    holes, unit, size = fixed
    first = int(rows[0])
    fill = _fast_cutout_fill(t, x[first])  # decided on the first applied row, as the loop does
    if fill is None:  # a fill the in-place path does not take: Cutout itself on each applied row
        for j, uj in zip(rows.tolist(), u.tolist(), strict=True):
            params = {
                "apply": True,
                "unit": unit,
                "holes": [[*uj[1 + 2 * k : 3 + 2 * k], size, size] for k in range(holes)],
            }
            _apply_row(t, x, None, j, params, {})
        return x
    height, width = xn.shape[-2], xn.shape[-1]
    for k in range(holes):
        y0, y1, x0, x1 = hole_boxes_batch(u[:, 1 + 2 * k], u[:, 2 + 2 * k], size, unit, height, width)
        edges = (y0.tolist(), y1.tolist(), x0.tolist(), x1.tolist())
        if kernels.fill_boxes(x, rows.tolist(), edges, fill):
            continue  # every box of this hole in one C call
        for j, a, b, c, d in zip(rows.tolist(), *edges, strict=True):
            if b > a and d > c:  # hole_boxes drops empty boxes
                xn[j, ..., a:b, c:d] = fill
    return x


#: Marks the in-place fill of `_cutout_rows` as not decided yet.
_UNDECIDED = object()


def _apply_row(
    t: Transform, x: torch.Tensor, xn: np.ndarray | None, j: int, params: dict[str, Any], fills: dict[int, Any]
) -> None:
    """Apply ``params`` of ``t`` to row ``j`` of ``x`` in place (``xn``: ``x`` as numpy, when on CPU).

    ``fills`` caches, per Cutout, the in-place fill decided on the first row it applies to (the rows
    of a stacked batch share shape and dtype).
    """
    if not params.get("apply", True):
        return
    if type(t) is Compose:
        for child, cp in zip(t.transforms, params["children"], strict=True):
            _apply_row(child, x, xn, j, cp, fills)
        return
    if type(t) is Cutout and xn is not None:
        key = id(t)
        if key not in fills:
            fills[key] = _fast_cutout_fill(t, x[j])
        value = fills[key]
        if value is not None:
            target = xn[j]
            for y0, y1, x0, x1 in hole_boxes(params["holes"], params["unit"], target.shape[-2], target.shape[-1]):
                target[..., y0:y1, x0:x1] = value
            return
    row = x[j]
    y = t.apply(row, params)
    if y is not row:
        if not isinstance(y, torch.Tensor) or y.shape != row.shape or y.dtype != row.dtype:
            raise TypeError(
                f"BatchStage: {t!r} returned {type(y).__name__} "
                f"{tuple(y.shape) if isinstance(y, torch.Tensor) else ''} for a row of shape {tuple(row.shape)} "
                f"({row.dtype}); a batch-stage transform must keep the row's shape and dtype"
            )
        row.copy_(y)
