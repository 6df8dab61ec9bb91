"""Where a repo's parts live: its blockstore and its pin set, local or shared.

A repo directory always holds ``config.json``; the parts it names are

============================  ==========================================  ===============
blocks                        pin set                                     who may share it
============================  ==========================================  ===============
``fs`` / ``lmdb`` (local)     SQLite (``pins.sqlite``, local)             processes of one host
``s3://BUCKET/PREFIX``        ``postgresql://USER@HOST:PORT/DB``          any hosts
``s3://BUCKET/PREFIX``        SQLite (local)                              processes of one host
``fs`` / ``lmdb`` (local)     ``postgresql://…``                          processes of one host
============================  ==========================================  ===============

The last two are safe only while the pin set and the blockstore stay paired, one to one: a
pin set's gc deletes every block it does not know, and a pin set can only count blocks that
every one of its users can read. So each pairing is written down on both sides the first time
it is opened, and any other pairing is refused at open, with the reason:

- every pin set has an id (its ``pinset_id`` setting) and remembers its blockstore (its
  ``blockstore`` setting: ``s3://BUCKET/PREFIX``, or ``local:<id>`` of a repo's blocks
  directory);
- an S3 prefix remembers its pin set (the object ``<PREFIX>pinfold-pinset``).

A second host's repo with its own SQLite pin set over the same bucket, or with its own local
blocks under the same PostgreSQL pin set, is therefore refused. Credentials never go into the
config: S3's come from boto3's chain (``AWS_*``), PostgreSQL's from libpq (``PGPASSWORD``,
``~/.pgpass``); a URL holding a password is refused.
"""

from __future__ import annotations

import os
import uuid
from typing import Any
from urllib.parse import urlsplit

from ..blockstore import BaseBlockstore, FlatFSBlockstore, LMDBBlockstore
from ..errors import PinfoldError
from ..pins import Pinner, PinSet

LOCAL_BACKENDS = ("fs", "lmdb")


class RepoPartsError(PinfoldError):
    """A blockstore or pin set that a repo cannot use (bad URL, unsafe pairing)."""


def blockstore_config(spec: str, *, endpoint: str | None = None) -> dict[str, Any]:
    """The config of a blockstore given as ``fs``, ``lmdb`` or ``s3://BUCKET[/PREFIX]``."""
    if spec in LOCAL_BACKENDS:
        if endpoint:
            raise RepoPartsError("--s3-endpoint is for an s3:// blockstore")
        return {"backend": spec}
    parts = urlsplit(spec)
    if parts.scheme != "s3":
        raise RepoPartsError(f"unknown blockstore {spec!r} (use fs, lmdb or s3://BUCKET/PREFIX)")
    if parts.username or parts.password or "@" in parts.netloc:
        raise RepoPartsError("an s3:// blockstore URL must not hold credentials: put them in "
                             "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if not parts.netloc:
        raise RepoPartsError(f"no bucket in {spec!r} (use s3://BUCKET/PREFIX)")
    if parts.query or parts.fragment:
        raise RepoPartsError(f"an s3:// blockstore URL has no query or fragment: {spec!r}")
    prefix = parts.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if endpoint is not None:
        ep = urlsplit(endpoint)
        if ep.scheme not in ("http", "https") or not ep.hostname:
            raise RepoPartsError(f"not an S3 endpoint URL: {endpoint!r} (http://HOST:PORT)")
        if ep.username or ep.password:
            raise RepoPartsError("the S3 endpoint URL must not hold credentials: put them in "
                                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    return {"backend": "s3", "s3": {"bucket": parts.netloc, "prefix": prefix or "blocks/",
                                    "endpoint": endpoint}}


def pinset_config(spec: str | None, *, schema: str | None = None) -> dict[str, Any] | None:
    """The config of a pin set given as ``sqlite`` (or ``None``) or a ``postgresql://`` URL."""
    if spec is None or spec == "sqlite":
        if schema is not None:
            raise RepoPartsError("a schema is for a postgresql:// pin set")
        return None
    parts = urlsplit(spec)
    if parts.scheme not in ("postgresql", "postgres"):
        raise RepoPartsError(f"unknown pin set {spec!r} (use sqlite or "
                             "postgresql://USER@HOST:PORT/DB)")
    if parts.password is not None or "password=" in parts.query:
        raise RepoPartsError("a postgresql:// URL in a repo must not hold a password: use "
                             "PGPASSWORD or ~/.pgpass")
    cfg: dict[str, Any] = {"kind": "postgresql", "url": spec}
    if schema is not None:
        cfg["schema"] = schema
    return cfg


def describe(cfg: dict[str, Any]) -> str:
    """The blockstore a config names, as a user writes it."""
    if cfg.get("backend") == "s3":
        s3 = cfg["s3"]
        return f"s3://{s3['bucket']}/{s3['prefix']}"
    return str(cfg.get("backend"))


def open_blocks(cfg: dict[str, Any], path: str, fsync: bool) -> BaseBlockstore:
    backend = cfg.get("backend")
    if backend == "s3":
        from ..blockstore.s3 import S3Blockstore

        s3 = cfg["s3"]
        return S3Blockstore(s3["bucket"], s3["prefix"], endpoint_url=s3.get("endpoint"))
    where = os.path.join(path, "blocks")
    if backend == "lmdb":
        return LMDBBlockstore(where, fsync=fsync)
    return FlatFSBlockstore(where, fsync=fsync)


def open_pins(cfg: dict[str, Any], path: str, blocks: BaseBlockstore, *,
              durable: bool = True) -> Pinner:
    """The repo's pin set; ``durable=False`` (a repo made without fsync) lets a local SQLite
    pin set commit without syncing (PostgreSQL's durability is the server's)."""
    pcfg = cfg.get("pinset")
    if not pcfg:
        return PinSet(os.path.join(path, "pins.sqlite"), blocks, durable=durable)
    if pcfg.get("kind") != "postgresql":
        raise RepoPartsError(f"repo at {path} has an unknown pin set {pcfg.get('kind')!r}")
    from ..pins.pg import DEFAULT_GRACE, PgPinSet

    return PgPinSet(pcfg["url"], blocks, grace=float(pcfg.get("grace", DEFAULT_GRACE)),
                    schema=pcfg.get("schema", "pinfold"))


def bind(cfg: dict[str, Any], pins: Pinner, blocks: BaseBlockstore) -> None:
    """Pair the pin set and the blockstore, or refuse a pairing that is not theirs (see the
    module text). Local blocks under a local SQLite pin set need nothing."""
    remote_pins = bool(cfg.get("pinset"))
    if cfg.get("backend") != "s3" and not remote_pins:
        return
    claim = getattr(pins, "claim", None)
    if claim is None:
        return
    pinset_id = claim("pinset_id", uuid.uuid4().hex)
    if cfg.get("backend") == "s3":
        mine = describe(cfg)
        owner = blocks.claim("pinset", pinset_id)  # type: ignore[attr-defined]
        if owner != pinset_id:
            raise RepoPartsError(
                f"{mine} holds the blocks of another pin set (id {owner}); two pin sets over"
                " one blockstore would collect each other's blocks: open it with that pin set"
                " (a shared postgresql:// one) or use another prefix")
    else:
        mine = f"local:{cfg['blocks_id']}"
    theirs = claim("blockstore", mine)
    if theirs != mine:
        raise RepoPartsError(
            f"the pin set {getattr(pins, 'path', '')} keeps the blocks of {theirs}, not of"
            f" this repo ({mine}): a pin set used from several hosts needs its blocks in one"
            " shared store (s3://BUCKET/PREFIX)")
