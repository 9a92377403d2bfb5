"""loaders.Seeded and the adapters built on it: keyed global generators, restored states, threads, workers.

The cross-process checks run every adapter at once (one ConcatDataset of small keyed datasets):
the same keys must give identical outputs with num_workers 0 and 2, under fork and spawn, and in
a fresh interpreter.
"""

from __future__ import annotations

import math
import os
import pickle
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import ConcatDataset, DataLoader

from loaders import AugmentedDataset, Compose, OneOf, RandomApply, Seeded
from loaders.seeded import RNG_NAMES, check_rngs, draw_seed, seeded_call
from tests._compare import deep_equal


# ---------------------------------------------------------------------------
# helpers (module level: they must pickle for spawn workers)
# ---------------------------------------------------------------------------
def draw_all(x):
    """Draws from the three global generators, interleaved."""
    return (
        x,
        random.random(),
        float(np.random.random()),
        float(torch.rand(())),
        random.getrandbits(32),
        np.random.randn(3).tolist(),
        torch.randint(0, 1000, (2,)).tolist(),
    )


def noisy(x):
    """Adds draws from the three global generators to a float64 vector of length 6."""
    draws = [random.random(), random.gauss(0, 1), np.random.random(), np.random.randn(), float(torch.rand(()))]
    return x + np.array([*draws, float(torch.randn(()))])


def flip_all(x):
    return (random.random() < 0.5, bool(np.random.random() < 0.5), bool(torch.rand(()) < 0.5))


def _global_states():
    return random.getstate(), np.random.get_state(legacy=False), torch.default_generator.get_state()


def _same_states(a, b):
    (pa, na, ta), (pb, nb, tb) = a, b
    return (
        pa == pb
        and na["state"]["pos"] == nb["state"]["pos"]
        and np.array_equal(na["state"]["key"], nb["state"]["key"])
        and na["has_gauss"] == nb["has_gauss"]
        and na["gauss"] == nb["gauss"]
        and torch.equal(ta, tb)
    )


def _next_draws(n=4):
    return ([random.random() for _ in range(n)], np.random.randn(n).tolist(), torch.rand(n).tolist())


def within_3_sigma(hits, n, p):
    return abs(hits / n - p) <= 3 * math.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------------------
# seeding: exact, replayable, only the named generators
# ---------------------------------------------------------------------------
def test_params_hold_the_seed_and_replay():
    t = Seeded(draw_all)
    params = t.sample(np.random.default_rng(11))
    assert set(params) == {"apply", "seed"} and 0 <= params["seed"] < 2**64
    pickle.dumps(params)
    assert t.apply(0, params) == t.apply(0, params)
    other = t.sample(np.random.default_rng(12))
    assert t.apply(0, other) != t.apply(0, params)


def test_each_generator_is_seeded_exactly_as_documented():
    # independent references: fresh generators seeded the documented way
    seed = 0x0123456789ABCDEF
    got = seeded_call(lambda _: (random.random(), np.random.random(3).tolist(), torch.rand(3).tolist()), None, seed)
    ref_torch = torch.rand(3, generator=torch.Generator().manual_seed(seed)).tolist()
    assert got == (random.Random(seed).random(), np.random.RandomState(seed >> 32).random(3).tolist(), ref_torch)


def test_numpy_seeding_equals_np_random_seed_including_gaussians():
    seed = (987654321 << 32) | 5
    got = seeded_call(
        lambda _: (np.random.randn(5).tolist(), np.random.randint(0, 100, 4).tolist()), None, seed, ("numpy",)
    )
    caller = _global_states()
    np.random.seed(seed >> 32)
    want = (np.random.randn(5).tolist(), np.random.randint(0, 100, 4).tolist())
    np.random.set_state(caller[1])
    assert got == want


