/*
 * hash_indices in C (and philox_words, below): the 64-bit hash of a batch's ordered indices that keys the batch's generator
 * (see loaders/_fastkeys.py, whose pure-Python reference defines it):
 *
 *     mix64(sum_j mix64(index_j ^ mix64((j + 1) * GOLDEN)) + n * GOLDEN)   (mod 2**64)
 *
 * with mix64 SplitMix64's finaliser. hash_indices(seq) returns None, computing nothing, when an
 * entry is not a plain int in [0, 2**64): the numpy path then handles it (numpy ints) or raises.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define GOLDEN 0x9E3779B97F4A7C15ULL

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static PyObject *hash_indices(PyObject *self, PyObject *seq) {
    PyObject *fast = PySequence_Fast(seq, "indices must be a sequence");
    if (fast == NULL) return NULL;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    uint64_t total = 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *v = items[j];
        if (!PyLong_CheckExact(v)) {
            Py_DECREF(fast);
            Py_RETURN_NONE;
        }
        const unsigned long long i = PyLong_AsUnsignedLongLong(v);
        if (i == (unsigned long long)-1 && PyErr_Occurred()) { /* negative, or 2**64 or more */
            PyErr_Clear();
            Py_DECREF(fast);
            Py_RETURN_NONE;
        }
        total += mix64((uint64_t)i ^ mix64((uint64_t)(j + 1) * GOLDEN));
    }
    Py_DECREF(fast);
    return PyLong_FromUnsignedLongLong(mix64(total + (uint64_t)n * GOLDEN));
}

/* The first words of many samples' keyed streams at once: numpy's Philox4x64-10 (Random123's
 * constants and round), as numpy.random.Philox with key (key0, key1) and counter
 * (0, c1, index, c3) produces them: its first block is computed at the counter plus one.
 * philox_words(out, key0, key1, c1, indices, c3, n_words) writes n_words uint64 per index into the
 * uint64 buffer at address out (row by row); returns False, writing nothing, when an index is not a
 * plain int in [0, 2**64). */
#define PHILOX_M0 0xD2E7470EE14C6C93ULL
#define PHILOX_M1 0xCA5A826395121157ULL
#define PHILOX_W0 0x9E3779B97F4A7C15ULL
#define PHILOX_W1 0xBB67AE8584CAA73BULL

static inline uint64_t mulhilo(uint64_t a, uint64_t b, uint64_t *hi) {
    const __uint128_t p = (__uint128_t)a * b;
    *hi = (uint64_t)(p >> 64);
    return (uint64_t)p;
}

