"""A small rule-based English inflection table (no data files, no downloads).

Used by the thesaurus (look up ``"cars"`` under ``car`` and give the synonym
back as ``"automobiles"``) and by `loaders.text.syntax` (past participles
for the passive voice). Regular forms follow the spelling rules (``-es`` after
sibilants, ``y -> ies``, final-consonant doubling for stressed CVC endings);
about 170 irregular verbs and the common irregular nouns are listed.

Example:
    >>> past_participle("write"), past_participle("stop"), past("carry")
    ('written', 'stopped', 'carried')
    >>> pluralize("box"), pluralize("city"), pluralize("child")
    ('boxes', 'cities', 'children')
    >>> third_person("go"), present_participle("run"), present_participle("make")
    ('goes', 'running', 'making')
    >>> sorted(set(lemma_candidates("stopped")))[:2]
    [('stop', 'v', 'past'), ('stopp', 'v', 'past')]
"""

from __future__ import annotations

__all__ = [
    "IRREGULAR_VERBS",
    "past",
    "past_participle",
    "present_participle",
    "third_person",
    "pluralize",
    "comparative",
    "superlative",
    "inflect",
    "lemma_candidates",
]

_IRREGULAR = """
arise arose arisen|awake awoke awoken|be was been|bear bore borne|beat beat beaten|become became become|
begin began begun|bend bent bent|bet bet bet|bid bid bid|bind bound bound|bite bit bitten|bleed bled bled|
blow blew blown|break broke broken|breed bred bred|bring brought brought|broadcast broadcast broadcast|
build built built|burn burned burned|burst burst burst|buy bought bought|cast cast cast|catch caught caught|
choose chose chosen|cling clung clung|come came come|cost cost cost|creep crept crept|cut cut cut|
deal dealt dealt|dig dug dug|do did done|draw drew drawn|dream dreamed dreamed|drink drank drunk|
drive drove driven|eat ate eaten|fall fell fallen|feed fed fed|feel felt felt|fight fought fought|
find found found|flee fled fled|fling flung flung|fly flew flown|forbid forbade forbidden|forecast forecast forecast|
forget forgot forgotten|forgive forgave forgiven|freeze froze frozen|get got gotten|give gave given|
go went gone|grind ground ground|grow grew grown|hang hung hung|have had had|hear heard heard|hide hid hidden|
hit hit hit|hold held held|hurt hurt hurt|keep kept kept|kneel knelt knelt|know knew known|lay laid laid|
lead led led|lean leaned leaned|leap leapt leapt|learn learned learned|leave left left|lend lent lent|
let let let|lie lay lain|light lit lit|lose lost lost|make made made|mean meant meant|meet met met|
mislead misled misled|mistake mistook mistaken|misunderstand misunderstood misunderstood|overcome overcame overcome|
overtake overtook overtaken|overthrow overthrew overthrown|pay paid paid|prove proved proven|put put put|
quit quit quit|read read read|rebuild rebuilt rebuilt|redo redid redone|rewrite rewrote rewritten|rid rid rid|
ride rode ridden|ring rang rung|rise rose risen|run ran run|say said said|see saw seen|seek sought sought|
sell sold sold|send sent sent|set set set|sew sewed sewn|shake shook shaken|shed shed shed|shine shone shone|
shoot shot shot|show showed shown|shrink shrank shrunk|shut shut shut|sing sang sung|sink sank sunk|
sit sat sat|slay slew slain|sleep slept slept|slide slid slid|sling slung slung|slit slit slit|speak spoke spoken|
speed sped sped|spend spent spent|spin spun spun|spit spat spat|split split split|spread spread spread|
spring sprang sprung|stand stood stood|steal stole stolen|stick stuck stuck|sting stung stung|stink stank stunk|
stride strode stridden|strike struck struck|string strung strung|strive strove striven|swear swore sworn|
sweep swept swept|swell swelled swollen|swim swam swum|swing swung swung|take took taken|teach taught taught|
tear tore torn|tell told told|think thought thought|throw threw thrown|thrust thrust thrust|tread trod trodden|
understand understood understood|undertake undertook undertaken|undo undid undone|upset upset upset|
wake woke woken|wear wore worn|weave wove woven|weep wept wept|win won won|wind wound wound|withdraw withdrew withdrawn|
withhold withheld withheld|withstand withstood withstood|wring wrung wrung|write wrote written|
"""

#: base -> (past, past participle) for irregular verbs.
IRREGULAR_VERBS: dict[str, tuple[str, str]] = {}
for _entry in _IRREGULAR.replace("\n", "").split("|"):
    if _entry.strip():
        _b, _p, _pp = _entry.split()
        IRREGULAR_VERBS[_b] = (_p, _pp)
