"""Adapter benchmark: what keying another library's transform costs per call.

Each row times the wrapped transform called bare (drawing from the global generators, as the
library does on its own) and the same transform through its adapter
(`t.apply(x, t.sample(rng))`: one 64-bit seed drawn from the sample's generator, the library's
global generators seeded from it under the process-wide lock, the call, the caller's states
restored). Each adapter call is split in two: the wrapped transform is swapped for a stand-in
that times it, so the bare time is the op itself inside that very call and the overhead is the
rest (same draws and caches for both; robust on a loaded, shared machine). The sample generator
is made by the dataset whatever the transform is, so it is not counted. After a heavy op
(RandAugment on 224x224) the generator state and the interpreter run from cold caches, so the
same seeding steps cost several times more than after a cheap op: that is part of the overhead
reported for it.

Rows: torchvision v2 `RandomHorizontalFlip` on a 3x32x32 uint8 image (cheap) and `RandAugment`
on 3x224x224 uint8 (heavy), torchaudio `FrequencyMasking`, audiomentations `Gain`, nlpaug
`RandomWordAug`, and `loaders.Seeded` around a function that does nothing, with each generator
alone and all three. A second table times the ways to save, seed and restore each global
generator (numpy's legacy one is the expensive one), and checks the numpy route taken by
`Seeded` against `np.random.seed` for exactness.

The seeding table times blocks of calls round-robin (one block of each method per round) and
reports the median and the best round.
Torch runs with one thread, like a DataLoader worker. Picked up by `benchmarks/run_all.py`
(every `bench_*.py`).

Usage:
    python benchmarks/bench_adapters.py [--quick]

Writes ``benchmarks/results/adapters.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from loaders import Seeded
from loaders.audio import Audiomentations, TorchAudio
from loaders.image import TorchVision
from loaders.text import NLPAug

TARGET_US = 15.0  # overhead target for TorchVision and TorchAudio


def time_round_robin(
    fns: dict[str, Callable[[], object]], rounds: int, block: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Median and best (min) microseconds per call of each zero-argument function, timed round-robin."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():  # warm up (lazy imports, caches)
        for _ in range(3):
            fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter_ns()
            for _ in range(block):
                fn()
            samples[name].append((time.perf_counter_ns() - t0) / block / 1e3)
    return (
        {name: statistics.median(v) for name, v in samples.items()},
        {name: min(v) for name, v in samples.items()},
    )


class Timed:
    """Stands in for the wrapped transform inside an adapter and times each call of it."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.last_ns = 0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter_ns()
        out = self.fn(*args, **kwargs)
        self.last_ns = time.perf_counter_ns() - t0
        return out

    def augment(self, *args, **kwargs):  # nlpaug's entry point
        t0 = time.perf_counter_ns()
        out = self.fn.augment(*args, **kwargs)
        self.last_ns = time.perf_counter_ns() - t0
        return out


def in_call_times(adapter, x, calls: int) -> dict:
    """Split each adapter call into the wrapped transform's own time (bare) and the rest (overhead).

    The wrapped transform is swapped for a [Timed] stand-in, so one call yields both numbers: the
    op runs in the very call it is compared with (same draws, same caches), and the overhead
    (drawing the seed, the lock, saving/seeding/restoring the generators, the adapter's own
    conversions) does not drown in the op's variance or in the load of a shared machine.
    """
    attr = "augmenter" if isinstance(adapter, NLPAug) else "transform" if hasattr(adapter, "transform") else "fn"
    inner = getattr(adapter, attr)
    timed = Timed(inner)
    setattr(adapter, attr, timed)
    rng = np.random.default_rng(0)  # the dataset's per-sample generator (made anyway): not counted
    bare_t, total_t, over_t = [], [], []
    try:
        for k in range(calls + 5):
            t0 = time.perf_counter_ns()
            out = adapter.apply(x, adapter.sample(rng))
            total = time.perf_counter_ns() - t0
            del out  # freed after the clock stops (a large output's free is not the adapter's cost)
            if k >= 5:
                bare_t.append(timed.last_ns / 1e3)
                total_t.append(total / 1e3)
                over_t.append((total - timed.last_ns) / 1e3)
    finally:
        setattr(adapter, attr, inner)
    return {
        "bare_us": statistics.median(bare_t),
        "adapter_us": statistics.median(total_t),
        "overhead_us": statistics.median(over_t),
        "overhead_q25_q75_us": [float(np.percentile(over_t, 25)), float(np.percentile(over_t, 75))],
        "calls": calls,
    }


