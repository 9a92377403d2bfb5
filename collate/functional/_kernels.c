/*
 * One-pass mixing kernels for the collates (CPU, contiguous rows, any number of samples).
 *
 * The Python side (collate/functional/kernels.py) checks every row (dtype, size, contiguity,
 * device) and hands over raw data pointers as ints; these functions only loop. Each reads the
 * per-sample tensors where they are and writes each output row once, so a batch costs one pass
 * over memory instead of stack + gather + blend. The GIL is released while they run.
 *
 *   lerp_f32(out, ptrs, perm, weights, mode, numel)
 *       MixUp of float32 rows, bit for bit torch.lerp as ATen computes it on CPUs with FMA:
 *       small weights (|w| < 0.5) give fma(w, end - start, start), the others
 *       fma(w - 1, end - start, end). mode 0: lerp(x_j, x_perm[j], w_j); mode 1:
 *       lerp(x_perm[j], x_j, w_j), copying x_j where w_j == 1 or perm[j] == j; mode 2: copies.
 *   blend_u8(out, ptrs, perm, weights, numel)
 *       out_j = (w_j * x_j + (256 - w_j) * x_perm[j] + 128) >> 8, w_j in [0, 256]: exact fixed point.
 *   cut_rows(out, ptrs, perm, boxes, copy, elem_size, outer, height, width, inner)
 *       out_j = x_j (with copy; else out_j as it is) with the box (y0, y1, x0, x1) of x_perm[j]
 *       pasted in, for rows laid out as (outer, height, width, inner) elements of elem_size
 *       bytes; a box of None pastes nothing; one 4-tuple instead of a sequence: the same box for all.
 *
 *   fill_boxes(out, rows, y0, y1, x0, x1, elem, outer, height, width, fill)
 *       Fills one box per listed row of a stacked batch with an elem-byte value (Cutout's holes).
 *   one_hot_f32(out, targets, perm, lam, num_classes, eps)
 *       The mixed, smoothed one-hot targets of int class indices (False: not plain ints in range).
 *
 * lerp_f32, blend_u8 and cut_rows take an optional last argument `channels`: when positive, every
 * source row is the channel-first view of channels-last memory ((H, W, C) seen as (C, H, W)) and is
 * rearranged into planes on the fly; the output stays channel-first and contiguous.
 *
 * When the rows are the output's own rows (ptrs[j] == out + j * row bytes), the kernels mix the
 * batch in place (the pairing must then be a permutation).
 *
 * Rows are visited cycle by cycle of the pairing, so each sample is read from memory about once.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ arithmetic loops */

/* o may be s or e itself (mixing in place): element k is read before it is written and no
 * element is read after another one is written, so the loops carry no dependence (ivdep). */
#define LERP_BODY                                                             \
    if (fabsf(w) < 0.5f) {                                                    \
        _Pragma("GCC ivdep") for (Py_ssize_t k = 0; k < n; k++) o[k] = fmaf(w, e[k] - s[k], s[k]); \
    } else {                                                                  \
        const float c = w - 1.0f;                                             \
        _Pragma("GCC ivdep") for (Py_ssize_t k = 0; k < n; k++) o[k] = fmaf(c, e[k] - s[k], e[k]); \
    }

#if defined(__x86_64__) || defined(__i386__)
#define X86 1
#else
#define X86 0
#endif

/* Compiled three times: for AVX-512 and AVX2 (hardware FMA, vectorised) and a portable
 * fallback (fmaf from libm: correctly rounded everywhere, slower). All give the same bits. */
#if X86
/* No streaming stores: a fresh output (a new batch, often in new shared memory) is zeroed by the
 * kernel on first touch, and streaming over lines just zeroed in the cache costs more than it saves. */
__attribute__((target("avx512f"))) static void lerp_avx512(const float *s, const float *e,
                                                             float w, float *o, Py_ssize_t n) {
    LERP_BODY
}
__attribute__((target("avx2,fma"))) static void lerp_avx2(const float *s, const float *e, float w,
                                                            float *o, Py_ssize_t n) {
    LERP_BODY
}
#endif
static void lerp_generic(const float *s, const float *e, float w, float *o,
                         Py_ssize_t n) {
    LERP_BODY
}

typedef void (*lerp_fn)(const float *, const float *, float, float *, Py_ssize_t);
static lerp_fn lerp_impl = lerp_generic;
static const char *lerp_isa = "generic";

#define BLEND_BODY                                                                              \
    const uint16_t w1 = (uint16_t)w, w2 = (uint16_t)(256 - w);                                  \
    _Pragma("GCC ivdep") for (Py_ssize_t k = 0; k < n; k++) o[k] = (uint8_t)((w1 * a[k] + w2 * b[k] + 128u) >> 8);

