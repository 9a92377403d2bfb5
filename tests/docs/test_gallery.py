"""The gallery: its committed pictures exist and stay small, and `make gallery`'s copy script shrinks and checks."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
from PIL import Image

from tests.docs.blocks import DOCS, ROOT

GALLERY = DOCS / "gallery"
MAX_BYTES = 200 * 1024


def _collect():
    spec = importlib.util.spec_from_file_location("gallery_collect", GALLERY / "collect.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shown() -> list[str]:
    return re.findall(r"\]\(gallery/([\w.-]+\.png)\)", (DOCS / "gallery.md").read_text(encoding="utf-8"))


def test_gallery_pictures_are_committed_and_small():
    shown = _shown()
    assert len(shown) >= 5, shown
    for name in shown:
        path = GALLERY / name
        assert path.is_file(), f"docs/gallery.md shows {name}, which is not in docs/gallery/ (run make gallery)"
        assert path.stat().st_size <= MAX_BYTES, f"{name} is {path.stat().st_size // 1024} KiB"
        with Image.open(path) as im:
            assert im.width <= _collect().MAX_WIDTH


def test_make_gallery_runs_the_examples_and_the_copy_script():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile.split("\ngallery:", 1)[1].split("\n\n", 1)[0]
    for example in ("examples/demo.py", "examples/audio.py", "examples/adaptive.py"):
        assert example in target
    assert "docs/gallery/collect.py" in target
    assert "mkdocs build --strict" in makefile.split("\ndocs:", 1)[1].split("\n\n", 1)[0]


def test_collect_shrinks_and_reports_missing_pictures(tmp_path, capsys):
    collect = _collect()
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (600, 2400, 3), dtype=np.uint8)).save(src / "wide.png")
    Image.fromarray(np.zeros((50, 80, 3), np.uint8)).save(src / "small.png")
    status = collect.main([str(src), str(dest)])
    with Image.open(dest / "wide.png") as wide, Image.open(dest / "small.png") as small:
        assert (wide.width, wide.height) == (collect.MAX_WIDTH, 275) and wide.mode == "P"
        assert (small.width, small.height) == (80, 50)
    # The real gallery page shows pictures this source folder does not have: reported, non-zero status.
    assert status == 1 and "missing" in capsys.readouterr().out
    assert collect.main([str(tmp_path / "empty")]) == 1
