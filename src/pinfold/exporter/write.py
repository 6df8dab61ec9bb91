"""Writing a UnixFS file, symlink or directory tree to the local filesystem (``ipfs get``).

The DAG is untrusted input, so nothing is ever written outside ``dest``:

- entry names must be plain names: not empty, ``.`` or ``..``, and without ``/`` or NUL
  (checked for a whole directory before any of its entries is created, along with duplicates);
- every entry is created relative to a file descriptor of a directory this module has just
  created (``mkdir`` then ``open(O_DIRECTORY | O_NOFOLLOW)``), with ``O_CREAT | O_EXCL |
  O_NOFOLLOW`` for files, so no existing file is overwritten and no symlink is followed,
  even one written moments before from the same DAG;
- symlinks are written as symlinks with their stored target, never followed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..block import BlockGetter
from ..cid import CID
from ..codecs.dagpb import decode_name
from ..codecs.unixfs import UnixFSData
from ..errors import DecodeError, PinfoldError
from .files import read
from .listing import dir_links
from .node import SYMLINK, Node, checked_file_size, load, symlink_target
from .paths import IPFSPath, resolve

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC


def _bad_name_reason(name: bytes) -> str | None:
    if name == b"":
        return "is empty"
    if name in (b".", b".."):
        return "is a relative path component"
    if b"/" in name or (os.sep != "/" and os.sep.encode() in name):
        return "contains a path separator"
    if b"\x00" in name:
        return "contains a NUL byte"
    return None


def _apply_attrs(fd: int, fs: UnixFSData | None, mask: int) -> None:
    """Set mode and mtime on an open file or directory (mode first: it leaves mtime alone)."""
    if fs is None:
        return
    if fs.mode:  # 0 means "not set", as Kubo writes it
        os.chmod(fd, fs.mode & mask)
    if fs.mtime is not None:
        ns = fs.mtime.secs * 1_000_000_000 + fs.mtime.nsecs
        os.utime(fd, ns=(ns, ns))


class _Writer:
    def __init__(self, blocks: BlockGetter, mask: int) -> None:
        self.blocks = blocks
        self.mask = mask

    def entries(self, node: Node, where: str) -> list[tuple[bytes, CID]]:
        """A directory's entries, every name checked before anything is created."""
        out: list[tuple[bytes, CID]] = []
        seen: set[bytes] = set()
        for name, link in dir_links(self.blocks, node):
            reason = _bad_name_reason(name)
            if reason is not None:
                raise PinfoldError(
                    f"refusing to write directory {where}: entry name {name!r} {reason}"
                )
            if name in seen:
                raise PinfoldError(
                    f"refusing to write directory {where}: two entries are named {name!r}"
                )
            seen.add(name)
            out.append((name, link.cid))
        return out

    def create(self, node: Node, name: bytes, dir_fd: int | None, where: str) -> int | None:
        """Create one entry; for a directory, return an open descriptor to fill it through."""
        if node.is_file:
            self.write_file(node, name, dir_fd)
            return None
        if node.kind == SYMLINK:
            self.write_symlink(node, name, dir_fd, where)
            return None
        if node.is_dir:
            assert node.fs is not None
            os.mkdir(name, 0o700 if node.fs.mode else 0o777, dir_fd=dir_fd)
            return os.open(name, _O_DIR, dir_fd=dir_fd)
        raise DecodeError(f"cannot write {where}: {node.cid} is a UnixFS {node.kind} node")

    def write_file(self, node: Node, name: bytes, dir_fd: int | None) -> None:
        size = checked_file_size(node)
        mode = node.fs.mode if node.fs is not None else None
        fd = os.open(name, _O_FILE, 0o600 if mode else 0o666, dir_fd=dir_fd)
        with open(fd, "wb") as f:
            if size:
                for chunk in read(self.blocks, node, 0, size, buffers=True):
                    f.write(chunk)
            f.flush()
            _apply_attrs(f.fileno(), node.fs, self.mask)

    def write_symlink(self, node: Node, name: bytes, dir_fd: int | None, where: str) -> None:
        target = symlink_target(node)
        if not target or b"\x00" in target:
            problem = "is empty" if not target else "contains a NUL byte"
            raise PinfoldError(f"refusing to write symlink {where}: its target {problem}")
        os.symlink(target, name, dir_fd=dir_fd)
        assert node.fs is not None
        if node.fs.mtime is not None:
            ns = node.fs.mtime.secs * 1_000_000_000 + node.fs.mtime.nsecs
            os.utime(name, ns=(ns, ns), dir_fd=dir_fd, follow_symlinks=False)

    def write(self, root: Node, dest: bytes, where: str) -> None:
        fd = self.create(root, dest, None, where)
        if fd is None:
            return
        stack: list[tuple[int, Iterator[tuple[bytes, CID]], Node, str]] = []
        try:
            stack.append((fd, iter(self.entries(root, where)), root, where))
        except BaseException:
            os.close(fd)
            raise
        try:
            while stack:
                dir_fd, todo, node, here = stack[-1]
                for name, cid in todo:
                    child_where = f"{here}/{decode_name(name)}"
                    child = load(self.blocks, cid)
                    child_fd = self.create(child, name, dir_fd, child_where)
                    if child_fd is not None:
                        try:
                            entries = self.entries(child, child_where)
                        except BaseException:
                            os.close(child_fd)
                            raise
                        stack.append((child_fd, iter(entries), child, child_where))
                        break
                else:
                    # contents done: now the directory's own mode and mtime
                    stack.pop()
                    try:
                        _apply_attrs(dir_fd, node.fs, self.mask)
                    finally:
                        os.close(dir_fd)
        finally:
            for dir_fd, *_ in stack:
                os.close(dir_fd)


def get(blocks: BlockGetter, path: IPFSPath, dest: str | os.PathLike[str],
        *, preserve_special_bits: bool = False) -> None:
    """Write the file, symlink or directory tree at ``path`` to ``dest`` (``ipfs get``).

    ``dest`` must not exist (not even as a dangling symlink); its parent must. Files are
    streamed, never held in memory. Mode and mtime are restored when the DAG carries them:
    mode with ``chmod`` (not on symlinks), mtime (nanoseconds, also as atime) with ``utime``
    (``follow_symlinks=False`` for symlinks), and a directory's only after its contents are
    written. setuid, setgid and sticky bits are dropped unless ``preserve_special_bits`` is
    true: the DAG is untrusted, and a setuid file written by root would be a hazard. Entries
    without a mode get the umask default, as ``open``/``mkdir`` give them.

    Raises :class:`PinfoldError` if ``dest`` exists, for an invalid entry name (empty, ``.``,
    ``..``, containing ``/`` or NUL), for two entries with one name and for an empty symlink
    target; block and decode errors as the other functions. Nothing is ever written outside
    ``dest``; on an error, what was written under ``dest`` so far is left in place.
    """
    out = os.fsencode(dest)
    if os.path.lexists(out):
        raise PinfoldError(f"cannot write to {os.fsdecode(out)}: it already exists")
    target = resolve(blocks, path)
    node = load(blocks, target.cid)
    _Writer(blocks, 0o7777 if preserve_special_bits else 0o777).write(node, out, target.path)
