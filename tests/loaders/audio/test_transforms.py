"""Physics checks for loaders.audio against independent references.

References are measurements made here with numpy/scipy (FFT peak with
parabolic interpolation, Welch spectra, mean squares, impulse positions) and
peer implementations (torchaudio's resample and speed), never the
transforms' own arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch
import torchaudio.functional as TAF

from loaders import audio_functional as AF
from loaders.audio import AddNoise, FrequencyMask, Gain, PitchShift, SpeedChange, TimeMask, TimeShift

SR = 16000


def _rng(k):
    return np.random.default_rng(k)


def harmonic_tone(f0, seconds=1.0, sr=SR, harmonics=5, dtype=np.float64):
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * f0 * k * t + 0.3 * k) / k for k in range(1, harmonics + 1))
    return (0.3 * x).astype(dtype)


def peak_frequency(x, sr=SR, fmin=50.0, fmax=2000.0, trim=0.1):
    """Strongest spectral peak in [fmin, fmax] Hz: Hann window, 16x zero padding, parabolic interpolation."""
    x = np.asarray(x, dtype=np.float64)
    cut = int(trim * len(x))
    x = x[cut : len(x) - cut]
    n = 1 << int(math.ceil(math.log2(len(x) * 16)))
    spec = np.log(np.abs(np.fft.rfft(x * np.hanning(len(x)), n)) + 1e-30)
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    band = np.nonzero((freqs >= fmin) & (freqs <= fmax))[0]
    i = band[np.argmax(spec[band])]
    a, b, c = spec[i - 1], spec[i], spec[i + 1]
    delta = 0.5 * (a - c) / (a - 2 * b + c)
    return (i + delta) * sr / n


def measured_snr(clean, noisy, axis=None):
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noisy, dtype=np.float64) - clean
    return 10 * np.log10(np.mean(clean**2, axis=axis) / np.mean(noise**2, axis=axis))


# --------------------------------------------------------------------------- references themselves
def test_peak_frequency_reference_is_accurate():
    for f in (137.3, 220.0, 611.1):
        assert abs(peak_frequency(harmonic_tone(f)) / f - 1) < 1e-4


# --------------------------------------------------------------------------- AddNoise
@pytest.mark.parametrize("color", ["white", "pink", "brown", "blue", "violet"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_addnoise_measured_snr_matches_drawn(color, dtype):
    x = torch.from_numpy(np.stack([harmonic_tone(220), 0.2 * harmonic_tone(330)])).to(dtype)
    t = AddNoise(snr_db=(-5, 40), color=color)
    for k in range(3):
        params = t.sample(_rng(k))
        y = t.apply(x, params)
        assert y.dtype == dtype
        assert abs(measured_snr(x.numpy(), y.numpy()) - params["snr_db"]) < 0.5
        assert abs(measured_snr(x.numpy(), y.numpy()) - params["snr_db"]) < 1e-3  # exact by construction


def test_addnoise_per_channel_snr():
    x = torch.from_numpy(np.stack([harmonic_tone(220), 0.01 * harmonic_tone(440)]))
    t = AddNoise(snr_db=(10, 10.0001), color="pink", per_channel=True)
    params = t.sample(_rng(3))
    y = t.apply(x, params)
    snr = measured_snr(x.numpy(), y.numpy(), axis=-1)
    assert np.all(np.abs(snr - params["snr_db"]) < 0.5)
    # Over all channels the quiet channel would get far less noise: check the global mode differs.
    yg = AddNoise(snr_db=10, color="pink").apply(x, {**params, "apply": True})
    snr_g = measured_snr(x.numpy(), yg.numpy(), axis=-1)
    assert snr_g[1] < 0 and abs(measured_snr(x.numpy(), yg.numpy()) - 10) < 0.5


def test_addnoise_bank_tiles_and_keeps_snr():
    g = torch.Generator().manual_seed(0)
    short = torch.randn(700, generator=g, dtype=torch.float64)  # shorter than the clip: tiled
    stereo = torch.randn(2, 3000, generator=g, dtype=torch.float64)
    x = torch.from_numpy(np.stack([harmonic_tone(220, 0.2), harmonic_tone(300, 0.2)])).float()
    t = AddNoise(snr_db=(0, 20), noise_bank=[short, stereo])
    seen = set()
    for k in range(12):
        params = t.sample(_rng(k))
        y = t.apply(x, params)
        assert params["source"] == "bank"
        seen.add(params["clip"])
        assert abs(measured_snr(x.numpy(), y.numpy()) - params["snr_db"]) < 0.5
        if params["clip"] == 0:  # mono clip, tiled from the offset, same noise in both channels
            noise = (y - x).double()
            ref = short.roll(-params["offset"]).repeat(5)[: x.shape[-1]]
            k = float(noise[0] @ ref / (ref @ ref))
            assert torch.allclose(noise[0], noise[1], atol=1e-6)
            assert torch.allclose(noise[0], k * ref, atol=1e-5)
    assert seen == {0, 1}


def test_addnoise_bank_channel_mismatch_raises():
    t = AddNoise(noise_bank=[torch.randn(3, 100)])
    with pytest.raises(ValueError, match="channels"):
        t(torch.randn(2, 50), rng=0)


def test_addnoise_silent_clip_is_left_unchanged():
    for t in (AddNoise(), AddNoise(per_channel=True), AddNoise(noise_bank=[torch.randn(50)])):
        z = torch.zeros(2, 400)
        y = t(z, rng=0)
        assert torch.equal(y, z) and not torch.isnan(y).any()
    x = torch.zeros(2, 400)
    x[0] = torch.from_numpy(harmonic_tone(220, 0.025)).float()
    params = AddNoise(snr_db=5, per_channel=True).sample(_rng(0))
    y = AddNoise(snr_db=5, per_channel=True).apply(x, params)
    assert torch.equal(y[1], x[1]) and abs(measured_snr(x[0].numpy(), y[0].numpy()) - 5) < 0.5


def test_addnoise_silent_bank_segment_raises():
    clip = torch.zeros(1000)
    clip[:10] = 1.0
    t = AddNoise(noise_bank=[clip])
    params = {"apply": True, "snr_db": 10.0, "source": "bank", "clip": 0, "offset": 100}
    with pytest.raises(ValueError, match="silent"):
        t.apply(torch.ones(100), params)


@pytest.mark.parametrize(
    "color,slope", [("white", 0.0), ("pink", -3.01), ("brown", -6.02), ("blue", 3.01), ("violet", 6.02)]
)
def test_noise_color_spectral_slope(color, slope):
    noise = AF.colored_noise((1 << 17,), color, seed=11, dtype=torch.float64).numpy()
    f, pxx = scipy.signal.welch(noise, fs=SR, nperseg=4096)
    band = (f >= 60) & (f <= 6000)
    fit = np.polyfit(np.log2(f[band]), 10 * np.log10(pxx[band]), 1)
    assert abs(fit[0] - slope) < 0.5, f"{color}: {fit[0]:.2f} dB/octave"
    assert abs(np.mean(noise**2) - 1) < 1e-6


def test_noise_is_regenerated_from_subseed():
    t = AddNoise(snr_db=10)
    params = t.sample(_rng(5))
    assert set(params) == {"apply", "snr_db", "source", "seed"}  # a sub-seed, not an array
    x = torch.randn(3000, dtype=torch.float64)
    assert torch.equal(t.apply(x, params), t.apply(x, params))


# --------------------------------------------------------------------------- Gain
def test_gain_measured_in_db():
    x = torch.from_numpy(harmonic_tone(200, 0.1))
    t = Gain(db=(-12, 12))
    for k in range(4):
        params = t.sample(_rng(k))
        y = t.apply(x, params)
        assert abs(10 * np.log10(np.mean(y.numpy() ** 2) / np.mean(x.numpy() ** 2)) - params["db"]) < 1e-9


# --------------------------------------------------------------------------- TimeShift
@pytest.mark.parametrize("rollover", [True, False])
def test_shift_moves_an_impulse_by_the_drawn_amount(rollover):
    n, k0 = 1000, 700
    x = torch.zeros(2, n)
    x[:, k0] = 1.0
    for t in (
        TimeShift(max_shift=0.5, rollover=rollover),
        TimeShift(max_shift=400, unit="samples", rollover=rollover),
        TimeShift(max_shift=0.03, unit="seconds", sample_rate=SR, rollover=rollover),
    ):
        for key in range(8):
            params = t.sample(_rng(key))
            s = TimeShift.shift_samples(params, n)
            if t.unit == "seconds":
                assert s == params["shift"]
            y = t.apply(x, params)
            target = k0 + s
            if rollover:
                target %= n
                assert int(y[0].argmax()) == target and float(y.sum()) == 2.0
            elif 0 <= target < n:
                assert int(y[1].argmax()) == target and float(y.sum()) == 2.0
            else:
                assert float(y.abs().sum()) == 0.0


def test_shift_zero_fill_and_forward_only_range():
    t = TimeShift(max_shift=(0.1, 0.2), rollover=False)
    x = torch.ones(100)
    for key in range(5):
        params = t.sample(_rng(key))
        s = TimeShift.shift_samples(params, 100)
        assert 10 <= s <= 20
        y = t.apply(x, params)
        assert float(y[:s].abs().sum()) == 0 and bool((y[s:] == 1).all())


# --------------------------------------------------------------------------- SpeedChange
@pytest.mark.parametrize("factors,discrete", [([0.9, 1.1], True), ((0.7, 1.4), False)])
def test_speed_changes_duration_and_frequency(factors, discrete):
    f = 440.0
    x = torch.from_numpy(harmonic_tone(f, 1.0, harmonics=1))
    t = SpeedChange(factors=factors, discrete=discrete, sample_rate=SR)
    for key in range(4):
        params = t.sample(_rng(key))
        r = params["factor"]
        y = t.apply(x, params)
        assert abs(y.shape[-1] - len(x) / r) <= len(x) / 1000
        assert abs(peak_frequency(y.numpy()) / (f * r) - 1) < 1e-3
        if discrete:
            assert r in factors
        else:
            assert factors[0] - 1e-3 <= r <= factors[1] + 1e-3


def test_speed_matches_torchaudio_speed():
    x = torch.from_numpy(harmonic_tone(300, 0.5)).float().unsqueeze(0)
    t = SpeedChange(factors=[1.1], discrete=True)
    y = t(x, rng=0)
    ref, _ = TAF.speed(x, SR, 1.1)
    assert y.shape == ref.shape and torch.allclose(y, ref, atol=1e-5)


def test_speed_keep_length():
    x = torch.randn(2, 1000)
    t = SpeedChange(factors=(0.8, 1.25), keep_length=True)
    for key in range(4):
        params = t.sample(_rng(key))
        y = t.apply(x, params)
        assert y.shape == x.shape
        full = SpeedChange(factors=(0.8, 1.25)).apply(x, params)
        m = min(full.shape[-1], 1000)
        assert torch.equal(y[..., :m], full[..., :m]) and float(y[..., m:].abs().sum()) == 0


@pytest.mark.parametrize("orig,new", [(10, 11), (11, 10), (3, 2), (147, 160)])
def test_resample_matches_torchaudio(orig, new):
    x = torch.randn(2, 3000, dtype=torch.float64)
    ref = TAF.resample(x, orig, new)
    y = AF.resample(x, orig, new)
    assert y.shape == ref.shape and torch.allclose(y, ref, atol=1e-9)
    assert torch.allclose(AF.resample(x, orig, new), y)  # cached kernel gives the same result


def test_rational_approximation_error_bound():
    for tol in (1e-3, 5e-4, 1e-4):
        worst, biggest = 0.0, 0
        for s in np.linspace(-12, 12, 2401):
            a = 2.0 ** (s / 12)
            p, q = AF.rational_approx(a, tol)
            worst = max(worst, abs(p / q / a - 1))
            biggest = max(biggest, p, q)
        assert worst <= tol * (1 + 1e-12)
        assert biggest <= 2 / tol + 2  # small integers: the kernel stays small


# --------------------------------------------------------------------------- PitchShift
@pytest.mark.parametrize("semitones", [-7.5, -2.3, 0.4, 3.0, 11.2])
def test_pitch_shift_moves_the_fundamental(semitones):
    f0 = 220.0
    x = torch.from_numpy(harmonic_tone(f0)).float()
    t = PitchShift(semitones=(semitones, semitones), sample_rate=SR)
    params = t.sample(_rng(0))
    y = t.apply(x, params)
    assert y.shape == x.shape and y.dtype == x.dtype
    measured = peak_frequency(y.numpy(), fmin=80, fmax=f0 * 2 ** (semitones / 12) * 1.5)
    expected = f0 * 2 ** (semitones / 12)
    assert abs(measured / expected - 1) < 0.01
    assert abs(measured / (f0 * params["pitch_factor"]) - 1) < 2e-3
    # The second harmonic moves by the same factor, and the energy stays comparable.
    h2 = peak_frequency(y.numpy(), fmin=1.6 * expected, fmax=2.4 * expected)
    assert abs(h2 / (2 * expected) - 1) < 0.01
    assert 0.3 < float(y.pow(2).mean() / x.pow(2).mean()) < 3


def test_pitch_shift_stereo_and_numpy():
    x = np.stack([harmonic_tone(200), harmonic_tone(300)]).astype(np.float32)
    t = PitchShift(semitones=(5, 5))
    y = t(x, rng=0)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == x.shape
    for ch, f in enumerate((200, 300)):
        assert abs(peak_frequency(y[ch], fmax=600) / (f * 2 ** (5 / 12)) - 1) < 0.01


def test_pitch_shift_zero_is_identity():
    x = torch.randn(2000)
    assert torch.equal(PitchShift(semitones=0)(x, rng=0), x)


# --------------------------------------------------------------------------- masks
def test_time_and_frequency_masks_fill_exactly_the_drawn_bins():
    g = torch.Generator().manual_seed(0)
    spec = torch.rand(2, 64, 100, generator=g) + 1.0  # strictly positive: zeros are the mask
    for cls, axis in ((TimeMask, -1), (FrequencyMask, -2)):
        t = cls(max_width=20, num_masks=2)
        for key in range(6):
            params = t.sample(_rng(key))
            out = t.apply(spec, params)
            regions = t.regions(params, spec.shape[axis])
            expected = torch.zeros(spec.shape[axis], dtype=torch.bool)
            for start, width in regions:
                assert 0 <= width <= 20 and 0 <= start and start + width <= spec.shape[axis]
                expected[start : start + width] = True
            zeroed = (out == 0).all(dim=0).all(dim=0 if axis == -1 else 1)
            assert torch.equal(zeroed, expected)
            keep = ~expected
            if axis == -1:
                assert torch.equal(out[..., keep], spec[..., keep])
            else:
                assert torch.equal(out[:, keep], spec[:, keep])


def test_mask_mean_fill_and_fraction_cap():
    spec = torch.arange(40 * 50, dtype=torch.float64).view(40, 50)
    t = TimeMask(max_width=50, max_fraction=0.1, fill="mean")
    for key in range(5):
        params = t.sample(_rng(key))
        ((start, width),) = t.regions(params, 50)
        assert width <= 5
        out = t.apply(spec, params)
        assert torch.all(out[:, start : start + width] == spec.mean())


def test_mask_widths_cover_the_range():
    t = FrequencyMask(max_width=4)
    widths = {t.sample(_rng(k))["masks"][0]["width"] for k in range(60)}
    assert widths == {0, 1, 2, 3, 4}


# --------------------------------------------------------------------------- bad input
WAVE_TRANSFORMS = [AddNoise(), TimeShift(), SpeedChange(), PitchShift(n_fft=256), Gain()]


@pytest.mark.parametrize("t", WAVE_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_bad_waveforms_raise_clear_errors(t):
    name = type(t).__name__
    good = torch.randn(2, 1000)
    bad_nan = good.clone()
    bad_nan[1, 5] = float("nan")
    bad_inf = good.clone()
    bad_inf[0, 0] = float("inf")
    for bad, exc, msg in (
        (bad_nan, ValueError, "NaN"),
        (bad_inf, ValueError, "NaN or inf"),
        (torch.zeros(2, 0), ValueError, "empty"),
        (torch.zeros(0), ValueError, "empty"),
        (torch.randn(2, 2, 100), ValueError, "channels, time"),
        ((good * 3000).to(torch.int16), TypeError, "32768"),
        ((good * 3000).numpy().astype(np.int16), TypeError, "32768"),
        (good.half(), TypeError, "float32 or float64"),
        (good.tolist(), TypeError, "torch.Tensor or numpy"),
    ):
        with pytest.raises(exc, match=msg) as info:
            t(bad, rng=np.random.default_rng(0))
        assert name in str(info.value)


def test_clip_shorter_than_fft_size_raises():
    with pytest.raises(ValueError, match="n_fft"):
        PitchShift(n_fft=512)(torch.randn(300), rng=0)


def test_bad_construction_arguments():
    for ctor, exc in (
        (lambda: PitchShift(semitones=(-14, 2)), ValueError),
        (lambda: PitchShift(semitones=30), ValueError),
        (lambda: AddNoise(sample_rate=0), ValueError),
        (lambda: SpeedChange(sample_rate=-8000), ValueError),
        (lambda: TimeShift(max_shift=0.1, unit="seconds"), ValueError),
        (lambda: SpeedChange(factors=(0.9, 1.0, 1.1)), ValueError),
        (lambda: Gain(sample_rate=16000.5), TypeError),
    ):
        with pytest.raises(exc):
            ctor()


def test_bad_spectrograms():
    for bad, exc in (
        (torch.zeros(10), ValueError),
        (torch.zeros(3, 0), ValueError),
        (torch.zeros(4, 4, dtype=torch.int64), TypeError),
        (torch.full((4, 4), float("nan")), ValueError),
    ):
        with pytest.raises(exc, match="TimeMask"):
            TimeMask(max_width=2)(bad, rng=0)


def test_readonly_numpy_input_is_not_copied_back_or_mutated():
    x = harmonic_tone(200, 0.2).astype(np.float32)
    x.setflags(write=False)
    before = x.copy()
    for t in WAVE_TRANSFORMS:
        y = t(x, rng=1)
        assert isinstance(y, np.ndarray) and y.dtype == np.float32
    assert np.array_equal(x, before)


def test_outputs_do_not_depend_on_the_thread_count():
    # DataLoader workers run with one thread; the main process may use more. Same key, same bits.
    x = torch.from_numpy(np.stack([harmonic_tone(200, 0.5), harmonic_tone(310, 0.5)])).float()
    transforms = [PitchShift(), SpeedChange(factors=(0.8, 1.2)), AddNoise(color="pink")]
    threads = torch.get_num_threads()
    try:
        outs = []
        for n in (2, 1):
            torch.set_num_threads(n)
            outs.append([t(x, rng=k) for t in transforms for k in range(3)])
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(a, b) for a, b in zip(*outs, strict=False))


def test_stft_istft_and_phase_vocoder_match_torch_and_torchaudio():
    x = torch.randn(2, 4000, dtype=torch.float64)
    for n_fft, hop in ((512, 128), (300, 90)):
        w = torch.hann_window(n_fft, dtype=torch.float64)
        spec = AF.stft_frames(x, n_fft, hop, w)
        ref = torch.stft(x, n_fft, hop, window=w, center=True, return_complex=True)
        assert torch.allclose(spec.transpose(-1, -2), ref, atol=1e-10)
        assert torch.allclose(AF.istft_frames(spec, n_fft, hop, w, 4000), x, atol=1e-10)
        for rate in (0.8, 1.3):
            mine = AF.phase_vocoder(spec, rate, hop)
            advance = torch.linspace(0, math.pi * hop, n_fft // 2 + 1, dtype=torch.float64)[..., None]
            peer = TAF.phase_vocoder(ref, rate, advance)
            assert torch.allclose(mine.transpose(-1, -2), peer, atol=1e-8)


def test_addnoise_on_a_very_loud_float32_clip_stays_finite_and_exact():
    x = torch.from_numpy(harmonic_tone(300, 0.1)).float() * 1e30  # mean square overflows float32
    t = AddNoise(snr_db=(10, 20))
    params = t.sample(_rng(0))
    y = t.apply(x, params)
    assert bool(torch.isfinite(y).all())
    assert abs(measured_snr(x.numpy(), y.numpy()) - params["snr_db"]) < 0.01


def test_waveform_transforms_are_differentiable():
    g = torch.randn(1, 3000, dtype=torch.float64, requires_grad=True)
    for t in (PitchShift(n_fft=256), SpeedChange(), AddNoise(color="pink"), TimeShift(rollover=False), Gain()):
        y = t(g, rng=0)
        y.pow(2).sum().backward()
        assert g.grad is not None and bool(torch.isfinite(g.grad).all())
        g.grad = None
        with torch.no_grad():
            assert torch.allclose(t(g, rng=0), y, atol=1e-8)  # the in-place fast path computes the same
