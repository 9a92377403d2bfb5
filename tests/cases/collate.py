"""Harness rows for the collates in `collate` (MixUp, CutMix, MixUpOrCutMix, PadCollate, TextCollate)."""

from __future__ import annotations

from typing import Any

import torch

from collate.mix import CutMix, MixUp, MixUpOrCutMix
from collate.pad import PadCollate
from collate.stage import BatchStage
from collate.text import TextCollate
from loaders.image import Cutout
from loaders.keys import KeyedBatch
from tests.cases import Case


def _keyed_batch(dtype: torch.dtype = torch.float32, kind: str = "tuple") -> KeyedBatch:
    g = torch.Generator().manual_seed(0)
    xs = [torch.randint(0, 256, (3, 6, 5), generator=g).to(dtype) for _ in range(5)]
    if dtype.is_floating_point:
        xs = [x / 255 for x in xs]
    items: list[Any]
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


def _mix_examples(cls: Any) -> list[Any]:
    out = [
        (cls(num_classes=4, seed=0), _keyed_batch()),
        (cls(num_classes=4, label_smoothing=0.1, per_sample=True), _keyed_batch(torch.uint8)),
        (cls(num_classes=4, return_params=True, seed=5), _keyed_batch(torch.bfloat16, kind="dict")),
        (cls(num_classes=4, on_device=True, seed=6), _keyed_batch(torch.uint8)),
    ]
    if cls._use_cutmix:
        out.append(
            (cls(num_classes=4, per_sample=True, seed=1, base_collate=PadCollate(), return_params=True), _clips_batch())
        )
    return out


def _mix_bad_args() -> list[dict[str, Any]]:
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
        {"num_classes": 3, "on_device": "yes"},
    ]


def _pad_examples() -> list[Any]:
    g = torch.Generator().manual_seed(0)
    waves = [torch.randn(2, n, generator=g) for n in (7, 3, 11)]
    tup = KeyedBatch([(w, i) for i, w in enumerate(waves)], seed=0, epoch=0, indices=[0, 1, 2])
    dic = KeyedBatch(
        [{"waveform": w[0].double(), "label": i} for i, w in enumerate(waves)], seed=0, epoch=1, indices=[4, 5, 6]
    )
    ids = KeyedBatch([torch.arange(n) for n in (4, 1, 6)], indices=[0, 1, 2])
    return [
        (PadCollate(), tup),
        (PadCollate(return_mask=True, pad_to_multiple_of=8), dic),
        (PadCollate(pad_value=-1, return_lengths=False, return_mask=True), ids),
    ]


def _pad_bad_args() -> list[dict[str, Any]]:
    return [
        {"pad_to_multiple_of": 0},
        {"pad_value": "zero"},
        {"return_mask": 1},
        {"input_key": 1.5},
        {"lengths_key": ""},
        {"lengths_key": "m", "mask_key": "m"},
        {"tuple_size": 0},
        {"input_key": 3, "tuple_size": 2},
        {"pad_value": float("nan")},
    ]


def _text_examples() -> list[Any]:
    from loaders.hf import train_tokenizer

    texts = ["the film was good", "a bad film", "the plot was fine and the actors were great", "ok"]
    tok = train_tokenizer(texts, vocab_size=80)
    batch = KeyedBatch(
        [{"text": t, "label": i % 3} for i, t in enumerate(texts)], seed=0, epoch=1, indices=[5, 6, 7, 8]
    )
    tokenized = KeyedBatch(
        [{"input_ids": [2, 7, 9, 3], "label": [0.0, 1.0, 1.0]}, {"input_ids": [2, 3], "label": 0}],
        seed=1,
        epoch=0,
        indices=[0, 1],
    )
    return [
        (TextCollate(tok, 3), batch),
        (
            TextCollate(tok, 3, mixup_alpha=0.4, per_sample=True, label_smoothing=0.1, pad_to_multiple_of=8, seed=3),
            batch,
        ),
        (TextCollate(tok, 3, mixup_alpha=1.0), tokenized),
    ]


def _text_bad_args() -> list[dict[str, Any]]:
    from loaders.hf import train_tokenizer

    tok = train_tokenizer(["a b c"], vocab_size=30)
    return [
        {"tokenizer": "bert", "num_classes": 2},
        {"tokenizer": tok, "num_classes": 0},
        {"tokenizer": tok, "num_classes": 2, "label_smoothing": 1.0},
        {"tokenizer": tok, "num_classes": 2, "pad_to_multiple_of": 0},
        {"tokenizer": tok, "num_classes": 2, "mixup_alpha": 0.0},
        {"tokenizer": tok, "num_classes": 2, "mixup_alpha": 0.2, "label_key": None},
        {"tokenizer": tok, "num_classes": 2, "p": 1.5},
        {"tokenizer": tok, "num_classes": 2, "max_length": 1},
        {"tokenizer": tok, "num_classes": 2, "target_dtype": torch.long},
    ]


CASES = {
    MixUp: Case(
        examples=lambda: _mix_examples(MixUp),
        bad_args=lambda: _mix_bad_args() + [{"num_classes": 3, "alpha": 0.0}, {"num_classes": 3, "alpha": -1.0}],
    ),
    CutMix: Case(
        examples=lambda: _mix_examples(CutMix),
        bad_args=lambda: _mix_bad_args() + [{"num_classes": 3, "alpha": 0.0}, {"num_classes": 3, "cut_dims": 3}],
    ),
    MixUpOrCutMix: Case(
        examples=lambda: (
            _mix_examples(MixUpOrCutMix)
            + [(MixUpOrCutMix(num_classes=4, switch_prob=1.0, seed=2), _keyed_batch(torch.uint8))]
        ),
        bad_args=lambda: (
            _mix_bad_args()
            + [
                {"num_classes": 3, "mixup_alpha": 0.0},
                {"num_classes": 3, "cutmix_alpha": -2.0},
                {"num_classes": 3, "switch_prob": 1.5},
                {"num_classes": 3, "switch_prob": -0.1},
            ]
        ),
    ),
    PadCollate: Case(examples=_pad_examples, bad_args=_pad_bad_args),
    TextCollate: Case(examples=_text_examples, bad_args=_text_bad_args),
    BatchStage: Case(
        examples=lambda: [
            (BatchStage(Cutout(size=0.5, p=0.7)), _keyed_batch(torch.uint8)),
            (BatchStage(Cutout(num_holes=2, size=2, fill=(0.1, 0.2, 0.3), p=1.0)), _keyed_batch(kind="dict")),
            (MixUpOrCutMix(num_classes=4, base_collate=BatchStage(Cutout(size=0.5)), seed=1), _keyed_batch()),
        ],
        bad_args=lambda: [
            {"transform": abs},
            {"transform": Cutout(), "stream": -1},
            {"transform": Cutout(), "input_key": 2.5},
        ],
    ),
}
