"""Per-sample overhead of AugmentedDataset (key derivation + dispatch) against un-keyed peers.

Measured in one process, interleaved, medians over repeats:

* ``plain``: ``[base[i] for i in idx]``, no augmentation;
* ``unkeyed``: the usual way, one generator per dataset object (what the seed notebook and most
  code do; not reproducible across ``num_workers``): ``t.apply(x, t.sample(self.rng))``;
* ``keyed_b64``: ``AugmentedDataset.__getitems__`` on batches of 64 (one counter-based Philox
  generator re-keyed per sample, the draws of ``sample_rng``), what a DataLoader worker calls;
* ``keyed_item``: ``AugmentedDataset[i]`` one at a time (this thread's generator re-keyed:
  ``rekeyed_sample_rng``);
* ``sample_rng``: a fresh keyed generator alone; ``rekeyed_sample_rng``: the re-keyed one alone;
* ``batch_rng_b128``: a batch's generator from its 128 keys (what the mixing collates derive), per batch.

Targets (medians under the benchmark's load): keyed overhead at most 10 us per sample in batches and
at most 20 us one item at a time.

The wrapper's overhead is ``keyed_b64 - unkeyed`` per sample (the transform's own work cancels). A
second table runs a 2-worker DataLoader over 32x32 uint8 images with a cheap hole-cutting
transform, keyed vs un-keyed, in samples/second.

Usage: ``python benchmarks/bench_dataset.py [--quick]``; writes benchmarks/results/bench_dataset.json.
Timings on a shared machine are noisy; compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from loaders import AugmentedDataset, Transform  # noqa: E402
from loaders.keys import KeyedBatch, batch_rng, rekeyed_sample_rng, sample_rng  # noqa: E402


class Noop(Transform):
    """Draws one number and returns the input: isolates the wrapper's cost."""

    def _sample(self, rng, strength):
        return {"v": float(rng.random())}

    def _apply(self, x, params):
        return x


class Hole(Transform):
    """A cheap Cutout: copy, zero one 8x8 square."""

    def _sample(self, rng, strength):
        return {"y": int(rng.integers(0, 24)), "x": int(rng.integers(0, 24))}

    def _apply(self, x, params):
        out = x.copy()
        out[params["y"] : params["y"] + 8, params["x"] : params["x"] + 8] = 0
        return out


class Images(Dataset):
    def __init__(self, n, size=32):
        self.x = np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], i % 10


class Unkeyed(Dataset):
    """The usual way: one generator made in __init__ (copied into every worker)."""

    def __init__(self, base, t):
        self.base, self.t, self.rng = base, t, np.random.default_rng(0)

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        x, y = self.base[i]
        return self.t.apply(x, self.t.sample(self.rng)), y


def per_sample_us(fn, n, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / n * 1e6


def loader_rate(ds, n, repeats, **kw):
    loader = DataLoader(ds, num_workers=2, persistent_workers=True, **kw)
    rates = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        for _ in loader:
            pass
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates[1:])  # first pass starts the workers


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run")
    args = ap.parse_args(argv)
    n, repeats = (1024, 5) if args.quick else (8192, 15)
    base = Images(n)
    idx = list(range(n))
    t = Noop()
    keyed = AugmentedDataset(base, t, seed=0)
    unkeyed = Unkeyed(base, t)
    batches = [idx[i : i + 64] for i in range(0, n, 64)]
    # n batch draws of 128 keys each (reported per batch, not per sample)
    keyed_batches = [KeyedBatch(idx[j : j + 128], seed=0, epoch=0) for j in range(0, n, 128)] * 128
    cases = {
        "plain": lambda: [base[i] for i in idx],
        "unkeyed": lambda: [unkeyed[i] for i in idx],
        "keyed_b64": lambda: [keyed.__getitems__(b) for b in batches],  # what a DataLoader worker calls
        "keyed_item": lambda: [keyed[i] for i in idx],  # one sample at a time (sample_rng each)
        "sample_rng": lambda: [sample_rng(0, 0, i) for i in idx],
        "rekeyed_sample_rng": lambda: [rekeyed_sample_rng(0, 0, i) for i in idx],
        "batch_rng_b128": lambda: [batch_rng(kb) for kb in keyed_batches],
    }
    res = {k: [] for k in cases}
    for _ in range(3):  # interleave rounds so that load spikes hit every case
        for k, fn in cases.items():
            res[k].append(per_sample_us(fn, n, repeats))
    us = {k: statistics.median(v) for k, v in res.items()}
    overhead = us["keyed_b64"] - us["unkeyed"]
    item_overhead = us["keyed_item"] - us["unkeyed"]
    print(f"Per-sample cost, microseconds (median; n={n}, shared CPU: noisy)")
    print(f"{'case':<12}{'us/sample':>12}{'vs unkeyed':>12}")
    for k, v in us.items():
        print(f"{k:<12}{v:>12.2f}{v / us['unkeyed']:>12.2f}")
    print(
        f"wrapper overhead in batches of 64 (keyed_b64 - unkeyed): {overhead:.2f} us/sample "
        f"(target <= 10: {'met' if overhead <= 10 else 'NOT met'}); one at a time: {item_overhead:.2f} us "
        f"(target <= 20: {'met' if item_overhead <= 20 else 'NOT met'}); a fresh generator "
        f"{us['sample_rng']:.2f} us, a re-keyed one {us['rekeyed_sample_rng']:.2f} us; "
        f"a batch generator from 128 keys {us['batch_rng_b128']:.2f} us per batch"
    )

    m = 512 if args.quick else 4096
    img = Images(m)
    rates = {}
    kw = dict(batch_size=64)
    ds_keyed = AugmentedDataset(img, Hole(), seed=0)
    rates["unkeyed_loader"] = loader_rate(Unkeyed(img, Hole()), m, 2 if args.quick else 5, **kw)
    rates["keyed_loader"] = loader_rate(ds_keyed, m, 2 if args.quick else 5, **kw)
    print("\n2-worker DataLoader, 32x32 uint8, hole transform, batch 64 (samples/s, median)")
    for k, v in rates.items():
        print(f"{k:<16}{v:>12.0f}{v / rates['unkeyed_loader']:>8.2f}x")

    out = {
        "per_sample_us": us,
        "overhead_us": overhead,
        "loader_samples_per_s": rates,
        "ratio_keyed_vs_unkeyed_loader": rates["keyed_loader"] / rates["unkeyed_loader"],
        "quick": args.quick,
        "n": n,
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
    }
    path = pathlib.Path(__file__).resolve().parent / "results" / "bench_dataset.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
