"""Harness rows for the audio transforms in [loaders.audio][]."""

from __future__ import annotations

from typing import Any

import torch

from loaders.audio import AddNoise, FrequencyMask, Gain, PitchShift, SpeedChange, TimeMask, TimeShift
from tests.cases import Case


def _wave_rng_example(
    channels: int = 1, n: int = 2000, dtype: torch.dtype = torch.float32, seed: int = 0
) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    shape = (channels, n) if channels else (n,)
    return (0.3 * torch.randn(shape, generator=g, dtype=torch.float64)).to(dtype)


def _addnoise_examples() -> list[Any]:
    bank = [_wave_rng_example(0, 700, seed=5), _wave_rng_example(2, 300, torch.float64, seed=6)]
    return [
        (AddNoise(snr_db=(5, 20), color=["white", "pink", "brown"]), _wave_rng_example(2, 2000)),
        (AddNoise(snr_db=10, per_channel=True, p=0.7), _wave_rng_example(0, 1500, torch.float64).numpy()),
        (AddNoise(snr_db=(0, 10), noise_bank=bank, bank_prob=0.8, sample_rate=16000), _wave_rng_example(2, 1000)),
    ]


def _addnoise_bad_args() -> list[dict[str, Any]]:
    return [
        {"snr_db": (30, 10)},
        {"snr_db": "loud"},
        {"color": "purple"},
        {"color": []},
        {"noise_bank": []},
        {"noise_bank": [torch.zeros(100)]},
        {"noise_bank": [torch.zeros(2, 2, 5)]},
        {"noise_bank": [torch.tensor([1.0, float("nan")])]},
        {"bank_prob": 1.5},
        {"per_channel": "yes"},
        {"sample_rate": 0},
        {"sample_rate": -16000},
        {"p": 2},
    ]


def _timeshift_examples() -> list[Any]:
    return [
        (TimeShift(max_shift=0.3), _wave_rng_example(2, 500)),
        (
            TimeShift(max_shift=(-0.01, 0.02), unit="seconds", rollover=False, sample_rate=8000),
            _wave_rng_example(0, 400, torch.float64),
        ),
        (TimeShift(max_shift=50, unit="samples", rollover=False), _wave_rng_example(1, 300).numpy()),
    ]


def _timeshift_bad_args() -> list[dict[str, Any]]:
    return [
        {"max_shift": 1.5},
        {"unit": "frames"},
        {"max_shift": 0.1, "unit": "seconds"},
        {"max_shift": 2.5, "unit": "samples"},
        {"max_shift": (5, 1), "unit": "samples"},
        {"rollover": 1},
        {"sample_rate": 0, "unit": "seconds", "max_shift": 0.1},
    ]


def _speedchange_examples() -> list[Any]:
    return [
        (SpeedChange(), _wave_rng_example(2, 1000)),
        (
            SpeedChange(factors=[0.9, 1.0, 1.1], discrete=True, keep_length=True),
            _wave_rng_example(0, 800, torch.float64),
        ),
        (SpeedChange(factors=(0.8, 1.25), sample_rate=16000, p=0.6), _wave_rng_example(1, 600).numpy()),
    ]


def _speedchange_bad_args() -> list[dict[str, Any]]:
    return [
        {"factors": (1.2, 0.8)},
        {"factors": (0.0, 1.1)},
        {"factors": (0.9, 1.0, 1.1)},
        {"factors": [0.9, 9.0], "discrete": True},
        {"factors": [], "discrete": True},
        {"discrete": "no"},
        {"keep_length": None},
        {"max_ratio_error": 0.5},
        {"sample_rate": -1},
    ]


def _pitchshift_examples() -> list[Any]:
    return [
        (PitchShift(semitones=(-4, 4), n_fft=256), _wave_rng_example(2, 1200)),
        (PitchShift(semitones=2.5, n_fft=128, hop_length=64, p=0.7), _wave_rng_example(0, 700, torch.float64)),
        (PitchShift(semitones=(0.5, 1.5), sample_rate=4000), _wave_rng_example(1, 800).numpy()),
    ]


def _pitchshift_bad_args() -> list[dict[str, Any]]:
    return [
        {"semitones": (-13, 0)},
        {"semitones": 24},
        {"semitones": (3, -3)},
        {"semitones": "up"},
        {"n_fft": 8},
        {"n_fft": 512.0},
        {"hop_length": 0},
        {"n_fft": 256, "hop_length": 512},
        {"max_ratio_error": 0.0},
        {"sample_rate": 0},
    ]


def _gain_examples() -> list[Any]:
    return [(Gain(), _wave_rng_example(2, 300)), (Gain(db=3, p=0.5), _wave_rng_example(0, 200, torch.float64).numpy())]


def _gain_bad_args() -> list[dict[str, Any]]:
    return [{"db": (6, -6)}, {"db": 500}, {"db": None}, {"sample_rate": 0}]


def _mask_examples(cls: Any) -> list[Any]:
    g = torch.Generator().manual_seed(1)
    spec = torch.rand(2, 40, 60, generator=g)
    return [
        (cls(max_width=15, num_masks=2), spec),
        (cls(max_width=8, fill="mean", max_fraction=0.2, p=0.8), spec[0].double().numpy()),
        (cls(max_width=100), spec[0]),
    ]


def _mask_bad_args(cls: Any) -> list[Any]:
    return [
        {"max_width": -1},
        {"max_width": 2.5},
        {"max_width": 5, "num_masks": -1},
        {"max_width": 5, "fill": "median"},
        {"max_width": 5, "fill": float("nan")},
        {"max_width": 5, "max_fraction": 1.5},
    ]


CASES = {
    AddNoise: Case(examples=_addnoise_examples, bad_args=_addnoise_bad_args),
    TimeShift: Case(examples=_timeshift_examples, bad_args=_timeshift_bad_args),
    SpeedChange: Case(examples=_speedchange_examples, bad_args=_speedchange_bad_args),
    PitchShift: Case(examples=_pitchshift_examples, bad_args=_pitchshift_bad_args),
    Gain: Case(examples=_gain_examples, bad_args=_gain_bad_args),
    TimeMask: Case(examples=lambda: _mask_examples(TimeMask), bad_args=lambda: _mask_bad_args(TimeMask)),
    FrequencyMask: Case(examples=lambda: _mask_examples(FrequencyMask), bad_args=lambda: _mask_bad_args(FrequencyMask)),
}
