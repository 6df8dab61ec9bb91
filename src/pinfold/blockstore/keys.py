"""How flatfs (and S3, under its prefix) name a block: the base32 form of its multihash.

A key is RFC 4648 base32 of the multihash, upper case, no padding, as Kubo's flatfs and
go-ds-s3 write it; flatfs shards ``next-to-last/2``, the directory being the two characters
before the last one. :func:`paths_by_shard` names a whole batch at once, for gc's deletes: with
numpy (the ``fast`` extra) every key of a batch is computed in a few array operations instead of
one Python call each; without it, the same paths come from :func:`mh_to_key`.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from ..lazy import load_numpy

SUFFIX = ".data"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [a + b for a in B32 for b in B32]  # 10 bits -> two characters
_KEY_PLANS: dict[int, tuple[int, tuple[int, ...], int]] = {}
# batches smaller than this are named one key at a time (the arrays' set-up would cost more)
NUMPY_MIN = 1024


def mh_to_key(mh: bytes) -> str:
    """Base32 (RFC 4648, upper case, no padding) of a multihash, as flatfs names blocks.
    Same result as ``base64.b32encode``, in about 2/3 of its time."""
    n = len(mh)
    plan = _KEY_PLANS.get(n)
    if plan is None:
        pad = -n % 5  # whole 40-bit groups, zero bits after the data
        groups = (n + pad) * 8 // 10
        plan = _KEY_PLANS[n] = (pad * 8, tuple(range((groups - 1) * 10, -1, -10)),
                                (n * 8 + 4) // 5)
    x = int.from_bytes(mh, "big") << plan[0]
    pairs = _B32_PAIRS
    return "".join([pairs[(x >> shift) & 1023] for shift in plan[1]])[: plan[2]]


def key_to_mh(key: str) -> bytes:
    return base64.b32decode(key + "=" * (-len(key) % 8))


def shard_dir(key: str) -> str:
    padded = key if len(key) >= 3 else "_" * (3 - len(key)) + key
    return padded[-3:-1]


def paths_by_shard(root: str, mhs: list[bytes], *, use_numpy: bool | None = None,
                   ) -> list[list[tuple[str, bytes]]]:
    """Every multihash's file path under ``root``, grouped by shard directory, the groups in
    the directories' order and each in the batch's order: ``[[(path, mh), ...], ...]``.

    ``use_numpy``: ``None`` uses numpy, where it imports, for batches of :data:`NUMPY_MIN` or
    more; ``True`` for any batch (ImportError without numpy); ``False`` never. Either way the
    paths are the same, and a batch of multihashes of more than one length is named without
    numpy."""
    np = None
    if use_numpy or (use_numpy is None and len(mhs) >= NUMPY_MIN):
        np = load_numpy(use_numpy)
    if np is not None and mhs and len(mhs[0]) >= 2 and len(set(map(len, mhs))) == 1:
        return _numpy_paths(np, root, mhs)
    prefix = os.path.join(root, "")
    by_shard: dict[str, list[tuple[str, bytes]]] = {}
    for mh in mhs:
        key = mh_to_key(mh)
        shard = shard_dir(key)
        by_shard.setdefault(shard, []).append((f"{prefix}{shard}/{key}{SUFFIX}", mh))
    return [group for _, group in sorted(by_shard.items())]


def _numpy_paths(np: Any, root: str, mhs: list[bytes]) -> list[list[tuple[str, bytes]]]:
    n, length = len(mhs), len(mhs[0])
    width = -(-length // 5) * 5  # whole 40-bit groups, zero bits after the data
    raw = np.zeros((n, width), dtype=np.uint8)
    raw[:, :length] = np.frombuffer(b"".join(mhs), dtype=np.uint8).reshape(n, length)
    # each 5 bytes are 8 digits of 5 bits; uint8 shifts only (a 40-bit integer each: 5x slower)
    b0, b1, b2, b3, b4 = (raw[:, i::5] for i in range(5))
    digits = np.empty((n, width // 5, 8), dtype=np.uint8)
    digits[:, :, 0] = b0 >> 3
    digits[:, :, 1] = ((b0 & 7) << 2) | (b1 >> 6)
    digits[:, :, 2] = (b1 >> 1) & 31
    digits[:, :, 3] = ((b1 & 1) << 4) | (b2 >> 4)
    digits[:, :, 4] = ((b2 & 15) << 1) | (b3 >> 7)
    digits[:, :, 5] = (b3 >> 2) & 31
    digits[:, :, 6] = ((b3 & 3) << 3) | (b4 >> 5)
    digits[:, :, 7] = b4 & 31
    digits = digits.reshape(n, -1)
    chars = (length * 8 + 4) // 5
    digits = digits[:, :chars]
    table = np.frombuffer(B32.encode(), dtype=np.uint8)
    # the shard is the two characters before the last: sort the batch by them as text (stable)
    shard = table[digits[:, chars - 3]].astype(np.int32) * 256 + table[digits[:, chars - 2]]
    order = np.argsort(shard, kind="stable")
    # each row spelled "XY/KEY.data", all of one width, so the text is cut without a search
    tail = np.frombuffer(SUFFIX.encode(), dtype=np.uint8)
    row = 3 + chars + len(tail)
    spelled = np.empty((n, row), dtype=np.uint8)
    ordered = table[digits[order]]
    spelled[:, 0:2] = ordered[:, chars - 3: chars - 1]
    spelled[:, 2] = ord("/")
    spelled[:, 3: 3 + chars] = ordered
    spelled[:, 3 + chars:] = tail
    text = spelled.tobytes().decode("ascii")
    prefix = os.path.join(root, "")
    paths = [prefix + text[i: i + row] for i in range(0, n * row, row)]
    picked = order.tolist()
    pairs = list(zip(paths, [mhs[i] for i in picked], strict=True))
    sorted_shards = shard[order]
    cuts = (np.flatnonzero(sorted_shards[1:] != sorted_shards[:-1]) + 1).tolist()
    return [pairs[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
