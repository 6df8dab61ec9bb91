"""IPLD paths: walking ``<cid>/a/0/b`` through maps, lists and links across blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..block import BlockGetter, fetch
from ..cid import CID, DAG_PB
from ..errors import DecodeError, PathNotFoundError
from ..exporter import parse_path as parse_unixfs_path
from ..exporter import resolve
from ..numbers import NumberError, parse_int
from .codec import Value, decode_block


def load(blocks: BlockGetter, cid: CID) -> Value:
    """The data-model value of the block of ``cid``, decoded by the CID's codec."""
    return decode_block(cid, fetch(blocks, cid))


def _as_cid(value: Any) -> CID:
    if isinstance(value, CID):
        return value
    if isinstance(value, str | bytes):
        return CID.decode(value)
    return CID.from_bytes(bytes(value))  # a multiformats CID


def parse_path(path: str | CID) -> tuple[CID, list[str]]:
    """Split ``"<cid>/a/0/b"``, ``"/ipfs/<cid>/a/0/b"`` or ``"/ipld/<cid>/a/0/b"`` into the
    root CID and the path segments.

    Empty and ``.`` segments are dropped and ``..`` removes the segment before it, as Kubo
    cleans paths. Raises :class:`~pinfold.errors.InvalidCIDError` for a bad CID and
    :class:`~pinfold.errors.PathNotFoundError` for other namespaces (``/ipns/``).
    """
    if isinstance(path, str) and path.startswith("/ipld/"):
        path = "/ipfs/" + path[len("/ipld/"):]
    elif not isinstance(path, str | CID):
        path = _as_cid(path)
    return parse_unixfs_path(path)


def _display(root: CID, segments: Sequence[str]) -> str:
    return "/".join(("/ipfs", str(root), *segments))


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bytes):
        return "bytes value"
    if isinstance(v, list):
        return f"list of {len(v)}"
    if isinstance(v, dict):
        return "map"
    return type(v).__name__


def _step(value: Any, seg: str, root: CID, here: list[str]) -> Any:
    if isinstance(value, dict):
        try:
            return value[seg]
        except KeyError:
            pass
        where = _display(root, here)
        if not value:
            raise PathNotFoundError(f"no key {seg!r}: the map at {where} is empty")
        keys = ", ".join(repr(k) for k in list(value)[:8]) + (", ..." if len(value) > 8 else "")
        raise PathNotFoundError(f"no key {seg!r} in the map at {where} (its keys: {keys})")
    if isinstance(value, list):
        if seg.isascii() and seg.isdigit():
            try:
                i = parse_int(seg, "list index", maximum=len(value) - 1)
            except NumberError:
                raise PathNotFoundError(
                    f"index {seg if len(seg) <= 24 else seg[:20] + '...'} is out of range:"
                    f" the list at {_display(root, here)} has {len(value)} items") from None
            return value[i]
        raise PathNotFoundError(f"{seg!r} is not a list index (the value at"
                                f" {_display(root, here)} is a list of {len(value)})")
    raise PathNotFoundError(f"cannot look up {seg!r} in the {_kind(value)} at"
                            f" {_display(root, here)}: only maps and lists have children")


def _unixfs_entry(blocks: BlockGetter, node: CID, seg: str, root: CID, here: list[str]) -> CID:
    """The CID a UnixFS directory (plain or HAMT-sharded) at ``node`` names ``seg``."""
    try:
        return resolve(blocks, f"/ipfs/{node}/{seg}").cid
    except (PathNotFoundError, DecodeError):
        raise PathNotFoundError(
            f"no {seg!r} at {_display(root, here)}: the dag-pb node there ({node}) has the"
            " fields Data and Links, and no UnixFS directory entry by that name") from None


def resolve_path(blocks: BlockGetter, root: CID, segments: Sequence[str]) -> Value:
    """The value at ``segments`` under the block ``root``.

    Each segment indexes a map by key or a list by decimal index. Where the value reached is
    a link, the walk continues in the linked block (decoded by its CID's codec: dag-cbor,
    dag-json, json, raw, dag-pb); on a dag-pb node a segment other than ``Data`` and
    ``Links`` names an entry of its UnixFS directory (plain or HAMT-sharded), as Kubo's
    pathing does. A path that ends on a link gives the linked block's value (``ipfs dag get
    <cid>/link`` prints the linked node); an empty path gives the root block's value.
    Identity CIDs are read from the CID itself.

    Raises :class:`~pinfold.errors.PathNotFoundError` (naming the path walked so far) for a
    missing key or index, :class:`~pinfold.errors.BlockNotFoundError` for a missing block and
    :class:`~pinfold.errors.DecodeError` for a block that does not decode.
    """
    root = _as_cid(root)
    value = load(blocks, root)
    pb: CID | None = root if root.codec_code == DAG_PB else None
    here: list[str] = []
    for seg in segments:
        while type(value) is CID:
            cid = value
            value = load(blocks, cid)
            pb = cid if cid.codec_code == DAG_PB else None
        if pb is not None and seg not in ("Data", "Links"):
            value = _unixfs_entry(blocks, pb, seg, root, here)
        else:
            value = _step(value, seg, root, here)
        pb = None
        here.append(seg)
    if here and type(value) is CID:
        value = load(blocks, value)
    return value


def get(blocks: BlockGetter, path: str | CID) -> Value:
    """The value at an IPLD path such as ``"<cid>/a/0/b"`` or ``"/ipfs/<cid>/a/0/b"``: what
    ``ipfs dag get`` returns (see :func:`parse_path` and :func:`resolve_path`)."""
    root, segments = parse_path(path)
    return resolve_path(blocks, root, segments)
