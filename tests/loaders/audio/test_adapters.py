"""loaders.audio.TorchAudio and loaders.audio.Audiomentations: keyed draws, types, restored generators.

Cross-worker, start-method and fresh-process identity: tests/loaders/test_seeded.py (all adapters).
"""

from __future__ import annotations

import pickle

import audiomentations as AM
import numpy as np
import pytest
import torch
import torchaudio

from loaders import AugmentedDataset, Compose, OneOf
from loaders.audio import Audiomentations, Gain, TorchAudio
from tests.loaders.test_seeded import _global_states, _same_states, within_3_sigma

SPEEDS = [0.9, 1.0, 1.1]


def _wave(n=1600, channels=1):
    t = torch.arange(n, dtype=torch.float32) / 8000
    return (0.3 * torch.sin(2 * torch.pi * 440 * t)).repeat(channels, 1)


# ---------------------------------------------------------------------------
# TorchAudio
# ---------------------------------------------------------------------------
def test_speed_perturbation_gives_back_the_waveform_and_draws_each_speed_evenly():
    t = TorchAudio(torchaudio.transforms.SpeedPerturbation(8000, SPEEDS))
    wave = _wave()
    n = 300
    lengths = [t(wave, rng=k).shape[-1] for k in range(n)]
    counts = {L: lengths.count(L) for L in set(lengths)}
    assert len(counts) == 3, counts
    for c in counts.values():
        assert within_3_sigma(c, n, 1 / 3), counts
    out = t(wave, rng=0)
    assert isinstance(out, torch.Tensor) and out.dtype == wave.dtype and out.ndim == 2
    assert torch.equal(out, t(wave, rng=0))


def test_masking_rate_with_p_on_top():
    spec = torch.ones(1, 32, 40)
    inner = torchaudio.transforms.TimeMasking(time_mask_param=10, p=1.0)
    t = TorchAudio(inner, p=0.5)
    n = 400
    masked = sum(bool((t(spec, rng=k) == 0).any()) for k in range(n))
    # the adapter runs with p=0.5; TimeMasking then masks 0 columns with probability 1/10 (width U[0, 10))
    assert within_3_sigma(masked, n, 0.5 * 0.9), masked
    assert float(spec.min()) == 1.0  # input untouched


def test_numpy_in_numpy_out_and_replay():
    t = TorchAudio(torch.nn.Sequential(torchaudio.transforms.FrequencyMasking(8), torchaudio.transforms.TimeMasking(8)))
    spec = np.ones((1, 24, 30), dtype=np.float32)
    params = t.sample(np.random.default_rng(9))
    out = t.apply(spec, params)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == spec.shape
    assert np.array_equal(out, t.apply(spec, params)) and spec.min() == 1.0
    assert np.array_equal(out, t.apply(torch.from_numpy(spec), params).numpy())
    assert np.array_equal(pickle.loads(pickle.dumps(t)).apply(spec, params), out)


def test_torchaudio_composes_and_leaves_globals_untouched():
    pipe = Compose([Gain(db=(-3, 3)), OneOf([TorchAudio(torchaudio.transforms.SpeedPerturbation(8000, SPEEDS))])])
    wave = _wave()
    before = _global_states()
    a, b = pipe(wave, rng=3), pipe(wave, rng=3)
    assert _same_states(_global_states(), before)
    assert torch.equal(a, b)


def test_torchaudio_in_a_dataset_replays_from_params():
    waves = [(_wave(800 + 100 * i), i) for i in range(3)]
    t = TorchAudio(torchaudio.transforms.SpeedPerturbation(8000, SPEEDS))
    ds = AugmentedDataset(waves, t, seed=1)
    for i in range(3):
        assert torch.equal(ds[i][0], t.apply(waves[i][0], ds.params(i)["params"]))


def test_torchaudio_refuses_non_modules_and_non_audio():
    with pytest.raises(TypeError, match="Seeded"):
        TorchAudio(lambda x: x)
    with pytest.raises(TypeError, match="audio must be"):
        TorchAudio(torchaudio.transforms.TimeMasking(4))("not audio", rng=0)


# ---------------------------------------------------------------------------
# Audiomentations
# ---------------------------------------------------------------------------
def test_gain_rate_within_3_sigma_and_p_on_top():
    wave = _wave().numpy()[0]
    n = 400
    t = Audiomentations(AM.Gain(min_gain_db=-6, max_gain_db=6, p=0.5), sample_rate=8000)
    changed = sum(not np.array_equal(t(wave, rng=k), wave) for k in range(n))
    assert within_3_sigma(changed, n, 0.5), changed
    outer = Audiomentations(AM.Compose([AM.Gain(min_gain_db=-6, max_gain_db=6, p=1.0)]), sample_rate=8000, p=0.3)
    changed = sum(not np.array_equal(outer(wave, rng=k), wave) for k in range(n))
    assert within_3_sigma(changed, n, 0.3), changed


def test_audiomentations_types_dtypes_and_no_mutation():
    t = Audiomentations(
        AM.Compose([AM.AddGaussianNoise(p=1.0), AM.Shift(p=0.5), AM.Gain(p=0.5)], shuffle=True), sample_rate=8000
    )
    stereo = _wave(channels=2)
    for x in (stereo, stereo.numpy(), stereo.numpy().astype(np.float64), stereo[0].double()):
        before = x.copy() if isinstance(x, np.ndarray) else x.clone()
        out = t(x, rng=2)
        assert type(out) is type(x) and out.dtype == x.dtype and out.shape == x.shape
        again = t(x, rng=2)
        assert np.array_equal(out, again) if isinstance(x, np.ndarray) else torch.equal(out, again)
        assert np.array_equal(x, before) if isinstance(x, np.ndarray) else torch.equal(x, before)
    assert not np.array_equal(t(stereo.numpy(), rng=2), t(stereo.numpy(), rng=3))


def test_audiomentations_globals_untouched_and_replay_in_dataset():
    waves = [(_wave().numpy() * (i + 1) / 4, i) for i in range(3)]
    t = Audiomentations(AM.OneOf([AM.AddGaussianSNR(p=1.0), AM.PolarityInversion(p=1.0)]), sample_rate=8000)
    ds = AugmentedDataset(waves, t, seed=5)
    np.random.randn(1)  # pending gaussian
    before = _global_states()
    outs = [ds[i][0] for i in range(3)]
    assert _same_states(_global_states(), before)
    for i in range(3):
        assert np.array_equal(outs[i], t.apply(waves[i][0], ds.params(i)["params"]))


def test_audiomentations_refusals():
    with pytest.raises(TypeError, match="audiomentations"):
        Audiomentations(torchaudio.transforms.TimeMasking(4), sample_rate=8000)
    t = Audiomentations(AM.Gain(p=1.0), sample_rate=8000)
    with pytest.raises(TypeError, match="int16"):
        t(np.zeros(100, dtype=np.int16), rng=0)
    with pytest.raises(ValueError, match="channels, time"):
        t(np.zeros((1, 2, 100), dtype=np.float32), rng=0)


def test_torchaudio_read_only_and_big_endian_numpy():
    t = TorchAudio(torchaudio.transforms.TimeMasking(6))
    spec = np.ones((1, 16, 20), dtype=np.float32)
    spec.setflags(write=False)  # e.g. a memory-mapped dataset
    out = t(spec, rng=1)
    assert np.array_equal(out, t(spec.copy(), rng=1)) and isinstance(out, np.ndarray)
    assert np.array_equal(t(spec.astype(">f4"), rng=1), out)