_PAST_TO_BASE: dict[str, list[tuple[str, str]]] = {}
for _b, (_p, _pp) in IRREGULAR_VERBS.items():
    _PAST_TO_BASE.setdefault(_p, []).append((_b, "past"))
    if _pp != _p:
        _PAST_TO_BASE.setdefault(_pp, []).append((_b, "pp"))

_IRREGULAR_PLURALS = {
    "child": "children",
    "man": "men",
    "woman": "women",
    "person": "people",
    "foot": "feet",
    "tooth": "teeth",
    "mouse": "mice",
    "goose": "geese",
    "ox": "oxen",
    "knife": "knives",
    "wife": "wives",
    "life": "lives",
    "leaf": "leaves",
    "half": "halves",
    "wolf": "wolves",
    "shelf": "shelves",
    "thief": "thieves",
    "loaf": "loaves",
    "calf": "calves",
    "elf": "elves",
    "potato": "potatoes",
    "tomato": "tomatoes",
    "hero": "heroes",
    "echo": "echoes",
    "veto": "vetoes",
    "criterion": "criteria",
    "phenomenon": "phenomena",
    "analysis": "analyses",
    "crisis": "crises",
    "thesis": "theses",
    "fish": "fish",
    "sheep": "sheep",
    "deer": "deer",
    "series": "series",
    "species": "species",
}
_SINGULARS = {v: k for k, v in _IRREGULAR_PLURALS.items()}
_THIRD = {"be": "is", "have": "has", "do": "does", "go": "goes"}
_STRESS_FINAL = frozenset(
    "begin prefer occur refer admit commit permit regret control forget upset submit transfer omit "
    "compel equip rebel patrol expel confer defer deter incur infer propel recur excel acquit".split()
)
_VOWELS = "aeiou"


def _vowel_groups(w: str) -> int:
    n, prev = 0, False
    for ch in w:
        v = ch in "aeiouy"
        if v and not prev:
            n += 1
        prev = v
    return n


def _doubles(w: str) -> bool:
    """Does ``w`` double its final consonant before -ed/-ing/-er?"""
    if len(w) < 3 or w[-1] in "wxy" + _VOWELS or w[-2] not in _VOWELS or w[-3] in _VOWELS:
        return False
    return _vowel_groups(w) == 1 or w in _STRESS_FINAL


def _suffix(w: str, suf: str) -> str:
    """Attach ``-ed``/``-ing``/``-er``/``-est`` with the spelling rules."""
    if suf == "ing":
        if w.endswith("ie"):
            return w[:-2] + "ying"
        if w.endswith("e") and not w.endswith(("ee", "ye", "oe")) and len(w) > 2:
            return w[:-1] + "ing"
    elif w.endswith("e"):
        return w + suf[1:]
    elif w.endswith("y") and len(w) > 1 and w[-2] not in _VOWELS:
        return w[:-1] + "i" + suf
    if _doubles(w):
        return w + w[-1] + suf
    return w + suf


def past(verb: str) -> str:
    """Simple past (`go -> went`, `walk -> walked`).

    Args:
        verb: a verb lemma, lower case.

    Returns:
        The inflected word.

    Example:
        >>> past("go"), past("walk")
        ('went', 'walked')
    """
    if verb in IRREGULAR_VERBS:
        return IRREGULAR_VERBS[verb][0]
    return _suffix(verb, "ed")


def past_participle(verb: str) -> str:
    """Past participle (`go -> gone`, `walk -> walked`).

    Args:
        verb: a verb lemma, lower case.

    Returns:
        The inflected word.

    Example:
        >>> past_participle("write"), past_participle("walk")
        ('written', 'walked')
    """
    if verb in IRREGULAR_VERBS:
        return IRREGULAR_VERBS[verb][1]
    return _suffix(verb, "ed")


def present_participle(verb: str) -> str:
    """The -ing form (`run -> running`, `make -> making`, `die -> dying`).

    Args:
        verb: a verb lemma, lower case.

    Returns:
        The inflected word.

    Example:
        >>> present_participle("run"), present_participle("die")
        ('running', 'dying')
    """
    return _suffix(verb, "ing")


def third_person(verb: str) -> str:
    """Third person singular present (`go -> goes`, `try -> tries`).

    Args:
        verb: a verb lemma, lower case.

    Returns:
        The inflected word.

    Example:
        >>> third_person("go"), third_person("try")
        ('goes', 'tries')
    """
    if verb in _THIRD:
        return _THIRD[verb]
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        return verb + "es"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in _VOWELS:
        return verb[:-1] + "ies"
    return verb + "s"


