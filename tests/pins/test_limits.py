"""pinfold.pins.limits: the limits of pin names."""

from __future__ import annotations

import pytest

from pinfold import PinfoldError
from pinfold.pins import PinError
from pinfold.pins.query import QueryError


def test_pin_name_limits(repo):
    cid = repo.block_put(b"limits")
    ok = "é" * 127 + "x"  # 255 bytes
    assert repo.pin(cid, name=ok).name == ok
    with pytest.raises(PinfoldError, match="255 bytes"):
        repo.pin(cid, name="é" * 128)  # 256 bytes
    with pytest.raises(PinfoldError, match="255 bytes"):
        repo.pins.rename(repo.pins.list()[0].id, "x" * 256)
    assert [p.name for p in repo.pins.list()] == [ok]
    with pytest.raises(QueryError, match="unknown name match"):
        repo.pins.query(name="x", match="fuzzy")


def test_pin_names_longer_than_255_bytes_are_refused(repo):
    root = repo.add(b"x", pin=False).root
    with pytest.raises(PinError, match="255"):
        repo.pin(root, name="n" * 256)
    with pytest.raises(PinError):
        repo.pin(root, name="é" * 128)  # 256 bytes in UTF-8
    assert repo.pins.list() == []
    assert repo.pin(root, name="n" * 255).name == "n" * 255
    assert repo.pin(root, name="é" * 127).name == "é" * 127


def test_group_name_limits_name_the_group(repo):
    cid = repo.block_put(b"group limits")
    with pytest.raises(PinError, match="^group name is longer than 255 bytes$"):
        repo.pin(cid, groups=["g" * 256])
    with pytest.raises(PinError, match="^group name is longer than 255 bytes$"):
        repo.pins.group_create("é" * 128)
    assert repo.pins.groups() == [] and repo.pins.list() == []
    assert repo.pin(cid, groups=["g" * 255]).groups == ("g" * 255,)
