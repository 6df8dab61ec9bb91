"""Reading CAR files (v1 and v2) as a stream, every block checked against its CID."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..blockstore.base import verify as verify_block
from ..cid import CID
from ..errors import CorruptBlockError, InvalidCIDError
from ..numbers import INT64_MAX
from .format import (
    MAX_HEADER,
    MAX_SECTION,
    PRAGMA,
    V2_DATA_OFFSET,
    V2_HEADER_SIZE,
    CarError,
    V2Header,
    decode_header,
)
from .index import CarIndex

_CID_PEEK = 128  # bytes of a section's head looked at for its CID (a CIDv0 is 34, sha2-256 v1 36)


@dataclass(frozen=True, slots=True)
class Section:
    """One block of a CAR: its CID, bytes, and where its section starts and how long it is
    (offsets from the start of the CARv1 payload, as CARv2 indexes count them)."""

    cid: CID
    data: bytes
    offset: int
    length: int  # the whole section: length prefix, CID and block


class CarReader:
    """A CAR file read front to back: ``version``, ``roots``, then the blocks.

    ``source`` is a path or a binary stream (a pipe is fine: nothing seeks, except to read a
    CARv2 index when asked). Iterating yields ``(cid, bytes)``; with ``verify`` (the default)
    each block is hashed and a mismatch raises :class:`CarError` naming the CID and where the
    section starts. A truncated file, a malformed header or section, or a section larger than
    ``max_section`` bytes also raise :class:`CarError`. Blocks are yielded as they are read,
    so a caller sees every block before a later one fails.
    """

    def __init__(self, source: str | os.PathLike | BinaryIO, *, verify: bool = True,
                 max_section: int = MAX_SECTION) -> None:
        self._own = isinstance(source, str | os.PathLike)
        if self._own:
            try:
                self._f: BinaryIO = open(source, "rb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise CarError(f"cannot open {os.fspath(source)}: {exc.strerror}") from None
            self.name = os.fspath(source)
        else:
            self._f = source  # type: ignore[assignment]
            self.name = getattr(source, "name", "<stream>")
        self.verify = verify
        self.max_section = max_section
        self._pos = 0  # bytes consumed from the stream
        self._iterated = False
        self.v2: V2Header | None = None
        try:
            self._read_headers()
        except BaseException:
            self.close()
            raise

    # -- low-level reads ----------------------------------------------------------------
    def _read(self, n: int, what: str, *, counted: int = 0) -> bytes:
        """``n`` bytes, or :class:`CarError` naming ``what`` if the stream ends first
        (``counted``: bytes of the same item read before, which the message counts in)."""
        data = self._f.read(n)
        if data is None:
            data = b""
        if len(data) < n:  # a raw stream may return short reads
            parts = [data]
            got = len(data)
            while got < n:
                more = self._f.read(n - got)
                if not more:
                    break
                parts.append(more)
                got += len(more)
            data = b"".join(parts)
        if len(data) < n:
            raise CarError(
                f"truncated CAR: {what} at byte {self._pos - counted} needs {n + counted}"
                f" bytes, the file ends after {len(data) + counted}"
            )
        self._pos += n
        return data

    def _peek_cid(self, n: int) -> tuple[CID, int] | None:
        """The CID at the head of a section of ``n`` bytes, parsed from the stream's buffer
        without consuming it (a buffered stream's ``peek``), and its length; ``None`` where
        the buffer holds too little or the CID does not parse (the caller then reads the
        whole section, which raises the error, if any)."""
        peek = getattr(self._f, "peek", None)
        if peek is None:
            return None
        head = peek(_CID_PEEK)[: min(n, _CID_PEEK)]
        try:
            cid, pos = CID.read(head, 0)
        except InvalidCIDError:
            return None
        return (cid, pos) if pos <= len(head) else None

    def _read_varint(self, what: str) -> int | None:
        """A varint, or None at a clean end of the stream."""
        result = shift = 0
        start = self._pos
        while True:
            b = self._f.read(1)
            if not b:
                if self._pos == start:
                    return None
                raise CarError(f"truncated CAR: {what} length at byte {start} is cut off")
            self._pos += 1
            byte = b[0]
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and self._pos - start > 1:
                    raise CarError(f"malformed CAR: non-minimal varint at byte {start}")
                return result
            shift += 7
            if shift >= 63:
                raise CarError(f"malformed CAR: varint at byte {start} is too long")

    def _skip(self, n: int, what: str) -> None:
        while n > 0:
            step = min(n, 1 << 20)
            self._read(step, what)
            n -= step

    # -- headers ------------------------------------------------------------------------
    def _read_v1_header(self) -> tuple[int, list[CID]]:
        start = self._pos
        n = self._read_varint("header")
        if n is None:
            raise CarError("empty file: not a CAR")
        if n == 0 or n > MAX_HEADER:
            raise CarError(f"malformed CAR header: length {n} at byte {start}")
        return decode_header(self._read(n, "header"))

    def _read_headers(self) -> None:
        version, roots = self._read_v1_header()
        self._payload_start = 0
        self._payload_end: int | None = None
        if version == 2:
            if self._pos != len(PRAGMA):
                raise CarError("malformed CARv2 pragma")
            self.v2 = V2Header.decode(self._read(V2_HEADER_SIZE, "CARv2 header"))
            self._skip(self.v2.data_offset - V2_DATA_OFFSET, "padding before the CARv1 payload")
            self._payload_start = self._pos
            self._payload_end = self._pos + self.v2.data_size
            inner, roots = self._read_v1_header()
            if inner != 1:
                raise CarError(f"malformed CARv2: its payload has CAR version {inner}, not 1")
            if self._pos > self._payload_end:
                raise CarError("malformed CARv2: the payload header runs past the data size")
        self.version = version
        self.roots = roots
        self.header_length = self._pos - self._payload_start

    # -- blocks -------------------------------------------------------------------------
    def sections(self) -> Iterator[Section]:
        """The sections in file order (once: the stream is consumed)."""
        if self._iterated:
            raise CarError("a CAR stream can be read once")
        self._iterated = True
        end = self._payload_end
        while end is None or self._pos < end:
            start = self._pos
            n = self._read_varint("section")
            if n is None:
                if end is not None:
                    raise CarError(
                        f"truncated CARv2: the payload should end at byte {end}, the file ends"
                        f" at {start}"
                    )
                return
            if n == 0:
                raise CarError(f"malformed CAR: empty section at byte {start}")
            if n > self.max_section:
                raise CarError(
                    f"malformed CAR: section at byte {start} is {n} bytes, more than the"
                    f" {self.max_section} allowed"
                )
            head = self._peek_cid(n)
            if head is not None:
                # the block's bytes read as an object of their own: slicing them off the
                # section would copy every byte of the CAR once more
                cid, pos = head
                self._read(pos, "section")
                data = self._read(n - pos, "section", counted=pos)
            else:
                body = self._read(n, "section")
            if end is not None and self._pos > end:
                raise CarError(f"malformed CARv2: section at byte {start} runs past the payload")
            if head is None:  # the CID parsed from the whole section, as it was read
                try:
                    cid, pos = CID.read(body, 0)
                except InvalidCIDError as exc:
                    raise CarError(f"malformed CAR: section at byte {start}: {exc}") from None
                data = body[pos:]
            if self.verify:
                try:
                    verify_block(cid, data)
                except CorruptBlockError as exc:
                    raise CarError(
                        f"block {cid} in the section at byte {start} does not match its CID"
                        f" ({exc})"
                    ) from None
            yield Section(cid, data, start - self._payload_start, self._pos - start)

    def __iter__(self) -> Iterator[tuple[CID, bytes]]:
        for s in self.sections():
            yield s.cid, s.data

    @property
    def position(self) -> int:
        """Bytes consumed from the source so far."""
        return self._pos

    def read_index(self) -> CarIndex | None:
        """The CARv2 index, if the file has one; needs a seekable source."""
        if self.v2 is None or not self.v2.index_offset:
            return None
        try:
            here = self._f.tell()
            where = self._base_offset() + self.v2.index_offset
            if where > INT64_MAX:
                raise CarError(f"malformed CARv2 header: index offset {self.v2.index_offset}"
                               " is past the largest file position")
            self._f.seek(where)
            data = self._f.read()
            self._f.seek(here)
        except (OSError, io.UnsupportedOperation):
            raise CarError("reading a CARv2 index needs a seekable file") from None
        return CarIndex.decode(data)

    def _base_offset(self) -> int:
        """Where the CAR started in the underlying stream (it may not be at 0)."""
        return self._f.tell() - self._pos

    def close(self) -> None:
        if self._own:
            self._f.close()

    def __enter__(self) -> CarReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
