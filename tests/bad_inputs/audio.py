"""Bad inputs for the audio transforms: wrong layout, type, dtype, size or values, and overflow."""

from __future__ import annotations

import numpy as np
import torch

from loaders.audio import AddNoise, FrequencyMask, Gain, PitchShift, SpeedChange, TimeMask, TimeShift
from tests.bad_inputs import BadInput

WAVE_TRANSFORMS = {
    "AddNoise": lambda: AddNoise(snr_db=(10, 20)),
    "TimeShift": lambda: TimeShift(max_shift=(0.25, 0.25)),
    "SpeedChange": lambda: SpeedChange(factors=[0.5], discrete=True),
    "PitchShift": lambda: PitchShift(semitones=(2, 2)),
    "Gain": lambda: Gain(db=(6, 6)),
}
SPEC_TRANSFORMS = {"TimeMask": lambda: TimeMask(max_width=5), "FrequencyMask": lambda: FrequencyMask(max_width=3)}


def _call(make, x):
    return lambda: make()(x, rng=0)


def _wave_rows():
    rows = []
    for name, make in WAVE_TRANSFORMS.items():
        rows += [
            # soundfile's (time, channels): silently unchanged / doubled / "2 samples" before
            BadInput(
                f"{name}-time-channels",
                _call(make, torch.randn(16000, 2)),
                ValueError,
                [name, "(16000, 2)", "(time, channels)", "transpose"],
            ),
            BadInput(f"{name}-int16-pcm", _call(make, np.zeros(4000, np.int16)), TypeError, [name, "int16", "32768"]),
            BadInput(f"{name}-nan", _call(make, torch.tensor([0.1, float("nan")] * 2000)), ValueError, [name, "nan"]),
            BadInput(f"{name}-empty", _call(make, np.zeros((2, 0), np.float32)), ValueError, [name, "empty"]),
            BadInput(
                f"{name}-zero-channels", _call(make, np.zeros((0, 4000), np.float32)), ValueError, [name, "empty"]
            ),
            BadInput(f"{name}-3d-batch", _call(make, torch.zeros(2, 1, 4000)), ValueError, [name, "(channels, time)"]),
            BadInput(
                f"{name}-object-array", _call(make, np.array([0.1] * 4000, dtype=object)), TypeError, [name, "object"]
            ),
            BadInput(f"{name}-none", _call(make, None), TypeError, [name, "NoneType"]),
            BadInput(f"{name}-list", _call(make, [0.1, 0.2]), TypeError, [name, "list"]),
        ]
    return rows


def _spec_rows():
    rows = []
    for name, make in SPEC_TRANSFORMS.items():
        rows += [
            BadInput(f"{name}-1d", _call(make, torch.zeros(50)), ValueError, [name, "(..., freq, time)"]),
            BadInput(f"{name}-empty", _call(make, torch.zeros(0, 10)), ValueError, [name, "empty"]),
            BadInput(f"{name}-inf", _call(make, torch.full((4, 5), float("-inf"))), ValueError, [name, "inf"]),
            BadInput(f"{name}-int", _call(make, torch.zeros(4, 5, dtype=torch.int64)), TypeError, [name, "int64"]),
            BadInput(f"{name}-object-array", _call(make, np.zeros((4, 5), object)), TypeError, [name, "object"]),
        ]
    return rows


ROWS = (
    _wave_rows()
    + _spec_rows()
    + [
        BadInput(
            "Gain-overflows-float32",
            _call(lambda: Gain(db=(40, 40)), torch.full((100,), 1e37)),
            ValueError,
            ["Gain", "overflows", "float32"],
        ),
        BadInput(
            "AddNoise-overflows-float32",
            _call(lambda: AddNoise(snr_db=(-60, -60)), torch.full((100,), 1e37)),
            ValueError,
            ["AddNoise", "overflows", "float32"],
        ),
        BadInput(
            "PitchShift-too-short",
            _call(lambda: PitchShift(n_fft=512), torch.zeros(100)),
            ValueError,
            ["PitchShift", "100 samples", "512"],
        ),
        BadInput(
            "AddNoise-bank-channels",
            _call(lambda: AddNoise(noise_bank=[torch.randn(3, 500)]), torch.randn(2, 800)),
            ValueError,
            ["AddNoise", "3 channels", "(2, 800)"],
        ),
        BadInput("TimeShift-bad-unit", lambda: TimeShift(unit="frames"), ValueError, ["unit", "frames", "fraction"]),
        BadInput("Gain-db-range", lambda: Gain(db=500), ValueError, ["db", "500"]),
        BadInput("PitchShift-semitones", lambda: PitchShift(semitones=24), ValueError, ["semitones", "24", "12"]),
        BadInput("SpeedChange-factors", lambda: SpeedChange(factors=(1.2, 0.8)), ValueError, ["factors"]),
        BadInput("TimeMask-width", lambda: TimeMask(max_width=-1), ValueError, ["max_width", "-1"]),
        BadInput("AddNoise-color", lambda: AddNoise(color="purple"), ValueError, ["color", "purple", "pink"]),
    ]
)
