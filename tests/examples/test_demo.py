"""The demo runs end to end in a fast mode: table printed, PNG and JSON written, accuracy above chance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def test_demo_quick_run(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", NO_ALBUMENTATIONS_UPDATE="1")
    proc = subprocess.run(
        # -W error: the demo itself must run without warnings, like the test suite
        [sys.executable, "-W", "error", str(ROOT / "examples" / "demo.py"), "--quick", "--epochs", "1",
         "--out", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "test acc" in out and "samples/s" in out
    for run in ("none", "cutout", "cutout+mix"):
        assert any(line.startswith(run + " ") for line in out.splitlines()), out
    assert "batch" in proc.stderr  # tqdm progress bars
    png = tmp_path / "demo_samples.png"
    assert str(png.resolve()) in out  # the script says where the PNG is
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 600 and im.size[1] > 400
        assert len(set(im.convert("L").tobytes())) > 20  # not a blank canvas
    res = json.loads((tmp_path / "demo_results.json").read_text())
    assert [r["run"] for r in res["runs"]] == ["none", "cutout", "cutout+mix"]
    assert res["workers"] == 2 and res["epochs"] == 1
    for r in res["runs"]:
        assert r["test_accuracy"] > 0.3, r  # 10 classes: chance is 0.1
        assert r["samples_per_second"] > 0