def test_callers_streams_are_untouched_including_a_pending_gaussian():
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.randn(1)  # leaves numpy's legacy gaussian cache full (has_gauss=1)
    before = _global_states()
    assert before[1]["has_gauss"] == 1
    reference = _next_draws()
    random.setstate(before[0])
    np.random.set_state(before[1])
    torch.default_generator.set_state(before[2])

    bit_generator = np.random.get_bit_generator()
    t = Seeded(draw_all)
    for key in range(3):
        t(0, rng=key)
    assert np.random.get_bit_generator() is bit_generator  # the caller's own object is back
    assert _same_states(_global_states(), before)
    assert _next_draws() == reference


@pytest.mark.parametrize("rngs", [("random",), ("numpy",), ("torch",), ("numpy", "torch"), RNG_NAMES])
def test_only_the_named_generators_are_seeded_and_all_are_restored(rngs):
    before = _global_states()
    out_a = seeded_call(draw_all, 0, 42, rngs)
    after = _global_states()
    out_b = seeded_call(draw_all, 0, 42, rngs)
    # named generators: same draws both times; unnamed ones: the caller's stream moved on
    same = {"random": out_a[1] == out_b[1], "numpy": out_a[2] == out_b[2], "torch": out_a[3] == out_b[3]}
    for name in RNG_NAMES:
        assert same[name] == (name in rngs), (name, rngs)
    if set(rngs) == set(RNG_NAMES):
        assert _same_states(after, before)


def test_states_are_restored_when_fn_raises():
    before = _global_states()

    def boom(_):
        random.random()
        np.random.randn(3)
        torch.rand(2)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        seeded_call(boom, None, 5)
    assert _same_states(_global_states(), before)


def test_nested_seeded_calls_keep_the_outer_stream():
    inner = Seeded(draw_all)
    inner_params = inner.sample(np.random.default_rng(1))

    def outer_fn(x):
        a = (random.random(), float(np.random.random()), float(torch.rand(())))
        inner.apply(x, inner_params)
        b = (random.random(), float(np.random.random()), float(torch.rand(())))
        return a, b

    def outer_ref(x):
        return (
            (random.random(), float(np.random.random()), float(torch.rand(()))),
            (random.random(), float(np.random.random()), float(torch.rand(()))),
        )

    assert seeded_call(outer_fn, 0, 99) == seeded_call(outer_ref, 0, 99)


def test_concurrent_threads_each_get_their_own_seed():
    def slow_draws(x):
        out = []
        for _ in range(4):
            out.append((random.random(), float(np.random.random()), float(torch.rand(()))))
            time.sleep(0)  # hand the GIL to the other threads mid-call
        return out

    t = Seeded(slow_draws)
    torch_only = Seeded(slow_draws, rngs=("torch",))
    seeds = list(range(24))
    want = {s: t.apply(0, {"apply": True, "seed": s}) for s in seeds}
    want_torch = {s: [v[2] for v in torch_only.apply(0, {"apply": True, "seed": s})] for s in seeds}
    got, got_torch, errors = {}, {}, []

    def worker(chunk):
        try:
            for s in chunk:
                got[s] = t.apply(0, {"apply": True, "seed": s})
                got_torch[s] = [v[2] for v in torch_only.apply(0, {"apply": True, "seed": s})]
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(seeds[i::4],)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert got == want and got_torch == want_torch


def test_different_keys_give_independent_draws():
    t = Seeded(flip_all)
    n = 600
    outs = [t(None, rng=k) for k in range(n)]
    rates = [sum(o[i] for o in outs) for i in range(3)]
    for hits in rates:
        assert within_3_sigma(hits, n, 0.5), rates
    for i, j in ((0, 1), (0, 2), (1, 2)):  # the generators are not seeded alike (numpy and torch are both MT19937)
        agree = sum(o[i] == o[j] for o in outs)
        assert within_3_sigma(agree, n, 0.5), (i, j, agree)


def test_p_and_strength_decide_whether_fn_runs():
    t = Seeded(flip_all, p=0.5)
    n = 400
    runs = sum(t.sample(np.random.default_rng(k))["apply"] for k in range(n))
    assert within_3_sigma(runs, n, 0.5)
    assert not any(t.sample(np.random.default_rng(k), strength=0.0)["apply"] for k in range(20))
    assert t.apply("x", {"apply": False}) == "x"


