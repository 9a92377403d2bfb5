"""Build of the optional C kernels (`collate.functional._kernels`); all metadata lives in setup.cfg.

The extension is optional: without a C compiler the install still succeeds and the collates use
their torch path, which gives the same bits on CPUs with FMA (see collate/functional/kernels.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "collate.functional._kernels",
            ["collate/functional/_kernels.c"],
            extra_compile_args=["-O3", "-std=gnu11", "-ffp-contract=off", "-fno-math-errno"],
            optional=True,
        )
    ]
)
