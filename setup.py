"""Build of the optional C extensions; all metadata lives in setup.cfg.

* `collate.functional._kernels`: one-pass mixing kernels (see collate/functional/kernels.py);
* `loaders._hashkeys`: the batch hash that keys a batch's generator (see loaders/_fastkeys.py).

Both are optional: without a C compiler the install still succeeds and the library takes its
torch and numpy paths, which give the same results (on CPUs with FMA for the float kernels).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "loaders._hashkeys",
            ["loaders/_hashkeys.c"],
            extra_compile_args=["-O3", "-std=gnu11"],
            optional=True,
        ),
        Extension(
            "collate.functional._kernels",
            ["collate/functional/_kernels.c"],
            extra_compile_args=["-O3", "-std=gnu11", "-ffp-contract=off", "-fno-math-errno"],
            optional=True,
        ),
    ]
)
