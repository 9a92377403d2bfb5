"""Copy the pictures the examples drew into the docs gallery, shrunk to a small size (`make gallery`).

Usage: python docs/gallery/collect.py SOURCE_DIR [DEST_DIR]

Every PNG in SOURCE_DIR (where `make gallery` ran the examples with `--out`) is copied to DEST_DIR (default:
this folder), scaled down to at most MAX_WIDTH pixels wide and saved as an optimised palette PNG, so the committed
pictures stay small and a fresh clone builds the site without running the examples. Fails when a picture that
`docs/gallery.md` shows was not produced.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PIL import Image

MAX_WIDTH = 1100
HERE = Path(__file__).resolve().parent
PAGE = HERE.parent / "gallery.md"


def shrink(src: Path, dest: Path) -> None:
    """Save `src` as a palette PNG at most MAX_WIDTH pixels wide."""
    with Image.open(src) as im:
        im = im.convert("RGB")
        if im.width > MAX_WIDTH:
            im = im.resize((MAX_WIDTH, round(im.height * MAX_WIDTH / im.width)), Image.Resampling.LANCZOS)
        im.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(dest, optimize=True)


def main(argv: list[str]) -> int:
    """Copy and shrink the pictures; returns the exit status."""
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    source = Path(argv[0])
    dest = Path(argv[1]) if len(argv) == 2 else HERE
    pictures = sorted(source.glob("*.png"))
    if not pictures:
        print(f"no PNG files in {source}: run the examples with --out {source} first")
        return 1
    for src in pictures:
        shrink(src, dest / src.name)
        print(f"{src} -> {dest / src.name} ({(dest / src.name).stat().st_size // 1024} KiB)")
    shown = set(re.findall(r"\]\(gallery/([\w.-]+\.png)\)", PAGE.read_text(encoding="utf-8")))
    missing = sorted(name for name in shown if not (dest / name).is_file())
    if missing:
        print(f"docs/gallery.md shows pictures that are missing: {missing}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
