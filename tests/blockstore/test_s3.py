"""The S3 blockstore against a real S3 server (SeaweedFS, started by tests/servers.py): its
key layout, the requests it makes, refused and damaged writes, errors from the store, and
concurrent writers. The assertions every backend shares are in test_base.py."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import zlib
from collections import Counter

import pytest
from servers import free_ports

from pinfold.block import Block
from pinfold.blockstore import S3Blockstore
from pinfold.blockstore.keys import mh_to_key
from pinfold.blockstore.s3 import DELETE_BATCH, S3StoreError
from pinfold.errors import CorruptBlockError, PinfoldError

from .helpers import raw_block


@pytest.fixture
def store(s3_bucket):
    s = S3Blockstore(s3_bucket.name, "blocks")
    try:
        yield s
    finally:
        s.close()


def object_keys(bucket) -> list[str]:
    pages = bucket.client().get_paginator("list_objects_v2").paginate(Bucket=bucket.name)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))


class Requests:
    """The HTTP requests a store sends (botocore's own event hook: nothing replaced)."""

    def __init__(self, store: S3Blockstore) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.headers: list[dict] = []
        self._lock = threading.Lock()
        store._s3.meta.events.register("before-send.s3", self._record)

    def _record(self, request, **kw) -> None:
        with self._lock:
            self.seen.append((request.method, request.url, threading.current_thread().name))
            self.headers.append({k.lower(): v.decode() if isinstance(v, bytes) else v
                                 for k, v in request.headers.items()})

    def methods(self) -> Counter:
        return Counter(m for m, _, _ in self.seen)

    def clear(self) -> None:
        self.seen.clear()
        self.headers.clear()


# -- layout ---------------------------------------------------------------------------------
def test_one_object_per_block_named_by_its_multihash(store, s3_bucket):
    blocks = [raw_block(b"one"), raw_block(b"two", "blake2b-256")]
    seen = Requests(store)
    for blk in blocks:
        store.put(blk)
    sha256, other = seen.headers
    # the store checks a sha2-256 block against its CID's own digest, the others by CRC32
    assert sha256["x-amz-checksum-sha256"] == base64.b64encode(blocks[0].cid.digest).decode()
    assert other["x-amz-checksum-crc32"] == base64.b64encode(
        zlib.crc32(b"two").to_bytes(4, "big")).decode()
    assert sha256["if-none-match"] == other["if-none-match"] == "*"
    expected = sorted("blocks/" + mh_to_key(b.cid.multihash) for b in blocks)
    assert object_keys(s3_bucket) == expected
    assert expected[0].startswith("blocks/CIQ") or expected[1].startswith("blocks/CIQ")
    obj = s3_bucket.client().get_object(Bucket=s3_bucket.name, Key=store.key_of(
        blocks[0].cid.multihash))
    assert obj["Body"].read() == b"one"


def test_prefixes_are_separate_and_foreign_objects_are_ignored(s3_bucket):
    a = S3Blockstore(s3_bucket.name, "a/")
    b = S3Blockstore(s3_bucket.name, "b")
    whole = S3Blockstore(s3_bucket.name, "")
    try:
        a.put(raw_block(b"in a"))
        b.put(raw_block(b"in b"))
        client = s3_bucket.client()
        for key in ("a/README", "a/sub/" + mh_to_key(raw_block(b"x").cid.multihash),
                    "a/" + mh_to_key(raw_block(b"y").cid.multihash).lower()):
            client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"not a block")
        assert list(a.keys()) == [raw_block(b"in a").cid.multihash]
        assert list(b.keys()) == [raw_block(b"in b").cid.multihash]
        assert a.stat() == (1, 4)
        assert list(whole.keys()) == []  # its keys are all under a/ and b/
        assert not a.has(raw_block(b"in b").cid)
    finally:
        for s in (a, b, whole):
            s.close()


# -- requests -------------------------------------------------------------------------------
def test_existence_and_size_are_heads_and_nothing_is_downloaded(store):
    blk = raw_block(b"x" * 100_000)
    store.put(blk)
    seen = Requests(store)
    assert store.has(blk.cid)
    assert store.size_of(blk.cid.multihash) == 100_000
    assert not store.has(raw_block(b"absent").cid)
    assert seen.methods() == Counter({"HEAD": 3})
    seen.clear()
    assert store.stat() == (1, 100_000)  # the listing gives sizes: no HEAD per block
    assert seen.methods() == Counter({"GET": 1})
    assert "list-type=2" in seen.seen[0][1]


