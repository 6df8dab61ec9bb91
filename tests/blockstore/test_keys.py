"""pinfold.blockstore.keys: a block's key is base32 of its multihash; a batch named at once."""

from __future__ import annotations

import base64
import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pinfold.blockstore import keys
from pinfold.blockstore.keys import key_to_mh, mh_to_key, paths_by_shard, shard_dir


def test_keys_are_base32_of_the_multihash():
    rng = random.Random(5)
    for n in list(range(0, 80)) + [34, 34, 36, 66]:
        mh = rng.randbytes(n)
        key = mh_to_key(mh)
        assert key == base64.b32encode(mh).decode("ascii").rstrip("=")
        assert key_to_mh(key) == mh


def test_shard_is_the_two_characters_before_the_last():
    assert shard_dir("CIQABCDEFXYZ") == "XY"
    assert shard_dir("AB") == "_A"  # a key shorter than three characters is padded


def _expected(root: str, mhs: list[bytes]) -> list[list[tuple[str, bytes]]]:
    """The definition, spelled out: each path from mh_to_key and shard_dir, the groups sorted
    by their directory's name, each group in the batch's order."""
    groups: dict[str, list[tuple[str, bytes]]] = {}
    for mh in mhs:
        key = mh_to_key(mh)
        path = os.path.join(root, shard_dir(key), key + ".data")
        groups.setdefault(shard_dir(key), []).append((path, mh))
    return [groups[s] for s in sorted(groups)]


@settings(max_examples=150, deadline=None)
@given(length=st.integers(min_value=2, max_value=70), seed=st.integers(0, 2**32),
       count=st.integers(min_value=1, max_value=400))
def test_a_batch_is_named_the_same_with_numpy_and_without(length, seed, count):
    rng = random.Random(seed)
    mhs = [rng.randbytes(length) for _ in range(count)]
    mhs += mhs[: count // 10]  # repeats keep their places
    want = _expected("/r/blocks", mhs)
    assert paths_by_shard("/r/blocks", mhs, use_numpy=False) == want
    assert paths_by_shard("/r/blocks", mhs, use_numpy=True) == want


def test_sha256_multihashes_in_a_large_batch_take_the_numpy_path():
    import numpy  # noqa: F401 - the test extra installs it; gc names its batches this way
    rng = random.Random(11)
    mhs = [b"\x12\x20" + rng.randbytes(32) for _ in range(keys.NUMPY_MIN * 3)]
    got = paths_by_shard("/data/blocks/", mhs)  # a root with its separator
    assert got == _expected("/data/blocks/", mhs)
    assert len(got) > 900  # spread over nearly all of the 1,024 shard directories
    assert got[0][0][0].startswith("/data/blocks/2")  # digits sort before letters, as names


def test_mixed_lengths_and_short_multihashes_are_named_without_numpy():
    mhs = [b"\x00", b"\x01\x02", b"\x12\x20" + bytes(32), b"\x00"]
    assert paths_by_shard("/r", mhs, use_numpy=True) == _expected("/r", mhs)
    assert paths_by_shard("/r", [], use_numpy=True) == []
