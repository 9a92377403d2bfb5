# Type stub of the C extension built from _hashkeys.c (see loaders/_fastkeys.py).
from collections.abc import Sequence
from typing import Any

def hash_indices(indices: Sequence[Any]) -> int | None: ...