#if X86
#include <immintrin.h>
/* 32 bytes per step in 16-bit lanes: w * a + (256 - w) * b + 128 is at most 65408, so it fits. */
__attribute__((target("avx2"))) static void blend_avx2(const uint8_t *a, const uint8_t *b, int w,
                                                         uint8_t *o, Py_ssize_t n) {
    const __m256i w1 = _mm256_set1_epi16((short)w), w2 = _mm256_set1_epi16((short)(256 - w));
    const __m256i half = _mm256_set1_epi16(128), zero = _mm256_setzero_si256();
    Py_ssize_t k = 0;
    for (; k + 32 <= n; k += 32) {
        const __m256i va = _mm256_loadu_si256((const __m256i *)(a + k));
        const __m256i vb = _mm256_loadu_si256((const __m256i *)(b + k));
        __m256i lo = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpacklo_epi8(va, zero), w1),
                                      _mm256_mullo_epi16(_mm256_unpacklo_epi8(vb, zero), w2));
        __m256i hi = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpackhi_epi8(va, zero), w1),
                                      _mm256_mullo_epi16(_mm256_unpackhi_epi8(vb, zero), w2));
        lo = _mm256_srli_epi16(_mm256_add_epi16(lo, half), 8);
        hi = _mm256_srli_epi16(_mm256_add_epi16(hi, half), 8);
        _mm256_storeu_si256((__m256i *)(o + k), _mm256_packus_epi16(lo, hi));
    }
    for (; k < n; k++) o[k] = (uint8_t)(((unsigned)w * a[k] + (unsigned)(256 - w) * b[k] + 128u) >> 8);
}
#endif
static void blend_generic(const uint8_t *a, const uint8_t *b, int w, uint8_t *o,
                          Py_ssize_t n) {
    BLEND_BODY
}

typedef void (*blend_fn)(const uint8_t *, const uint8_t *, int, uint8_t *, Py_ssize_t);
static blend_fn blend_impl = blend_generic;

/* ------------------------------------------------------------------ argument helpers */

typedef struct {
    Py_ssize_t n;
    uintptr_t *ptr;    /* the address of each sample */
    Py_ssize_t *perm;  /* the partner of each sample */
    Py_ssize_t *order; /* the rows in the order of the pairing's cycles */
    char *first;       /* first[k]: order[k] starts a cycle */
    int is_perm;       /* perm is a permutation (every row is the partner of exactly one row) */
} batch_t;

static void batch_free(batch_t *b) {
    PyMem_Free(b->ptr);
    PyMem_Free(b->perm);
    PyMem_Free(b->order);
    PyMem_Free(b->first);
}

/* Reads the addresses and the partner indices (checked to be a permutation's range, [0, n)).
 * The order visits each cycle of the pairing in turn: row j reads samples j and perm[j], and the
 * next row, perm[j], reads sample perm[j] again while it is still in the L1 cache, so every
 * sample is fetched from memory about once. */
static int batch_read(batch_t *b, PyObject *ptrs_obj, PyObject *perm_obj) {
    b->ptr = NULL;
    b->perm = b->order = NULL;
    b->first = NULL;
    b->is_perm = 0;
    PyObject *pf = PySequence_Fast(ptrs_obj, "ptrs must be a sequence of addresses");
    if (pf == NULL) return -1;
    PyObject *qf = PySequence_Fast(perm_obj, "perm must be a sequence of ints");
    if (qf == NULL) {
        Py_DECREF(pf);
        return -1;
    }
    Py_ssize_t n = b->n = PySequence_Fast_GET_SIZE(pf);
    int ok = 1;
    if (PySequence_Fast_GET_SIZE(qf) != n) {
        PyErr_Format(PyExc_ValueError, "perm has %zd entries for %zd samples", PySequence_Fast_GET_SIZE(qf), n);
        ok = 0;
    }
    size_t m = (size_t)(n > 0 ? n : 1);
    char *seen = NULL;
    if (ok) {
        b->ptr = PyMem_Malloc(m * sizeof(uintptr_t));
        b->perm = PyMem_Malloc(m * sizeof(Py_ssize_t));
        b->order = PyMem_Malloc(m * sizeof(Py_ssize_t));
        b->first = PyMem_Calloc(m, 1);
        seen = PyMem_Calloc(m, 1);
        if (!b->ptr || !b->perm || !b->order || !b->first || !seen) {
            PyErr_NoMemory();
            ok = 0;
        }
    }
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        b->ptr[i] = (uintptr_t)PyLong_AsVoidPtr(PySequence_Fast_GET_ITEM(pf, i));
        b->perm[i] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(qf, i));
        if (PyErr_Occurred()) {
            ok = 0;
        } else if (b->perm[i] < 0 || b->perm[i] >= n) {
            PyErr_Format(PyExc_ValueError, "perm[%zd] = %zd is outside [0, %zd)", i, b->perm[i], n);
            ok = 0;
        }
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        if (!seen[i]) b->first[k] = 1;
        for (Py_ssize_t j = i; !seen[j]; j = b->perm[j]) {
            seen[j] = 1;
            b->order[k++] = j;
        }
    }
    /* (the walk from every row reaches every row once: order holds each row exactly once) */
    if (ok) { /* a permutation: every row is the partner of exactly one row */
        memset(seen, 0, m);
        b->is_perm = 1;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (seen[b->perm[i]]) b->is_perm = 0;
            seen[b->perm[i]] = 1;
        }
    }
    PyMem_Free(seen);
    Py_DECREF(pf);
    Py_DECREF(qf);
    if (!ok) {
        batch_free(b);
        return -1;
    }
    return 0;
}

