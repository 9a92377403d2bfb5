"""MixUp, CutMix and MixUpOrCutMix as DataLoader `collate_fn` objects.

Each collate takes the list of samples a `DataLoader` hands its `collate_fn`
and returns the same structure, with the inputs stacked *and* mixed in one pass
and the targets replaced by float soft targets ``(B, num_classes)`` whose rows
sum to 1, ready for the stock `nn.CrossEntropyLoss()`.

Samples (read with [loaders.structure][loaders.structure]):

- tuples/lists ``(input, target, *extra)``: ``input_key``/``target_key`` are
  positions (default 0 and 1); namedtuples come back as the same namedtuple;
- dicts: ``input_key``/``target_key`` are keys. When not given, the input is
  the one key present among [INPUT_KEYS][loaders.structure.INPUT_KEYS]
  (``"input"``, ``"image"``, ``"img"``, ``"pixel_values"``, ``"waveform"``, ...)
  and the target the one among ``"target"``, ``"label"``, ``"labels"``; if none
  or several are present the collate raises and asks for the keys (it never
  guesses between candidates).

Other fields are collated with `default_collate` (or by ``base_collate``) and
pass through; fields named in ``pair_reduce`` are combined with the partner's
value for the mixed samples (``lengths`` -> max, masks -> or). With a base
collate that declares ``mix_lengths_key`` ([PadCollate][collate.pad.PadCollate]),
CutMix labels count valid content only, not padding (see [CutMix][collate.mix.CutMix]).

Randomness: see [collate.randomness][collate.randomness]; a
[KeyedBatch][loaders.keys.KeyedBatch] draws from its keys, so the draw depends
only on the batch (not on the worker).

Example:
    >>> import torch
    >>> batch = [(torch.full((3, 4, 5), float(i)), i) for i in range(4)]
    >>> images, targets = MixUp(num_classes=4, seed=0)(batch)
    >>> images.shape, targets.shape, bool(torch.allclose(targets.sum(1), torch.ones(4)))
    (torch.Size([4, 3, 4, 5]), torch.Size([4, 4]), True)
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import default_collate

from loaders.layout import CHANNEL_COUNTS, check_layout, image_layout
from loaders.structure import INPUT_KEYS, TARGET_KEYS, check_key, check_same_fields, rebuild, resolve_key
from loaders.validation import check_callable, check_int, check_number, check_probability, check_seed

from . import functional as F
from .context import batch_namer
from .functional import kernels
from .randomness import CollateRandomness, MixingSwitch, check_pairing, draw_pairing

__all__ = ["MixUp", "CutMix", "MixUpOrCutMix", "DEFAULT_PAIR_REDUCE", "INPUT_KEYS", "TARGET_KEYS"]

#: Fields combined with the partner's value for mixed samples (name -> "max"/"min"/"or"/"and").
DEFAULT_PAIR_REDUCE: dict[str | int, str] = {"lengths": "max", "mask": "or", "attention_mask": "or"}


@dataclass
class _Read:
    """A batch read into its parts: structure, keys, per-sample input rows, targets, other fields."""

    first: Any
    kind: str  # "map" or "seq"
    fields: list[Any]
    ikey: Any
    tkey: Any
    rows: Sequence[Tensor]  # a list, or the StackedRows of the base collate's batch
    stacked: Tensor | None
    targets: Any
    collated: dict[Any, Any]
    layout: str = "CHW"  # "HWC": channels last (the box goes on dims 0 and 1 of a sample)


class _MixCollate(MixingSwitch):
    """Shared engine of the mixing collates: validation, keyed draws, structure handling."""

    _use_mixup = True
    _use_cutmix = False
    # class defaults, so that collates pickled before these arguments existed still load
    pairing = "derangement"
    layout: str | None = None
    check_finite = False
    on_device = False

    def _setup(
        self,
        *,
        num_classes,
        mixup_alpha,
        cutmix_alpha,
        switch_prob,
        p,
        label_smoothing,
        per_sample,
        seed,
        input_key,
        target_key,
        base_collate,
        pair_reduce,
        return_params,
        target_dtype,
        cut_dims,
        pairing="derangement",
        check_finite=False,
        layout=None,
        on_device=False,
    ):
        owner = type(self).__name__
        self.num_classes = check_int("num_classes", num_classes, low=1, owner=owner)
        if self._use_mixup:
            self._mixup_alpha = check_number(
                "alpha" if not self._use_cutmix else "mixup_alpha",
                mixup_alpha,
                low=0.0,
                low_inclusive=False,
                owner=owner,
            )
        if self._use_cutmix:
            self._cutmix_alpha = check_number(
                "alpha" if not self._use_mixup else "cutmix_alpha",
                cutmix_alpha,
                low=0.0,
                low_inclusive=False,
                owner=owner,
            )
        self._switch_prob = check_probability("switch_prob", switch_prob, owner=owner)
        self.p = check_probability("p", p, owner=owner)
        self.label_smoothing = check_number(
            "label_smoothing", label_smoothing, low=0.0, high=1.0, high_inclusive=False, owner=owner
        )
        if not isinstance(per_sample, bool):
            raise TypeError(f"{owner}: per_sample must be a bool, got {per_sample!r}")
        self.per_sample = per_sample
        self.seed = check_seed("seed", seed, owner=owner)
        self.input_key = check_key("input_key", input_key, owner=owner)
        self.target_key = check_key("target_key", target_key, owner=owner)
        if self.input_key is not None and self.input_key == self.target_key:
            raise ValueError(f"{owner}: input_key and target_key must differ, both are {input_key!r}")
        self.base_collate = check_callable("base_collate", base_collate, owner=owner, allow_none=True)
        self.pair_reduce = self._check_pair_reduce(pair_reduce, owner)
        if not isinstance(return_params, bool):
            raise TypeError(f"{owner}: return_params must be a bool, got {return_params!r}")
        self.return_params = return_params
        if not (isinstance(target_dtype, torch.dtype) and target_dtype.is_floating_point):
            raise TypeError(f"{owner}: target_dtype must be a floating torch.dtype, got {target_dtype!r}")
        self.target_dtype = target_dtype
        if cut_dims is not None:
            cut_dims = check_int("cut_dims", cut_dims, low=1, high=2, owner=owner)
        self.cut_dims = cut_dims
        self.pairing = check_pairing(pairing, owner)
        if not isinstance(check_finite, bool):
            raise TypeError(f"{owner}: check_finite must be a bool, got {check_finite!r}")
        self.check_finite = check_finite
        if not isinstance(on_device, bool):
            raise TypeError(f"{owner}: on_device must be a bool, got {on_device!r}")
        self.on_device = on_device
        self.layout = check_layout(layout, owner)
        if self.layout is not None and cut_dims == 1:
            raise ValueError(f"{owner}: layout={layout!r} places a 2-D box; it cannot be used with cut_dims=1")
        self._random = CollateRandomness(self.seed, owner)
        self._init_switch()
        self._tls: threading.local | None = None

    @staticmethod
    def _check_pair_reduce(pair_reduce: Any, owner: str) -> dict[Any, str] | None:
        if pair_reduce is None:
            return None
        if not isinstance(pair_reduce, Mapping):
            raise TypeError(
                f"{owner}: pair_reduce must be a mapping field -> 'max'/'min'/'or'/'and', got {pair_reduce!r}"
            )
        for k, v in pair_reduce.items():
            check_key("pair_reduce key", k, owner=owner)
            if v not in F.REDUCERS:
                raise ValueError(f"{owner}: pair_reduce[{k!r}] must be one of {sorted(F.REDUCERS)}, got {v!r}")
        return dict(pair_reduce)

    # ------------------------------------------------------------------ plumbing
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tls"] = None  # per-thread scratch buffers stay in their process
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # pickles of older versions kept the generator state in the collate itself
        state = dict(state)
        state.pop("_rng", None)
        state.pop("_pid", None)
        self.__dict__.update(state)
        if "_random" not in state:
            self._random = CollateRandomness(self.seed, type(self).__name__)
        self._tls = None
        self._share_switch()

    def __repr__(self) -> str:
        parts = []
        for name in inspect.signature(type(self).__init__).parameters:
            if name == "self":
                continue
            parts.append(f"{name}={getattr(self, name)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _keys(self, sample: Any, index: int) -> tuple[Any, Any, str]:
        """The input and target addresses in ``sample`` and its kind (``"map"`` or ``"seq"``)."""
        owner = type(self).__name__
        ik = resolve_key(
            sample,
            self.input_key,
            name="input_key",
            candidates=INPUT_KEYS,
            default_position=0,
            index=index,
            owner=owner,
        )
        tk = resolve_key(
            sample,
            self.target_key,
            name="target_key",
            candidates=TARGET_KEYS,
            default_position=1,
            index=index,
            owner=owner,
        )
        if isinstance(sample, Mapping):
            return ik, tk, "map"
        if ik == tk:
            raise ValueError(f"{owner}: input_key and target_key point to the same position {ik}")
        return ik, tk, "seq"

    def _structure(self, batch: Sequence[Any], first: Any, owner: str) -> tuple[Any, Any, str, list[Any]]:
        """The input and target addresses, the kind and the fields of the batch's samples (all checked).

        Plain ``(input, target)`` tuples with the default keys take a shortcut (two C-level passes
        over the batch); anything else, and every error, goes through `_keys` and `check_same_fields`.
        """
        if (
            type(first) is tuple
            and len(first) == 2
            and (self.input_key is None or self.input_key == 0)
            and (self.target_key is None or self.target_key == 1)
            and len(set(map(type, batch))) == 1
            and len(set(map(len, batch))) == 1
        ):
            return 0, 1, "seq", [0, 1]
        ikey, tkey, kind = self._keys(first, 0)
        fields = check_same_fields(batch, owner=owner, where=batch_namer(batch))
        return ikey, tkey, kind, fields

    # ------------------------------------------------------------------ draws
    def _cut_size(self, shape: torch.Size, layout: str = "CHW") -> tuple[int, ...]:
        owner = type(self).__name__
        if 0 in tuple(shape):
            raise ValueError(
                f"{owner}: the inputs have a zero-size axis (shape {tuple(shape)} per sample, e.g. a batch of empty "
                f"clips): CutMix has nothing to cut; drop empty samples before collating"
            )
        if layout == "HWC":
            return int(shape[0]), int(shape[1])
        dims = self.cut_dims
        if dims is None:
            if len(shape) < 2:
                raise ValueError(
                    f"{owner}: CutMix needs inputs of shape (C, T) (1-D signals) or (C, H, W) (images, "
                    f"spectrograms) per sample, got shape {tuple(shape)}; pass cut_dims=1 for channel-less signals"
                )
            dims = 2 if len(shape) >= 3 else 1
        if len(shape) < dims:
            raise ValueError(
                f"{owner}: cut_dims={dims} needs inputs with at least {dims} dims per sample, got shape {tuple(shape)}"
            )
        return tuple(int(n) for n in shape[-dims:])

    def _draw(
        self, rng: np.random.Generator, n: int, strength: float, shape: torch.Size, layout: str = "CHW"
    ) -> tuple[dict[str, Any], np.ndarray]:
        """Draw the batch's parameters (plain data) in a fixed order; also the pairing as an array."""
        p = self.p * strength if self.mixing else 0.0
        both = self._use_mixup and self._use_cutmix
        cut_size = self._cut_size(shape, layout) if self._use_cutmix else ()
        size = n if self.per_sample else None
        apply = rng.random(size) < p
        use_cut: Any
        if both:
            use_cut = rng.random(size) < self._switch_prob
        elif size:
            use_cut = np.full(n, self._use_cutmix)
        else:
            use_cut = self._use_cutmix
        lam_mix = rng.beta(self._mixup_alpha, self._mixup_alpha, size) if self._use_mixup else None
        lam_cut = rng.beta(self._cutmix_alpha, self._cutmix_alpha, size) if self._use_cutmix else None
        perm_arr = draw_pairing(rng, n, self.pairing)
        perm = perm_arr.tolist()  # plain Python ints for logging
        u: Any = rng.random((n if size else 1, len(cut_size))) if self._use_cutmix else None

        def one(k: int, app, cut, lm, lc):
            if not app:
                return "none", 1.0, None
            if cut:
                box, lam = F.cutmix_box(cut_size, float(lc), u[k].tolist())
                return "cutmix", float(lam), box
            return "mixup", float(lm), None

        if self.per_sample:
            modes, lams, boxes = [], [], []
            for k in range(n):
                m, lam, box = one(
                    k,
                    bool(apply[k]),
                    bool(use_cut[k]),
                    None if lam_mix is None else lam_mix[k],
                    None if lam_cut is None else lam_cut[k],
                )
                modes.append(m)
                lams.append(lam)
                boxes.append(box)
            return {"mode": modes, "lam": lams, "perm": perm, "box": boxes}, perm_arr
        m, lam, box = one(0, bool(apply), bool(use_cut), lam_mix, lam_cut)
        return {"mode": m, "lam": lam, "perm": perm, "box": box}, perm_arr

    # ------------------------------------------------------------------ call
    def __call__(self, batch: Sequence[Any]) -> Any:
        """Stack and mix a batch: read it, draw, mix, reduce pairs, rebuild its structure.

        Args:
            batch: the list of samples a `DataLoader` hands its `collate_fn` (a
                [KeyedBatch][loaders.keys.KeyedBatch] keys the draw on its samples).

        Returns:
            The batch with the structure of its samples: the input stacked and mixed, the
            target as soft targets ``(B, num_classes)`` (and the draw when ``return_params``).
        """
        owner = type(self).__name__
        if not isinstance(batch, list) and (not isinstance(batch, Sequence) or isinstance(batch, (str, bytes))):
            raise TypeError(
                f"{owner}: expected the list of samples a DataLoader hands collate_fn, got {type(batch).__name__}"
            )
        if len(batch) == 0:
            raise ValueError(f"{owner}: got an empty batch (0 samples); a batch needs at least one sample")
        first = batch[0]
        ikey, tkey, kind, fields = self._structure(batch, first, owner)
        strength = self._random.strength(batch)
        read = self._read(batch, first, kind, fields, ikey, tkey, owner)
        n = len(read.rows)
        # the generator after the base collate (which may key its own draws) and only for the draw
        params, perm_arr = self._draw(self._random.generator(batch), n, strength, read.rows[0].shape, read.layout)
        F.quantize_mix_params(params, read.rows[0].dtype)  # uint8: exact fixed-point MixUp, targets on the same lam
        target_lam = self._target_lams(read, params, owner, batch)
        x, y, mixed = self._mix(read, params, perm_arr, owner, target_lam, batch)
        self._check_finite(read.rows, x, params, batch, owner)
        if target_lam is not None:
            params["lam"] = target_lam
        self._reduce_pairs(read, params, perm_arr, mixed, owner)
        read.collated[ikey] = x
        read.collated[tkey] = y
        return self._rebuild(read, params, owner)

    def _read(
        self, batch: Sequence[Any], first: Any, kind: str, fields: list[Any], ikey: Any, tkey: Any, owner: str
    ) -> _Read:
        """Split the batch into input rows, targets and the other fields (collated)."""
        where = batch_namer(batch)
        if self.base_collate is None:
            samples = batch if isinstance(batch, list) else list(batch)
            # shapes and devices of small samples are checked by torch.stack itself (see _mix)
            rows: Sequence[Tensor] = F.as_tensor_inputs(
                list(map(itemgetter(ikey), samples)), owner=owner, check_shapes=False, where=where
            )
            if not _stacks_first(rows[0]):
                F.check_same_shape(rows, owner=owner, where=where)
            targets: Any = list(map(itemgetter(tkey), samples))
            collated: dict[Any, Any] = {
                k: default_collate([s[k] for s in samples]) for k in fields if k != ikey and k != tkey
            }
            layout = self._layout(first[ikey], rows[0], owner)
            return _Read(first, kind, fields, ikey, tkey, rows, None, targets, collated, layout)
        n = len(batch)
        out = self.base_collate(batch)  # a KeyedBatch keeps its keys for the base collate
        if kind == "map":
            if not isinstance(out, Mapping):
                raise TypeError(
                    f"{owner}: base_collate returned {type(out).__name__} for dict samples; it must return a dict"
                )
            fields = list(out.keys())
        else:
            if not isinstance(out, (tuple, list)):
                raise TypeError(
                    f"{owner}: base_collate returned {type(out).__name__} for tuple samples; "
                    f"it must return a tuple/list"
                )
            fields = list(range(len(out)))
        stacked = out[ikey]
        if not isinstance(stacked, Tensor) or stacked.ndim < 1 or stacked.shape[0] != n:
            raise ValueError(
                f"{owner}: base_collate must return the input {ikey!r} as a tensor with batch "
                f"size {n}, got {type(stacked).__name__} "
                f"{tuple(stacked.shape) if isinstance(stacked, Tensor) else ''}"
            )
        collated = {k: out[k] for k in fields if k != ikey and k != tkey}
        rows = kernels.StackedRows(stacked)  # views made on demand; the kernels read the rows' addresses
        layout = self._layout(first[ikey], rows[0], owner)
        return _Read(first, kind, fields, ikey, tkey, rows, stacked, out[tkey], collated, layout)

    def _layout(self, raw: Any, row: Tensor, owner: str) -> str:
        """Where the box goes: ``"HWC"`` for channels-last 3-D inputs, else ``"CHW"`` (the last dims).

        The rule of [loaders.layout][loaders.layout] for 3-D inputs (declared ``layout=``, else
        CHW for tensors and HWC for arrays, contradicting shapes refused), stricter for arrays:
        an array read as HWC must have 1, 3 or 4 channels (a ``(C, F, T)`` spectrogram array
        needs ``layout="CHW"``). Only collates that cut look at the layout.
        """
        if not self._use_cutmix:
            return "CHW"
        if row.ndim != 3:
            if self.layout is not None:
                raise ValueError(
                    f"{owner}: layout={self.layout!r} describes 3-D images (C, H, W) or (H, W, C), but the inputs "
                    f"have shape {tuple(row.shape)} per sample; leave layout=None for them"
                )
            return "CHW"
        if self.cut_dims == 1:
            return "CHW"
        x = raw if isinstance(raw, (Tensor, np.ndarray)) else row
        key = (type(x), tuple(x.shape))  # the rule reads only the type and the shape: remember its answers
        known: dict[tuple[Any, ...], str] | None = getattr(self, "_layouts", None)
        if known is not None and key in known:
            return known[key]
        layout = image_layout(x, self.layout, owner)
        if self.layout is None and isinstance(x, np.ndarray) and x.shape[-1] not in CHANNEL_COUNTS:
            raise ValueError(
                f"{owner}: numpy inputs of shape {tuple(x.shape)} are read as HWC (height, width, channels), but "
                f"the last axis has {x.shape[-1]} entries, not 1, 3 or 4 channels; pass layout='CHW' for "
                f"channel-first arrays (e.g. spectrograms (C, F, T)) or layout='HWC' to confirm"
            )
        if known is None or len(known) > 64:
            known = {}
            self._layouts = known
        known[key] = layout
        return layout

    def _check_finite(
        self, rows: Sequence[Tensor], out: Tensor, params: dict[str, Any], batch: Sequence[Any], owner: str
    ) -> None:
        """With ``check_finite``: refuse NaN/inf inputs, naming the sample and its dataset index.

        One vectorised pass over the mixed batch finds them: MixUp keeps every input value
        in its own row (blended), and CutMix with one box per batch moves each sample's box
        to the sample it is the partner of (a pairing is a bijection). Per-sample CutMix
        boxes may drop a value, so then every input is read. The inputs are searched only
        to name the sample.
        """
        if not self.check_finite or not (out.is_floating_point() or out.is_complex()):
            return
        per_sample_cuts = self.per_sample and "cutmix" in params["mode"]
        if not per_sample_cuts and _all_finite(out):
            return
        name = batch_namer(batch, owner)
        for i, r in enumerate(rows):
            if not _all_finite(r) and not bool(torch.isfinite(r).all()):
                what = "NaN" if bool(torch.isnan(r).any()) else "inf"
                raise ValueError(
                    f"{name(i)} input contains {what} (check_finite=True); mixing would spread it into its "
                    f"partner: fix the sample or the transform that produced it"
                )

    def _target_lams(self, read: _Read, params: dict[str, Any], owner: str, batch: Sequence[Any]) -> list[float] | None:
        """CutMix label weights over valid content when the base collate reports lengths, else ``None``."""
        if self.base_collate is None or not self._use_cutmix:
            return None
        lkey = _lengths_field(self.base_collate, read.collated, read.ikey, read.tkey)
        if lkey is None:
            return None
        shape = read.rows[0].shape
        if read.layout == "HWC":
            raise ValueError(
                f"{owner}: the base collate reports valid lengths of the last axis, which is the channel axis of "
                f"HWC inputs; pad channel-first inputs instead"
            )
        return _valid_lams(
            params,
            read.collated[lkey],
            lkey,
            shape,
            self._cut_size(shape),
            len(read.rows),
            owner,
            batch_namer(batch, owner),
        )

    def _reduce_pairs(self, read: _Read, params: dict[str, Any], perm_arr: np.ndarray, mixed: Any, owner: str) -> None:
        """Combine the ``pair_reduce`` fields of mixed samples with their partners' (in ``read.collated``)."""
        if not read.collated or not (mixed is True or (isinstance(mixed, list) and True in mixed)):
            return  # no other fields to combine, or nothing mixed
        n = len(read.rows)
        reduce = dict(getattr(self.base_collate, "mix_pair_reduce", None) or {})
        reduce.update(DEFAULT_PAIR_REDUCE if self.pair_reduce is None else self.pair_reduce)
        collated = read.collated
        for k, how in reduce.items():
            if k in collated and k != read.ikey and k != read.tkey:
                if mixed is True:  # one draw for the batch: every sample whose partner is another one
                    mixed = (perm_arr != np.arange(n)).tolist()
                v = collated[k]
                if not isinstance(v, Tensor) or v.ndim < 1 or v.shape[0] != n:
                    raise TypeError(
                        f"{owner}: pair_reduce field {k!r} must be a tensor with batch size {n}, got {type(v).__name__}"
                    )
                collated[k] = F.pair_reduce(v, params["perm"], mixed, how)

    def _rebuild(self, read: _Read, params: dict[str, Any], owner: str) -> Any:
        """The output with the structure of the samples (plus the draw when ``return_params``)."""
        values = {k: read.collated[k] for k in read.fields}
        if read.kind == "map":
            result = rebuild(read.first, values)
            if self.return_params or self.on_device:
                if "mix_params" in result:
                    raise ValueError(
                        f"{owner}: samples already have a 'mix_params' field; return_params=True cannot add it"
                    )
                result["mix_params"] = params
            return result
        if self.return_params or self.on_device:
            return tuple(values.values()) + (params,)
        return rebuild(read.first, values)

    def _targets(
        self,
        targets: Any,
        n: int,
        perm: list[int],
        perm_arr: np.ndarray,
        lam: Any,
        any_mixed: bool,
        owner: str,
        batch: Sequence[Any],
    ) -> Tensor:
        """The soft targets, mixed with the partners' (``lam``: one float or one per sample)."""
        if self.target_dtype == torch.float32:  # plain int labels: one C call (None: the checked path below)
            fast = kernels.one_hot(targets, self.num_classes, perm if any_mixed else None, lam, self.label_smoothing)
            if fast is not None:
                if fast.shape[0] != n:
                    raise ValueError(f"{owner}: got {fast.shape[0]} targets for {n} inputs")
                return fast
        where = batch_namer(batch, owner)
        idx = F.int_targets(targets, self.num_classes, owner=owner, where=where)
        if idx is not None:
            if idx.shape[0] != n:
                raise ValueError(f"{owner}: got {idx.shape[0]} targets for {n} inputs")
            return F.mixed_one_hot(
                idx,
                self.num_classes,
                perm_arr if any_mixed else None,
                lam,
                label_smoothing=self.label_smoothing,
                dtype=self.target_dtype,
            )
        y = F.soft_targets(
            targets,
            self.num_classes,
            label_smoothing=self.label_smoothing,
            dtype=self.target_dtype,
            owner=owner,
            where=where,
        )
        if y.shape[0] != n:
            raise ValueError(f"{owner}: got {y.shape[0]} targets for {n} inputs")
        return F.mix_targets(y, perm, lam) if any_mixed else y

    def _mix(
        self,
        read: _Read,
        params: dict[str, Any],
        perm_arr: np.ndarray,
        owner: str,
        target_lam: list[float] | None,
        batch: Sequence[Any],
    ) -> tuple[Tensor, Tensor, bool | list[bool]]:
        rows = read.rows
        n = len(rows)
        perm = params["perm"]
        if self.per_sample:
            modes, lams = params["mode"], params["lam"]
            mixed: Any = [
                m != "none" and lam < 1.0 and perm[i] != i for i, (m, lam) in enumerate(zip(modes, lams, strict=True))
            ]
            lam_arg: Any = lams
        else:
            lam_arg = params["lam"]
            # True: mixed wherever perm[i] != i (the list is built only if a pair_reduce field needs it)
            mixed = params["mode"] != "none" and lam_arg < 1.0 and perm != list(range(n))
        any_mixed = mixed is True or (isinstance(mixed, list) and True in mixed)
        # labels weighted by valid content (see _valid_lams) when lengths are known; the inputs use the draw
        tlam = lam_arg if target_lam is None else target_lam
        y = self._targets(read.targets, n, perm, perm_arr, tlam, any_mixed, owner, batch)
        dtype = rows[0].dtype
        kinds = set(params["mode"]) if self.per_sample else {params["mode"]}
        if "mixup" in kinds and not (dtype.is_floating_point or dtype in F.INT_DTYPES):
            raise TypeError(f"{owner}: MixUp cannot mix inputs of dtype {dtype}; use float or integer inputs")
        if read.stacked is not None and (self.on_device or not any_mixed):
            return read.stacked, y, mixed  # the base collate stacked it and nothing is mixed here: no second copy
        if read.stacked is not None and self._mixes_in_place(read, kinds):
            # a fresh batch the base collate made for us: mixed where it lies (no second batch, one pass less)
            self._mix_inputs(read.stacked, rows, params, perm_arr, kinds, any_mixed, kernel=True)
            return read.stacked, y, mixed
        out = F.empty_batch(rows[0], n)
        krows: Sequence[Tensor]
        if read.layout == "HWC":  # the kernels cut the last two dims: hand them channel-first views
            krows = [r.permute(2, 0, 1) for r in rows]
            kout = out.permute(0, 3, 1, 2)
        else:
            krows, kout = rows, out
        try:
            if self.on_device:  # only stacked here: collate.functional.apply_mix mixes after the transfer
                F.stack(krows, out=kout)
            else:
                self._mix_inputs(kout, krows, params, perm_arr, kinds, any_mixed)
        except RuntimeError as e:  # torch.stack rejected mismatched shapes/devices: name the sample
            try:
                F.check_same_shape(rows, owner=owner, where=batch_namer(batch))
            except (ValueError, TypeError) as err:
                raise err from e
            raise
        return out, y, mixed

    def _mixes_in_place(self, read: _Read, kinds: set[str]) -> bool:
        """Whether to mix the base collate's batch in place: its rows are ``read.rows`` and only the C kernels run.

        The base collate must declare ``mix_in_place = True`` (its output is a fresh tensor, never a
        user's: [BatchStage][collate.stage.BatchStage], [PadCollate][collate.pad.PadCollate]); the
        kernels must take every step (float32 or uint8 MixUp, CutMix, not both in one batch), and
        ``check_finite`` must be off (it names the bad sample from the unmixed rows).
        """
        x = read.stacked
        if x is None or getattr(self.base_collate, "mix_in_place", False) is not True or self.check_finite:
            return False
        if read.layout == "HWC" or ("mixup" in kinds and "cutmix" in kinds):
            return False
        if "mixup" in kinds and x.dtype not in (torch.float32, torch.uint8):
            return False
        if "cutmix" in kinds and x.dtype not in kernels.CUT_DTYPES:
            return False
        # the rows are this batch's own (StackedRows): one dtype and shape, contiguous when the batch is
        return kernels.AVAILABLE and x.is_cpu and x.is_contiguous() and isinstance(read.rows, kernels.StackedRows)

    def _mix_inputs(
        self,
        out: Tensor,
        rows: Sequence[Tensor],
        params: dict[str, Any],
        perm_arr: np.ndarray,
        kinds: set[str],
        any_mixed: bool,
        kernel: bool | None = None,
    ) -> None:
        """Stack and mix the inputs into ``out`` with the fused kernels of `collate.functional`.

        ``kernel=True``: the caller checked that the C kernels run (required when ``rows`` are ``out``'s own).
        """
        perm = params["perm"]
        any_mix, any_cut = "mixup" in kinds, "cutmix" in kinds
        if kernel is None:
            # checked once for every kernel below; the rows' dtypes were checked when they were read
            kernel = any_mixed and kernels.usable(out, rows, same_dtype=True)
        perm_t = scratch = None
        if not kernel:  # what the torch paths reuse
            perm_t = torch.from_numpy(perm_arr) if perm_arr.dtype == np.int64 else None
            if perm_t is not None and out.device.type != "cpu":
                perm_t = perm_t.to(out.device)
            scratch = self._scratch(out) if any_mixed and _stacks_first(rows[0]) else None
        if not self.per_sample:
            if any_mix:
                F.mixup_into_unchecked(out, rows, perm, float(params["lam"]), perm_t, scratch, kernel=kernel)
            elif any_cut:
                F.stack_cutmix_unchecked(
                    rows, perm, params["box"], out=out, perm_t=perm_t, scratch=scratch, kernel=kernel
                )
            else:
                F.stack(rows, out=out)
            return
        modes, lams, boxes = params["mode"], params["lam"], params["box"]
        cut_boxes = [b if m == "cutmix" else None for m, b in zip(modes, boxes, strict=True)]
        if any_mix:
            mix_lams = [lam if m == "mixup" else 1.0 for m, lam in zip(modes, lams, strict=True)]
            F.mixup_into_unchecked(out, rows, perm, mix_lams, perm_t, scratch, kernel=kernel)
            if any_cut:
                F.cutmix_into_unchecked(out, rows, perm, cut_boxes, out_is_stack=False, kernel=kernel)
        elif any_cut:
            F.stack_cutmix_unchecked(rows, perm, cut_boxes, out=out, perm_t=perm_t, scratch=scratch, kernel=kernel)
        else:
            F.stack(rows, out=out)

    def _scratch(self, out: Tensor) -> Tensor | None:
        """A flat buffer like ``out`` for the partner rows of small samples.

        Kept per thread and reused from batch to batch (at most ``functional.CHUNK_BYTES``; dropped when pickled).
        """
        if out.numel() * out.element_size() > F.SCRATCH_BYTES:
            return None
        tls = self._tls
        if tls is None:
            tls = self._tls = threading.local()
        buf = getattr(tls, "buf", None)
        if buf is None or buf.dtype != out.dtype or buf.device != out.device or buf.numel() < out.numel():
            buf = tls.buf = torch.empty(out.numel(), dtype=out.dtype, device=out.device)
        return buf