def test_composes_with_native_containers():
    from loaders import Lambda

    pipe = Compose([Seeded(draw_all), OneOf([Seeded(flip_all), Lambda(tuple)]), RandomApply([Lambda(list)], p=0.5)])
    assert pipe(0, rng=3) == pipe(0, rng=3)
    assert pickle.loads(pickle.dumps(pipe))(0, rng=3) == pipe(0, rng=3)


def test_dataset_params_then_apply_replays_the_draw():
    ds = AugmentedDataset([(np.full(6, float(i)), i) for i in range(5)], Seeded(noisy), seed=4)
    ds.set_epoch(2)
    log = ds.params(3)
    assert np.array_equal(ds.transform.apply(np.full(6, 3.0), log["params"]), ds[3][0])
    assert not np.array_equal(ds[3][0], ds[2][0] + 1.0)


def test_check_rngs_and_draw_seed():
    assert check_rngs(["numpy", "torch"]) == ("numpy", "torch")
    with pytest.raises(TypeError, match=r"rngs=\('torch',\)"):
        check_rngs("torch")
    with pytest.raises(ValueError, match="twice"):
        check_rngs(("torch", "torch"))
    a = np.random.Generator(np.random.Philox(3))
    b = np.random.Generator(np.random.Philox(3))
    assert draw_seed(a) == int(b.bit_generator.random_raw())


def test_lock_is_fresh_in_a_forked_child():
    # a fork taken while another thread holds the lock must not leave the child deadlocked
    import multiprocessing as mp

    import loaders.seeded as seeded_mod

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    holding, release = threading.Event(), threading.Event()

    def hold():
        with seeded_mod._STATE.lock:
            holding.set()
            release.wait(10)

    th = threading.Thread(target=hold)
    th.start()
    holding.wait(10)
    try:
        ctx = mp.get_context("fork")
        with ctx.Pool(1) as pool:
            out = pool.apply_async(_seeded_in_child).get(timeout=20)
    finally:
        release.set()
        th.join()
    assert out == seeded_call(draw_all, 0, 7)


def _seeded_in_child():
    return seeded_call(draw_all, 0, 7)


# ---------------------------------------------------------------------------
# every adapter across workers, start methods and processes
# ---------------------------------------------------------------------------
def _adapter_datasets():
    """One small keyed dataset per adapter (imports the optional libraries)."""
    import audiomentations as AM
    import nlpaug.augmenter.char as nac
    import nlpaug.augmenter.word as naw
    import nlpaug.flow as naf
    import torchaudio
    from torchvision.transforms import v2

    from loaders.audio import Audiomentations, TorchAudio
    from loaders.image import TorchVision
    from loaders.text import NLPAug

    g = torch.Generator().manual_seed(0)
    images = [(torch.randint(0, 256, (3, 12, 12), generator=g, dtype=torch.uint8), i) for i in range(4)]
    waves = [(torch.randn(1, 800, generator=g) * 0.1, i) for i in range(4)]
    texts = [(f"sample number {i} says the quick brown fox jumps over the lazy dog", i) for i in range(4)]
    return {
        "Seeded": AugmentedDataset([(np.full(6, float(i)), i) for i in range(4)], Seeded(noisy), seed=3),
        "TorchVision": AugmentedDataset(
            images,
            TorchVision(
                v2.Compose([v2.RandomResizedCrop(8, antialias=True), v2.RandomHorizontalFlip(), v2.RandAugment()])
            ),
            seed=3,
        ),
        "TorchAudio": AugmentedDataset(
            waves, TorchAudio(torchaudio.transforms.SpeedPerturbation(8000, [0.9, 1.0, 1.1])), seed=3
        ),
        "Audiomentations": AugmentedDataset(
            waves,
            Audiomentations(
                AM.Compose([AM.AddGaussianNoise(p=0.7), AM.Shift(p=0.5), AM.Gain(p=0.5)]), sample_rate=8000
            ),
            seed=3,
        ),
        "NLPAug": AugmentedDataset(
            texts, NLPAug(naf.Sequential([nac.KeyboardAug(), naw.RandomWordAug(action="swap")])), seed=3
        ),
    }