/* One float per sample: a single number for the whole batch, or a sequence of n. */
static float *read_floats(PyObject *obj, Py_ssize_t n) {
    float *out = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (out == NULL) return (float *)PyErr_NoMemory();
    if (PyFloat_Check(obj) || PyLong_Check(obj)) {
        const float v = (float)PyFloat_AsDouble(obj);
        for (Py_ssize_t i = 0; i < n; i++) out[i] = v;
    } else {
        PyObject *f = PySequence_Fast(obj, "weights must be a number or a sequence of numbers");
        if (f != NULL && PySequence_Fast_GET_SIZE(f) != n) {
            PyErr_Format(PyExc_ValueError, "weights has %zd entries for %zd samples", PySequence_Fast_GET_SIZE(f), n);
        }
        for (Py_ssize_t i = 0; f != NULL && !PyErr_Occurred() && i < n; i++) {
            out[i] = (float)PyFloat_AsDouble(PySequence_Fast_GET_ITEM(f, i));
        }
        Py_XDECREF(f);
    }
    if (PyErr_Occurred()) {
        PyMem_Free(out);
        return NULL;
    }
    return out;
}

/* ------------------------------------------------------------------ channels-last sources */

/* Rows given as channel-first views of channels-last memory (an (H, W, C) array seen as (C, H, W),
 * e.g. torch.from_numpy(hwc).permute(2, 0, 1)) are first rearranged into a planar scratch row:
 * dst[c * hw + i] = src[i * ch + c]. The loops read the source once and write ch sequential
 * planes; the common sizes get constant strides the compiler can unroll. */
#define DEINTERLEAVE(T, CH)                                                                         \
    for (Py_ssize_t i = 0; i < hw; i++)                                                             \
        for (Py_ssize_t c = 0; c < (CH); c++) ((T *)dst)[c * hw + i] = ((const T *)src)[i * (CH) + c];

#if X86
/* RGB bytes to three planes, 16 pixels (48 bytes) per step with SSSE3 byte shuffles. */
__attribute__((target("ssse3"))) static void deinterleave_rgb8_ssse3(uint8_t *restrict dst, const uint8_t *restrict src,
                                                                       Py_ssize_t hw) {
    const __m128i ra = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i rb = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i rc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i ga = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i gb = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i gc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i ba = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i bb = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i bc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    uint8_t *r = dst, *g = dst + hw, *b = dst + 2 * hw;
    Py_ssize_t i = 0;
    for (; i + 16 <= hw; i += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(src + 3 * i));
        const __m128i m = _mm_loadu_si128((const __m128i *)(src + 3 * i + 16));
        const __m128i c = _mm_loadu_si128((const __m128i *)(src + 3 * i + 32));
        _mm_storeu_si128((__m128i *)(r + i), _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ra), _mm_shuffle_epi8(m, rb)),
                                                          _mm_shuffle_epi8(c, rc)));
        _mm_storeu_si128((__m128i *)(g + i), _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ga), _mm_shuffle_epi8(m, gb)),
                                                          _mm_shuffle_epi8(c, gc)));
        _mm_storeu_si128((__m128i *)(b + i), _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ba), _mm_shuffle_epi8(m, bb)),
                                                          _mm_shuffle_epi8(c, bc)));
    }
    for (; i < hw; i++) {
        r[i] = src[3 * i], g[i] = src[3 * i + 1], b[i] = src[3 * i + 2];
    }
}
static int have_ssse3 = 0;

/* Whole-row copies with vector loads and stores: glibc's memcpy takes `rep movsb` for rows of a few
 * kilobytes, which is slower than this on some (virtual) machines. */
__attribute__((target("avx2"))) static void row_copy_avx2(char *restrict d, const char *restrict s, size_t n) {
    size_t k = 0;
    for (; k + 128 <= n; k += 128) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(s + k));
        const __m256i b = _mm256_loadu_si256((const __m256i *)(s + k + 32));
        const __m256i c = _mm256_loadu_si256((const __m256i *)(s + k + 64));
        const __m256i e = _mm256_loadu_si256((const __m256i *)(s + k + 96));
        _mm256_storeu_si256((__m256i *)(d + k), a);
        _mm256_storeu_si256((__m256i *)(d + k + 32), b);
        _mm256_storeu_si256((__m256i *)(d + k + 64), c);
        _mm256_storeu_si256((__m256i *)(d + k + 96), e);
    }
    if (k < n) memcpy(d + k, s + k, n - k);
}
static int have_avx2 = 0;
#endif

static void row_copy(char *restrict d, const char *restrict s, size_t n) {
#if X86
    if (have_avx2 && n >= 256) {
        row_copy_avx2(d, s, n);
        return;
    }
#endif
    memcpy(d, s, n);
}

static void deinterleave(char *restrict dst, const char *restrict src, Py_ssize_t hw, Py_ssize_t ch, size_t elem) {
    if (elem == 1 && ch == 3) {
#if X86
        if (have_ssse3) {
            deinterleave_rgb8_ssse3((uint8_t *)dst, (const uint8_t *)src, hw);
            return;
        }
#endif
        DEINTERLEAVE(uint8_t, 3)
    } else if (elem == 4 && ch == 3) {
        DEINTERLEAVE(uint32_t, 3)
    } else if (elem == 1) {
        DEINTERLEAVE(uint8_t, ch)
    } else if (elem == 2) {
        DEINTERLEAVE(uint16_t, ch)
    } else if (elem == 4) {
        DEINTERLEAVE(uint32_t, ch)
    } else {
        for (Py_ssize_t i = 0; i < hw; i++)
            for (Py_ssize_t c = 0; c < ch; c++) memcpy(dst + (size_t)(c * hw + i) * elem, src + (size_t)(i * ch + c) * elem, elem);
    }
}

