"""Smoke test of examples/audio.py in its fast mode (2 workers, PadCollate + MixUp, PNG written)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_audio_example_fast_mode(tmp_path):
    spec = importlib.util.spec_from_file_location("audio_example", ROOT / "examples" / "audio.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(["--fast", "--out", str(tmp_path)])
    png = Path(out["png"])
    assert png.exists() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 0.0 <= out["acc_clean"] <= 1.0 and 0.0 <= out["acc_noisy"] <= 1.0
    # Even one tiny epoch learns something on these well-separated classes (chance is 0.2).
    assert out["acc_clean"] > 0.2
