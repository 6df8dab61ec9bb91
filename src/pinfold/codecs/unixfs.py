"""UnixFS ``Data`` messages: encoded and decoded with the protobuf package from ``unixfs.proto``.

The one hot path, a file leaf carrying a chunk, is framed by hand in :func:`dagpb_leaf_frame`
(tests check it against the protobuf encoding byte for byte).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from google.protobuf.message import DecodeError as _PBDecodeError

from ..cid import decode_varint, encode_varint
from ..errors import DecodeError
from . import unixfs_pb2


class NodeType(IntEnum):
    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


@dataclass(frozen=True, slots=True)
class Mtime:
    """A UnixFS modification time: seconds since the epoch (may be negative) and nanoseconds."""

    secs: int
    nsecs: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.nsecs < 1_000_000_000:
            raise ValueError(f"mtime nanoseconds must be in [0, 1e9), got {self.nsecs}")

    @classmethod
    def from_float(cls, t: float) -> Mtime:
        secs = int(t // 1)
        nsecs = round((t - secs) * 1e9)
        if nsecs >= 1_000_000_000:
            secs, nsecs = secs + 1, nsecs - 1_000_000_000
        return cls(secs, nsecs)

    @classmethod
    def from_ns(cls, ns: int) -> Mtime:
        secs, nsecs = divmod(ns, 1_000_000_000)
        return cls(secs, nsecs)


@dataclass(slots=True)
class UnixFSData:
    """A decoded UnixFS ``Data`` message."""

    type: NodeType
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = field(default_factory=list)
    hash_type: int | None = None
    fanout: int | None = None
    mode: int | None = None
    mtime: Mtime | None = None

    def encode(self) -> bytes:
        return encode(self)


def encode(msg: UnixFSData) -> bytes:
    """Encode as Go's ``proto.Marshal`` does: set fields only, field order, unpacked blocksizes."""
    pb = unixfs_pb2.Data(Type=int(msg.type))
    if msg.data is not None:
        pb.Data = msg.data
    if msg.filesize is not None:
        pb.filesize = msg.filesize
    if msg.blocksizes:
        pb.blocksizes.extend(msg.blocksizes)
    if msg.hash_type is not None:
        pb.hashType = msg.hash_type
    if msg.fanout is not None:
        pb.fanout = msg.fanout
    if msg.mode:  # 0 means "not set", as in Kubo
        pb.mode = msg.mode
    if msg.mtime is not None:
        pb.mtime.seconds = msg.mtime.secs
        if msg.mtime.nsecs > 0:
            pb.mtime.nanos = msg.mtime.nsecs
    return pb.SerializeToString()


def decode(raw: bytes | memoryview) -> UnixFSData:
    """Decode a UnixFS ``Data`` message; a malformed one raises :class:`DecodeError`."""
    pb = unixfs_pb2.Data()
    try:
        pb.ParseFromString(bytes(raw))
    except _PBDecodeError as exc:
        raise DecodeError(f"unixfs: malformed Data message ({exc})") from None
    if not pb.IsInitialized():
        raise DecodeError("unixfs: Data message has no Type")
    try:
        node_type = NodeType(pb.Type)
    except ValueError:
        raise DecodeError(f"unixfs: unknown node type {pb.Type}") from None
    mtime = None
    if pb.HasField("mtime"):
        if pb.mtime.nanos >= 1_000_000_000:
            raise DecodeError("unixfs: mtime nanoseconds out of range")
        mtime = Mtime(pb.mtime.seconds, pb.mtime.nanos)
    return UnixFSData(
        type=node_type,
        data=pb.Data if pb.HasField("Data") else None,
        filesize=pb.filesize if pb.HasField("filesize") else None,
        blocksizes=list(pb.blocksizes),
        hash_type=pb.hashType if pb.HasField("hashType") else None,
        fanout=pb.fanout if pb.HasField("fanout") else None,
        mode=pb.mode if pb.HasField("mode") else None,
        mtime=mtime,
    )


def dagpb_leaf_frame(size: int, node_type: int = NodeType.FILE) -> tuple[bytes, bytes]:
    """The bytes before and after a ``size``-byte chunk in a DAG-PB UnixFS leaf block:
    ``PBNode{Data: Data{Type, Data: chunk, filesize: size}}``. The importer hashes
    ``head, chunk, tail`` without ever joining them (the hot path)."""
    ln = encode_varint(size)
    t = encode_varint(node_type)
    inner = 1 + len(t) + 1 + len(ln) + size + 1 + len(ln)
    return b"".join((b"\x0a", encode_varint(inner), b"\x08", t, b"\x12", ln)), b"\x18" + ln


def file_leaf_data(chunk: bytes | memoryview, node_type: int = NodeType.FILE) -> bytes:
    """Hand-framed UnixFS Data of a leaf: ``{Type, Data: chunk, filesize: len(chunk)}``.

    Same bytes as :func:`encode` of that message, without copying the chunk through protobuf.
    """
    head, tail = dagpb_leaf_frame(len(chunk), node_type)
    _, start = decode_varint(head, 1)  # skip the PBNode Data field's tag and length
    return b"".join((head[start:], chunk, tail))


def dagpb_leaf_block(chunk: bytes | memoryview, node_type: int = NodeType.FILE) -> bytes:
    """A whole DAG-PB leaf block (no links, Data = :func:`file_leaf_data`) in one join."""
    head, tail = dagpb_leaf_frame(len(chunk), node_type)
    return b"".join((head, chunk, tail))
