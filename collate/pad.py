"""PadCollate: batch variable-length tensors (waveforms, token ids) by padding the last axis.

Samples may be tuples/lists ``(input, target, ...)``, dicts, or bare tensors.
The input field is padded along its last axis to the longest sample in the
batch (rounded up to ``pad_to_multiple_of``); every other field goes through
``torch.utils.data.default_collate``. The output keeps the structure and adds:

* tuple/list samples: ``(input, target, ..., lengths[, mask])`` (appended
  after the sample's own fields);
* dict samples: the same keys plus ``"lengths"`` (and ``"mask"``);
* bare tensors: ``(padded, lengths[, mask])``, or just ``padded`` when neither
  is requested.

``lengths`` is a LongTensor ``(B,)`` of the valid lengths; ``mask`` is a bool
tensor ``(B, T)`` with True on valid samples. Leading dimensions (e.g.
channels) must agree across the batch, as must dtype and device.

As ``base_collate=`` of [MixUp][collate.mix.MixUp]/[CutMix][collate.mix.CutMix], the
mixed batch comes out of one ``collate_fn``; ``mix_pair_reduce`` tells the
mixing collate to take the max of the two lengths and the or of the two masks
for mixed samples (a mix is valid wherever either source is), and
``mix_lengths_key`` tells CutMix where the valid lengths are, so that its soft
targets count valid samples (not padding) on each side of the cut.

Example:
    >>> import torch
    >>> batch = [(torch.ones(1, 3), 0), (torch.ones(1, 5), 1)]
    >>> x, y, lengths = PadCollate()(batch)
    >>> tuple(x.shape), y.tolist(), lengths.tolist()
    ((2, 1, 5), [0, 1], [3, 5])
    >>> x[0, 0].tolist()
    [1.0, 1.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import default_collate

from loaders.structure import INPUT_KEYS, Key, check_same_fields, rebuild, resolve_key
from loaders.validation import check_int, check_number

from .context import batch_namer
from .functional.inputs import Namer, sample_namer

__all__ = ["PadCollate", "DICT_INPUT_KEYS"]

#: The dict keys taken as the input when ``input_key`` is not given: the one list of the
#: package, [INPUT_KEYS][loaders.structure.INPUT_KEYS] (this name is kept for old imports).
DICT_INPUT_KEYS = INPUT_KEYS


class PadCollate:
    """Pad the input field of each sample along its last axis and collate the rest.

    Args:
        input_key: position (tuple samples, default 0) or key (dict samples; by
            default the one of [INPUT_KEYS][loaders.structure.INPUT_KEYS] present:
            ``"input"``, ``"waveform"``, ``"audio"``, ``"input_values"``, ``"input_ids"``,
            ``"image"``, ...) of the field to pad.
        pad_value: fill value of the padding (must be representable in the
            input dtype: an integer for integer inputs).
        pad_to_multiple_of: round the padded length up to a multiple of this.
        return_lengths: add the valid lengths (LongTensor ``(B,)``).
        return_mask: add a bool mask ``(B, T)``, True on valid samples.
        lengths_key: dict key of the lengths.
        mask_key: dict key of the mask.
        tuple_size: the number of fields of tuple samples (checked, so that the
            appended lengths/mask positions advertised in ``mix_pair_reduce``
            are exact). ``None`` accepts any size; then ``mix_pair_reduce``
            names only dict keys and tuple positions must be given to the
            mixing collate's ``pair_reduce``.

    Example:
        >>> import torch
        >>> pc = PadCollate(pad_to_multiple_of=4, return_mask=True)
        >>> out = pc([{"waveform": torch.ones(2), "label": 1}, {"waveform": torch.ones(3), "label": 0}])
        >>> sorted(out), tuple(out["waveform"].shape), out["mask"].tolist()
        (['label', 'lengths', 'mask', 'waveform'], (2, 4), [[True, True, False, False], [True, True, True, False]])
    """

    #: Its output is a fresh batch that a mixing collate may mix in place (see `collate.mix`).
    mix_in_place = True

    def __init__(
        self,
        input_key: Key = None,
        pad_value: float = 0.0,
        pad_to_multiple_of: int | None = None,
        return_lengths: bool = True,
        return_mask: bool = False,
        lengths_key: str = "lengths",
        mask_key: str = "mask",
        tuple_size: int | None = 2,
    ) -> None:
        owner = "PadCollate"
        if input_key is not None and (isinstance(input_key, bool) or not isinstance(input_key, (int, str))):
            raise TypeError(f"{owner}: input_key must be an int position, a str key or None, got {input_key!r}")
        self.input_key = input_key
        self.pad_value = check_number("pad_value", pad_value, owner=owner)
        self.pad_to_multiple_of = (
            None
            if pad_to_multiple_of is None
            else check_int("pad_to_multiple_of", pad_to_multiple_of, low=1, owner=owner)
        )
        for name, v in (("return_lengths", return_lengths), ("return_mask", return_mask)):
            if not isinstance(v, bool):
                raise TypeError(f"{owner}: {name} must be a bool, got {v!r}")
        self.return_lengths = return_lengths
        self.return_mask = return_mask
        for key_name, key_value in (("lengths_key", lengths_key), ("mask_key", mask_key)):
            if not isinstance(key_value, str) or not key_value:
                raise TypeError(f"{owner}: {key_name} must be a non-empty str, got {key_value!r}")
        if lengths_key == mask_key:
            raise ValueError(f"{owner}: lengths_key and mask_key must differ, both are {lengths_key!r}")
        self.lengths_key = lengths_key
        self.mask_key = mask_key
        self.tuple_size = None if tuple_size is None else check_int("tuple_size", tuple_size, low=1, owner=owner)
        if (
            isinstance(input_key, int)
            and self.tuple_size is not None
            and not -self.tuple_size <= input_key < self.tuple_size
        ):
            raise ValueError(f"{owner}: input_key={input_key} is out of range for tuple_size={self.tuple_size}")

    # ------------------------------------------------------------------ contract with mixing collates
    @property
    def mix_pair_reduce(self) -> dict[Any, str]:
        """How a mixing collate combines the added fields of mixed samples (lengths: max, mask: or)."""
        out: dict[Any, str] = {}
        pos = self.tuple_size
        if self.return_lengths:
            out[self.lengths_key] = "max"
            if pos is not None:
                out[pos] = "max"
                pos += 1
        if self.return_mask:
            out[self.mask_key] = "or"
            if pos is not None:
                out[pos] = "or"
        return out

    @property
    def mix_lengths_key(self) -> tuple | None:
        """Where a mixing collate finds the valid lengths (the dict key, then the tuple position).

        So that CutMix weights labels by valid content rather than padded length; ``None`` without
        ``return_lengths``.
        """
        if not self.return_lengths:
            return None
        return (self.lengths_key,) if self.tuple_size is None else (self.lengths_key, self.tuple_size)

    def __repr__(self) -> str:
        return (
            f"PadCollate(input_key={self.input_key!r}, pad_value={self.pad_value!r}, "
            f"pad_to_multiple_of={self.pad_to_multiple_of!r}, return_lengths={self.return_lengths!r}, "
            f"return_mask={self.return_mask!r}, lengths_key={self.lengths_key!r}, mask_key={self.mask_key!r}, "
            f"tuple_size={self.tuple_size!r})"
        )

    # ------------------------------------------------------------------ core
    def pad(self, items: Sequence[Any], where: Namer | None = None) -> tuple:
        """Pad a list of tensors; returns ``(padded, lengths, mask)``.

        Args:
            items: the per-sample tensors or numeric arrays (arrays are copied).
            where: ``where(i) -> str`` naming sample ``i`` in error messages (default
                ``"PadCollate: sample i"``; the collate adds the dataset index of a
                [KeyedBatch][loaders.keys.KeyedBatch]).

        Returns:
            ``(padded, lengths, mask)``; ``mask`` is ``None`` without ``return_mask``.

        Raises:
            TypeError: an item that is not a tensor or numeric array.
            ValueError: a scalar item, or items whose leading dims, dtype or device differ.

        Example:
            >>> padded, lengths, _ = PadCollate().pad([torch.ones(2), torch.ones(3)])
            >>> padded.tolist(), lengths.tolist()
            ([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]], [2, 3])
        """
        owner = "PadCollate"
        name = sample_namer(owner, where)
        tensors: list[Tensor] = []
        for i, v in enumerate(items):
            if isinstance(v, np.ndarray):
                if v.dtype.kind not in "biuf":
                    raise TypeError(f"{name(i)}: input array has unsupported dtype {v.dtype}")
                v = torch.from_numpy(np.array(v, order="C"))  # a copy: the user array may be read-only
            elif not isinstance(v, Tensor):
                raise TypeError(f"{name(i)}: the input must be a tensor or array to pad, got {type(v).__name__}")
            if v.ndim == 0:
                raise ValueError(
                    f"{name(i)}: the input is a scalar; PadCollate pads the last axis of "
                    f"tensors with at least one dimension"
                )
            tensors.append(v)
        first = tensors[0]
        for i, v in enumerate(tensors):
            if v.shape[:-1] != first.shape[:-1]:
                hint = ""
                if v.ndim == 2 and v.shape[-1] == first.shape[-1]:
                    hint = " (are the clips (time, channels)? PadCollate pads (channels, time): transpose them)"
                raise ValueError(
                    f"{name(i)} has shape {tuple(v.shape)}, sample 0 has "
                    f"{tuple(first.shape)}; only the last axis may differ{hint}"
                )
            if v.dtype != first.dtype or v.device != first.device:
                raise ValueError(
                    f"{name(i)} is {v.dtype} on {v.device}, sample 0 is "
                    f"{first.dtype} on {first.device}; convert them to one dtype/device"
                )
        if not (first.is_floating_point() or first.is_complex()) and self.pad_value != int(self.pad_value):
            raise ValueError(f"{owner}: pad_value={self.pad_value} is not an integer but the inputs are {first.dtype}")
        lengths = torch.tensor([v.shape[-1] for v in tensors], dtype=torch.long)
        longest = int(lengths.max()) if len(tensors) else 0
        if self.pad_to_multiple_of:
            longest = math.ceil(longest / self.pad_to_multiple_of) * self.pad_to_multiple_of
        fill = self.pad_value if (first.is_floating_point() or first.is_complex()) else int(self.pad_value)
        out = torch.full(
            (len(tensors),) + tuple(first.shape[:-1]) + (longest,), fill, dtype=first.dtype, device=first.device
        )
        for i, v in enumerate(tensors):
            out[i, ..., : v.shape[-1]].copy_(v)
        mask = None
        if self.return_mask:
            mask = torch.arange(longest).unsqueeze(0) < lengths.unsqueeze(1)
            if first.device.type != "cpu":
                mask = mask.to(first.device)
        if first.device.type != "cpu":
            lengths = lengths.to(first.device)
        return out, lengths, mask

    def __call__(self, batch: Sequence[Any]) -> Any:
        """Pad the input field of each sample and collate the rest.

        Args:
            batch: the list of samples a `DataLoader` hands its `collate_fn` (tensors,
                tuples/lists or dicts).

        Returns:
            The batch with the structure of its samples plus the lengths/mask (see the
            module docstring).
        """
        owner = "PadCollate"
        if not isinstance(batch, Sequence) or isinstance(batch, (str, bytes)):
            raise TypeError(
                f"{owner}: expected the list of samples a DataLoader hands collate_fn, got {type(batch).__name__}"
            )
        if len(batch) == 0:
            raise ValueError(f"{owner}: got an empty batch (0 samples)")
        first = batch[0]
        if isinstance(first, (Tensor, np.ndarray)):
            padded, lengths, mask = self.pad(list(batch), batch_namer(batch, owner))
            extra = ([lengths] if self.return_lengths else []) + ([mask] if self.return_mask else [])
            return (padded, *extra) if extra else padded
        if isinstance(first, Mapping):
            return self._pad_dicts(batch, first, owner)
        if isinstance(first, (tuple, list)):
            return self._pad_tuples(batch, first, owner)
        raise TypeError(f"{owner}: samples must be tensors, tuples/lists or dicts, got {type(first).__name__}")

    def _pad_dicts(self, batch: Sequence[Any], first: Mapping, owner: str) -> dict[Any, Any]:
        key = resolve_key(first, self.input_key, name="input_key", candidates=INPUT_KEYS, index=0, owner=owner)
        check_same_fields(batch, owner=owner, where=batch_namer(batch))
        added = ((self.lengths_key,) if self.return_lengths else ()) + ((self.mask_key,) if self.return_mask else ())
        for name in added:
            if name in first:
                raise ValueError(f"{owner}: samples already have a {name!r} field; choose another lengths_key/mask_key")
        padded, lengths, mask = self.pad([s[key] for s in batch], batch_namer(batch, owner))
        out: dict[Any, Any] = {k: padded if k == key else default_collate([s[k] for s in batch]) for k in first}
        if self.return_lengths:
            out[self.lengths_key] = lengths
        if self.return_mask:
            out[self.mask_key] = mask
        return out

    def _pad_tuples(self, batch: Sequence[Any], first: Sequence[Any], owner: str) -> Any:
        size = len(first)
        if self.tuple_size is not None and size != self.tuple_size:
            raise ValueError(
                f"{owner}: sample 0 has {size} fields but tuple_size={self.tuple_size}; pass "
                f"tuple_size={size} (or None) so that the lengths/mask positions are known"
            )
        key = resolve_key(first, self.input_key, name="input_key", default_position=0, index=0, owner=owner)
        check_same_fields(batch, owner=owner, where=batch_namer(batch))
        padded, lengths, mask = self.pad([s[key] for s in batch], batch_namer(batch, owner))
        fields = [padded if k == key else default_collate([s[k] for s in batch]) for k in range(size)]
        if self.return_lengths:
            fields.append(lengths)
        if self.return_mask:
            fields.append(mask)
        return rebuild(first, fields)