def _lengths_field(base_collate: Callable, collated: dict[Any, Any], ikey: Any, tkey: Any) -> Any:
    """The field of ``base_collate``'s output holding the per-sample valid lengths of the input's last axis.

    As declared by its ``mix_lengths_key`` (a key, an int position, or a tuple of
    candidates, the first one present wins; e.g. [PadCollate][collate.pad.PadCollate]); ``None`` if none.
    """
    hint = getattr(base_collate, "mix_lengths_key", None)
    if hint is None:
        return None
    for k in hint if isinstance(hint, (tuple, list)) else (hint,):
        if k in collated and k != ikey and k != tkey:
            return k
    return None


def _valid_lams(
    params: dict[str, Any],
    lengths: Any,
    key: Any,
    shape: torch.Size,
    cut_size: tuple[int, ...],
    n: int,
    owner: str,
    name: F.Namer,
) -> list[float] | None:
    """Per-sample label weights of CutMix counted over valid content.

    See [cutmix_valid_lam][collate.functional.cutmix.cutmix_valid_lam]; ``None`` when no sample of
    the batch is cut. The lengths are checked on every batch.
    """
    if (
        not isinstance(lengths, Tensor)
        or lengths.shape != (n,)
        or lengths.dtype.is_floating_point
        or lengths.dtype.is_complex
        or lengths.dtype == torch.bool
    ):
        raise TypeError(
            f"{owner}: lengths field {key!r} must be an integer tensor of shape ({n},), got "
            f"{type(lengths).__name__} {getattr(lengths, 'dtype', '')} "
            f"{tuple(lengths.shape) if isinstance(lengths, Tensor) else ''}"
        )
    lens = lengths.tolist()
    t = int(shape[-1])
    for i, v in enumerate(lens):
        if not 0 <= v <= t:
            raise ValueError(
                f"{name(i)} has length {v} in field {key!r}, outside [0, {t}] (the size of the input's last axis)"
            )
    modes, boxes, lams = params["mode"], params["box"], params["lam"]
    perm = params["perm"]
    if isinstance(modes, str):  # one draw for the batch
        if modes != "cutmix":
            return None
        return [F.cutmix_valid_lam(boxes, cut_size, lens[i], lens[perm[i]]) for i in range(n)]
    if "cutmix" not in modes:
        return None
    return [
        F.cutmix_valid_lam(boxes[i], cut_size, lens[i], lens[perm[i]]) if m == "cutmix" else float(lams[i])
        for i, m in enumerate(modes)
    ]


