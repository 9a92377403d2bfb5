"""Benchmark: mixing collates vs default_collate, timm and torchvision, in one process.

For each configuration (B=128 of 3x224x224 with 1000 classes and of 3x32x32 with 100
classes, float32 and uint8)
it times on the same list of samples:

* ``default_collate`` alone (the baseline, ratio 1.00);
* this project's ``collate.MixUp`` / ``collate.CutMix`` (fused stack + mix);
* timm ``Mixup`` (mixup-only / cutmix-only) applied after ``default_collate``;
* timm ``FastCollateMixup`` (uint8 only: it truncates float input to uint8);
* torchvision ``v2.MixUp`` / ``v2.CutMix`` applied after ``default_collate``
  (float only: they reject integer images).

Every mixing collate runs with ``p=1`` (every batch is mixed). Prints a table of
median times and ratios against ``default_collate`` and writes
``benchmarks/results/collate.json``. ``--quick`` does a short run.

    python benchmarks/bench_collate.py [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import torch
from torch.utils.data import default_collate

from collate import CutMix, MixUp  # noqa: E402

#: ImageNet-size inputs use 1000 classes, CIFAR-size ones 100 (CIFAR-100).
CLASSES = {224: 1000, 32: 100}


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
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(b):
        if dtype == torch.uint8:
            x = torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
        else:
            x = torch.rand(shape, generator=g, dtype=dtype)
        out.append((x, i % num_classes))
    return out


def methods(dtype, NUM_CLASSES):
    peers = _peers()
    ms = {"default_collate": default_collate,
          "ours MixUp": MixUp(NUM_CLASSES, alpha=0.8, seed=0),
          "ours CutMix": CutMix(NUM_CLASSES, alpha=1.0, seed=0)}
    if "timm" in peers:
        Mixup, Fast = peers["timm"]
        tm = Mixup(mixup_alpha=0.8, cutmix_alpha=0.0, label_smoothing=0.0, num_classes=NUM_CLASSES)
        tc = Mixup(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0, num_classes=NUM_CLASSES)
        if dtype.is_floating_point:
            ms["timm Mixup (mixup)"] = lambda b, tm=tm: tm(*default_collate(b))
            ms["timm Mixup (cutmix)"] = lambda b, tc=tc: tc(*default_collate(b))
        else:
            ms["timm FastCollateMixup (mixup)"] = Fast(mixup_alpha=0.8, cutmix_alpha=0.0, label_smoothing=0.0,
                                                       num_classes=NUM_CLASSES)
            ms["timm FastCollateMixup (cutmix)"] = Fast(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0,
                                                        num_classes=NUM_CLASSES)
    if "torchvision" in peers and dtype.is_floating_point:
        TvM, TvC = peers["torchvision"]
        vm, vc = TvM(num_classes=NUM_CLASSES, alpha=0.8), TvC(num_classes=NUM_CLASSES, alpha=1.0)
        ms["torchvision v2.MixUp"] = lambda b, vm=vm: vm(*default_collate(b))
        ms["torchvision v2.CutMix"] = lambda b, vc=vc: vc(*default_collate(b))
    return ms


def time_all(fns, batch, reps, warmup=2):
    """Median seconds per method; methods are interleaved within each repetition so
    that background load hits them alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn(batch)
    ts = {k: [] for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn(batch)
            ts[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in ts.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short run (fewer repetitions)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.set_num_threads (default 1: DataLoader workers run collate_fn with one thread)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "collate.json"))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=UserWarning, module="timm")
    configs = [("3x224x224 float32", (3, 224, 224), torch.float32, 128),
               ("3x224x224 uint8", (3, 224, 224), torch.uint8, 128),
               ("3x32x32 float32", (3, 32, 32), torch.float32, 128),
               ("3x32x32 uint8", (3, 32, 32), torch.uint8, 128)]
    results = []
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, cpus={os.cpu_count()}, "
          f"{platform.processor() or platform.machine()}; quick={args.quick}")
    print(f"{'config':20s} {'method':34s} {'median ms':>10s} {'x default':>10s}")
    print("(timings on a shared machine are noisy; ratios are within one process, methods interleaved)")
    for name, shape, dtype, b in configs:
        k = CLASSES[shape[-1]]
        batch = make_batch(b, shape, dtype, k)
        big = shape[-1] >= 224
        reps = (7 if big else 30) if args.quick else (25 if big else 200)
        times = time_all(methods(dtype, k), batch, reps)
        base = times["default_collate"]
        for mname, t in times.items():
            row = {"config": name, "batch": b, "shape": list(shape), "dtype": str(dtype).replace("torch.", ""),
                   "num_classes": k, "method": mname, "median_s": t, "ratio_vs_default_collate": t / base,
                   "reps": reps}
            results.append(row)
            print(f"{name:20s} {mname:34s} {t * 1e3:10.3f} {t / base:10.2f}")
        print()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "collate", "quick": args.quick, "threads": torch.get_num_threads(),
                               "torch": torch.__version__, "results": results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