def pluralize(noun: str) -> str:
    """Plural of a noun (`box -> boxes`, `city -> cities`, `child -> children`).

    Args:
        noun: a noun lemma, lower case.

    Returns:
        The inflected word.

    Example:
        >>> pluralize("city"), pluralize("child")
        ('cities', 'children')
    """
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in _VOWELS:
        return noun[:-1] + "ies"
    return noun + "s"


def _takes_er(adj: str) -> bool:
    # one syllable (big, large) or two ending in -y (happy); others take more/most
    n = _vowel_groups(adj.rstrip("e")) if adj.endswith("e") else _vowel_groups(adj)
    return "-" not in adj and (n == 1 or (n == 2 and adj.endswith("y") and adj[-2] not in _VOWELS))


def comparative(adj: str) -> str:
    """`big -> bigger`; empty string when the adjective takes `more` (`more helpful`).

    Args:
        adj: an adjective lemma, lower case.

    Returns:
        The inflected word.

    Example:
        >>> comparative("big"), comparative("helpful")
        ('bigger', '')
    """
    return _suffix(adj, "er") if _takes_er(adj) else ""


def superlative(adj: str) -> str:
    """`big -> biggest`; empty string when the adjective takes `most`.

    Args:
        adj: an adjective lemma, lower case.

    Returns:
        The inflected word.

    Example:
        >>> superlative("happy"), superlative("helpful")
        ('happiest', '')
    """
    return _suffix(adj, "est") if _takes_er(adj) else ""


_FORMS = {
    "base": lambda w: w,
    "plural": pluralize,
    "3sg": third_person,
    "past": past,
    "pp": past_participle,
    "ing": present_participle,
    "comparative": comparative,
    "superlative": superlative,
}


def inflect(lemma: str, form: str) -> str:
    """Put `lemma` in `form`.

    `form` is one of base, plural, 3sg, past, pp, ing, comparative, superlative.
    Multi-word results are not produced: `""` means "no single-word form".

    Args:
        lemma: the base form, lower case.
        form: the form wanted.

    Returns:
        The inflected word, or `""`.

    Example:
        >>> inflect("run", "past"), inflect("box", "plural")
        ('ran', 'boxes')
    """
    return _FORMS[form](lemma)


def lemma_candidates(word: str) -> list[tuple[str, str, str]]:
    """Possible `(lemma, pos, form)` analyses of a lower-case word, most literal first.

    `pos` is one of `n v a r` (WordNet's). The list over-generates on purpose
    (`stopped` gives `stop` and `stopp`); a thesaurus keeps the lemmas it knows.

    Args:
        word: a lower-case word.

    Returns:
        The analyses, the word itself as a base form first.

    Example:
        >>> [c for c in lemma_candidates("went") if c[0] == "go"]
        [('go', 'v', 'past')]
    """
    w = word
    out: list[tuple[str, str, str]] = [(w, p, "base") for p in "nvar"]
    if w in _SINGULARS:
        out.append((_SINGULARS[w], "n", "plural"))
    for base, form in _PAST_TO_BASE.get(w, ()):
        out.append((base, "v", form))
    n = len(w)
    if n > 3 and w.endswith("s") and not w.endswith("ss"):
        stems = [w[:-1]]
        if w.endswith("es"):
            stems.append(w[:-2])
        if w.endswith("ies"):
            stems.append(w[:-3] + "y")
        for s in stems:
            out.append((s, "n", "plural"))
            out.append((s, "v", "3sg"))
    if n > 4 and w.endswith("ed"):
        stems = [w[:-2], w[:-1]]
        if w.endswith("ied"):
            stems.append(w[:-3] + "y")
        if w[-3] == w[-4]:
            stems.append(w[:-3])
        for s in stems:
            out.append((s, "v", "past"))
    if n > 5 and w.endswith("ing"):
        stems = [w[:-3], w[:-3] + "e"]
        if w.endswith("ying"):
            stems.append(w[:-4] + "ie")
        if w[-4] == w[-5]:
            stems.append(w[:-4])
        for s in stems:
            out.append((s, "v", "ing"))
    for suf, form in (("er", "comparative"), ("est", "superlative")):
        k = len(suf)
        if n > k + 2 and w.endswith(suf):
            stems = [w[:-k], w[:-k] + "e"]
            if w[-k - 1] == "i":
                stems.append(w[: -k - 1] + "y")
            if w[-k - 1] == w[-k - 2]:
                stems.append(w[: -k - 1])
            for s in stems:
                out.append((s, "a", form))
    return out