def test_batches_of_thousands_go_in_parallel(store):
    blocks = [raw_block(b"many %d" % i) for i in range(2500)]
    seen = Requests(store)
    store.put_many(blocks)
    puts = [r for r in seen.seen if r[0] == "PUT"]
    assert len(puts) == 2500
    assert len({thread for _, _, thread in puts}) > 1  # a thread pool, not one by one
    assert store.stat() == (2500, sum(len(b.data) for b in blocks))
    seen.clear()
    sizes = store.delete_many([b.cid.multihash for b in blocks])
    assert len(sizes) == 2500
    deletes = [r for r in seen.seen if r[0] == "POST" and "delete" in r[1]]
    assert len(deletes) == -(-2500 // DELETE_BATCH)  # 3 DeleteObjects calls of <= 1000 keys
    assert store.stat() == (0, 0)


def test_delete_many_takes_given_sizes_without_a_head(store):
    """gc hands over the sizes the pin set recorded: those blocks are deleted and reported
    with no HEAD; only the others are sized, and one the bucket lacks is left out."""
    blocks = [raw_block(b"sized %d" % i) for i in range(300)]
    store.put_many(blocks)
    known = {b.cid.multihash: len(b.data) for b in blocks[:250]}
    absent = raw_block(b"never stored").cid.multihash
    seen = Requests(store)
    freed = store.delete_many([b.cid.multihash for b in blocks] + [absent], known)
    assert freed == {b.cid.multihash: len(b.data) for b in blocks}
    assert seen.methods()["HEAD"] == 51  # the 50 without a size, and the absent one
    assert store.stat() == (0, 0)


def test_delete_many_counts_a_given_size_it_cannot_check(store):
    """What S3 does not say: a block the caller gives a size for, not in the
    bucket, is counted (DeleteObjects does not tell which keys existed); without a size it
    is found absent by its HEAD and left out."""
    gone = raw_block(b"deleted before the commit")
    store.put(gone)
    store.delete_many([gone.cid.multihash])
    assert store.delete_many([gone.cid.multihash]) == {}
    assert store.delete_many([gone.cid.multihash], {gone.cid.multihash: 99}) == {
        gone.cid.multihash: 99}


def test_a_block_stored_again_stays_one_object(store, s3_bucket):
    blk = raw_block(b"kept as first written")
    store.put(blk)
    store.put(blk)  # conditional: the store answers 412, which is success
    assert store.get(blk.cid) == blk.data
    versions = s3_bucket.client().list_objects_v2(Bucket=s3_bucket.name)["KeyCount"]
    assert versions == 1


# -- damaged writes and reads ---------------------------------------------------------------
def test_bytes_that_do_not_match_their_cid_are_refused_by_the_store(store, s3_bucket):
    good = raw_block(b"the real bytes")
    forged = Block(good.cid, b"other bytes!!!")  # same length, other content
    with pytest.raises(CorruptBlockError, match=str(good.cid)):
        store.put(forged)
    assert not store.has(good.cid)
    assert object_keys(s3_bucket) == []
    store.put(good)
    assert store.get(good.cid) == good.data


def test_a_corrupted_object_is_never_returned(store, s3_bucket):
    blk = raw_block(b"original " * 1000)
    store.put(blk)
    client = s3_bucket.client()
    key = store.key_of(blk.cid.multihash)
    client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"original " * 999)  # truncated
    with pytest.raises(CorruptBlockError, match=str(blk.cid)):
        store.get(blk.cid)
    client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"")
    with pytest.raises(CorruptBlockError):
        store.get(blk.cid)


# -- errors ---------------------------------------------------------------------------------
def _no_secret(exc: BaseException, server) -> None:
    text = str(exc) + repr(exc)
    assert server.secret_key not in text
    assert "Traceback" not in text
    assert exc.__cause__ is None and exc.__suppress_context__


def test_a_missing_bucket_is_named(s3_bucket, s3_server):
    with pytest.raises(S3StoreError, match="bucket 'no-such-bucket' does not exist") as info:
        S3Blockstore("no-such-bucket")
    assert info.value.code == "NoSuchBucket"
    assert isinstance(info.value, PinfoldError)
    _no_secret(info.value, s3_server)
    unchecked = S3Blockstore("no-such-bucket", check=False)
    try:
        with pytest.raises(S3StoreError, match="does not exist"):
            unchecked.get(raw_block(b"a").cid)
        with pytest.raises(S3StoreError, match="does not exist"):
            unchecked.put(raw_block(b"a"))
        with pytest.raises(S3StoreError, match="does not exist"):
            list(unchecked.keys())
    finally:
        unchecked.close()


