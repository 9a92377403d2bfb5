"""Benchmark: mixing collates vs default_collate, timm and torchvision, in one process.

For each configuration (3x224x224 with 1000 classes and 3x32x32 with 100 classes, float32 and uint8,
B = 128) it times, on the same keyed batch (the `KeyedBatch` that `AugmentedDataset.__getitems__`
hands a DataLoader's collate_fn):

* ``default_collate`` alone (the baseline, ratio 1.00);
* this project's ``collate.MixUp`` / ``collate.CutMix`` (fused stack + mix; uint8 MixUp in exact
  fixed point with the lambda on a 1/256 grid);
* timm ``Mixup`` (mixup-only / cutmix-only) applied after ``default_collate``;
* timm ``FastCollateMixup`` (uint8 only: it truncates float input to uint8);
* torchvision ``v2.MixUp`` / ``v2.CutMix`` applied after ``default_collate`` (float only: they
  reject integer images).

Every mixing collate runs with ``p=1`` (every batch is mixed). Methods are interleaved within each repetition,
in an order shuffled every repetition; times are medians, and a ratio is the median over repetitions of the
method's time divided by ``default_collate``'s in the same repetition. A second table scales the batch (B in
{32, 128, 512}) and reports whether the cost is linear in B (a fixed cost per batch plus a flat marginal cost
per sample); rows that are not are rerun in a child process where glibc keeps freed memory, which shows whether
the jump is the allocator's (fresh pages for every batch above 32 MB) or the collate's.
A third row, only with CUDA, compares mixing in the collate with mixing on the device after the
transfer (``on_device=True`` + ``collate.functional.apply_mix``) for 3x224x224, B = 256.

Writes ``benchmarks/results/collate.json``. ``--quick`` does a short run.

    python benchmarks/bench_collate.py [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
from scaling import marginal_growth, verdict
from torch.utils.data import default_collate

from collate import CutMix, MixUp
from collate.functional import apply_mix
from loaders.keys import KeyedBatch

#: ImageNet-size inputs use 1000 classes, CIFAR-size ones 100 (CIFAR-100).
CLASSES = {224: 1000, 32: 100}
#: Targets of the issue this benchmark checks (ratios against default_collate in the same run).
SMALL_FLOAT_TARGET = 2.0
UINT8_MIXUP_TARGET = 3.0
#: The configurations of the scaling table (B in {32, 128, 512}).
SCALING_CONFIGS = (
    ("3x32x32 float32", (3, 32, 32), torch.float32),
    ("3x32x32 uint8", (3, 32, 32), torch.uint8),
    ("3x224x224 uint8", (3, 224, 224), torch.uint8),
)


def _peers():
    peers = {}
    try:
        from timm.data.mixup import FastCollateMixup, Mixup

        peers["timm"] = (Mixup, FastCollateMixup)
    except ImportError:  # pragma: no cover - dev extra missing
        pass
    try:
        from torchvision.transforms import v2

        peers["torchvision"] = (v2.MixUp, v2.CutMix)
    except ImportError:  # pragma: no cover
        pass
    return peers


def make_batch(b, shape, dtype, num_classes, seed=0):
    """A keyed batch of ``b`` random samples (what AugmentedDataset hands the collate_fn)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(b):
        if dtype == torch.uint8:
            x = torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
        else:
            x = torch.rand(shape, generator=g, dtype=dtype)
        out.append((x, i % num_classes))
    return KeyedBatch(out, seed=0, epoch=0, indices=list(range(1000, 1000 + b)))


def methods(dtype, num_classes, peers=True):
    ms = {
        "default_collate": default_collate,
        "ours MixUp": MixUp(num_classes, alpha=0.8, seed=0),
        "ours CutMix": CutMix(num_classes, alpha=1.0, seed=0),
    }
    if not peers:
        return ms
    found = _peers()
    if "timm" in found:
        mixup_cls, fast_cls = found["timm"]
        tm = mixup_cls(mixup_alpha=0.8, cutmix_alpha=0.0, label_smoothing=0.0, num_classes=num_classes)
        tc = mixup_cls(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0, num_classes=num_classes)
        if dtype.is_floating_point:
            ms["timm Mixup (mixup)"] = lambda b, tm=tm: tm(*default_collate(b))
            ms["timm Mixup (cutmix)"] = lambda b, tc=tc: tc(*default_collate(b))
        else:
            ms["timm FastCollateMixup (mixup)"] = fast_cls(
                mixup_alpha=0.8, cutmix_alpha=0.0, label_smoothing=0.0, num_classes=num_classes
            )
            ms["timm FastCollateMixup (cutmix)"] = fast_cls(
                mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0, num_classes=num_classes
            )
    if "torchvision" in found and dtype.is_floating_point:
        tv_mix, tv_cut = found["torchvision"]
        vm, vc = tv_mix(num_classes=num_classes, alpha=0.8), tv_cut(num_classes=num_classes, alpha=1.0)
        ms["torchvision v2.MixUp"] = lambda b, vm=vm: vm(*default_collate(b))
        ms["torchvision v2.CutMix"] = lambda b, vc=vc: vc(*default_collate(b))
    return ms