def _all_finite(x: Tensor) -> bool:
    """Whether ``x`` holds no NaN or inf, in one summing pass (tens of times faster than ``isfinite``).

    A NaN or inf makes the sum non-finite. A sum of finite values that overflows (huge
    values) answers ``False`` too; the caller then checks with ``torch.isfinite``.
    Half-precision inputs are summed in float32.
    """
    s = x.sum(dtype=torch.float32) if x.dtype in (torch.float16, torch.bfloat16) else x.sum()
    return bool(torch.isfinite(s))


def _stacks_first(x: Tensor) -> bool:
    """Whether samples like ``x`` take the paths that begin with one ``torch.stack`` of all samples.

    These are small samples; torch.stack checks shapes and devices itself; the row-by-row paths for
    large samples check them up front (negligible next to the copy).
    """
    return not F.is_rowwise(x) and x.numel() * x.element_size() < F.CUT_ROW_BYTES


class MixUp(_MixCollate):
    """Collate with MixUp: ``x = lam * x_i + (1 - lam) * x_perm[i]``, ``lam ~ Beta(alpha, alpha)``.

    Pairing is a random derangement drawn per batch (every sample gets another
    one; see ``pairing``); any batch size works, and with ``B = 1`` the sample
    pairs with itself. MixUp is elementwise: any input layout comes back as given.

    Args:
        num_classes: number of classes ``K`` of the soft targets.
        alpha: Beta concentration, > 0 (default 0.8 like timm's ``mixup_alpha``).
        p: probability that the batch (or, with ``per_sample``, each sample) is
            mixed; an unmixed batch still gets soft targets. With a strength knob
            ``s`` (``"mix_strength"``, else ``"strength"``, in the batch's knobs)
            the probability is ``p * s``.
        label_smoothing: ``eps`` in [0, 1); targets become ``y * (1 - eps) + eps / K``
            before mixing. Use it here *or* in `CrossEntropyLoss`, not both.
        per_sample: one lambda per sample instead of one per batch.
        seed: salt for keyed draws and seed of the own generator for plain lists.
        input_key: position (tuple samples, default 0) or key (dict samples; see
            the module docstring for the default) of the input.
        target_key: position (tuple samples, default 1) or key (dict samples) of the target.
        base_collate: optional callable that turns the list of samples into a
            batch of the same structure with stacked tensors (e.g.
            [PadCollate][collate.pad.PadCollate]); mixing then acts on its output.
            MixUp blends the whole padded signals (padding zeros included) with
            the drawn lambda.
        pair_reduce: fields combined with the partner's for mixed samples,
            ``{field: "max" | "min" | "or" | "and"}`` (int positions for tuples).
            Default ``{"lengths": "max", "mask": "or", "attention_mask": "or"}``,
            plus a ``mix_pair_reduce`` mapping if ``base_collate`` declares one.
        return_params: also return the draw (plain data): dict samples get a
            ``"mix_params"`` key, tuples an extra last element ``{"mode", "lam",
            "perm", "box"}`` (lists when ``per_sample``).
        target_dtype: floating dtype of the soft targets.
        pairing: how partners are drawn per batch: ``"derangement"`` (default: a
            random permutation without fixed points, so at ``p=1`` every sample of a
            batch of two or more is mixed with another one), ``"permutation"`` (any
            random permutation; about one sample per batch is its own partner and
            stays unmixed, the pairing of earlier versions), ``"roll"`` (torchvision:
            sample ``i`` with ``i - 1``) or ``"flip"`` (timm: ``i`` with ``B - 1 - i``;
            the middle sample of an odd batch stays unmixed). A batch of one always
            pairs with itself. See [draw_pairing][collate.randomness.draw_pairing].
        check_finite: refuse inputs holding NaN or inf with an error naming the
            sample and its dataset index (mixing would spread them into the
            partner). Off by default: it reads the mixed batch once more (every
            input once more with per-sample CutMix).
        on_device: only draw here: the input comes out stacked but unmixed, the
            targets mixed, and the draw is returned as with ``return_params``; mix
            the input after moving it to the accelerator with
            [apply_mix][collate.functional.apply.apply_mix] ``(x, params)`` (the
            same result as mixing here; the workers skip the pixel work).

    Example:
        >>> import torch
        >>> batch = [(torch.rand(3, 8, 8), i % 3) for i in range(5)]
        >>> x, y = MixUp(num_classes=3, seed=1)(batch)
        >>> x.shape, y.dtype, bool(torch.allclose(y.sum(1), torch.ones(5)))
        (torch.Size([5, 3, 8, 8]), torch.float32, True)
    """

    _use_mixup, _use_cutmix = True, False

    def __init__(
        self,
        num_classes: int,
        alpha: float = 0.8,
        p: float = 1.0,
        label_smoothing: float = 0.0,
        per_sample: bool = False,
        *,
        seed: int | None = None,
        input_key: None | int | str = None,
        target_key: None | int | str = None,
        base_collate: Callable | None = None,
        pair_reduce: Mapping | None = None,
        return_params: bool = False,
        target_dtype: torch.dtype = torch.float32,
        pairing: str = "derangement",
        check_finite: bool = False,
        on_device: bool = False,
    ) -> None:
        self._setup(
            num_classes=num_classes,
            mixup_alpha=alpha,
            cutmix_alpha=None,
            switch_prob=0.0,
            p=p,
            label_smoothing=label_smoothing,
            per_sample=per_sample,
            seed=seed,
            input_key=input_key,
            target_key=target_key,
            base_collate=base_collate,
            pair_reduce=pair_reduce,
            return_params=return_params,
            target_dtype=target_dtype,
            cut_dims=None,
            pairing=pairing,
            check_finite=check_finite,
            on_device=on_device,
        )
        self.alpha = self._mixup_alpha