@pytest.mark.parametrize("variable,value", [("AWS_SECRET_ACCESS_KEY", "wrong-secret"),
                                            ("AWS_ACCESS_KEY_ID", "nobody")])
def test_refused_credentials_are_a_clear_error(s3_bucket, s3_server, monkeypatch, variable,
                                               value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(S3StoreError, match="check the credentials") as info:
        S3Blockstore(s3_bucket.name)
    _no_secret(info.value, s3_server)
    assert "wrong-secret" not in str(info.value)
    store = S3Blockstore(s3_bucket.name, check=False)
    blk = raw_block(b"never written")
    try:
        for call in (lambda: store.has(blk.cid), lambda: store.get(blk.cid),
                     lambda: store.put(blk), lambda: list(store.keys()),
                     lambda: store.delete_many([blk.cid.multihash])):
            with pytest.raises(S3StoreError, match="refused") as info:
                call()
            _no_secret(info.value, s3_server)
    finally:
        store.close()


def test_missing_credentials_are_a_clear_error(s3_bucket, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(S3StoreError, match="no usable AWS credentials .*AWS_ACCESS_KEY_ID"):
        S3Blockstore(s3_bucket.name)


def test_an_unreachable_endpoint_is_a_clear_error(s3_bucket):
    port = free_ports(1)[0]
    with pytest.raises(S3StoreError, match=f"cannot reach the S3 endpoint http://127.0.0.1:{port}"):
        S3Blockstore(s3_bucket.name, endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1)


def test_credentials_in_the_endpoint_url_are_refused(s3_bucket):
    with pytest.raises(S3StoreError, match="must not hold credentials") as info:
        S3Blockstore(s3_bucket.name, endpoint_url="http://key:secret@127.0.0.1:1")
    assert "secret" not in str(info.value).replace("AWS_SECRET_ACCESS_KEY", "")


def test_the_repr_names_the_store_and_no_secret(store, s3_server):
    text = repr(store)
    assert store.bucket in text and "blocks/" in text and s3_server.endpoint in text
    assert s3_server.secret_key not in text and s3_server.access_key not in text


def test_import_pinfold_does_not_need_boto3():
    code = ("import sys, pinfold, pinfold.blockstore, pinfold.repo\n"
            "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- concurrency ----------------------------------------------------------------------------
def test_concurrent_writers_of_the_same_blocks_all_succeed(s3_bucket):
    blocks = [raw_block(b"shared %d" % i * 50) for i in range(60)]
    writers = 6
    stores = [S3Blockstore(s3_bucket.name, workers=4) for _ in range(writers)]
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(store: S3Blockstore, order: list[Block]) -> None:
        start.wait()
        try:
            store.put_many(order)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(s, blocks[i::2] + blocks[::-1]))
               for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert failures == []
        assert stores[0].stat() == (60, sum(len(b.data) for b in blocks))
        for blk in blocks:
            assert stores[-1].get(blk.cid) == blk.data
    finally:
        for s in stores:
            s.close()


WRITER = """
import sys
from pinfold.block import Block
from pinfold.blockstore import S3Blockstore
from pinfold.cid import CID, RAW, get_hash
bucket, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = S3Blockstore(bucket)
datas = [b"process block %d" % i * 40 for i in range(first, last)]
store.put_many([Block(CID.v1(RAW, get_hash("sha2-256").multihash(d)), d) for d in datas])
store.close()
"""


def test_writer_processes_with_overlapping_blocks(s3_bucket):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
           **s3_bucket.env}
    ranges = [(0, 300), (200, 500), (100, 400), (0, 500)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, s3_bucket.name, str(a), str(b)],
                              env=env, stderr=subprocess.PIPE) for a, b in ranges]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), errors
    store = S3Blockstore(s3_bucket.name)
    try:
        datas = [b"process block %d" % i * 40 for i in range(500)]
        assert store.stat() == (500, sum(len(d) for d in datas))
        for d in datas[::25]:
            assert store.get(raw_block(d).cid) == d
    finally:
        store.close()