def time_all(fns, batch, reps, warmup=2):
    """Median seconds per method; methods are interleaved within each repetition so that background load hits
    them alike, in an order shuffled every repetition (seeded): a method that always ran after the same one would
    inherit the caches and the allocator state that one leaves (a peer's large temporaries slow whatever runs
    next, `default_collate` included)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn(batch)
    ts = {k: [] for k in fns}
    names = list(fns)
    order = random.Random(0)
    for _ in range(reps):
        order.shuffle(names)
        for k in names:
            t0 = time.perf_counter()
            fns[k](batch)
            ts[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in ts.items()}, ts


def time_ratios(fns, batch, reps, warmup=2):
    """``time_all``'s medians, and per method the median over repetitions of its time divided by the
    first method's (``default_collate``) in the same repetition: a load spike hitting one repetition
    cancels out."""
    med, ts = time_all(fns, batch, reps, warmup)
    base = ts[next(iter(fns))]
    return med, {k: statistics.median(a / b for a, b in zip(v, base, strict=True)) for k, v in ts.items()}


def _reps(side, b, quick):
    per = (7 if quick else 25) if side >= 224 else (30 if quick else 200)
    return max(5, int(per * 128 / b)) if b > 128 else per


def main_table(args, results):
    configs = [
        ("3x224x224 float32", (3, 224, 224), torch.float32),
        ("3x224x224 uint8", (3, 224, 224), torch.uint8),
        ("3x32x32 float32", (3, 32, 32), torch.float32),
        ("3x32x32 uint8", (3, 32, 32), torch.uint8),
    ]
    print(f"{'config':20s} {'method':34s} {'median ms':>10s} {'x default':>10s}")
    checks = []
    for name, shape, dtype in configs:
        k = CLASSES[shape[-1]]
        batch = make_batch(128, shape, dtype, k)
        times, ratio = time_ratios(methods(dtype, k), batch, _reps(shape[-1], 128, args.quick))
        for mname, t in times.items():
            results.append(
                {
                    "table": "peers",
                    "config": name,
                    "batch": 128,
                    "shape": list(shape),
                    "dtype": str(dtype).replace("torch.", ""),
                    "num_classes": k,
                    "method": mname,
                    "median_s": t,
                    "ratio_vs_default_collate": ratio[mname],
                }
            )
            print(f"{name:20s} {mname:34s} {t * 1e3:10.3f} {ratio[mname]:10.2f}")
        print()
        peers = {m: t for m, t in times.items() if m.startswith(("timm", "torchvision"))}
        if shape[-1] == 32 and dtype == torch.float32:
            for ours in ("ours MixUp", "ours CutMix"):
                r = ratio[ours]
                beaten = all(r < ratio[p] for p in peers)
                checks.append(
                    f"{name} {ours}: {r:.2f}x default_collate (target <= {SMALL_FLOAT_TARGET}: "
                    f"{'met' if r <= SMALL_FLOAT_TARGET else 'NOT met'}); faster than every peer in this "
                    f"run: {'yes' if beaten else 'NO'}"
                )
        if dtype == torch.uint8:
            r = ratio["ours MixUp"]
            checks.append(
                f"{name} ours MixUp: {r:.2f}x default_collate (target <= {UINT8_MIXUP_TARGET}: "
                f"{'met' if r <= UINT8_MIXUP_TARGET else 'NOT met'})"
            )
    return checks


def scaling_table(args, results):
    print("Scaling with the batch size (ratio vs default_collate; us per sample of ours). Linear = cost at most")
    print("a + b*B: the marginal cost per sample from the middle to the largest B at most 1.5x the one from the")
    print("smallest to the middle (benchmarks/scaling.py; a marginal cost that falls with B passes, labelled 'falls')")
    print(f"{'config':18s} {'method':15s} " + " ".join(f"{'B=' + str(b):>16s}" for b in (32, 128, 512)) + "  linear")
    lines = []
    for name, shape, dtype in SCALING_CONFIGS:
        if args.scaling_configs and name not in args.scaling_configs:
            continue
        k = CLASSES[shape[-1]]
        per = {}
        for b in (32, 128, 512):
            if args.quick and shape[-1] >= 224 and b == 512:
                continue
            per[b] = time_ratios(
                methods(dtype, k, peers=False), make_batch(b, shape, dtype, k), _reps(shape[-1], b, args.quick)
            )
        for m in ("default_collate", "ours MixUp", "ours CutMix"):  # default_collate: how stacking alone scales
            cells, us = [], {}
            for b in (32, 128, 512):
                if b not in per:
                    cells.append(f"{'-':>16s}")
                    continue
                t, r = per[b][0][m], per[b][1][m]
                us[b] = t / b * 1e6
                cells.append(f"{r:6.2f}x {us[b]:7.2f}us")
                results.append(
                    {
                        "table": "scaling",
                        "config": name,
                        "batch": b,
                        "method": m,
                        "median_s": t,
                        "ratio_vs_default_collate": r,
                        "us_per_sample": us[b],
                    }
                )
            bs = sorted(us)
            if len(bs) == 3:  # marginal cost per sample of the two steps
                growth = marginal_growth({b: us[b] * b for b in bs})
            else:  # two sizes only (--quick at 224): the cost per sample may not rise
                growth = us[bs[-1]] / us[bs[0]]
            linear, label = verdict(growth)
            lines.append((name, m, growth, linear))
            print(f"{name:18s} {m:15s} " + " ".join(cells) + f"  {label}")
    print()
    return lines


def linearity_checks(scaling, kept):
    """The verdict lines on the scaling rows: linear, or no worse than ``default_collate`` (stacking alone).

    A collate whose marginal cost per sample rises with B by no more than ``default_collate``'s does in
    the same configuration adds nothing superlinear: the rise belongs to the memory system (fresh pages,
    caches), which any collate that writes a new batch pays.
    """
    base = {n: g for n, m, g, _ in scaling if m == "default_collate"}
    ours = [(n, m, g, ok) for n, m, g, ok in scaling if m != "default_collate"]
    bad = [f"{n} {m}" for n, m, _, ok in ours if not ok]
    lines = [
        "cost linear in B (fixed cost per batch + flat marginal cost per sample): "
        + (f"NO for {', '.join(bad)}" if bad else "yes for every row")
    ]
    for n, m, g, ok in ours:
        if not ok:
            no_worse = g <= base.get(n, 0.0)
            lines.append(
                f"  {n} {m}: the marginal cost per sample rises {g:.2f}x, default_collate's {base.get(n, 0.0):.2f}x: "
                + ("no worse than stacking alone (the memory system's rise)" if no_worse else "WORSE than stacking")
            )
    kept_base = {n: g for n, m, g, _ in kept if m == "default_collate"}
    for n, m, g, ok in kept:
        if m != "default_collate":
            lines.append(
                f"  with glibc keeping freed memory, {n} {m}: {g:.2f}x ({'linear' if ok else 'not linear'}), "
                f"default_collate's {kept_base.get(n, 0.0):.2f}x"
            )
    return lines


def kept_memory_rows(args, lines):
    """The configurations where a collate's row was not linear, rerun in a child process where glibc keeps freed memory.

    glibc serves an allocation above its mmap threshold (at most 32 MB) with fresh pages from the
    kernel, which faults and zeroes each one, and returns them on free; so a 77 MB batch (224 px,
    B = 512) costs page faults every time, whatever collates it. ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` raised make glibc reuse the freed batch, as for the smaller ones:
    if the rows are linear then, the jump belongs to the allocator. Returns ``(name, method, growth,
    linear)`` rows ([] without glibc or when every row was linear).
    """
    bad = sorted({name for name, m, _, ok in lines if not ok and m != "default_collate"})
    if not bad or platform.libc_ver()[0] != "glibc":
        return []
    print("Rows not linear, rerun in a child process with glibc keeping freed memory (MALLOC_MMAP_THRESHOLD_=2**30,")
    print("MALLOC_TRIM_THRESHOLD_=2**33); otherwise every allocation above 32 MB gets fresh pages, faulted and zeroed")
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(2**30), MALLOC_TRIM_THRESHOLD_=str(2**33))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "kept.json"
        cmd = [sys.executable, __file__, "--scaling-only", "--no-rerun", "--threads", str(args.threads)]
        cmd += ["--out", str(out)]
        cmd += ["--quick"] if args.quick else []
        for name in bad:
            cmd += ["--scaling-config", name]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        rows = json.loads(out.read_text())["linear"]
    table = proc.stdout.split("Scaling with the batch size", 1)[-1].splitlines()
    print("\n".join(line for line in table if line.startswith(tuple(bad))))
    print()
    return [tuple(r) for r in rows]


def device_row(args, results):
    """CPU-collate mixing vs on-device mixing (3x224x224, B = 256); skipped without CUDA."""
    if not torch.cuda.is_available():
        print("on-device mixing row: skipped (no CUDA device)")
        return None
    dev = torch.device("cuda")
    b, shape, k = 256, (3, 224, 224), 1000
    out = {}
    for dtype in (torch.uint8, torch.float32):
        batch = make_batch(b, shape, dtype, k)
        cpu, dvc = MixUp(k, seed=0), MixUp(k, seed=0, on_device=True)

        def in_collate(batch=batch, cpu=cpu):
            x, y = cpu(batch)
            x = x.pin_memory().to(dev, non_blocking=True)
            torch.cuda.synchronize()
            return x

        def on_device(batch=batch, dvc=dvc):
            x, y, params = dvc(batch)
            x = apply_mix(x.pin_memory().to(dev, non_blocking=True), params)
            torch.cuda.synchronize()
            return x

        def plain(batch=batch):
            x, y = default_collate(batch)
            x = x.pin_memory().to(dev, non_blocking=True)
            torch.cuda.synchronize()
            return x

        a, c = in_collate(), on_device()
        same = (
            bool(torch.equal(a, c)) if dtype == torch.uint8 else bool(torch.allclose(a.float(), c.float(), atol=1e-5))
        )
        times, ratio = time_ratios(
            {
                "default_collate + transfer": plain,
                "mix in collate + transfer": in_collate,
                "on_device + transfer + apply_mix": on_device,
            },
            None,
            5 if args.quick else 15,
            warmup=1,
        )
        for m, t in times.items():
            print(f"3x224x224 {str(dtype):14s} B=256 {m:34s} {t * 1e3:9.2f} ms {ratio[m]:6.2f}x  (same output: {same})")
            results.append(
                {
                    "table": "device",
                    "dtype": str(dtype),
                    "batch": b,
                    "method": m,
                    "median_s": t,
                    "ratio_vs_default_collate": ratio[m],
                    "same_output": same,
                }
            )
        out[str(dtype)] = times
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short run (fewer repetitions)")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads (default 1: DataLoader workers run collate_fn with one thread)",
    )
    ap.add_argument("--skip-scaling", action="store_true", help="only the peer table")
    ap.add_argument("--scaling-only", action="store_true", help="only the scaling table")
    ap.add_argument("--no-rerun", action="store_true", help="no rerun of the rows that are not linear")
    ap.add_argument(
        "--scaling-config",
        dest="scaling_configs",
        action="append",
        choices=[c[0] for c in SCALING_CONFIGS],
        help="a row of the scaling table to run (repeatable; default: all)",
    )
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "collate.json"))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=UserWarning, module="timm")
    results = []
    print(
        f"torch {torch.__version__}, threads={torch.get_num_threads()}, cpus={os.cpu_count()}, "
        f"{platform.processor() or platform.machine()}, load average {os.getloadavg()[0]:.1f}; quick={args.quick}"
    )
    print("(timings on a shared machine are noisy; ratios are within one process, methods interleaved)")
    checks = [] if args.scaling_only else main_table(args, results)
    scaling = [] if args.skip_scaling else scaling_table(args, results)
    kept = kept_memory_rows(args, scaling) if scaling and not args.no_rerun else []
    if not args.scaling_only:
        device_row(args, results)
    print("Targets:")
    for line in checks:
        print("  " + line)
    if scaling:
        for line in linearity_checks(scaling, kept):
            print("  " + line)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": "collate",
                "quick": args.quick,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "checks": checks,
                "results": results,
                "linear": [list(r) for r in scaling],
                "linear_with_freed_memory_kept": [list(r) for r in kept],
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
