"""loaders.audio.functional: the waveform layout rule, overflow checks and odd arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from loaders.audio import AddNoise, Gain, PitchShift, SpeedChange, TimeShift
from loaders.audio import functional as AF


@pytest.mark.parametrize(
    "t",
    [TimeShift(max_shift=(0.25, 0.25)), SpeedChange(factors=[0.5], discrete=True), PitchShift(), Gain(), AddNoise()],
    ids=lambda t: type(t).__name__,
)
def test_time_channels_audio_is_refused_with_the_fix(t):
    """soundfile's (time, channels) layout: an error naming the transform, never a silent wrong result."""
    x = torch.arange(32000.0).reshape(16000, 2) / 32000
    with pytest.raises(ValueError) as e:
        t(x, rng=0)
    msg = str(e.value)
    assert msg.startswith(type(t).__name__)
    assert "(16000, 2)" in msg and "(time, channels)" in msg and "(channels, time)" in msg


def test_channels_time_audio_keeps_working():
    x = torch.arange(32000.0).reshape(2, 16000) / 32000
    y = TimeShift(max_shift=(0.25, 0.25), rollover=True)(x, rng=0)
    torch.testing.assert_close(y, torch.roll(x, 4000, dims=-1))  # independent reference: torch.roll
    assert SpeedChange(factors=[0.5], discrete=True)(x, rng=0).shape == (2, 32000)
    assert AF.as_waveform(torch.zeros(3, 3))[0].shape == (3, 3)  # as many channels as samples: allowed


def test_gain_overflowing_float32_raises_and_float64_is_exact():
    x32 = torch.full((100,), 1e37, dtype=torch.float32)
    with pytest.raises(ValueError, match=r"Gain: the result overflows torch\.float32.*40 dB"):
        Gain(db=(40, 40))(x32, rng=0)
    y64 = Gain(db=(40, 40))(x32.double(), rng=0)
    torch.testing.assert_close(y64, torch.full((100,), 1e39, dtype=torch.float64))
    # attenuation never overflows; a large but representable gain is fine
    assert torch.isfinite(Gain(db=(-40, -40))(x32, rng=0)).all()
    assert torch.isfinite(Gain(db=(10, 10))(torch.full((4,), 1e37), rng=0)).all()


def test_add_noise_overflowing_float32_raises():
    x = torch.full((200,), 1e37)
    with pytest.raises(ValueError, match=r"AddNoise.*overflows torch\.float32"):
        AddNoise(snr_db=(-60, -60))(x, rng=0)
    y = AddNoise(snr_db=(-60, -60))(x.double(), rng=0)
    assert torch.isfinite(y).all()


def test_negative_stride_and_read_only_arrays_are_copied_not_refused():
    base = np.sin(np.arange(4000, dtype=np.float32) * 0.01)
    rev = base[::-1]
    assert rev.strides[0] < 0
    t = TimeShift(max_shift=(100, 100), unit="samples", rollover=True)
    np.testing.assert_array_equal(t(rev, rng=0), t(np.ascontiguousarray(rev), rng=0))
    ro = base.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(t(ro, rng=0), np.roll(base, 100))


@pytest.mark.parametrize(
    ("x", "exc", "words"),
    [
        (np.array([0.1, "a"], dtype=object), TypeError, ["dtype object", "float32"]),
        (np.zeros((0, 100), np.float32), ValueError, ["empty", "(0, 100)"]),
        (np.zeros((2, 0), np.float32), ValueError, ["empty"]),
        (np.zeros(10, np.int16), TypeError, ["int16", "32768"]),
    ],
)
def test_odd_arrays_raise_clearly(x, exc, words):
    with pytest.raises(exc) as e:
        Gain()(x, rng=0)
    for w in words:
        assert w in str(e.value)


def test_pickles_from_the_single_module_layout_still_load():
    """Before the package split, AddNoise pickled its bank as loaders.audio._ClipBank and itself as loaders.audio."""
    import pickle

    t = AddNoise(noise_bank=[torch.ones(100)], snr_db=(10, 10))
    old = pickle.dumps(t, protocol=0)
    old = old.replace(b"loaders.audio.transforms\n", b"loaders.audio\n").replace(b"\nClipBank\n", b"\n_ClipBank\n")
    assert b"loaders.audio.transforms" not in old and b"_ClipBank" in old
    x = torch.randn(300, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(pickle.loads(old)(x, rng=3), t(x, rng=3))