static void philox_block(const uint64_t ctr_in[4], uint64_t k0, uint64_t k1, uint64_t out[4]) {
    uint64_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t hi0, hi1;
        const uint64_t lo0 = mulhilo(PHILOX_M0, c0, &hi0), lo1 = mulhilo(PHILOX_M1, c2, &hi1);
        const uint64_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0, c1 = lo1, c2 = n2, c3 = lo0;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

static PyObject *philox_words(PyObject *self, PyObject *args) {
    PyObject *out_obj, *idx_obj;
    unsigned long long key0, key1, c1, c3;
    Py_ssize_t n_words;
    if (!PyArg_ParseTuple(args, "OKKKOKn", &out_obj, &key0, &key1, &c1, &idx_obj, &c3, &n_words)) return NULL;
    uint64_t *out = (uint64_t *)PyLong_AsVoidPtr(out_obj);
    if (PyErr_Occurred()) return NULL;
    if (n_words < 0) {
        PyErr_SetString(PyExc_ValueError, "philox_words: n_words must be >= 0");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(idx_obj, "indices must be a sequence");
    if (fast == NULL) return NULL;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    uint64_t *idx = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(uint64_t));
    if (idx == NULL) {
        Py_DECREF(fast);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        unsigned long long v = PyLong_CheckExact(items[j]) ? PyLong_AsUnsignedLongLong(items[j]) : (unsigned long long)-1;
        if (!PyLong_CheckExact(items[j]) || (v == (unsigned long long)-1 && PyErr_Occurred())) {
            PyErr_Clear();
            PyMem_Free(idx);
            Py_DECREF(fast);
            Py_RETURN_FALSE;
        }
        idx[j] = (uint64_t)v;
    }
    Py_DECREF(fast);
    for (Py_ssize_t j = 0; j < n; j++) {
        uint64_t ctr[4] = {0, (uint64_t)c1, idx[j], (uint64_t)c3}, block[4];
        for (Py_ssize_t w = 0; w < n_words; w++) {
            if (w % 4 == 0) { /* numpy increments the 256-bit counter before each block */
                if (++ctr[0] == 0 && ++ctr[1] == 0 && ++ctr[2] == 0) ++ctr[3];
                philox_block(ctr, (uint64_t)key0, (uint64_t)key1, block);
            }
            out[j * n_words + w] = block[w % 4];
        }
    }
    PyMem_Free(idx);
    Py_RETURN_TRUE;
}

/* ------------------------------------------------------------------ derangement */

/* numpy's bit generator interface (numpy/random/bitgen.h, documented in numpy's "Extending"
 * pages): a Generator's bit_generator.capsule holds a pointer to this struct. */
typedef struct {
    void *state;
    uint64_t (*next_uint64)(void *st);
    uint32_t (*next_uint32)(void *st);
    double (*next_double)(void *st);
    uint64_t (*next_raw)(void *st);
} bitgen_t;

/* numpy's random_interval: a value in [0, max] by masked rejection (what Generator.shuffle draws). */
static inline uint64_t random_interval(bitgen_t *bg, uint64_t max) {
    if (max == 0) return 0;
    uint64_t mask = max, value;
    mask |= mask >> 1, mask |= mask >> 2, mask |= mask >> 4, mask |= mask >> 8, mask |= mask >> 16, mask |= mask >> 32;
    if (max <= 0xffffffffULL) {
        while ((value = (bg->next_uint32(bg->state) & mask)) > max) {
        }
    } else {
        while ((value = (bg->next_uint64(bg->state) & mask)) > max) {
        }
    }
    return value;
}

/* derangement(capsule, out, any_perm): Generator.permutation(n) into the int64 buffer `out` (n = its
 * length), the same draws numpy makes (arange, then Fisher-Yates from the end with random_interval);
 * unless any_perm, redrawn until no entry is its own index (a derangement, by rejection). The caller
 * holds the bit generator's lock. */
static PyObject *derangement(PyObject *self, PyObject *args) {
    PyObject *capsule, *out_obj;
    int any_perm;
    if (!PyArg_ParseTuple(args, "OOp", &capsule, &out_obj, &any_perm)) return NULL;
    bitgen_t *bg = (bitgen_t *)PyCapsule_GetPointer(capsule, "BitGenerator");
    if (bg == NULL) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(out_obj, &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (view.itemsize != 8 || view.format == NULL || (strcmp(view.format, "l") != 0 && strcmp(view.format, "q") != 0 &&
                                                      strcmp(view.format, "<q") != 0 && strcmp(view.format, "<l") != 0)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "derangement: out must be a contiguous int64 array");
        return NULL;
    }
    int64_t *a = (int64_t *)view.buf;
    const Py_ssize_t n = view.len / 8;
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        for (Py_ssize_t i = 0; i < n; i++) a[i] = i;
        for (Py_ssize_t i = n - 1; i >= 1; i--) {
            const Py_ssize_t j = (Py_ssize_t)random_interval(bg, (uint64_t)i);
            const int64_t t = a[i];
            a[i] = a[j], a[j] = t;
        }
        if (any_perm || n < 2) break;
        Py_ssize_t i = 0;
        while (i < n && a[i] != i) i++;
        if (i == n) break;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"hash_indices", hash_indices, METH_O, "hash_indices(indices) -> int | None: the batch hash of _fastkeys."},
    {"philox_words", philox_words, METH_VARARGS,
     "philox_words(out, key0, key1, c1, indices, c3, n_words) -> bool: the first words of keyed Philox streams."},
    {"derangement", derangement, METH_VARARGS,
     "derangement(capsule, out, any_perm): numpy's Generator.permutation into out, redrawn until no fixed point."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hashkeys", "The batch hash in C.", -1, methods};

PyMODINIT_FUNC PyInit__hashkeys(void) { return PyModule_Create(&module); }