class CutMix(_MixCollate):
    """Collate with CutMix: a box of each sample is replaced by the same box of its partner.

    Boxes: H is dim -2 and W dim -1 for inputs with 3+ dims per sample (images
    ``(C, H, W)``, spectrograms ``(C, F, T)``); inputs ``(C, T)`` get a time
    segment on dim -1. Lambda is set to the exact kept fraction after clipping,
    and the targets use it. Only the boxes are copied after stacking.

    Padded batches: when ``base_collate`` reports valid lengths of the last
    axis (its ``mix_lengths_key`` field, e.g. `PadCollate`'s ``"lengths"``;
    samples for waveforms, frames for spectrograms ``(C, F, T)``), the labels
    follow the real content. Sample ``i`` keeps its valid cells outside the box
    and receives partner ``j``'s cells inside it; with
    ``w_own = |valid_i - box|`` and ``w_partner = |valid_j & box|`` (cells: box
    height times the valid frames it covers for 2-D boxes) the target is
    ``(w_own * y_i + w_partner * y_j) / (w_own + w_partner)``, or ``y_i`` when
    both are 0. The inputs are unchanged; ``return_params`` then reports these
    per-sample lambdas as a list (see
    [cutmix_valid_lam][collate.functional.cutmix.cutmix_valid_lam]).

    Args:
        num_classes: number of classes ``K`` of the soft targets.
        alpha: Beta concentration, > 0 (default 1.0).
        p: probability that the batch (or, with ``per_sample``, each sample) is
            mixed; an unmixed batch still gets soft targets. With a strength knob
            ``s`` (``"mix_strength"``, else ``"strength"``, in the batch's knobs)
            the probability is ``p * s``.
        label_smoothing: ``eps`` in [0, 1); targets become ``y * (1 - eps) + eps / K``
            before mixing. Use it here *or* in `CrossEntropyLoss`, not both.
        per_sample: one lambda (and box) per sample instead of one per batch.
        cut_dims: 2 (box on the last two dims) or 1 (segment on the last dim);
            default: 2 for inputs with 3+ dims per sample, 1 for 2-dim inputs.
        seed: salt for keyed draws and seed of the own generator for plain lists.
        input_key: position (tuple samples, default 0) or key (dict samples; see
            the module docstring for the default) of the input.
        target_key: position (tuple samples, default 1) or key (dict samples) of the target.
        base_collate: optional callable that turns the list of samples into a
            batch of the same structure with stacked tensors (e.g.
            [PadCollate][collate.pad.PadCollate]); mixing then acts on its output,
            and labels count valid content as described above.
        pair_reduce: fields combined with the partner's for mixed samples,
            ``{field: "max" | "min" | "or" | "and"}`` (int positions for tuples).
            Default ``{"lengths": "max", "mask": "or", "attention_mask": "or"}``,
            plus a ``mix_pair_reduce`` mapping if ``base_collate`` declares one.
        return_params: also return the draw (plain data): dict samples get a
            ``"mix_params"`` key, tuples an extra last element ``{"mode", "lam",
            "perm", "box"}`` (lists when ``per_sample``).
        target_dtype: floating dtype of the soft targets.
        pairing: how partners are drawn per batch: ``"derangement"`` (default: a
            random permutation without fixed points, so at ``p=1`` every sample of a
            batch of two or more is mixed with another one), ``"permutation"`` (any
            random permutation; about one sample per batch is its own partner and
            stays unmixed, the pairing of earlier versions), ``"roll"`` (torchvision:
            sample ``i`` with ``i - 1``) or ``"flip"`` (timm: ``i`` with ``B - 1 - i``;
            the middle sample of an odd batch stays unmixed). A batch of one always
            pairs with itself. See [draw_pairing][collate.randomness.draw_pairing].
        check_finite: refuse inputs holding NaN or inf with an error naming the
            sample and its dataset index (mixing would spread them into the
            partner). Off by default: it reads the mixed batch once more (every
            input once more with per-sample CutMix).
        on_device: only draw here: the input comes out stacked but unmixed, the
            targets mixed, and the draw is returned as with ``return_params``; mix
            the input after moving it to the accelerator with
            [apply_mix][collate.functional.apply.apply_mix] ``(x, params)`` (the
            same result as mixing here; the workers skip the pixel work).
        layout: where the box goes on 3-D inputs: ``"CHW"`` (channels first: the box
            on the last two dims) or ``"HWC"`` (channels last, e.g. the numpy arrays
            ``Albumentations(to_tensor=False)`` returns: the box on the first two
            dims, the output stays ``(B, H, W, C)``). ``None`` (default) follows the
            rule of [loaders.layout][loaders.layout]: tensors are CHW, numpy arrays
            HWC (with 1, 3 or 4 channels; other arrays need an explicit layout), and
            a default contradicted by the shape (a ``(32, 32, 3)`` tensor) raises
            with the fix. 2-D inputs ``(C, T)`` and inputs with 4+ dims have no layout.

    Example:
        >>> import torch
        >>> batch = [(torch.rand(1, 6, 10), i) for i in range(3)]
        >>> x, y, params = CutMix(num_classes=3, seed=0, return_params=True)(batch)
        >>> params["mode"], len(params["box"])
        ('cutmix', 4)
    """

    _use_mixup, _use_cutmix = False, True

    def __init__(
        self,
        num_classes: int,
        alpha: float = 1.0,
        p: float = 1.0,
        label_smoothing: float = 0.0,
        per_sample: bool = False,
        *,
        cut_dims: int | None = None,
        seed: int | None = None,
        input_key: None | int | str = None,
        target_key: None | int | str = None,
        base_collate: Callable | None = None,
        pair_reduce: Mapping | None = None,
        return_params: bool = False,
        target_dtype: torch.dtype = torch.float32,
        pairing: str = "derangement",
        check_finite: bool = False,
        on_device: bool = False,
        layout: str | None = None,
    ) -> None:
        self._setup(
            num_classes=num_classes,
            mixup_alpha=None,
            cutmix_alpha=alpha,
            switch_prob=1.0,
            p=p,
            label_smoothing=label_smoothing,
            per_sample=per_sample,
            seed=seed,
            input_key=input_key,
            target_key=target_key,
            base_collate=base_collate,
            pair_reduce=pair_reduce,
            return_params=return_params,
            target_dtype=target_dtype,
            cut_dims=cut_dims,
            pairing=pairing,
            check_finite=check_finite,
            on_device=on_device,
            layout=layout,
        )
        self.alpha = self._cutmix_alpha


