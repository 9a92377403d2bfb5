"""MixUp, CutMix and MixUpOrCutMix as DataLoader ``collate_fn`` objects.

Each collate takes the list of samples a ``DataLoader`` hands its ``collate_fn``
and returns the same structure, with the inputs stacked *and* mixed in one pass
and the targets replaced by float soft targets ``(B, num_classes)`` whose rows
sum to 1, ready for the stock ``nn.CrossEntropyLoss()``.

Samples:
    * tuples/lists ``(input, target, *extra)``: ``input_key``/``target_key`` are
      positions (default 0 and 1);
    * dicts: ``input_key``/``target_key`` are keys. When not given, the input is
      the one key present among ``"input"``, ``"image"``, ``"img"``,
      ``"pixel_values"`` and the target the one among ``"target"``, ``"label"``,
      ``"labels"``; if none or several are present the collate raises and asks
      for the keys (it never guesses between candidates).

Other fields are collated with ``default_collate`` (or by ``base_collate``) and
pass through; fields named in ``pair_reduce`` are combined with the partner's
value for the mixed samples (``lengths`` -> max, masks -> or). With a base
collate that declares ``mix_lengths_key`` (PadCollate), CutMix labels count
valid content only, not padding (see :class:`CutMix`).

Randomness: a batch that carries keys (:class:`loaders.keys.KeyedBatch`, as
``AugmentedDataset`` returns) draws from ``batch_rng(batch.keys, salt=seed or 0)``,
so the draw depends only on the batch (not on the worker). A plain list draws
from the collate's own generator, created lazily in each process from
``(seed, worker id, worker seed)``, so no two workers repeat each other.

Example:
    >>> import torch
    >>> batch = [(torch.full((3, 4, 5), float(i)), i) for i in range(4)]
    >>> images, targets = MixUp(num_classes=4, seed=0)(batch)
    >>> images.shape, targets.shape, bool(torch.allclose(targets.sum(1), torch.ones(4)))
    (torch.Size([4, 3, 4, 5]), torch.Size([4, 4]), True)
"""

from __future__ import annotations

import inspect
import numbers
import os
import threading
from collections.abc import Mapping
from operator import itemgetter
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import default_collate, get_worker_info

from loaders.validation import check_callable, check_int, check_number, check_probability, check_seed
from loaders.keys import COLLATE_STREAM, KeyedBatch, batch_rng

from . import functional as F

__all__ = ["MixUp", "CutMix", "MixUpOrCutMix", "DEFAULT_PAIR_REDUCE", "INPUT_KEYS", "TARGET_KEYS"]

#: Fields combined with the partner's value for mixed samples (name -> "max"/"min"/"or"/"and").
DEFAULT_PAIR_REDUCE: Dict[Union[str, int], str] = {"lengths": "max", "mask": "or", "attention_mask": "or"}
#: Dict keys accepted as the input when ``input_key`` is not given (exactly one must be present).
INPUT_KEYS = ("input", "image", "img", "pixel_values")
#: Dict keys accepted as the target when ``target_key`` is not given (exactly one must be present).
TARGET_KEYS = ("target", "label", "labels")
_MODES = ("mixup", "cutmix", "none")


