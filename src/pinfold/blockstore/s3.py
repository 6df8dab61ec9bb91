"""A blockstore on an S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph RGW, R2, ...).

Layout: one object per block, named ``<prefix><KEY>`` where ``KEY`` is the base32 (RFC 4648,
upper case, no padding) form of the block's multihash: the name flatfs gives a block file, and
the name Kubo's ``go-ds-s3`` datastore gives a block object under its ``rootDirectory``. One
spelling for every store makes a bucket readable by ``ls`` and by Kubo's tools, keeps keys
free of characters S3 treats specially, and lets a flatfs repo be copied key for key. There is
no ``xx/`` sharding: S3 partitions its index by key ranges by itself, and a flat prefix lists
in one ListObjectsV2 walk. Keys are multihashes, so the CIDv0 and CIDv1 of the same bytes
share one object, as in every pinfold blockstore.

Writes are idempotent and never leave a readable corrupt block:

- a PUT is atomic in S3: an object is either absent or whole;
- each PUT carries a checksum the store checks before it keeps the object. For a sha2-256
  block it is the block's own digest (``x-amz-checksum-sha256``), so the store refuses any
  bytes that do not hash to the CID; for other hashes it is a CRC32 of the bytes sent;
- a PUT is conditional (``If-None-Match: *``): a block already there is never replaced, and
  concurrent writers of the same block all succeed (412 means "already stored"). A store
  that does not support conditional writes answers 501 and the store falls back to plain
  PUTs (harmless: the bytes are the same);
- every read is verified against its hash (:meth:`BaseBlockstore.get`).

Ranged reads are not offered. Verifying a block needs all its bytes, and pinfold verifies
every block it reads, so a ranged GET could only hand out bytes no one has checked. What it
would save is small: the exporter already fetches only the leaves a byte range touches (the
DAG-PB ``blocksizes`` say which), so a ``cat --offset --length`` reads at most two leaves
(at most two chunks, 256 KiB each by default) more than it returns.

Credentials come only from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE`` and ``~/.aws``, instance roles); the endpoint may also come from
``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL``. Nothing secret is kept on the store, so neither
its repr nor its errors can show one. Every failure of the store (credentials, missing bucket,
network) is raised as :class:`S3StoreError` with the operation, the key and the store's reason.

``boto3`` is imported when a store is created, so ``import pinfold`` never needs it
(``pip install 'pinfold[s3]'``).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from .. import _faults
from ..cid import CID, RAW
from ..errors import PinfoldError
from .base import BaseBlockstore, verify
from .keys import key_to_mh, mh_to_key

DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes
LIST_PAGE = 1000  # the most keys one ListObjectsV2 page returns
_PUT_ATTEMPTS = 5  # for a transfer the store refused as corrupt, or a conditional-write race
_SHA256_PREFIX = b"\x12\x20"
_ACCESS_CODES = {"403", "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId",
                 "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
                 "AuthorizationHeaderMalformed"}
_DIGEST_CODES = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"}


class S3StoreError(PinfoldError):
    """The object store refused or failed a request: credentials, a missing bucket, the
    network. ``code`` is the store's error code (``"NoSuchBucket"``, ``"AccessDenied"``,
    ...) or the client's (``"EndpointConnectionError"``, ``"NoCredentialsError"``)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class S3Blockstore(BaseBlockstore):
    """Blocks as objects in ``bucket`` under ``prefix`` (default ``blocks/``).

    ``endpoint_url`` names an S3-compatible server (else boto3's configuration, else AWS);
    ``region`` likewise (default ``us-east-1``). ``workers`` threads send the puts, heads and
    deletes of a batch in parallel. ``addressing_style`` defaults to ``"path"`` when an
    endpoint is given (what self-hosted stores expect) and to boto3's choice for AWS. With
    ``check=True`` the bucket is looked up once here, so a missing bucket or a refused
    credential is reported at open time rather than as an absent block later.
    """

    def __init__(self, bucket: str, prefix: str = "blocks/", *,
                 endpoint_url: str | None = None, region: str | None = None,
                 workers: int = 16, addressing_style: str | None = None,
                 max_attempts: int = 4, connect_timeout: float = 10.0,
                 read_timeout: float = 60.0, check: bool = True) -> None:
        try:
            import boto3
            import botocore.config
            import botocore.exceptions
        except ImportError:
            raise S3StoreError("the S3 blockstore needs boto3: pip install 'pinfold[s3]'",
                               "ImportError") from None
        if not bucket:
            raise S3StoreError("an S3 blockstore needs a bucket name", "InvalidBucketName")
        prefix = prefix.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        endpoint_url = endpoint_url or None
        configured = (endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3")
                      or os.environ.get("AWS_ENDPOINT_URL"))
        if configured:
            parts = urlsplit(configured)
            if parts.username or parts.password:
                raise S3StoreError("the S3 endpoint URL must not hold credentials: put them in "
                                   "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                                   "InvalidEndpoint")
        self.bucket = bucket
        self.prefix = prefix
        self.workers = max(1, workers)
        self._errors = botocore.exceptions
        session = boto3.session.Session()
        style = addressing_style or ("path" if configured else "auto")
        config = botocore.config.Config(
            max_pool_connections=max(10, self.workers),
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            s3={"addressing_style": style})
        try:
            self._s3 = session.client("s3", endpoint_url=endpoint_url,
                                      region_name=region or session.region_name or "us-east-1",
                                      config=config)
        except (botocore.exceptions.BotoCoreError, ValueError) as exc:
            raise S3StoreError(f"cannot set up the S3 client: {exc}", type(exc).__name__) \
                from None
        self.endpoint = self._s3.meta.endpoint_url
        self._conditional = True
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        if check:
            self._request("open", self.bucket, self._s3.head_bucket, Bucket=bucket)

    def __repr__(self) -> str:
        return (f"S3Blockstore(bucket={self.bucket!r}, prefix={self.prefix!r}, "
                f"endpoint={self.endpoint!r})")

    def claim(self, name: str, value: str) -> str:
        """A small text object beside the blocks (``<prefix>pinfold-<name>``, never taken for
        a block): store ``value`` there unless something is stored already (a conditional
        PUT), and return what is stored. A repo records here which pin set keeps these
        blocks, so that a second pin set is refused (:mod:`pinfold.repo.parts`)."""
        key = f"{self.prefix}pinfold-{name}"
        for _ in range(3):
            try:
                body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                return body.decode("utf-8", "replace")
            except self._errors.ClientError as exc:
                if self._status(exc)[0] != 404:
                    raise self._failure("get", key, exc) from None
            except self._errors.BotoCoreError as exc:
                raise self._failure("get", key, exc) from None
            kw: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": value.encode()}
            if self._conditional:
                kw["IfNoneMatch"] = "*"
            try:
                self._s3.put_object(**kw)
                return value
            except self._errors.ClientError as exc:
                if self._status(exc)[0] not in (409, 412):
                    raise self._failure("put", key, exc) from None
            except self._errors.BotoCoreError as exc:
                raise self._failure("put", key, exc) from None
        raise S3StoreError(f"cannot read or write {key} in bucket {self.bucket}", "Conflict")

    # keys ---------------------------------------------------------------------------------
    def key_of(self, mh: bytes) -> str:
        """The object key of a multihash."""
        return self.prefix + mh_to_key(mh)

    def _mh_of(self, key: str) -> bytes | None:
        name = key[len(self.prefix):]
        if not key.startswith(self.prefix) or not name or "/" in name:
            return None
        try:
            mh = key_to_mh(name)
        except ValueError:
            return None
        return mh if mh_to_key(mh) == name else None  # only the canonical spelling

    # errors -------------------------------------------------------------------------------
    def _failure(self, op: str, key: str, exc: Exception) -> S3StoreError:
        """A clear error for a failed request (no traceback of botocore's, no secrets)."""
        where = f"s3://{self.bucket}/{key}" if key != self.bucket else f"s3://{self.bucket}"
        errors = self._errors
        if isinstance(exc, errors.ClientError):
            err = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = str(err.get("Code") or status or "")
            reason = err.get("Message") or ""
            if code == "NoSuchBucket" or (op == "open" and status == 404):
                return S3StoreError(f"S3 bucket {self.bucket!r} does not exist at "
                                    f"{self.endpoint}", "NoSuchBucket")
            if code in _ACCESS_CODES or status == 403:
                return S3StoreError(
                    f"S3 {op} of {where} refused by {self.endpoint} ({code}"
                    f"{': ' + reason if reason else ''}): check the credentials "
                    f"(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the "
                    f"bucket's policy", code)
            return S3StoreError(f"S3 {op} of {where} failed at {self.endpoint}: "
                                f"{code}{': ' + reason if reason else ''}", code)
        if isinstance(exc, errors.NoCredentialsError | errors.PartialCredentialsError):
            return S3StoreError(
                f"no usable AWS credentials for {where}: set AWS_ACCESS_KEY_ID and "
                f"AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)", type(exc).__name__)
        if isinstance(exc, errors.EndpointConnectionError | errors.ConnectionError
                      | errors.ReadTimeoutError | errors.ConnectTimeoutError):
            return S3StoreError(f"cannot reach the S3 endpoint {self.endpoint} for {op} of "
                                f"{where}: {exc}", type(exc).__name__)
        return S3StoreError(f"S3 {op} of {where} failed: {exc}", type(exc).__name__)

    def _request(self, op: str, key: str, fn, **kw: Any) -> Any:
        try:
            return fn(**kw)
        except (self._errors.ClientError, self._errors.BotoCoreError) as exc:
            raise self._failure(op, key, exc) from None

    @staticmethod
    def _status(exc: Exception) -> tuple[int | None, str]:
        response = getattr(exc, "response", None) or {}
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status, str(response.get("Error", {}).get("Code") or "")

    # primitives ---------------------------------------------------------------------------
    def _head(self, mh: bytes) -> int | None:
        """The size of a stored block, or None: a HEAD, nothing downloaded."""
        key = self.key_of(mh)
        try:
            return self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except self._errors.ClientError as exc:
            if self._status(exc)[0] == 404:
                return None
            raise self._failure("head", key, exc) from None
        except self._errors.BotoCoreError as exc:
            raise self._failure("head", key, exc) from None

    def _has(self, mh: bytes) -> bool:
        return self._head(mh) is not None

    def _size(self, mh: bytes) -> int | None:
        return self._head(mh)

    def _get(self, mh: bytes) -> bytes | None:
        key = self.key_of(mh)
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self._errors.ClientError as exc:
            status, code = self._status(exc)
            if code == "NoSuchKey" or (status == 404 and code != "NoSuchBucket"):
                return None
            raise self._failure("get", key, exc) from None
        except self._errors.BotoCoreError as exc:
            raise self._failure("get", key, exc) from None

    def _put_many(self, items: list[tuple[bytes, bytes]]) -> None:
        """Send a batch, ``workers`` PUTs at a time; return when every block is stored."""
        if len(items) == 1 or self.workers == 1:
            for mh, data in items:
                self._put_one(mh, data)
            return
        for _ in self._executor().map(self._put_one, *zip(*items, strict=True)):
            pass

    def _put_one(self, mh: bytes, data: bytes) -> None:
        key = self.key_of(mh)
        kw: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": data}
        if len(mh) == 34 and mh[:2] == _SHA256_PREFIX:
            kw["ChecksumSHA256"] = base64.b64encode(mh[2:]).decode()
        else:
            kw["ChecksumAlgorithm"] = "CRC32"
        last: Exception | None = None
        for attempt in range(_PUT_ATTEMPTS):
            if self._conditional:
                kw["IfNoneMatch"] = "*"
            else:
                kw.pop("IfNoneMatch", None)
            try:
                self._s3.put_object(**kw)
                _faults.checkpoint("s3: after put")
                return
            except self._errors.ClientError as exc:
                status, code = self._status(exc)
                if status == 412:  # If-None-Match: the block is already stored
                    return
                if status == 501 and "IfNoneMatch" in kw:  # no conditional writes here
                    self._conditional = False
                    continue
                if status == 409 or code in _DIGEST_CODES:
                    # a conditional write racing another, or bytes the store received
                    # damaged; bytes that do not match their hash are the caller's fault
                    if code in _DIGEST_CODES:
                        verify(CID.v1(RAW, mh), data)
                    last = exc
                    time.sleep(0.05 * 2 ** attempt)
                    continue
                raise self._failure("put", key, exc) from None
            except self._errors.BotoCoreError as exc:
                raise self._failure("put", key, exc) from None
        raise self._failure("put", key, last) from None  # type: ignore[arg-type]

    def _delete(self, mh: bytes) -> bool:
        return bool(self.delete_many([mh]))

    def delete_many(self, mhs: list[bytes],
                    sizes: Mapping[bytes, int] | None = None) -> dict[bytes, int]:
        """Delete blocks; return the sizes of those that were there.

        A block whose size the caller gives is deleted without a HEAD and reported with that
        size (gc gives the sizes its writers recorded). S3's DeleteObjects does not say which
        keys existed, so the other blocks are sized first by parallel HEADs, and those not
        found are left out. The blocks go in DeleteObjects calls of up to
        :data:`DELETE_BATCH` keys, sent in parallel.

        What S3 does not say, the count cannot either: a block with a given size that is not
        in the bucket is counted. The pin set gives no size for what a failed or dead writer
        recorded (its lease forgets them), so that is left to a gc killed between its
        deletes and its pin-set commit, and to objects removed by hand. A block another
        process deletes between a HEAD and the delete is counted by both."""
        mhs = list(dict.fromkeys(mhs))
        if not mhs:
            return {}
        known = sizes or {}
        found = {mh: known[mh] for mh in mhs if mh in known}
        unknown = [mh for mh in mhs if mh not in found]
        if len(unknown) <= 1 or self.workers == 1:
            heads = [self._head(mh) for mh in unknown]
        else:
            heads = list(self._executor().map(self._head, unknown))
        found.update((mh, size) for mh, size in zip(unknown, heads, strict=True)
                     if size is not None)
        present = list(found)
        batches = [present[i:i + DELETE_BATCH] for i in range(0, len(present), DELETE_BATCH)]
        if len(batches) > 1:
            for _ in self._executor().map(self._delete_batch, batches):
                pass
        elif batches:
            self._delete_batch(batches[0])
        return found

    def _delete_batch(self, mhs: list[bytes]) -> None:
        objects = [{"Key": self.key_of(mh)} for mh in mhs]
        _faults.checkpoint("s3: before delete")
        response = self._request("delete", objects[0]["Key"], self._s3.delete_objects,
                                 Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        errors = [e for e in response.get("Errors", ()) if e.get("Code") != "NoSuchKey"]
        if errors:
            first = errors[0]
            raise S3StoreError(
                f"S3 delete of {len(errors)} of {len(mhs)} blocks failed at {self.endpoint}, "
                f"first s3://{self.bucket}/{first.get('Key')}: {first.get('Code')}: "
                f"{first.get('Message', '')}", str(first.get("Code") or ""))

    def _listing(self) -> Iterator[tuple[bytes, int]]:
        """``(multihash, size)`` of every block under the prefix, by ListObjectsV2 pages;
        other objects under the prefix are skipped."""
        paginator = self._s3.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=self.prefix,
                                   PaginationConfig={"PageSize": LIST_PAGE})
        try:
            for page in pages:
                for obj in page.get("Contents", ()):
                    mh = self._mh_of(obj["Key"])
                    if mh is not None:
                        yield mh, obj["Size"]
        except (self._errors.ClientError, self._errors.BotoCoreError) as exc:
            raise self._failure("list", self.prefix, exc) from None

    def keys(self) -> Iterator[bytes]:
        for mh, _ in self._listing():
            yield mh

    def stat(self) -> tuple[int, int]:
        """``(number of blocks, total bytes)`` from the listing (its pages give each object's
        size: no request per block)."""
        count = total = 0
        for _, size in self._listing():
            count += 1
            total += size
        return count, total

    # threads ------------------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="pinfold-s3")
            return self._pool

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self._s3.close()
