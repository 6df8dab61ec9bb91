"""pinfold.lazy: package attributes loaded on first use, and numpy only where it is wanted."""

from __future__ import annotations

import sys

import numpy  # the test extra installs it
import pytest

from pinfold.lazy import load_numpy


def test_load_numpy_gives_numpy_unless_told_not_to():
    assert load_numpy(None) is numpy
    assert load_numpy(True) is numpy
    assert load_numpy(False) is None


def test_without_numpy_the_pure_path_is_chosen_or_the_import_error_raised(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)  # `import numpy` now raises ImportError
    assert load_numpy(None) is None
    assert load_numpy(False) is None
    with pytest.raises(ImportError):
        load_numpy(True)