def cold_floor(heavy, x, calls: int) -> dict:
    """The least any exact torch-seeding wrapper must run after ``heavy(x)``, timed right after it.

    One raw draw for the seed, the lock, torch's ``get_state`` + ``manual_seed`` and (after the op)
    ``set_state``, inline with no Python frames of ours: after a 1 ms op that evicts the interpreter's
    caches these few calls cost several times their warm cost, and so would any code a wrapper runs.
    """
    import threading

    gen = torch.default_generator
    lock = threading.RLock()
    bits = np.random.default_rng(0).bit_generator
    pc = time.perf_counter_ns

    def pre():
        lock.acquire()
        saved = gen.get_state()
        gen.manual_seed(int(bits.random_raw()))
        return saved

    def post(saved):
        gen.set_state(saved)
        lock.release()

    cold, warm = [], []
    saved = pre()
    for k in range(calls + 5):
        heavy(x)
        t0 = pc()
        post(saved)  # the restore after the op, then the next call's draw and seeding (all after the op)
        saved = pre()
        t1 = pc()
        post(saved)  # the same steps again, now from warm caches
        saved = pre()
        t2 = pc()
        if k >= 5:
            cold.append((t1 - t0) / 1e3)
            warm.append((t2 - t1) / 1e3)
    post(saved)
    return {"cold_us": statistics.median(cold), "warm_us": statistics.median(warm), "calls": calls}


