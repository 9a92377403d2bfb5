"""Keyed generators (loaders.keys, loaders._fastkeys): derivation, independence, re-keying, pinned outputs.

The independent reference for every keyed generator is numpy's own ``Philox(key=..., counter=...)``
built from the documented derivation (key ``[seed, stream]``, counter ``[0, 0, index, epoch]``; batches:
key ``[seed, 2**63 + stream]``, counter ``[0, salt, hash(indices), epoch]``).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders._fastkeys import BatchGenerators, Rekeyer, fold64, hash_indices, hash_indices_reference, mix64
from loaders.keys import (
    BATCH_STAGE_STREAM,
    COLLATE_STREAM,
    SAMPLE_STREAM,
    SHUFFLE_STREAM,
    KeyedBatch,
    SampleKey,
    SharedValue,
    batch_rng,
    permutation,
    rekeyed_sample_rng,
    sample_rng,
)

M64 = 2**64 - 1
STREAMS = [SAMPLE_STREAM, COLLATE_STREAM, SHUFFLE_STREAM, BATCH_STAGE_STREAM]


def philox(key, counter) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=np.array(key, np.uint64), counter=np.array(counter, np.uint64)))


def draws(g: np.random.Generator):
    """A mix of the Generator methods transforms use, as plain data."""
    return (
        g.random(),
        g.integers(0, 1000, 5).tolist(),
        g.standard_normal(3).tolist(),
        g.beta(0.4, 0.4),
        g.permutation(7).tolist(),
        g.uniform(-1, 1),
        int(g.integers(0, 2**62)),
    )


# -- derivation against numpy's Philox --------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2**32, M64])
@pytest.mark.parametrize("epoch", [0, 3, M64])
@pytest.mark.parametrize("index", [0, 7, 2**40, M64])
def test_sample_rng_is_philox_keyed_by_seed_and_stream_at_counter_index_epoch(seed, epoch, index):
    for stream in STREAMS:
        assert draws(sample_rng(seed, epoch, index, stream)) == draws(philox([seed, stream], [0, 0, index, epoch]))


def test_big_seeds_fold_to_64_bits_deterministically():
    big = 2**64 + 5
    assert fold64(big) == fold64(big) and fold64(big) not in (5, big & M64)
    assert draws(sample_rng(big, 0, 1)) == draws(philox([fold64(big), 0], [0, 0, 1, 0]))
    assert draws(sample_rng(big, 0, 1)) != draws(sample_rng(5, 0, 1))


@given(st.lists(st.integers(0, M64), max_size=300))
@settings(max_examples=60, deadline=None)
def test_hash_indices_equals_reference(indices):
    assert hash_indices(indices) == hash_indices_reference(indices)
    assert hash_indices(np.array(indices, dtype=np.uint64)) == hash_indices_reference(indices)


def test_hash_indices_reference_by_hand():
    golden = 0x9E3779B97F4A7C15
    j0 = mix64(3 ^ mix64(golden))
    j1 = mix64(8 ^ mix64(2 * golden))
    assert hash_indices_reference([3, 8]) == mix64((j0 + j1 + 2 * golden) & M64)
    assert hash_indices_reference([]) == mix64(0)


def test_hash_indices_depends_on_order_length_and_values():
    hs = {hash_indices(x) for x in ([1, 2, 3], [3, 2, 1], [1, 2], [1, 2, 3, 0], [0, 1, 2, 3], [1, 2, 4])}
    assert len(hs) == 6
    many = {hash_indices(list(range(s, s + 64))) for s in range(2000)}
    assert len(many) == 2000


@pytest.mark.parametrize("bad", [[-1], [2**64], [1, 2, 3, 4, 5, -3], [0] * 9 + [2**70]])
def test_hash_indices_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"indices must be in \[0, 2\*\*64\)"):
        hash_indices(bad)


@pytest.mark.parametrize("salt", [0, 9])
@pytest.mark.parametrize("stream", [COLLATE_STREAM, 5])
def test_batch_rng_is_philox_at_hash_of_indices(salt, stream):
    b = KeyedBatch([None] * 5, seed=11, epoch=4, indices=[9, 3, 3, 0, 2**50])
    want = draws(philox([11, 2**63 + stream], [0, salt, hash_indices_reference(b.indices), 4]))
    assert draws(batch_rng(b, stream=stream, salt=salt)) == want
    assert draws(batch_rng(b.keys, stream=stream, salt=salt)) == want


def test_batch_rng_depends_on_every_part_of_the_key():
    base = KeyedBatch([0] * 4, seed=1, epoch=2, indices=[5, 6, 7, 8])
    variants = [
        batch_rng(base),
        batch_rng(KeyedBatch([0] * 4, seed=2, epoch=2, indices=[5, 6, 7, 8])),
        batch_rng(KeyedBatch([0] * 4, seed=1, epoch=3, indices=[5, 6, 7, 8])),
        batch_rng(KeyedBatch([0] * 4, seed=1, epoch=2, indices=[6, 5, 7, 8])),
        batch_rng(KeyedBatch([0] * 3, seed=1, epoch=2, indices=[5, 6, 7])),
        batch_rng(base, salt=1),
        batch_rng(base, stream=SAMPLE_STREAM),
    ]
    firsts = [int(g.integers(0, 2**63)) for g in variants]
    assert len(set(firsts)) == len(firsts)
    # a batch's stream never equals a sample's stream, even for a one-sample batch with the same numbers
    one = KeyedBatch([0], seed=1, epoch=2, indices=[5])
    assert draws(batch_rng(one, stream=SAMPLE_STREAM)) != draws(sample_rng(1, 2, 5))


# -- independence: distinct keys give distinct streams ----------------------------------------


def test_distinct_keys_give_distinct_streams():
    seen = {}
    for seed in (0, 1, 2, 2**32):
        for epoch in (0, 1, 2):
            for index in (0, 1, 2, 3, 2**32):
                for stream in STREAMS:
                    first = tuple(sample_rng(seed, epoch, index, stream).integers(0, 2**63, 4).tolist())
                    assert first not in seen, (seed, epoch, index, stream, seen.get(first))
                    seen[first] = (seed, epoch, index, stream)
    assert len(seen) == 4 * 3 * 5 * 4


def test_neighbouring_streams_are_uncorrelated():
    # first uniform of 4000 consecutive indices, and of the same indices one epoch later: no linear relation
    u = np.array([sample_rng(0, 0, i).random() for i in range(4000)])
    v = np.array([sample_rng(0, 1, i).random() for i in range(4000)])
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.07  # ~4.5 standard errors
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.07
    assert 0.47 < u.mean() < 0.53


# -- fresh vs re-keyed generators ---------------------------------------------------------------


@pytest.mark.parametrize("indices", [list(range(20)), [5, 2**32 + 1, 7, M64]])
def test_batch_generators_draw_exactly_like_sample_rng(indices):
    gens = BatchGenerators(9, 4, indices)
    order = list(range(len(indices))) + [1, 0]  # re-keying an earlier sample restarts its stream
    for j in order:
        assert draws(gens.get(j)) == draws(sample_rng(9, 4, indices[j]))
    b = KeyedBatch(indices, seed=9, epoch=4)
    for stream in STREAMS:
        g = b.sample_generators(stream)
        assert [draws(g.get(j)) for j in range(len(indices))] == [draws(sample_rng(9, 4, i, stream)) for i in indices]


def test_rekeyed_sample_rng_draws_like_sample_rng_and_is_shared():
    a = rekeyed_sample_rng(3, 1, 8)
    ref = draws(sample_rng(3, 1, 8))
    assert draws(a) == ref
    b = rekeyed_sample_rng(3, 1, 9, stream=SHUFFLE_STREAM)
    assert b is a  # one generator per thread, re-keyed
    assert draws(b) == draws(sample_rng(3, 1, 9, SHUFFLE_STREAM))
    assert draws(rekeyed_sample_rng(3, 1, 8)) == ref
    r = Rekeyer()
    assert draws(r.rekey(3, 0, 8, 1)) == ref


def test_fresh_generators_are_independent_objects_and_pickle():
    a, b = sample_rng(0, 1, 5), sample_rng(0, 1, 5)
    assert a is not b
    a.random()
    assert draws(pickle.loads(pickle.dumps(a))) == draws(a)
    assert isinstance(sample_rng(0, 0, 0).spawn(2)[1], np.random.Generator)
    assert isinstance(pickle.loads(pickle.dumps(BatchGenerators(1, 2, [3]))).get(0), np.random.Generator)


# -- arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, exc, words",
    [
        ((-1, 0, 0), ValueError, ["seed", "-1"]),
        ((0, -2, 0), ValueError, ["epoch", "-2"]),
        ((0, 0, -3), ValueError, ["index", "-3"]),
        ((0, 2**64, 0), ValueError, ["epoch", "2**64"]),
        ((0, 0, 2**64), ValueError, ["index", "2**64"]),
        ((0, 0, 0, 2**63), ValueError, ["stream", "2**63"]),
        ((True, 0, 0), TypeError, ["seed", "True"]),
        ((0, 1.5, 0), TypeError, ["epoch", "1.5"]),
        ((0, 0, "3"), TypeError, ["index", "'3'"]),
    ],
)
def test_bad_keys_are_refused_with_the_argument_named(args, exc, words):
    for fn in (sample_rng, rekeyed_sample_rng):
        with pytest.raises(exc) as info:
            fn(*args)
        for w in words:
            assert w in str(info.value)


def test_numpy_integers_are_accepted():
    assert draws(sample_rng(np.int64(2), np.uint32(1), np.int16(3))) == draws(sample_rng(2, 1, 3))


def test_batch_rng_refuses_empty_and_bad_salt():
    with pytest.raises(ValueError, match="empty batch"):
        batch_rng([])
    with pytest.raises(ValueError, match="salt"):
        batch_rng([SampleKey(0, 0, 1)], salt=-1)


# -- pinned outputs: a change of derivation must be deliberate (and named in CHANGELOG.md) ------


def test_pinned_outputs():
    assert int(sample_rng(0, 0, 0).integers(0, 2**63)) == PINNED["sample"]
    assert int(sample_rng(7, 3, 12345, SHUFFLE_STREAM).integers(0, 2**63)) == PINNED["shuffle"]
    b = KeyedBatch([0] * 4, seed=0, epoch=1, indices=[4, 0, 9, 2])
    assert int(batch_rng(b, salt=0).integers(0, 2**63)) == PINNED["batch"]
    assert hash_indices(list(range(128))) == PINNED["hash128"]


PINNED = {
    "sample": 106500010600983629,
    "shuffle": 4065257843522656078,
    "batch": 4674537503494472581,
    "hash128": 9585856007013606849,
}


# -- KeyedBatch and SharedValue ---------------------------------------------------------------------


def test_keyed_batch_pickles_with_its_keys():
    b = KeyedBatch(["a", "b"], seed=3, epoch=2, indices=[7, 1], knobs={"strength": 0.5})
    c = pickle.loads(pickle.dumps(b))
    assert isinstance(c, KeyedBatch) and list(c) == ["a", "b"] and c.keys == b.keys and c.knobs == b.knobs
    assert repr(c) == repr(b)


def test_shared_value_reads_its_shared_storage_after_pickling():
    import multiprocessing.reduction as mpr

    v = SharedValue(0.25)
    assert v.get() == 0.25 and v.value == 0.25
    w = pickle.loads(pickle.dumps(v))  # plain pickle copies the value
    v.set(0.5)
    assert w.get() == 0.25 and v.get() == 0.5
    shared = pickle.loads(mpr.ForkingPickler.dumps(v))  # what the DataLoader uses: shares the storage
    v.set(0.75)
    assert shared.get() == 0.75 and repr(shared) == "SharedValue(0.75)"
    assert isinstance(v._t, torch.Tensor) and v._t.is_shared()


def test_native_batch_hash_equals_the_reference():
    from loaders import _fastkeys

    assert _fastkeys._native is not None  # make test's install builds the C extension
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 128, 1000):
        idx = [int(v) for v in rng.integers(0, 2**63, n)] + [2**64 - 1, 0]
        assert _fastkeys._native.hash_indices(idx) == _fastkeys.hash_indices_reference(idx)
    # anything but plain ints in [0, 2**64) is left to the checked numpy path
    for bad in ([1, -1], [2**64], [True, 1], np.arange(3), [1.0]):
        assert _fastkeys._native.hash_indices(bad) is None
    assert _fastkeys.hash_indices(np.arange(6)) == _fastkeys.hash_indices_reference(list(range(6)))
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        _fastkeys.hash_indices([1, 2, 3, 4, 5, -1])


@pytest.mark.parametrize("n_words", [0, 1, 3, 4, 5, 9])
def test_first_words_are_the_streams_first_outputs(n_words, monkeypatch):
    from loaders import _fastkeys

    indices = [0, 7, 2**64 - 1, 123456789, 7]
    gens = BatchGenerators(seed=2**70 + 3, epoch=9, indices=indices, stream=4)
    want = np.stack([gens.get(j).bit_generator.random_raw(n_words) for j in range(len(indices))])
    assert np.array_equal(gens.first_words(n_words), want.reshape(len(indices), n_words))
    monkeypatch.setattr(_fastkeys, "_native", None)  # the numpy path gives the same words
    assert np.array_equal(gens.first_words(n_words), want.reshape(len(indices), n_words))


def test_first_words_checks_indices():
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        BatchGenerators(seed=0, epoch=0, indices=[1, -2]).first_words(2)
    assert BatchGenerators(seed=0, epoch=0, indices=np.arange(3)).first_words(2).shape == (3, 2)


@pytest.mark.parametrize("bits", [np.random.Philox, np.random.PCG64, np.random.SFC64, np.random.MT19937])
@pytest.mark.parametrize("native", [True, False])
def test_permutation_draws_numpys_permutation(bits, native, monkeypatch):
    from loaders import _fastkeys

    if native:
        assert _fastkeys._native is not None  # make test's install builds the C extension
    else:
        monkeypatch.setattr(_fastkeys, "_native", None)
    for seed in range(40):
        for n in (0, 1, 2, 3, 17, 128, 1000):
            ours, ref = np.random.Generator(bits(seed)), np.random.Generator(bits(seed))
            got = permutation(ours, n)
            assert got.dtype == np.int64 and got.tolist() == ref.permutation(n).tolist()
            # a derangement: numpy's permutations drawn one after the other until one has no fixed point
            got = permutation(ours, n, fixed_points=False)
            want = ref.permutation(n)
            while n >= 2 and (want == np.arange(n)).any():
                want = ref.permutation(n)
            assert got.tolist() == want.tolist()
            assert n < 2 or not (got == np.arange(n)).any()
            assert ours.random() == ref.random()  # the generator is left where numpy leaves it


def test_permutation_is_fisher_yates_from_the_end_with_masked_rejection():
    # the algorithm written out, on the stream's 32-bit outputs: for i = n-1 .. 1, j = the first
    # output whose low bits (the smallest mask covering i) are <= i; swap a[i] and a[j]
    rng, ref = np.random.default_rng(11), np.random.default_rng(11)
    perm = permutation(rng, 6)
    a = list(range(6))
    for i in range(5, 0, -1):
        mask = (1 << i.bit_length()) - 1
        while (j := int(ref.integers(0, 2**32, dtype=np.uint32)) & mask) > i:
            pass
        a[i], a[j] = a[j], a[i]
    assert perm.tolist() == a
