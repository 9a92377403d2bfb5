/*
 * hash_indices in C: the 64-bit hash of a batch's ordered indices that keys the batch's generator
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

static PyMethodDef methods[] = {
    {"hash_indices", hash_indices, METH_O, "hash_indices(indices) -> int | None: the batch hash of _fastkeys."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hashkeys", "The batch hash in C.", -1, methods};

PyMODINIT_FUNC PyInit__hashkeys(void) { return PyModule_Create(&module); }