def adapter_rows(quick: bool) -> list[dict]:
    import audiomentations as AM
    import nlpaug.augmenter.word as naw
    import torchaudio.transforms as TAT
    from torchvision.transforms import v2

    small = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
    large = torch.randint(0, 256, (3, 224, 224), dtype=torch.uint8)
    spec = torch.rand(1, 64, 100)
    wave = (0.1 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32)
    text = "the quick brown fox jumps over the lazy dog near the river bank"

    def identity(x):
        return x

    cases = [
        ("TorchVision RandomHorizontalFlip 3x32x32", TorchVision(v2.RandomHorizontalFlip()), small, 4000),
        ("TorchVision RandAugment 3x224x224", TorchVision(v2.RandAugment()), large, 600),
        ("TorchAudio FrequencyMasking 1x64x100", TorchAudio(TAT.FrequencyMasking(16)), spec, 3000),
        ("Audiomentations Gain 1 s @16 kHz", Audiomentations(AM.Gain(p=1.0), sample_rate=16000), wave, 2000),
        ("NLPAug RandomWordAug swap", NLPAug(naw.RandomWordAug(action="swap")), text, 2000),
    ]
    for rngs in (("torch",), ("random",), ("numpy",), ("random", "numpy"), ("random", "numpy", "torch")):
        cases.append((f"Seeded(identity, rngs={rngs})", Seeded(identity, rngs=rngs), small, 4000))
    rows = []
    for name, adapter, x, calls in cases:
        if quick:
            calls = max(20, calls // 20)
        rows.append({"row": name, "rngs": list(adapter.rngs), **in_call_times(adapter, x, calls)})
    return rows


def seeding_rows(quick: bool) -> tuple[list[dict], bool]:
    """Costs of the ways to save, seed and restore each global generator, and the numpy exactness check."""
    from loaders.seeded import seeded_call

    gen = torch.default_generator
    seed = 0x9E3779B97F4A7C15
    scratch_bitgen = np.random.MT19937(0)
    scratch = np.random.RandomState(scratch_bitgen)
    get_bg = np.random.get_bit_generator
    set_bg = np.random.set_bit_generator

    def numpy_naive():
        st = np.random.get_state()
        np.random.seed(seed >> 32)
        np.random.set_state(st)

    def numpy_swap():  # the route Seeded takes (one pending gaussian read, no full restore)
        st = np.random.get_state(legacy=False)
        bg = get_bg()
        scratch.seed(seed >> 32)
        set_bg(scratch_bitgen)
        set_bg(bg)
        if st["has_gauss"]:
            np.random.set_state(st)

    def torch_naive():
        st = torch.get_rng_state()
        torch.manual_seed(seed)
        torch.set_rng_state(st)

    def torch_cpu():
        st = gen.get_state()
        gen.manual_seed(seed)
        gen.set_state(st)

    def random_ours():
        st = random.getstate()
        random.seed(seed)
        random.setstate(st)

    fns = {
        "numpy: np.random.seed(s) alone": lambda: np.random.seed(seed >> 32),
        "numpy: np.random.get_state()": np.random.get_state,
        "numpy: get_state + seed + set_state (naive)": numpy_naive,
        "numpy: get_state(legacy=False) + seed private MT19937 + swap bit generator (Seeded)": numpy_swap,
        "torch: get_rng_state + torch.manual_seed + set_rng_state (naive; seeds CUDA too)": torch_naive,
        "torch: default_generator get_state + manual_seed + set_state (Seeded)": torch_cpu,
        "random: getstate + seed + setstate (Seeded)": random_ours,
    }
    block, rounds = (50, 5) if quick else (500, 30)
    med, best = time_round_robin(fns, rounds, block)
    rows = [{"row": name, "us": us, "best_us": best[name]} for name, us in med.items()]

    # exactness: what Seeded hands a numpy-drawing function equals np.random.seed(seed >> 32)
    def draw(_):
        return np.random.random(8).tolist(), np.random.randn(3).tolist()

    ok = True
    for s in (0, 1, 2**32 + 7, seed, 2**64 - 1):
        caller = np.random.get_state()
        np.random.seed(s >> 32)
        want = draw(None)
        np.random.set_state(caller)
        ok &= seeded_call(draw, None, s, ("numpy",)) == want
    return rows, bool(ok)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    rows = adapter_rows(args.quick)
    title = "microseconds per call (median)"
    print(f"\n{title:<52} {'bare':>9} {'adapter':>9} {'overhead':>9} {'(q25, q75)':>16}")
    for r in rows:
        lo, hi = r["overhead_q25_q75_us"]
        cells = f"{r['bare_us']:>9.1f} {r['adapter_us']:>9.1f} {r['overhead_us']:>9.1f} {f'({lo:.1f}, {hi:.1f})':>16}"
        print(f"{r['row']:<52} {cells}")

    seeding, exact = seeding_rows(args.quick)
    print(f"\n{'save + seed + restore one global generator (us)':<90} {'median':>8} {'best':>8}")
    for r in seeding:
        print(f"{r['row']:<90} {r['us']:>8.1f} {r['best_us']:>8.1f}")
    print(f"numpy route of Seeded gives exactly np.random.seed(seed >> 32): {exact}")

    def find(prefix: str) -> dict:
        return next(r for r in rows if r["row"].startswith(prefix))

    from torchvision.transforms import v2

    floor = cold_floor(
        v2.RandAugment(), torch.randint(0, 256, (3, 224, 224), dtype=torch.uint8), 30 if args.quick else 600
    )
    print(
        f"\nfloor of exact torch seeding (draw + lock + get_state + manual_seed + set_state, inline): "
        f"{floor['warm_us']:.1f} us warm, {floor['cold_us']:.1f} us right after RandAugment 3x224x224"
    )
    cheap, heavy = find("TorchVision RandomHorizontalFlip"), find("TorchVision RandAugment")
    checks = {
        f"TorchVision overhead <= {TARGET_US} us (RandomHorizontalFlip 3x32x32)": cheap["overhead_us"] <= TARGET_US,
        f"TorchVision overhead <= {TARGET_US} us (RandAugment 3x224x224)": heavy["overhead_us"] <= TARGET_US,
        f"TorchVision overhead <= {TARGET_US} us above the cold floor (RandAugment 3x224x224)": heavy["overhead_us"]
        - floor["cold_us"]
        <= TARGET_US,
        "TorchVision overhead <= 5% of RandAugment 3x224x224": heavy["overhead_us"] <= 0.05 * heavy["bare_us"],
        f"TorchAudio overhead <= {TARGET_US} us": find("TorchAudio")["overhead_us"] <= TARGET_US,
        "numpy seeding exact": exact,
    }
    for name, ok in checks.items():
        print(f"{'met' if ok else 'NOT MET'}: {name}")

    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    payload = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "quick": args.quick,
        "adapters": rows,
        "seeding": seeding,
        "cold_floor": floor,
        "targets": checks,
    }
    (out_dir / "adapters.json").write_text(json.dumps(payload, indent=2))
    print(f"\nwrote {out_dir / 'adapters.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