def _check_key(name: str, value: Any, owner: str) -> Union[None, int, str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{owner}: {name} must be None, an int position or a str key, got {value!r}")


class _MixCollate:
    """Shared engine: validation, keyed draws, structure handling. Not public."""

    _use_mixup = True
    _use_cutmix = False

    def _setup(self, *, num_classes, mixup_alpha, cutmix_alpha, switch_prob, p, label_smoothing, per_sample,
               seed, input_key, target_key, base_collate, pair_reduce, return_params, target_dtype, cut_dims):
        owner = type(self).__name__
        self.num_classes = check_int("num_classes", num_classes, low=1, owner=owner)
        if self._use_mixup:
            self._mixup_alpha = check_number("alpha" if not self._use_cutmix else "mixup_alpha", mixup_alpha,
                                             low=0.0, low_inclusive=False, owner=owner)
        if self._use_cutmix:
            self._cutmix_alpha = check_number("alpha" if not self._use_mixup else "cutmix_alpha", cutmix_alpha,
                                              low=0.0, low_inclusive=False, owner=owner)
        self._switch_prob = check_probability("switch_prob", switch_prob, owner=owner)
        self.p = check_probability("p", p, owner=owner)
        self.label_smoothing = check_number("label_smoothing", label_smoothing, low=0.0, high=1.0,
                                            high_inclusive=False, owner=owner)
        if not isinstance(per_sample, bool):
            raise TypeError(f"{owner}: per_sample must be a bool, got {per_sample!r}")
        self.per_sample = per_sample
        self.seed = check_seed("seed", seed, owner=owner)
        self.input_key = _check_key("input_key", input_key, owner)
        self.target_key = _check_key("target_key", target_key, owner)
        if self.input_key is not None and self.input_key == self.target_key:
            raise ValueError(f"{owner}: input_key and target_key must differ, both are {input_key!r}")
        self.base_collate = check_callable("base_collate", base_collate, owner=owner, allow_none=True)
        if pair_reduce is None:
            self.pair_reduce = None
        else:
            if not isinstance(pair_reduce, Mapping):
                raise TypeError(f"{owner}: pair_reduce must be a mapping field -> 'max'/'min'/'or'/'and', "
                                f"got {pair_reduce!r}")
            for k, v in pair_reduce.items():
                _check_key("pair_reduce key", k, owner)
                if v not in F._REDUCERS:
                    raise ValueError(f"{owner}: pair_reduce[{k!r}] must be one of {sorted(F._REDUCERS)}, got {v!r}")
            self.pair_reduce = dict(pair_reduce)
        if not isinstance(return_params, bool):
            raise TypeError(f"{owner}: return_params must be a bool, got {return_params!r}")
        self.return_params = return_params
        if not (isinstance(target_dtype, torch.dtype) and target_dtype.is_floating_point):
            raise TypeError(f"{owner}: target_dtype must be a floating torch.dtype, got {target_dtype!r}")
        self.target_dtype = target_dtype
        if cut_dims is not None:
            cut_dims = check_int("cut_dims", cut_dims, low=1, high=2, owner=owner)
        self.cut_dims = cut_dims
        self._rng: Optional[np.random.Generator] = None
        self._pid: Optional[int] = None
        self._tls: Optional[threading.local] = None

    # ------------------------------------------------------------------ plumbing
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_rng"] = None  # a generator must never be copied into another process
        state["_pid"] = None
        state["_tls"] = None  # per-thread scratch buffers stay in their process
        return state

    def __repr__(self) -> str:
        parts = []
        for name in inspect.signature(type(self).__init__).parameters:
            if name == "self":
                continue
            parts.append(f"{name}={getattr(self, name)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _generator(self, batch: Sequence[Any]) -> np.random.Generator:
        if isinstance(batch, KeyedBatch):
            if len(batch.indices) != len(batch):
                raise ValueError(f"{type(self).__name__}: KeyedBatch has {len(batch)} samples but "
                                 f"{len(batch.indices)} indices")
            return batch_rng(batch.keys, salt=self.seed or 0)
        pid = os.getpid()
        if self._rng is None or self._pid != pid:
            info = get_worker_info()
            if self.seed is None:
                self._rng = np.random.default_rng()
            elif info is None:
                self._rng = np.random.default_rng([COLLATE_STREAM, self.seed])
            else:
                # the worker seed changes every epoch for non-persistent workers (and is
                # reproducible under torch.manual_seed), the id separates the workers
                self._rng = np.random.default_rng([COLLATE_STREAM, self.seed, info.id, info.seed])
            self._pid = pid
        return self._rng

    def _strength(self, batch: Sequence[Any]) -> float:
        if not isinstance(batch, KeyedBatch):
            return 1.0
        knobs = batch.knobs
        s = knobs.get("mix_strength", knobs.get("strength", 1.0))
        return check_number("mix_strength knob", s, low=0.0, high=1.0, owner=type(self).__name__)

    def _keys(self, sample: Any, index: int) -> Tuple[Any, Any, str]:
        owner = type(self).__name__
        if isinstance(sample, Mapping):
            keys = []
            for name, given, candidates in (("input_key", self.input_key, INPUT_KEYS),
                                            ("target_key", self.target_key, TARGET_KEYS)):
                if given is None:
                    found = [k for k in candidates if k in sample]
                    if len(found) != 1:
                        raise ValueError(
                            f"{owner}: cannot tell the {name[:-4]} of dict sample {index} with keys "
                            f"{sorted(map(str, sample))}: {'none' if not found else 'several'} of {list(candidates)} "
                            f"present; pass {name}= explicitly"
                        )
                    given = found[0]
                elif not isinstance(given, str) or given not in sample:
                    raise ValueError(f"{owner}: {name}={given!r} is not a key of dict sample {index} "
                                     f"(keys: {sorted(map(str, sample))})")
                keys.append(given)
            return keys[0], keys[1], "map"
        if isinstance(sample, (tuple, list)):
            ik = 0 if self.input_key is None else self.input_key
            tk = 1 if self.target_key is None else self.target_key
            for name, k in (("input_key", ik), ("target_key", tk)):
                if not isinstance(k, int):
                    raise TypeError(f"{owner}: {name}={k!r} is a str but sample {index} is a "
                                    f"{type(sample).__name__}; use an int position for tuple samples")
                if not -len(sample) <= k < len(sample):
                    raise ValueError(f"{owner}: {name}={k} is out of range for sample {index} of length "
                                     f"{len(sample)}")
            ik, tk = ik % len(sample), tk % len(sample)
            if ik == tk:
                raise ValueError(f"{owner}: input_key and target_key point to the same position {ik}")
            return ik, tk, "seq"
        raise TypeError(f"{owner}: sample {index} must be a tuple/list (input, target, ...) or a dict, "
                        f"got {type(sample).__name__}")

    # ------------------------------------------------------------------ draws
    def _cut_size(self, shape: torch.Size) -> Tuple[int, ...]:
        owner = type(self).__name__
        dims = self.cut_dims
        if dims is None:
            if len(shape) < 2:
                raise ValueError(
                    f"{owner}: CutMix needs inputs of shape (C, T) (1-D signals) or (C, H, W) (images, "
                    f"spectrograms) per sample, got shape {tuple(shape)}; pass cut_dims=1 for channel-less signals"
                )
            dims = 2 if len(shape) >= 3 else 1
        if len(shape) < dims:
            raise ValueError(f"{owner}: cut_dims={dims} needs inputs with at least {dims} dims per sample, "
                             f"got shape {tuple(shape)}")
        return tuple(int(n) for n in shape[-dims:])

    def _draw(self, rng: np.random.Generator, n: int, strength: float,
              shape: torch.Size) -> Tuple[Dict[str, Any], np.ndarray]:
        """Draw the batch's parameters (plain data) in a fixed order; also the permutation as an array."""
        p = self.p * strength
        both = self._use_mixup and self._use_cutmix
        cut_size = self._cut_size(shape) if self._use_cutmix else ()
        size = n if self.per_sample else None
        apply = rng.random(size) < p
        if both:
            use_cut = rng.random(size) < self._switch_prob
        elif size:
            use_cut = np.full(n, self._use_cutmix)
        else:
            use_cut = self._use_cutmix
        lam_mix = rng.beta(self._mixup_alpha, self._mixup_alpha, size) if self._use_mixup else None
        lam_cut = rng.beta(self._cutmix_alpha, self._cutmix_alpha, size) if self._use_cutmix else None
        perm_arr = rng.permutation(n)
        perm = perm_arr.tolist()  # plain Python ints for logging
        u = rng.random((n if size else 1, len(cut_size))) if self._use_cutmix else None

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
                m, lam, box = one(k, bool(apply[k]), bool(use_cut[k]),
                                  None if lam_mix is None else lam_mix[k], None if lam_cut is None else lam_cut[k])
                modes.append(m)
                lams.append(lam)
                boxes.append(box)
            return {"mode": modes, "lam": lams, "perm": perm, "box": boxes}, perm_arr
        m, lam, box = one(0, bool(apply), bool(use_cut), lam_mix, lam_cut)
        return {"mode": m, "lam": lam, "perm": perm, "box": box}, perm_arr

    # ------------------------------------------------------------------ call
    def __call__(self, batch: Sequence[Any]) -> Any:
        owner = type(self).__name__
        if not isinstance(batch, list) and (not isinstance(batch, Sequence) or isinstance(batch, (str, bytes))):
            raise TypeError(f"{owner}: expected the list of samples a DataLoader hands collate_fn, "
                            f"got {type(batch).__name__}")
        n = len(batch)
        if n == 0:
            raise ValueError(f"{owner}: got an empty batch (0 samples); a batch needs at least one sample")
        first = batch[0]
        ikey, tkey, kind = self._keys(first, 0)
        same_type = len(set(map(type, batch))) == 1
        if kind == "map":
            fields = list(first.keys())
            if not same_type or any(s.keys() != first.keys() for s in batch):
                for i, s in enumerate(batch):
                    if not isinstance(s, Mapping) or s.keys() != first.keys():
                        got = sorted(map(str, s)) if isinstance(s, Mapping) else type(s).__name__
                        raise ValueError(f"{owner}: sample {i} has keys {got}, expected the keys of sample 0 "
                                         f"{sorted(map(str, fields))}")
        else:
            fields = list(range(len(first)))
            if not same_type or len(set(map(len, batch))) != 1:
                for i, s in enumerate(batch):
                    if not isinstance(s, (tuple, list)) or len(s) != len(first):
                        raise ValueError(f"{owner}: sample {i} is {type(s).__name__} of length "
                                         f"{len(s) if hasattr(s, '__len__') else '?'}, expected length {len(first)} "
                                         f"like sample 0")
        rng = self._generator(batch)
        strength = self._strength(batch)
        samples = list(batch)

        if self.base_collate is None:
            # shapes and devices of small samples are checked by torch.stack itself (see _mix)
            rows = F.as_tensor_inputs(list(map(itemgetter(ikey), samples)), owner=owner, check_shapes=False)
            if not _stacks_first(rows[0]):
                F.check_same_shape(rows, owner=owner)
            targets: Any = list(map(itemgetter(tkey), samples))
            collated: Dict[Any, Any] = {k: default_collate([s[k] for s in samples]) for k in fields
                                        if k != ikey and k != tkey}
            stacked = None
        else:
            out = self.base_collate(batch)  # a KeyedBatch keeps its keys for the base collate
            if kind == "map":
                if not isinstance(out, Mapping):
                    raise TypeError(f"{owner}: base_collate returned {type(out).__name__} for dict samples; "
                                    f"it must return a dict")
                fields = list(out.keys())
            else:
                if not isinstance(out, (tuple, list)):
                    raise TypeError(f"{owner}: base_collate returned {type(out).__name__} for tuple samples; "
                                    f"it must return a tuple/list")
                fields = list(range(len(out)))
            stacked = out[ikey]
            if not isinstance(stacked, Tensor) or stacked.ndim < 1 or stacked.shape[0] != n:
                raise ValueError(f"{owner}: base_collate must return the input {ikey!r} as a tensor with batch "
                                 f"size {n}, got {type(stacked).__name__} "
                                 f"{tuple(stacked.shape) if isinstance(stacked, Tensor) else ''}")
            rows = list(stacked.unbind(0))
            targets = out[tkey]
            collated = {k: out[k] for k in fields if k != ikey and k != tkey}

        params, perm_arr = self._draw(rng, n, strength, rows[0].shape)
        target_lam = None
        if self.base_collate is not None and self._use_cutmix:
            lkey = _lengths_field(self.base_collate, collated, ikey, tkey)
            if lkey is not None:
                target_lam = _valid_lams(params, collated[lkey], lkey, rows[0].shape, self._cut_size(rows[0].shape),
                                         n, owner)
        x, y, mixed = self._mix(rows, stacked, targets, params, perm_arr, owner, target_lam)
        if target_lam is not None:
            params["lam"] = target_lam
        any_mixed = mixed is True or (isinstance(mixed, list) and True in mixed)

        reduce = dict(getattr(self.base_collate, "mix_pair_reduce", None) or {})
        reduce.update(DEFAULT_PAIR_REDUCE if self.pair_reduce is None else self.pair_reduce)
        if any_mixed:
            for k, how in reduce.items():
                if k in collated and k != ikey and k != tkey:
                    if mixed is True:  # one draw for the batch: every sample whose partner is another one
                        mixed = (perm_arr != np.arange(n)).tolist()
                    v = collated[k]
                    if not isinstance(v, Tensor) or v.ndim < 1 or v.shape[0] != n:
                        raise TypeError(f"{owner}: pair_reduce field {k!r} must be a tensor with batch size {n}, "
                                        f"got {type(v).__name__}")
                    collated[k] = F.pair_reduce(v, params["perm"], mixed, how)
        collated[ikey] = x
        collated[tkey] = y
        if kind == "map":
            result = {k: collated[k] for k in fields}
            if self.return_params:
                if "mix_params" in result:
                    raise ValueError(f"{owner}: samples already have a 'mix_params' field; return_params=True "
                                     f"cannot add it")
                result["mix_params"] = params
            return result
        values = [collated[k] for k in fields]
        if self.return_params:
            return tuple(values) + (params,)
        if isinstance(first, list):
            return values
        if hasattr(first, "_fields") and len(values) == len(first):
            return type(first)(*values)  # namedtuple samples come back as the same namedtuple
        return tuple(values)

    def _mix(self, rows: List[Tensor], stacked: Optional[Tensor], targets: Any, params: Dict[str, Any],
             perm_arr: np.ndarray, owner: str,
             target_lam: Optional[List[float]] = None) -> Tuple[Tensor, Tensor, Union[bool, List[bool]]]:
        n = len(rows)
        perm = params["perm"]
        if self.per_sample:
            modes, lams, boxes = params["mode"], params["lam"], params["box"]
            mixed = [m != "none" and lam < 1.0 and perm[i] != i for i, (m, lam) in enumerate(zip(modes, lams))]
            kinds = set(modes)
            lam_arg: Any = lams
        else:
            mode, lam_arg = params["mode"], params["lam"]
            # True: mixed wherever perm[i] != i (the list is built only if a pair_reduce field needs it)
            mixed = mode != "none" and lam_arg < 1.0 and perm != list(range(n))
            kinds = {mode}
        any_mixed = mixed is True or (isinstance(mixed, list) and True in mixed)
        # labels weighted by valid content (see _valid_lams) when lengths are known; the inputs use the draw
        tlam = lam_arg if target_lam is None else target_lam
        # targets
        idx = F.int_targets(targets, self.num_classes, owner=owner)
        if idx is not None:
            if idx.shape[0] != n:
                raise ValueError(f"{owner}: got {idx.shape[0]} targets for {n} inputs")
            y = F.mixed_one_hot(idx, self.num_classes, perm_arr if any_mixed else None, tlam,
                                label_smoothing=self.label_smoothing, dtype=self.target_dtype)
        else:
            y = F.soft_targets(targets, self.num_classes, label_smoothing=self.label_smoothing,
                               dtype=self.target_dtype, owner=owner)
            if y.shape[0] != n:
                raise ValueError(f"{owner}: got {y.shape[0]} targets for {n} inputs")
            if any_mixed:
                y = F.mix_targets(y, perm, tlam)
        # inputs
        any_mix, any_cut = "mixup" in kinds, "cutmix" in kinds
        dtype = rows[0].dtype
        if any_mix and not (dtype.is_floating_point or dtype in F._INT_DTYPES):
            raise TypeError(f"{owner}: MixUp cannot mix inputs of dtype {dtype}; use float or integer inputs")
        out = F.empty_batch(rows[0], n)
        perm_t = torch.from_numpy(perm_arr) if perm_arr.dtype == np.int64 else None
        if perm_t is not None and out.device.type != "cpu":
            perm_t = perm_t.to(out.device)
        scratch = self._scratch(out) if any_mixed and _stacks_first(rows[0]) else None
        try:
            if not self.per_sample:
                if any_mix:
                    F._mixup_into(out, rows, perm, float(lam_arg), perm_t, scratch)
                elif any_cut:
                    F._stack_cutmix(rows, perm, params["box"], out=out, perm_t=perm_t, scratch=scratch)
                else:
                    F.stack(rows, out=out)
                return out, y, mixed
            cut_boxes = [b if m == "cutmix" else None for m, b in zip(modes, boxes)]
            if any_mix:
                F._mixup_into(out, rows, perm, [lam if m == "mixup" else 1.0 for m, lam in zip(modes, lams)], perm_t,
                              scratch)
                if any_cut:
                    F._cutmix_into(out, rows, perm, cut_boxes, out_is_stack=False)
            elif any_cut:
                F._stack_cutmix(rows, perm, cut_boxes, out=out, perm_t=perm_t, scratch=scratch)
            else:
                F.stack(rows, out=out)
        except RuntimeError as e:  # torch.stack rejected mismatched shapes/devices: name the sample
            try:
                F.check_same_shape(rows, owner=owner)
            except (ValueError, TypeError) as err:
                raise err from e
            raise
        return out, y, mixed


    def _scratch(self, out: Tensor) -> Optional[Tensor]:
        """A flat buffer like ``out`` for the partner rows of small samples, kept per thread and
        reused from batch to batch (at most ``functional.CHUNK_BYTES``; dropped when pickled)."""
        if out.numel() * out.element_size() > F.SCRATCH_BYTES:
            return None
        tls = self._tls
        if tls is None:
            tls = self._tls = threading.local()
        buf = getattr(tls, "buf", None)
        if buf is None or buf.dtype != out.dtype or buf.device != out.device or buf.numel() < out.numel():
            buf = tls.buf = torch.empty(out.numel(), dtype=out.dtype, device=out.device)
        return buf


def _lengths_field(base_collate: Callable, collated: Dict[Any, Any], ikey: Any, tkey: Any) -> Any:
    """The field of ``base_collate``'s output holding the per-sample valid lengths of the input's
    last axis, as declared by its ``mix_lengths_key`` (a key, an int position, or a tuple of
    candidates, the first one present wins; e.g. :class:`collate.PadCollate`); ``None`` if none."""
    hint = getattr(base_collate, "mix_lengths_key", None)
    if hint is None:
        return None
    for k in (hint if isinstance(hint, (tuple, list)) else (hint,)):
        if k in collated and k != ikey and k != tkey:
            return k
    return None


def _valid_lams(params: Dict[str, Any], lengths: Any, key: Any, shape: torch.Size, cut_size: Tuple[int, ...],
                n: int, owner: str) -> Optional[List[float]]:
    """Per-sample label weights of CutMix counted over valid content (``F.cutmix_valid_lam``);
    ``None`` when no sample of the batch is cut. The lengths are checked on every batch."""
    if not isinstance(lengths, Tensor) or lengths.shape != (n,) or lengths.dtype.is_floating_point \
            or lengths.dtype.is_complex or lengths.dtype == torch.bool:
        raise TypeError(f"{owner}: lengths field {key!r} must be an integer tensor of shape ({n},), got "
                        f"{type(lengths).__name__} {getattr(lengths, 'dtype', '')} "
                        f"{tuple(lengths.shape) if isinstance(lengths, Tensor) else ''}")
    lens = lengths.tolist()
    t = int(shape[-1])
    for i, v in enumerate(lens):
        if not 0 <= v <= t:
            raise ValueError(f"{owner}: sample {i} has length {v} in field {key!r}, outside [0, {t}] "
                             f"(the size of the input's last axis)")
    modes, boxes, lams = params["mode"], params["box"], params["lam"]
    perm = params["perm"]
    if isinstance(modes, str):  # one draw for the batch
        if modes != "cutmix":
            return None
        return [F.cutmix_valid_lam(boxes, cut_size, lens[i], lens[perm[i]]) for i in range(n)]
    if "cutmix" not in modes:
        return None
    return [F.cutmix_valid_lam(boxes[i], cut_size, lens[i], lens[perm[i]]) if m == "cutmix" else float(lams[i])
            for i, m in enumerate(modes)]


def _stacks_first(x: Tensor) -> bool:
    """Whether samples like ``x`` take the paths that begin with one ``torch.stack`` of all
    samples (small samples), which checks shapes and devices itself; the row-by-row paths for
    large samples check them up front (negligible next to the copy)."""
    return not F._rowwise(x) and x.numel() * x.element_size() < F.CUT_ROW_BYTES


_COMMON_DOC = """
        num_classes: number of classes ``K`` of the soft targets.
        p: probability that the batch (or, with ``per_sample``, each sample) is
            mixed; an unmixed batch still gets soft targets. With a strength knob
            ``s`` (``"mix_strength"``, else ``"strength"``, in the batch's knobs)
            the probability is ``p * s``.
        label_smoothing: ``eps`` in [0, 1); targets become ``y * (1 - eps) + eps / K``
            before mixing. Use it here *or* in ``CrossEntropyLoss``, not both.
        per_sample: one lambda (and box) per sample instead of one per batch.
        seed: salt for keyed draws and seed of the own generator for plain lists.
        input_key, target_key: positions (tuple samples, default 0 and 1) or keys
            (dict samples; see the module docstring for the defaults).
        base_collate: optional callable that turns the list of samples into a
            batch of the same structure with stacked tensors (e.g.
            ``collate.PadCollate``); mixing then acts on its output. If it
            declares ``mix_lengths_key`` (PadCollate does) and its output has
            that field, CutMix weights the labels by valid (unpadded) content
            along the last axis: see :class:`CutMix`. MixUp blends the whole
            padded signals (padding zeros included) with the drawn lambda.
        pair_reduce: fields combined with the partner's for mixed samples,
            ``{field: "max" | "min" | "or" | "and"}`` (int positions for tuples).
            Default ``{"lengths": "max", "mask": "or", "attention_mask": "or"}``,
            plus a ``mix_pair_reduce`` mapping if ``base_collate`` declares one.
        return_params: also return the draw (plain data): dict samples get a
            ``"mix_params"`` key, tuples an extra last element ``{"mode", "lam",
            "perm", "box"}`` (lists when ``per_sample``).
        target_dtype: floating dtype of the soft targets.
"""


class MixUp(_MixCollate):
    """Collate with MixUp: ``x = lam * x_i + (1 - lam) * x_perm[i]``, ``lam ~ Beta(alpha, alpha)``.

    Pairing is a random permutation drawn per batch (torchvision pairs each
    sample with its neighbour, timm with the mirrored one and needs an even
    batch); any batch size works, and with ``B = 1`` the sample pairs with itself.

    Args:
        alpha: Beta concentration, > 0 (default 0.8 like timm's ``mixup_alpha``).
    """ + _COMMON_DOC + """
    Example:
        >>> import torch
        >>> batch = [(torch.rand(3, 8, 8), i % 3) for i in range(5)]
        >>> x, y = MixUp(num_classes=3, seed=1)(batch)
        >>> x.shape, y.dtype, bool(torch.allclose(y.sum(1), torch.ones(5)))
        (torch.Size([5, 3, 8, 8]), torch.float32, True)
    """

    _use_mixup, _use_cutmix = True, False

    def __init__(self, num_classes: int, alpha: float = 0.8, p: float = 1.0, label_smoothing: float = 0.0,
                 per_sample: bool = False, *, seed: Optional[int] = None, input_key: Union[None, int, str] = None,
                 target_key: Union[None, int, str] = None, base_collate: Optional[Callable] = None,
                 pair_reduce: Optional[Mapping] = None, return_params: bool = False,
                 target_dtype: torch.dtype = torch.float32) -> None:
        self._setup(num_classes=num_classes, mixup_alpha=alpha, cutmix_alpha=None, switch_prob=0.0, p=p,
                    label_smoothing=label_smoothing, per_sample=per_sample, seed=seed, input_key=input_key,
                    target_key=target_key, base_collate=base_collate, pair_reduce=pair_reduce,
                    return_params=return_params, target_dtype=target_dtype, cut_dims=None)
        self.alpha = self._mixup_alpha

    @classmethod
    def _harness_examples(cls):
        return _examples(cls)

    @classmethod
    def _harness_bad_args(cls):
        return _bad_args() + [{"num_classes": 3, "alpha": 0.0}, {"num_classes": 3, "alpha": -1.0}]


class CutMix(_MixCollate):
    """Collate with CutMix: a box of each sample is replaced by the same box of its partner.

    Boxes: H is dim -2 and W dim -1 for inputs with 3+ dims per sample (images
    ``(C, H, W)``, spectrograms ``(C, F, T)``); inputs ``(C, T)`` get a time
    segment on dim -1. Lambda is set to the exact kept fraction after clipping,
    and the targets use it. Only the boxes are copied after stacking.

    Padded batches: when ``base_collate`` reports valid lengths of the last
    axis (its ``mix_lengths_key`` field, e.g. ``PadCollate``'s ``"lengths"``;
    samples for waveforms, frames for spectrograms ``(C, F, T)``), the labels
    follow the real content. Sample ``i`` keeps its valid cells outside the box
    and receives partner ``j``'s cells inside it; with
    ``w_own = |valid_i - box|`` and ``w_partner = |valid_j & box|`` (cells: box
    height times the valid frames it covers for 2-D boxes) the target is
    ``(w_own * y_i + w_partner * y_j) / (w_own + w_partner)``, or ``y_i`` when
    both are 0. The inputs are unchanged; ``return_params`` then reports these
    per-sample lambdas as a list (see ``functional.cutmix_valid_lam``).

    Args:
        alpha: Beta concentration, > 0 (default 1.0).
        cut_dims: 2 (box on the last two dims) or 1 (segment on the last dim);
            default: 2 for inputs with 3+ dims per sample, 1 for 2-dim inputs.
    """ + _COMMON_DOC + """
    Example:
        >>> import torch
        >>> batch = [(torch.rand(1, 6, 10), i) for i in range(3)]
        >>> x, y, params = CutMix(num_classes=3, seed=0, return_params=True)(batch)
        >>> params["mode"], len(params["box"])
        ('cutmix', 4)
    """

    _use_mixup, _use_cutmix = False, True

    def __init__(self, num_classes: int, alpha: float = 1.0, p: float = 1.0, label_smoothing: float = 0.0,
                 per_sample: bool = False, *, cut_dims: Optional[int] = None, seed: Optional[int] = None,
                 input_key: Union[None, int, str] = None, target_key: Union[None, int, str] = None,
                 base_collate: Optional[Callable] = None, pair_reduce: Optional[Mapping] = None,
                 return_params: bool = False, target_dtype: torch.dtype = torch.float32) -> None:
        self._setup(num_classes=num_classes, mixup_alpha=None, cutmix_alpha=alpha, switch_prob=1.0, p=p,
                    label_smoothing=label_smoothing, per_sample=per_sample, seed=seed, input_key=input_key,
                    target_key=target_key, base_collate=base_collate, pair_reduce=pair_reduce,
                    return_params=return_params, target_dtype=target_dtype, cut_dims=cut_dims)
        self.alpha = self._cutmix_alpha

    @classmethod
    def _harness_examples(cls):
        return _examples(cls)

    @classmethod
    def _harness_bad_args(cls):
        return _bad_args() + [{"num_classes": 3, "alpha": 0.0}, {"num_classes": 3, "cut_dims": 3}]


class MixUpOrCutMix(_MixCollate):
    """Collate that applies MixUp or CutMix (CutMix with probability ``switch_prob``).

    Per batch by default (one choice, one lambda); with ``per_sample=True``
    each sample gets its own choice, lambda and box, all with the same pairing.

    Args:
        mixup_alpha: Beta concentration for MixUp, > 0 (default 0.8).
        cutmix_alpha: Beta concentration for CutMix, > 0 (default 1.0).
        switch_prob: probability of CutMix instead of MixUp when mixing, in [0, 1].
        cut_dims: as in :class:`CutMix`; label weighting over valid lengths
            with a padding ``base_collate`` also as in :class:`CutMix`.
    """ + _COMMON_DOC + """
    Example:
        >>> import torch
        >>> batch = [{"image": torch.rand(3, 4, 4), "label": i} for i in range(3)]
        >>> out = MixUpOrCutMix(num_classes=3, seed=0)(batch)
        >>> sorted(out), tuple(out["label"].shape)
        (['image', 'label'], (3, 3))
    """

    _use_mixup, _use_cutmix = True, True

    def __init__(self, num_classes: int, mixup_alpha: float = 0.8, cutmix_alpha: float = 1.0,
                 switch_prob: float = 0.5, p: float = 1.0, label_smoothing: float = 0.0, per_sample: bool = False,
                 *, cut_dims: Optional[int] = None, seed: Optional[int] = None,
                 input_key: Union[None, int, str] = None, target_key: Union[None, int, str] = None,
                 base_collate: Optional[Callable] = None, pair_reduce: Optional[Mapping] = None,
                 return_params: bool = False, target_dtype: torch.dtype = torch.float32) -> None:
        self._setup(num_classes=num_classes, mixup_alpha=mixup_alpha, cutmix_alpha=cutmix_alpha,
                    switch_prob=switch_prob, p=p, label_smoothing=label_smoothing, per_sample=per_sample,
                    seed=seed, input_key=input_key, target_key=target_key, base_collate=base_collate,
                    pair_reduce=pair_reduce, return_params=return_params, target_dtype=target_dtype,
                    cut_dims=cut_dims)
        self.mixup_alpha = self._mixup_alpha
        self.cutmix_alpha = self._cutmix_alpha
        self.switch_prob = self._switch_prob

    @classmethod
    def _harness_examples(cls):
        return _examples(cls) + [(cls(num_classes=4, switch_prob=1.0, seed=2), _keyed_batch(torch.uint8))]

    @classmethod
    def _harness_bad_args(cls):
        return _bad_args() + [{"num_classes": 3, "mixup_alpha": 0.0}, {"num_classes": 3, "cutmix_alpha": -2.0},
                              {"num_classes": 3, "switch_prob": 1.5}, {"num_classes": 3, "switch_prob": -0.1}]


# ---------------------------------------------------------------------- harness helpers
def _keyed_batch(dtype: torch.dtype = torch.float32, kind: str = "tuple") -> KeyedBatch:
    g = torch.Generator().manual_seed(0)
    xs = [torch.randint(0, 256, (3, 6, 5), generator=g).to(dtype) for _ in range(5)]
    if dtype.is_floating_point:
        xs = [x / 255 for x in xs]
    if kind == "dict":
        items = [{"image": x, "label": i % 4, "id": f"s{i}"} for i, x in enumerate(xs)]
    else:
        items = [(x, i % 4) for i, x in enumerate(xs)]
    return KeyedBatch(items, seed=3, epoch=1, indices=[7, 2, 9, 4, 0], knobs={"strength": 0.9})


def _clips_batch() -> KeyedBatch:
    """Variable-length waveforms ``(1, T)`` for a padding base collate (labels over valid lengths)."""
    g = torch.Generator().manual_seed(1)
    items = [(torch.randn(1, t, generator=g), i % 4) for i, t in enumerate((9, 4, 13, 1, 7))]
    return KeyedBatch(items, seed=2, epoch=0, indices=[3, 1, 4, 0, 2])


def _examples(cls):
    out = [
        (cls(num_classes=4, seed=0), _keyed_batch()),
        (cls(num_classes=4, label_smoothing=0.1, per_sample=True), _keyed_batch(torch.uint8)),
        (cls(num_classes=4, return_params=True, seed=5), _keyed_batch(torch.bfloat16, kind="dict")),
    ]
    if cls._use_cutmix:
        from .pad import PadCollate

        out.append((cls(num_classes=4, per_sample=True, seed=1, base_collate=PadCollate(), return_params=True),
                    _clips_batch()))
    return out


def _bad_args():
    return [
        {"num_classes": 0},
        {"num_classes": 2.5},
        {"num_classes": 3, "p": 1.5},
        {"num_classes": 3, "p": -0.1},
        {"num_classes": 3, "label_smoothing": 1.0},
        {"num_classes": 3, "per_sample": "yes"},
        {"num_classes": 3, "seed": -1},
        {"num_classes": 3, "input_key": 1.5},
        {"num_classes": 3, "base_collate": 5},
        {"num_classes": 3, "pair_reduce": {"lengths": "mean"}},
        {"num_classes": 3, "target_dtype": torch.int64},
    ]