class MixUpOrCutMix(_MixCollate):
    """Collate that applies MixUp or CutMix (CutMix with probability ``switch_prob``).

    Per batch by default (one choice, one lambda); with ``per_sample=True``
    each sample gets its own choice, lambda and box, all with the same pairing.
    MixUp and CutMix work as in [MixUp][collate.mix.MixUp] and [CutMix][collate.mix.CutMix].

    Args:
        num_classes: number of classes ``K`` of the soft targets.
        mixup_alpha: Beta concentration for MixUp, > 0 (default 0.8).
        cutmix_alpha: Beta concentration for CutMix, > 0 (default 1.0).
        switch_prob: probability of CutMix instead of MixUp when mixing, in [0, 1].
        p: probability that the batch (or, with ``per_sample``, each sample) is
            mixed; an unmixed batch still gets soft targets. With a strength knob
            ``s`` (``"mix_strength"``, else ``"strength"``, in the batch's knobs)
            the probability is ``p * s``.
        label_smoothing: ``eps`` in [0, 1); targets become ``y * (1 - eps) + eps / K``
            before mixing. Use it here *or* in `CrossEntropyLoss`, not both.
        per_sample: one choice, lambda and box per sample instead of one per batch.
        cut_dims: as in [CutMix][collate.mix.CutMix].
        seed: salt for keyed draws and seed of the own generator for plain lists.
        input_key: position (tuple samples, default 0) or key (dict samples; see
            the module docstring for the default) of the input.
        target_key: position (tuple samples, default 1) or key (dict samples) of the target.
        base_collate: optional callable that turns the list of samples into a
            batch of the same structure with stacked tensors (e.g.
            [PadCollate][collate.pad.PadCollate]); label weighting over valid
            lengths as in [CutMix][collate.mix.CutMix].
        pair_reduce: fields combined with the partner's for mixed samples,
            ``{field: "max" | "min" | "or" | "and"}`` (int positions for tuples).
            Default ``{"lengths": "max", "mask": "or", "attention_mask": "or"}``,
            plus a ``mix_pair_reduce`` mapping if ``base_collate`` declares one.
        return_params: also return the draw (plain data): dict samples get a
            ``"mix_params"`` key, tuples an extra last element ``{"mode", "lam",
            "perm", "box"}`` (lists when ``per_sample``).
        target_dtype: floating dtype of the soft targets.
        pairing: how partners are drawn per batch: ``"derangement"`` (default: a
            random permutation without fixed points, so at ``p=1`` every sample of a
            batch of two or more is mixed with another one), ``"permutation"`` (any
            random permutation; about one sample per batch is its own partner and
            stays unmixed, the pairing of earlier versions), ``"roll"`` (torchvision:
            sample ``i`` with ``i - 1``) or ``"flip"`` (timm: ``i`` with ``B - 1 - i``;
            the middle sample of an odd batch stays unmixed). A batch of one always
            pairs with itself. See [draw_pairing][collate.randomness.draw_pairing].
        check_finite: refuse inputs holding NaN or inf with an error naming the
            sample and its dataset index (mixing would spread them into the
            partner). Off by default: it reads the mixed batch once more (every
            input once more with per-sample CutMix).
        on_device: only draw here: the input comes out stacked but unmixed, the
            targets mixed, and the draw is returned as with ``return_params``; mix
            the input after moving it to the accelerator with
            [apply_mix][collate.functional.apply.apply_mix] ``(x, params)`` (the
            same result as mixing here; the workers skip the pixel work).
        layout: where the box goes on 3-D inputs: ``"CHW"`` (channels first: the box
            on the last two dims) or ``"HWC"`` (channels last, e.g. the numpy arrays
            ``Albumentations(to_tensor=False)`` returns: the box on the first two
            dims, the output stays ``(B, H, W, C)``). ``None`` (default) follows the
            rule of [loaders.layout][loaders.layout]: tensors are CHW, numpy arrays
            HWC (with 1, 3 or 4 channels; other arrays need an explicit layout), and
            a default contradicted by the shape (a ``(32, 32, 3)`` tensor) raises
            with the fix. 2-D inputs ``(C, T)`` and inputs with 4+ dims have no layout.

    Example:
        >>> import torch
        >>> batch = [{"image": torch.rand(3, 4, 4), "label": i} for i in range(3)]
        >>> out = MixUpOrCutMix(num_classes=3, seed=0)(batch)
        >>> sorted(out), tuple(out["label"].shape)
        (['image', 'label'], (3, 3))
    """

    _use_mixup, _use_cutmix = True, True

    def __init__(
        self,
        num_classes: int,
        mixup_alpha: float = 0.8,
        cutmix_alpha: float = 1.0,
        switch_prob: float = 0.5,
        p: float = 1.0,
        label_smoothing: float = 0.0,
        per_sample: bool = False,
        *,
        cut_dims: int | None = None,
        seed: int | None = None,
        input_key: None | int | str = None,
        target_key: None | int | str = None,
        base_collate: Callable | None = None,
        pair_reduce: Mapping | None = None,
        return_params: bool = False,
        target_dtype: torch.dtype = torch.float32,
        pairing: str = "derangement",
        check_finite: bool = False,
        on_device: bool = False,
        layout: str | None = None,
    ) -> None:
        self._setup(
            num_classes=num_classes,
            mixup_alpha=mixup_alpha,
            cutmix_alpha=cutmix_alpha,
            switch_prob=switch_prob,
            p=p,
            label_smoothing=label_smoothing,
            per_sample=per_sample,
            seed=seed,
            input_key=input_key,
            target_key=target_key,
            base_collate=base_collate,
            pair_reduce=pair_reduce,
            return_params=return_params,
            target_dtype=target_dtype,
            cut_dims=cut_dims,
            pairing=pairing,
            check_finite=check_finite,
            on_device=on_device,
            layout=layout,
        )
        self.mixup_alpha = self._mixup_alpha
        self.cutmix_alpha = self._cutmix_alpha
        self.switch_prob = self._switch_prob
