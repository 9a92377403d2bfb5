"""Resuming a stream mid-epoch: skip the seen items (this project) against replaying them (the usual way).

`AugmentedIterableDataset.load_state_dict` makes the next pass start at the saved position:

* ``skip_seekable``: the source is a list (it can seek): the pass jumps to the position;
* ``skip_iterator``: the source only iterates: the seen items are read but not augmented;
* ``replay``: what a loader without keyed state does (and torchdata's fallback for a dataset
  without state): iterate from the start, augmenting every seen item, and drop them.

Each row times the resume up to and including the first new batch, at 90 % of an epoch of
32x32 uint8 images with a hole-cutting transform; ratios are against ``replay``.

Usage: ``python benchmarks/bench_resume.py [--quick]``; writes benchmarks/results/bench_resume.json.
Timings on a shared machine are noisy; compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import time

import numpy as np

from loaders import AugmentedIterableDataset
from loaders.image import Cutout


class Stream:
    """A source that can only iterate (no ``__getitem__``)."""

    def __init__(self, items: list) -> None:
        self.items = items

    def __iter__(self):
        return iter(self.items)


def _first_batch(ds: AugmentedIterableDataset) -> float:
    t0 = time.perf_counter()
    next(iter(ds))
    return time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n, batch, repeats = (2_000, 32, 3) if args.quick else (20_000, 32, 5)
    rng = np.random.default_rng(0)
    items = [(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), i % 10) for i in range(n)]
    position = int(0.9 * n) // batch  # batches already taken
    state = {"seed": 0, "epoch": 0, "position": position}
    t = Cutout(size=0.5, p=1.0)

    def skip(source):
        ds = AugmentedIterableDataset(source, t, seed=0, batch_size=batch)
        ds.load_state_dict(state)
        return _first_batch(ds)

    def replay():
        ds = AugmentedIterableDataset(items, t, seed=0, batch_size=batch)
        t0 = time.perf_counter()
        it = iter(ds)
        for _ in range(position + 1):
            next(it)
        return time.perf_counter() - t0

    rows = {"skip_seekable": lambda: skip(items), "skip_iterator": lambda: skip(Stream(items)), "replay": replay}
    times: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(repeats):  # interleaved
        for name, fn in rows.items():
            times[name].append(fn())
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"resume at batch {position} of {n // batch} ({n} items of 32x32x3 uint8, Cutout), medians of {repeats}")
    print(f"{'method':<16}{'seconds':>12}{'vs replay':>12}")
    for name, s in med.items():
        print(f"{name:<16}{s:>12.5f}{med['replay'] / s:>11.1f}x")
    out = {
        "n": n,
        "batch": batch,
        "position": position,
        "repeats": repeats,
        "median_seconds": med,
        "speedup_vs_replay": {k: med["replay"] / v for k, v in med.items()},
    }
    path = pathlib.Path(__file__).resolve().parent / "results" / "bench_resume.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
