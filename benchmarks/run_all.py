"""Run every ``benchmarks/bench_*.py`` in turn (``make bench``).

Each benchmark times this project side by side with its peers in one process,
prints a table of medians and ratios, and writes JSON to ``benchmarks/results/``.
Extra arguments (for example ``--quick``) are passed to every benchmark.

Usage:
    python benchmarks/run_all.py [--quick] [--only collate,audio]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test of the benchmarks)")
    parser.add_argument("--only", default="", help="comma-separated names, e.g. collate,audio")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        unknown = only - {p.stem[len("bench_") :] for p in scripts}
        if unknown:
            parser.error(
                f"--only names unknown benchmarks {sorted(unknown)}; have "
                f"{sorted(p.stem[len('bench_') :] for p in scripts)}"
            )
        scripts = [p for p in scripts if p.stem[len("bench_") :] in only]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"--- {script.name}: exit {rc} in {time.perf_counter() - t0:.1f} s", flush=True)
        if rc:
            failed.append(script.name)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nAll {len(scripts)} benchmarks ran; JSON in {HERE / 'results'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