/* The planar form of the rows a kernel reads, one at a time: `get(j)` returns row j itself for
 * planar sources, else row j rearranged into one of two scratch rows (the two rows a step reads;
 * in the cycle order the partner of one step is the own row of the next, so each row is
 * rearranged about once). */
typedef struct {
    Py_ssize_t ch, hw;
    size_t elem, bytes;
    char *buf[2];
    Py_ssize_t held[2];
} planar_t;

static int planar_init(planar_t *p, Py_ssize_t ch, Py_ssize_t numel, size_t elem) {
    p->ch = ch;
    p->hw = ch > 0 ? numel / ch : 0;
    p->elem = elem;
    p->bytes = (size_t)numel * elem;
    p->buf[0] = p->buf[1] = NULL;
    p->held[0] = p->held[1] = -1;
    if (ch <= 0) return 0;
    if (numel % ch != 0) {
        PyErr_Format(PyExc_ValueError, "channels=%zd does not divide numel=%zd", ch, numel);
        return -1;
    }
    p->buf[0] = PyMem_Malloc(p->bytes ? p->bytes : 1);
    p->buf[1] = PyMem_Malloc(p->bytes ? p->bytes : 1);
    if (!p->buf[0] || !p->buf[1]) {
        PyMem_Free(p->buf[0]);
        PyMem_Free(p->buf[1]);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void planar_free(planar_t *p) {
    PyMem_Free(p->buf[0]);
    PyMem_Free(p->buf[1]);
}

/* Row j in planar form; `keep` is the slot (0 or 1) not to overwrite (the other row of the step). */
static const char *planar_get(planar_t *p, const batch_t *b, Py_ssize_t j, int keep) {
    if (p->ch <= 0) return (const char *)b->ptr[j];
    for (int s = 0; s < 2; s++)
        if (p->held[s] == j) return p->buf[s];
    const int s = keep == 0 ? 1 : 0;
    deinterleave(p->buf[s], (const char *)b->ptr[j], p->hw, p->ch, p->elem);
    p->held[s] = j;
    return p->buf[s];
}

static int planar_slot(const planar_t *p, Py_ssize_t j) {
    return p->held[0] == j ? 0 : (p->held[1] == j ? 1 : -1);
}

/* ------------------------------------------------------------------ mixing in place */

/* When the rows are the output's own rows (a batch the caller stacked and owns), each row is
 * mixed in place along the cycles of the pairing: a row reads its partner, the next row of the
 * cycle, before that one is written, and the cycle's last row reads the first row's original,
 * copied aside when the cycle starts. Needs a permutation. */
typedef struct {
    int on;
    char *saved;
    Py_ssize_t start;
} inplace_t;

static int inplace_init(inplace_t *ip, const batch_t *b, const char *out, size_t row_bytes) {
    ip->on = b->n > 0;
    ip->saved = NULL;
    ip->start = -1;
    for (Py_ssize_t j = 0; ip->on && j < b->n; j++) {
        if (b->ptr[j] != (uintptr_t)(out + (size_t)j * row_bytes)) ip->on = 0;
    }
    if (!ip->on) return 0;
    if (!b->is_perm) {
        PyErr_SetString(PyExc_ValueError, "mixing a batch in place needs a permutation as the pairing");
        return -1;
    }
    ip->saved = PyMem_Malloc(row_bytes ? row_bytes : 1);
    if (ip->saved == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Before step k: keep the first row of a new cycle. Returns the partner's address for row j. */
static const char *inplace_partner(inplace_t *ip, const batch_t *b, Py_ssize_t k, size_t row_bytes) {
    const Py_ssize_t j = b->order[k], q = b->perm[j];
    if (!ip->on) return (const char *)b->ptr[q];
    if (b->first[k]) {
        memcpy(ip->saved, (const char *)b->ptr[j], row_bytes);
        ip->start = j;
    }
    return q == ip->start ? ip->saved : (const char *)b->ptr[q];
}

/* ------------------------------------------------------------------ lerp_f32 */

/* mode 0: out_j = lerp(x_j, x_perm[j], w_j) for every row.
 * mode 1: out_j = lerp(x_perm[j], x_j, w_j), a copy of x_j where w_j == 1 or perm[j] == j.
 * mode 2: out_j = x_j (a plain stack). */
static PyObject *lerp_f32(PyObject *self, PyObject *args) {
    PyObject *out_obj, *ptrs_obj, *perm_obj, *weights_obj;
    Py_ssize_t numel;
    int mode;
    Py_ssize_t channels = 0;
    if (!PyArg_ParseTuple(args, "OOOOin|n", &out_obj, &ptrs_obj, &perm_obj, &weights_obj, &mode, &numel, &channels))
        return NULL;
    if (mode < 0 || mode > 2 || numel < 0) {
        PyErr_SetString(PyExc_ValueError, "lerp_f32: mode must be 0, 1 or 2 and numel >= 0");
        return NULL;
    }
    float *out = (float *)PyLong_AsVoidPtr(out_obj);
    if (PyErr_Occurred()) return NULL;
    batch_t b;
    if (batch_read(&b, ptrs_obj, perm_obj) < 0) return NULL;
    float *w = read_floats(weights_obj, b.n);
    planar_t pl;
    inplace_t ip = {0, NULL, -1};
    const size_t row_bytes = (size_t)numel * sizeof(float);
    if (w == NULL || planar_init(&pl, channels, numel, sizeof(float)) < 0 ||
        (channels <= 0 && inplace_init(&ip, &b, (const char *)out, row_bytes) < 0)) {
        if (w != NULL) planar_free(&pl);
        PyMem_Free(w);
        batch_free(&b);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < b.n; k++) {
        const Py_ssize_t j = b.order[k], q = b.perm[j];
        float *o = out + j * numel;
        const float *in_place_partner = (const float *)inplace_partner(&ip, &b, k, row_bytes);
        if (mode == 2 || (mode == 1 && (w[j] == 1.0f || q == j))) {
            if (pl.ch > 0) {
                deinterleave((char *)o, (const char *)b.ptr[j], pl.hw, pl.ch, sizeof(float));
            } else if ((const float *)b.ptr[j] != o) {
                row_copy((char *)o, (const char *)b.ptr[j], row_bytes);
            }
            continue;
        }
        const float *own = (const float *)planar_get(&pl, &b, j, -1);
        const float *partner = pl.ch > 0 ? (const float *)planar_get(&pl, &b, q, planar_slot(&pl, j)) : in_place_partner;
        if (mode == 0) {
            lerp_impl(own, partner, w[j], o, numel);
        } else {
            lerp_impl(partner, own, w[j], o, numel);
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(ip.saved);
    planar_free(&pl);
    PyMem_Free(w);
    batch_free(&b);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ blend_u8 */

static PyObject *blend_u8(PyObject *self, PyObject *args) {
    PyObject *out_obj, *ptrs_obj, *perm_obj, *w_obj;
    Py_ssize_t numel;
    Py_ssize_t channels = 0;
    if (!PyArg_ParseTuple(args, "OOOOn|n", &out_obj, &ptrs_obj, &perm_obj, &w_obj, &numel, &channels)) return NULL;
    uint8_t *out = (uint8_t *)PyLong_AsVoidPtr(out_obj);
    if (PyErr_Occurred()) return NULL;
    if (numel < 0) {
        PyErr_SetString(PyExc_ValueError, "blend_u8: numel must be >= 0");
        return NULL;
    }
    batch_t b;
    if (batch_read(&b, ptrs_obj, perm_obj) < 0) return NULL;
    float *wf = read_floats(w_obj, b.n);
    int bad = wf == NULL;
    for (Py_ssize_t i = 0; !bad && i < b.n; i++) {
        if (!(wf[i] >= 0.0f && wf[i] <= 256.0f) || wf[i] != (float)(int)wf[i]) {
            PyErr_Format(PyExc_ValueError, "blend_u8: weights must be ints in [0, 256], got %f", (double)wf[i]);
            bad = 1;
        }
    }
    planar_t pl;
    inplace_t ip = {0, NULL, -1};
    if (bad || planar_init(&pl, channels, numel, 1) < 0) {
        PyMem_Free(wf);
        batch_free(&b);
        return NULL;
    }
    if (channels <= 0 && inplace_init(&ip, &b, (const char *)out, (size_t)numel) < 0) {
        planar_free(&pl);
        PyMem_Free(wf);
        batch_free(&b);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < b.n; k++) {
        const Py_ssize_t j = b.order[k];
        const uint8_t *in_place_partner = (const uint8_t *)inplace_partner(&ip, &b, k, (size_t)numel);
        const uint8_t *own = (const uint8_t *)planar_get(&pl, &b, j, -1);
        const uint8_t *partner =
            pl.ch > 0 ? (const uint8_t *)planar_get(&pl, &b, b.perm[j], planar_slot(&pl, j)) : in_place_partner;
        blend_impl(own, partner, (int)wf[j], out + j * numel, numel);
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(ip.saved);
    planar_free(&pl);
    PyMem_Free(wf);
    batch_free(&b);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ cut_rows */

typedef struct {
    Py_ssize_t y0, y1, x0, x1;
    int cut;
} box_t;

/* A copy of a few dozen bytes (one line of a box), inline: fixed-size memcpy calls compile to
 * plain moves, where a library memcpy per line would cost more than the copy. */
#if X86
/* The box of one row, line by line, with 64-byte vector moves and one masked move per line end. */
__attribute__((target("avx512f,avx512bw"))) static void paste_box_avx512(char *restrict o, const char *restrict p,
                                                                           Py_ssize_t outer, size_t plane, size_t row,
                                                                           Py_ssize_t y0, Py_ssize_t y1, size_t off,
                                                                           size_t len) {
    const size_t full = len & ~(size_t)63, rest = len - full;
    const __mmask64 tail = rest ? (~0ULL >> (64 - rest)) : 0;
    for (Py_ssize_t c = 0; c < outer; c++) {
        for (Py_ssize_t y = y0; y < y1; y++) {
            const size_t at = (size_t)c * plane + (size_t)y * row + off;
            char *d = o + at;
            const char *q = p + at;
            for (size_t k = 0; k < full; k += 64) _mm512_storeu_si512((void *)(d + k), _mm512_loadu_si512((const void *)(q + k)));
            if (rest) _mm512_mask_storeu_epi8(d + full, tail, _mm512_maskz_loadu_epi8(tail, q + full));
        }
    }
}
static int have_avx512bw = 0;
#endif

static inline void line_copy(char *restrict d, const char *restrict s, size_t n) {
    if (n >= 512) {
        memcpy(d, s, n);
        return;
    }
    for (; n >= 32; n -= 32, d += 32, s += 32) memcpy(d, s, 32);
    for (; n >= 8; n -= 8, d += 8, s += 8) memcpy(d, s, 8);
    if (n >= 4) {
        memcpy(d, s, 4);
        d += 4, s += 4, n -= 4;
    }
    if (n >= 2) {
        memcpy(d, s, 2);
        d += 2, s += 2, n -= 2;
    }
    if (n) *d = *s;
}

/* out_j = x_j (unless copy is false: paste into out_j as it is) with the box of x_perm[j] pasted in. */
static PyObject *cut_rows(PyObject *self, PyObject *args) {
    PyObject *out_obj, *ptrs_obj, *perm_obj, *boxes_obj;
    Py_ssize_t elem, outer, height, width, inner;
    int copy;
    Py_ssize_t channels = 0;
    if (!PyArg_ParseTuple(args, "OOOOpnnnnn|n", &out_obj, &ptrs_obj, &perm_obj, &boxes_obj, &copy, &elem, &outer,
                          &height, &width, &inner, &channels))
        return NULL;
    if (elem <= 0 || outer < 0 || height < 0 || width < 0 || inner < 0) {
        PyErr_SetString(PyExc_ValueError, "cut_rows: sizes must be positive");
        return NULL;
    }
    char *out = (char *)PyLong_AsVoidPtr(out_obj);
    if (PyErr_Occurred()) return NULL;
    batch_t b;
    if (batch_read(&b, ptrs_obj, perm_obj) < 0) return NULL;
    const Py_ssize_t n = b.n;
    box_t *boxes = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(box_t));
    /* one (y0, y1, x0, x1) tuple of ints: the same box for every row */
    const int one = PyTuple_Check(boxes_obj) && PyTuple_GET_SIZE(boxes_obj) == 4 &&
                    PyLong_Check(PyTuple_GET_ITEM(boxes_obj, 0));
    PyObject *bf = boxes == NULL || one ? NULL : PySequence_Fast(boxes_obj, "boxes must be a sequence");
    int ok = one ? boxes != NULL : bf != NULL && PySequence_Fast_GET_SIZE(bf) == n;
    if (boxes == NULL) PyErr_NoMemory();
    if (bf != NULL && !ok) PyErr_Format(PyExc_ValueError, "boxes has %zd entries for %zd samples", PySequence_Fast_GET_SIZE(bf), n);
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        PyObject *bx = one ? boxes_obj : PySequence_Fast_GET_ITEM(bf, i);
        if (one && i > 0) { /* parsed once */
            boxes[i] = boxes[0];
            boxes[i].cut = boxes[0].y1 > boxes[0].y0 && boxes[0].x1 > boxes[0].x0 && b.perm[i] != i;
            continue;
        }
        box_t *x = &boxes[i];
        x->cut = 0;
        if (bx == Py_None) continue;
        if (!PyArg_ParseTuple(bx, "nnnn", &x->y0, &x->y1, &x->x0, &x->x1)) {
            ok = 0;
        } else if (x->y0 < 0 || x->y1 > height || x->x0 < 0 || x->x1 > width) {
            PyErr_Format(PyExc_ValueError, "cut_rows: box %zd lies outside the sample", i);
            ok = 0;
        } else {
            x->cut = x->y1 > x->y0 && x->x1 > x->x0 && b.perm[i] != i;
        }
    }
    Py_XDECREF(bf);
    if (!ok) {
        PyMem_Free(boxes);
        batch_free(&b);
        return NULL;
    }
    const size_t row = (size_t)(width * inner * elem), plane = row * (size_t)height;
    const size_t sample = plane * (size_t)outer;
    planar_t pl;
    inplace_t ip = {0, NULL, -1};
    if (planar_init(&pl, channels, (Py_ssize_t)(sample / (size_t)elem), (size_t)elem) < 0) {
        PyMem_Free(boxes);
        batch_free(&b);
        return NULL;
    }
    if (channels <= 0 && inplace_init(&ip, &b, out, sample) < 0) {
        planar_free(&pl);
        PyMem_Free(boxes);
        batch_free(&b);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < n; k++) {
        const Py_ssize_t j = b.order[k];
        char *o = out + (size_t)j * sample;
        const box_t *x = &boxes[j];
        const char *in_place_partner = inplace_partner(&ip, &b, k, sample);
        if (copy && pl.ch > 0) {
            if (x->cut) { /* through the scratch: the partner of the last row is often this one */
                memcpy(o, planar_get(&pl, &b, j, -1), sample);
            } else {
                deinterleave(o, (const char *)b.ptr[j], pl.hw, pl.ch, (size_t)elem);
            }
        } else if (copy && (const char *)b.ptr[j] != o) {
            row_copy(o, (const char *)b.ptr[j], sample);
        }
        if (!x->cut) continue;
        const char *p = pl.ch > 0 ? planar_get(&pl, &b, b.perm[j], planar_slot(&pl, j)) : in_place_partner;
        const size_t off = (size_t)(x->x0 * inner * elem), len = (size_t)((x->x1 - x->x0) * inner * elem);
#if X86
        if (have_avx512bw) {
            paste_box_avx512(o, p, outer, plane, row, x->y0, x->y1, off, len);
            continue;
        }
#endif
        for (Py_ssize_t c = 0; c < outer; c++) {
            for (Py_ssize_t y = x->y0; y < x->y1; y++) {
                const size_t at = (size_t)c * plane + (size_t)y * row + off;
                line_copy(o + at, p + at, len);
            }
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(ip.saved);
    planar_free(&pl);
    PyMem_Free(boxes);
    batch_free(&b);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ fill_boxes */

/* Cutout's holes in a stacked batch, in place: fill_boxes(out, rows, y0, y1, x0, x1, elem, outer,
 * height, width, fill) writes the elem-byte value `fill` into box i of row rows[i] (all planes),
 * for rows laid out as (outer, height, width) elements; empty boxes are skipped. */
static PyObject *fill_boxes(PyObject *self, PyObject *args) {
    PyObject *out_obj, *lists[5];
    Py_ssize_t elem, outer, height, width;
    const char *fill;
    Py_ssize_t fill_len;
    if (!PyArg_ParseTuple(args, "OOOOOOnnnny#", &out_obj, &lists[0], &lists[1], &lists[2], &lists[3], &lists[4],
                          &elem, &outer, &height, &width, &fill, &fill_len))
        return NULL;
    if (elem <= 0 || fill_len != elem || outer < 0 || height < 0 || width < 0) {
        PyErr_SetString(PyExc_ValueError, "fill_boxes: the fill must have elem bytes and the sizes be >= 0");
        return NULL;
    }
    char *out = (char *)PyLong_AsVoidPtr(out_obj);
    if (PyErr_Occurred()) return NULL;
    PyObject *fast[5] = {NULL, NULL, NULL, NULL, NULL};
    Py_ssize_t n = -1;
    int ok = 1;
    for (int a = 0; a < 5 && ok; a++) {
        fast[a] = PySequence_Fast(lists[a], "fill_boxes: rows and box edges must be sequences of ints");
        if (fast[a] == NULL) {
            ok = 0;
        } else if (n < 0) {
            n = PySequence_Fast_GET_SIZE(fast[a]);
        } else if (PySequence_Fast_GET_SIZE(fast[a]) != n) {
            PyErr_SetString(PyExc_ValueError, "fill_boxes: rows and box edges differ in length");
            ok = 0;
        }
    }
    Py_ssize_t *v = ok ? PyMem_Malloc((size_t)(n > 0 ? 5 * n : 1) * sizeof(Py_ssize_t)) : NULL;
    if (ok && v == NULL) {
        PyErr_NoMemory();
        ok = 0;
    }
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        for (int a = 0; a < 5; a++) v[5 * i + a] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(fast[a], i));
        if (PyErr_Occurred()) {
            ok = 0;
        } else if (v[5 * i] < 0 || v[5 * i + 1] < 0 || v[5 * i + 2] > height || v[5 * i + 3] < 0 ||
                   v[5 * i + 4] > width) {
            PyErr_Format(PyExc_ValueError, "fill_boxes: box %zd lies outside the image", i);
            ok = 0;
        }
    }
    for (int a = 0; a < 5; a++) Py_XDECREF(fast[a]);
    if (!ok) {
        PyMem_Free(v);
        return NULL;
    }
    const size_t row = (size_t)(width * elem), plane = row * (size_t)height, sample = plane * (size_t)outer;
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_ssize_t j = v[5 * i], y0 = v[5 * i + 1], y1 = v[5 * i + 2], x0 = v[5 * i + 3], x1 = v[5 * i + 4];
        if (y1 <= y0 || x1 <= x0) continue;
        char *o = out + (size_t)j * sample;
        const size_t len = (size_t)(x1 - x0) * (size_t)elem;
        for (Py_ssize_t c = 0; c < outer; c++) {
            for (Py_ssize_t y = y0; y < y1; y++) {
                char *d = o + (size_t)c * plane + (size_t)y * row + (size_t)x0 * (size_t)elem;
                if (elem == 1) {
                    memset(d, fill[0], len);
                } else {
                    for (size_t q = 0; q < len; q += (size_t)elem) memcpy(d + q, fill, (size_t)elem);
                }
            }
        }
    }
    PyMem_Free(v);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ one_hot_f32 */

/* Mixed, smoothed one-hot targets in float32, the arithmetic of the numpy path step by step:
 * y[i, t_i] = w_i; y[i, t_perm[i]] += 1 - w_i (or y[i, t_i] = 1 without perm); then, with
 * smoothing, y = y * (1 - eps) and y = y + eps / K, each rounded to float32. Returns False,
 * writing nothing, when a target is not a plain int in [0, K): the caller's path names it. */
static PyObject *one_hot_f32(PyObject *self, PyObject *args) {
    PyObject *out_obj, *targets_obj, *perm_obj, *lam_obj;
    Py_ssize_t k;
    double eps;
    if (!PyArg_ParseTuple(args, "OOOOnd", &out_obj, &targets_obj, &perm_obj, &lam_obj, &k, &eps)) return NULL;
    float *out = (float *)PyLong_AsVoidPtr(out_obj);
    if (PyErr_Occurred()) return NULL;
    PyObject *tf = PySequence_Fast(targets_obj, "targets must be a sequence");
    if (tf == NULL) return NULL;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(tf);
    Py_ssize_t *t = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(Py_ssize_t));
    if (t == NULL) {
        Py_DECREF(tf);
        return PyErr_NoMemory();
    }
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        PyObject *v = PySequence_Fast_GET_ITEM(tf, i);
        if (!PyLong_CheckExact(v)) {
            ok = 0;
            break;
        }
        int overflow = 0;
        long long c = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || c < 0 || c >= k) ok = 0;
        t[i] = (Py_ssize_t)c;
    }
    Py_DECREF(tf);
    if (!ok || k <= 0) {
        PyMem_Free(t);
        Py_RETURN_FALSE;
    }
    Py_ssize_t *perm = NULL;
    float *w = NULL;
    if (perm_obj != Py_None) {
        PyObject *pf = PySequence_Fast(perm_obj, "perm must be a sequence of ints");
        perm = pf == NULL ? NULL : PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(Py_ssize_t));
        if (pf != NULL && PySequence_Fast_GET_SIZE(pf) != n) {
            PyErr_Format(PyExc_ValueError, "perm has %zd entries for %zd targets", PySequence_Fast_GET_SIZE(pf), n);
        }
        for (Py_ssize_t i = 0; perm != NULL && !PyErr_Occurred() && i < n; i++) {
            perm[i] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(pf, i));
            if (!PyErr_Occurred() && (perm[i] < 0 || perm[i] >= n)) {
                PyErr_Format(PyExc_ValueError, "perm[%zd] = %zd is outside [0, %zd)", i, perm[i], n);
            }
        }
        Py_XDECREF(pf);
        if (!PyErr_Occurred()) w = read_floats(lam_obj, n);
        if (w == NULL || PyErr_Occurred()) {
            PyMem_Free(w);
            PyMem_Free(perm);
            PyMem_Free(t);
            return PyErr_Occurred() ? NULL : PyErr_NoMemory();
        }
    }
    const float scale = (float)(1.0 - eps), shift = (float)(eps / (double)k);
    memset(out, 0, (size_t)(n * k) * sizeof(float));
    for (Py_ssize_t i = 0; i < n; i++) {
        float *row = out + i * k;
        if (perm == NULL) {
            row[t[i]] = 1.0f;
        } else {
            row[t[i]] = w[i];
            row[t[perm[i]]] += 1.0f - w[i];
        }
    }
    if (eps != 0.0) {
        for (Py_ssize_t j = 0; j < n * k; j++) {
            float v = out[j] * scale;
            out[j] = v + shift;
        }
    }
    PyMem_Free(w);
    PyMem_Free(perm);
    PyMem_Free(t);
    Py_RETURN_TRUE;
}

/* ------------------------------------------------------------------ module */

static PyObject *isa(PyObject *self, PyObject *unused) { return PyUnicode_FromString(lerp_isa); }

static PyMethodDef methods[] = {
    {"lerp_f32", lerp_f32, METH_VARARGS, "lerp_f32(out, ptrs, perm, weights, mode, numel): MixUp of float32 rows."},
    {"blend_u8", blend_u8, METH_VARARGS, "blend_u8(out, ptrs, perm, weights, numel): exact uint8 fixed-point MixUp."},
    {"cut_rows", cut_rows, METH_VARARGS,
     "cut_rows(out, ptrs, perm, boxes, copy, elem_size, outer, height, width, inner): CutMix of rows."},
    {"one_hot_f32", one_hot_f32, METH_VARARGS,
     "one_hot_f32(out, targets, perm, lam, num_classes, eps) -> bool: mixed one-hot float32 targets."},
    {"fill_boxes", fill_boxes, METH_VARARGS,
     "fill_boxes(out, rows, y0, y1, x0, x1, elem, outer, height, width, fill): Cutout holes in place."},
    {"isa", isa, METH_NOARGS, "The instruction set the float kernel runs with."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", "One-pass mixing kernels.", -1, methods};

PyMODINIT_FUNC PyInit__kernels(void) {
#if X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        lerp_impl = lerp_avx512;
        lerp_isa = "avx512f";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        lerp_impl = lerp_avx2;
        lerp_isa = "avx2+fma";
    }
    if (__builtin_cpu_supports("avx2")) blend_impl = blend_avx2;
    have_ssse3 = __builtin_cpu_supports("ssse3");
    have_avx2 = __builtin_cpu_supports("avx2");
    have_avx512bw = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
    return PyModule_Create(&module);
}