ADAPTERS = ["Seeded", "TorchVision", "TorchAudio", "Audiomentations", "NLPAug"]


def _collate_list(batch):
    return list(batch)


def adapter_outputs(num_workers=0, context=None, epoch=1):
    """Every sample of every adapter's dataset, in order, as {adapter: [sample, ...]}."""
    datasets = _adapter_datasets()
    for ds in datasets.values():
        ds.set_epoch(epoch)
    concat = ConcatDataset([datasets[name] for name in ADAPTERS])
    loader = DataLoader(
        concat,
        batch_size=3,
        num_workers=num_workers,
        collate_fn=_collate_list,
        multiprocessing_context=context if num_workers else None,
    )
    flat = [s for batch in loader for s in batch]
    out, start = {}, 0
    for name in ADAPTERS:
        out[name] = flat[start : start + len(datasets[name])]
        start += len(datasets[name])
    return out


@pytest.fixture(scope="module")
def in_process():
    return adapter_outputs(0)


def _check_same(a, b, what):
    for name in ADAPTERS:
        assert deep_equal(a[name], b[name]), f"{name}: {what} differs from num_workers=0"


def test_adapters_differ_between_keys_and_epochs(in_process):
    other_epoch = adapter_outputs(0, epoch=2)
    for name in ADAPTERS:
        samples = in_process[name]
        assert not all(deep_equal(samples[0][0], s[0]) for s in samples[1:]) or name == "Seeded", name
        assert not deep_equal(samples, other_epoch[name]), name


def test_adapters_same_with_two_fork_workers(in_process):
    _check_same(adapter_outputs(2, "fork"), in_process, "2 fork workers")


@pytest.mark.slow
def test_adapters_same_with_two_spawn_workers(in_process):
    _check_same(adapter_outputs(2, "spawn"), in_process, "2 spawn workers")


def test_adapters_same_in_another_process(in_process):
    code = (
        "import pickle, sys; from tests.loaders.test_seeded import adapter_outputs; "
        "sys.stdout.buffer.write(pickle.dumps(adapter_outputs(0)))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    _check_same(pickle.loads(res.stdout), in_process, "a fresh interpreter")


def test_adapters_leave_the_callers_generators_untouched():
    datasets = _adapter_datasets()
    np.random.randn(1)  # a pending legacy gaussian too
    before = _global_states()
    for ds in datasets.values():
        for i in range(len(ds)):
            ds[i]
    assert _same_states(_global_states(), before)


def test_plain_callables_are_refused_with_a_pointer_to_seeded_and_the_adapters():
    from torchvision.transforms import v2

    from loaders import Compose

    for make in (lambda: AugmentedDataset([1, 2], v2.RandomHorizontalFlip(), seed=0), lambda: Compose([draw_all])):
        with pytest.raises(TypeError) as info:
            make()
        message = str(info.value)
        for word in ("loaders.Seeded", "TorchVision", "TorchAudio", "Audiomentations", "NLPAug", "Lambda"):
            assert word in message, (word, message)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_batched_path_of_the_dataset_gives_the_same_samples(in_process, num_workers):
    # a DataLoader straight over an AugmentedDataset fetches through __getitems__ (keyed batches)
    datasets = _adapter_datasets()
    for name in ("TorchVision", "Audiomentations"):
        ds = datasets[name]
        ds.set_epoch(1)
        loader = DataLoader(
            ds,
            batch_size=3,
            num_workers=num_workers,
            collate_fn=_collate_list,
            multiprocessing_context="fork" if num_workers else None,
        )
        got = [s for batch in loader for s in batch]
        assert deep_equal(got, in_process[name]), name
