"""examples/adaptive.py in its fast mode: the policy steps on the validation split and the knob reaches the batches."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[2] / "examples" / "adaptive.py"


@pytest.mark.slow
def test_example_quick(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(_PATH.parent))  # as when the script runs: its folder is on sys.path
    spec = importlib.util.spec_from_file_location("adaptive_example", _PATH)
    mod = importlib.util.module_from_spec(spec)
    threads = torch.get_num_threads()
    try:
        spec.loader.exec_module(mod)
        # target gap -0.5: the gap is always above it, so the policy raises strength at every check
        argv = ["--quick", "--steps", "12", "--target", "-0.5", "--ada-kimg", "1.0", "--out", str(tmp_path)]
        assert mod.main(argv) == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "final val acc" in out and "adaptive" in out and "fixed 1" in out and "test acc" in out
    png = tmp_path / "adaptive.png"
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = json.loads((tmp_path / "adaptive_results.json").read_text())
    assert (res["train_size"], res["val_size"], res["test_size"]) == (160, 40, 360)
    runs = {r["run"]: r for r in res["runs"]}
    assert set(runs["fixed 0"]["applied_strength"]) == {0.0} and set(runs["fixed 1"]["applied_strength"]) == {1.0}
    ada = runs["adaptive"]
    # every 4 batches the policy reads the train/validation gap and adds 4 * 32 / (1.0 kimg * 1000) = 0.128
    assert [p["step"] for p in ada["trace"]] == [4, 8, 12]
    assert [p["strength"] for p in ada["trace"]] == pytest.approx([0.128, 0.256, 0.384])
    # no DataLoader workers: a batch is bound to the knob when it is dispatched, right after the previous step
    assert ada["applied_strength"] == pytest.approx([0.0] * 4 + [0.128] * 4 + [0.256] * 4)
    for r in runs.values():
        assert 0.0 <= r["val_accuracy"] <= 1.0 and 0.0 <= r["test_accuracy"] <= 1.0
        assert all(0.0 <= p["val_acc"] <= 1.0 and 0.0 <= p["train_acc"] <= 1.0 for p in r["trace"])
