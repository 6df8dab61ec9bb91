"""The blockstore interface, one set of assertions over every backend: memory, flatfs, LMDB
and S3 (a real SeaweedFS server)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pinfold.block import Block
from pinfold.blockstore import (
    BaseBlockstore,
    Blockstore,
    FlatFSBlockstore,
    LMDBBlockstore,
    MemoryBlockstore,
    S3Blockstore,
)
from pinfold.cid import CID, DAG_PB, RAW, get_hash
from pinfold.errors import BlockNotFoundError, CorruptBlockError

from .helpers import raw_block

KINDS = ["memory", "fs", "lmdb", "s3"]


@dataclass
class Backend:
    kind: str
    store: BaseBlockstore
    overwrite: Callable[[bytes, bytes], None]  # replace a block's stored bytes behind its back


def _overwrite_lmdb(store: LMDBBlockstore, mh: bytes, data: bytes) -> None:
    with store.env.begin(db=store.db, write=True) as txn:
        txn.put(mh, data)


@pytest.fixture(params=KINDS)
def backend(request, tmp_path):
    kind = request.param
    if kind == "memory":
        store = MemoryBlockstore()
        overwrite = store._blocks.__setitem__
    elif kind == "fs":
        store = FlatFSBlockstore(tmp_path / "blocks", fsync=False)

        def overwrite(mh: bytes, data: bytes) -> None:
            with open(store._file(mh), "wb") as f:
                f.write(data)
    elif kind == "lmdb":
        store = LMDBBlockstore(tmp_path / "blocks", fsync=False)

        def overwrite(mh: bytes, data: bytes) -> None:
            _overwrite_lmdb(store, mh, data)
    else:
        bucket = request.getfixturevalue("s3_bucket")
        store = S3Blockstore(bucket.name, "repo/blocks")
        client = bucket.client()

        def overwrite(mh: bytes, data: bytes) -> None:
            client.put_object(Bucket=bucket.name, Key=store.key_of(mh), Body=data)
    try:
        yield Backend(kind, store, overwrite)
    finally:
        store.close()


def test_every_backend_is_a_blockstore(backend):
    assert isinstance(backend.store, Blockstore)


def test_put_get_has_size_delete(backend):
    store = backend.store
    blk = raw_block(b"a block of bytes")
    assert not store.has(blk.cid)
    assert store.size_of(blk.cid.multihash) is None
    store.put(blk)
    assert store.has(blk.cid)
    assert store.get(blk.cid) == blk.data
    assert store.size_of(blk.cid.multihash) == len(blk.data)
    assert list(store.keys()) == [blk.cid.multihash]
    assert store.delete(blk.cid) is True
    assert store.delete(blk.cid) is False
    assert not store.has(blk.cid)
    with pytest.raises(BlockNotFoundError, match=str(blk.cid)):
        store.get(blk.cid)
    assert store.stat() == (0, 0)


def test_puts_are_idempotent(backend):
    blk = raw_block(b"twice")
    backend.store.put(blk)
    backend.store.put_many([blk, blk])
    assert backend.store.stat() == (1, len(blk.data))
    assert backend.store.get(blk.cid) == blk.data


def test_cidv0_and_cidv1_share_one_block(backend):
    data = b"\x0a\x02\x08\x01"  # a DAG-PB node (an empty UnixFS raw node)
    v0 = CID.v0(get_hash("sha2-256").multihash(data))
    backend.store.put(Block(v0, data))
    v1 = CID.v1(DAG_PB, v0.multihash)
    assert backend.store.get(v1) == data
    assert backend.store.stat() == (1, len(data))


def test_identity_cids_are_never_stored_and_always_present(backend):
    cid = CID.v1(RAW, get_hash("identity").multihash(b"inline"))
    backend.store.put(Block(cid, b"inline"))
    assert backend.store.stat() == (0, 0)
    assert list(backend.store.keys()) == []
    assert backend.store.has(cid)
    assert backend.store.get(cid) == b"inline"
    assert backend.store.delete(cid) is False


@pytest.mark.parametrize("hash", ["sha2-256", "sha2-512", "sha3-256", "blake2b-256"])
def test_every_hash_round_trips(backend, hash):
    blk = raw_block(b"hashed with " + hash.encode(), hash)
    backend.store.put(blk)
    assert backend.store.get(blk.cid) == blk.data


def test_every_read_is_verified(backend):
    blk = raw_block(b"good bytes" * 100)
    backend.store.put(blk)
    backend.overwrite(blk.cid.multihash, b"other bytes" * 100)
    with pytest.raises(CorruptBlockError, match=str(blk.cid)) as info:
        backend.store.get(blk.cid)
    assert info.value.cid == blk.cid
    backend.overwrite(blk.cid.multihash, blk.data)
    assert backend.store.get(blk.cid) == blk.data


def test_many_blocks_list_count_and_delete(backend):
    blocks = [raw_block(b"block %d" % i) for i in range(1200)]  # S3: two listing pages
    backend.store.put_many(blocks)
    assert sorted(backend.store.keys()) == sorted(b.cid.multihash for b in blocks)
    assert backend.store.stat() == (1200, sum(len(b.data) for b in blocks))
    doomed = [b.cid.multihash for b in blocks[:1100]]
    missing = raw_block(b"never stored").cid.multihash
    asked = doomed + [missing]
    random.Random(7).shuffle(asked)
    sizes = backend.store.delete_many(asked)
    assert sizes == {b.cid.multihash: len(b.data) for b in blocks[:1100]}
    assert sorted(backend.store.keys()) == sorted(b.cid.multihash for b in blocks[1100:])
    assert backend.store.delete_many(doomed[:5]) == {}
    for blk in blocks[1100::17]:
        assert backend.store.get(blk.cid) == blk.data



def test_delete_many_counts_a_key_named_twice_once(backend):
    blocks = [raw_block(b"twice named %d" % i) for i in range(300)]
    backend.store.put_many(blocks)
    mhs = [b.cid.multihash for b in blocks]
    sizes = backend.store.delete_many(mhs + mhs[:10])
    assert sizes == {b.cid.multihash: len(b.data) for b in blocks}
    assert backend.store.stat() == (0, 0)
