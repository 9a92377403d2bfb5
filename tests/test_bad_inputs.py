"""Every row of the bad-input table (tests/bad_inputs/<area>.py) raises the named error with the named words."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.bad_inputs as bad_inputs_pkg


def _rows():
    rows = []
    for info in pkgutil.iter_modules(bad_inputs_pkg.__path__, bad_inputs_pkg.__name__ + "."):
        mod = importlib.import_module(info.name)
        area = info.name.rsplit(".", 1)[-1]
        rows.extend(pytest.param(row, id=f"{area}:{row.id}") for row in getattr(mod, "ROWS", []))
    return rows


@pytest.mark.parametrize("row", _rows())
def test_bad_input(row):
    with pytest.raises(row.exc_type) as info:
        row.call()
    message = str(info.value).lower()
    missing = [w for w in row.words if w.lower() not in message]
    assert not missing, f"{row.id}: message {str(info.value)!r} lacks {missing}"
