"""What can be imported, normalised into one tree model.

- ``bytes``/``bytearray``/``memoryview``: one file held in memory.
- a binary stream (anything with ``read``): one file, read chunk by chunk.
- a path (``str`` or ``os.PathLike``): a file, a symlink or (``recursive``) a directory tree.
- a list of :class:`Entry` (or dicts with the same keys): an in-memory tree, as Pinata's folder
  upload builds one; the first path component of each entry is a top-level name.
- :class:`ImportedSource` (alone or as a child of a :class:`DirSource`): an entry imported
  earlier into the same sink, linked by its CID and not read again. A streaming folder
  upload imports each file as it arrives and builds the directories last from these.
"""

from __future__ import annotations

import io
import os
import stat as stat_mod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..cid import CID
from ..codecs.unixfs import Mtime
from ..errors import ImportSourceError


@dataclass
class Entry:
    """One entry of an in-memory tree.

    Give exactly one of ``content`` (a file: bytes or a binary stream), ``dir=True`` (an empty
    directory) or ``link`` (a symlink and its target). Directories that only appear as parents
    are created without mode or mtime.
    """

    path: str
    content: bytes | bytearray | memoryview | BinaryIO | None = None
    dir: bool = False
    link: str | None = None
    mode: int | None = None
    mtime: Mtime | int | float | dict | None = None


@dataclass
class FileSource:
    name: str
    open: Callable[[], BinaryIO]
    size: int | None = None
    mode: int | None = None
    mtime: Mtime | None = None
    path: str = ""


@dataclass
class SymlinkSource:
    name: str
    target: bytes
    mtime: Mtime | None = None
    path: str = ""


@dataclass
class DirSource:
    name: str
    children: Callable[[], Iterable[Source]] | list[Source] = field(default_factory=list)
    mode: int | None = None
    mtime: Mtime | None = None
    path: str = ""

    def iter_children(self) -> Iterable[Source]:
        return self.children() if callable(self.children) else self.children


@dataclass
class ImportedSource:
    """A file, directory or symlink imported already (its blocks went to the sink): the
    importer links it as ``name`` with its CID and sizes (``tsize``: the cumulative DAG size
    Kubo's links carry; ``filesize``: its file bytes), without reading anything. It must
    have been built with the same CID version and hash as the import it joins."""

    name: str
    cid: CID
    tsize: int
    filesize: int = 0
    kind: str = "file"  # "file", "directory" or "symlink"
    path: str = ""
    mode: int | None = None  # unused: its node is built already
    mtime: Mtime | None = None


Source = FileSource | SymlinkSource | DirSource | ImportedSource


def _mtime(value: object) -> Mtime | None:
    from .options import _as_mtime

    return None if value is None else _as_mtime(value)


def bytes_source(data: bytes | bytearray | memoryview, name: str = "") -> FileSource:
    buf = bytes(data)
    return FileSource(name, lambda: io.BytesIO(buf), len(buf), path=name)


def stream_source(stream: BinaryIO, name: str = "") -> FileSource:
    used = []

    def opener() -> BinaryIO:
        if used:
            raise ImportSourceError("a stream can only be imported once")
        used.append(True)
        return _NoClose(stream)

    return FileSource(name, opener, None, path=name)


class _NoClose(io.RawIOBase):
    """Wraps a caller's stream so the importer's ``with`` does not close it."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        data = self._inner.read(n)
        if data is None:
            return b""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ImportSourceError(
                f"the stream must return bytes, not {type(data).__name__}"
            )
        return bytes(data)

    def close(self) -> None:
        pass


# ipfs-unixfs: DEFAULT_FILE_MODE 0o644, DEFAULT_DIRECTORY_MODE 0o755 are left out on marshal
_DEFAULT_MODES = {"file": 0o644, "dir": 0o755, "link": None}


def entries_sources(entries: Iterable[Entry | dict]) -> list[Source]:
    """Build the top-level sources of an in-memory tree."""
    roots: dict[str, dict] = {}  # name -> node dict: {"kind", "children", "source"}

    def walk(parts: list[str], full: str) -> dict:
        level = roots
        node: dict | None = None
        for depth, part in enumerate(parts):
            node = level.get(part)
            if node is None:
                node = {"kind": "dir", "children": {}, "entry": None,
                        "path": "/".join(parts[: depth + 1])}
                level[part] = node
            elif node["kind"] != "dir":
                raise ImportSourceError(f"entry {full!r}: {'/'.join(parts[:depth + 1])!r}"
                                        " is a file, not a directory")
            level = node["children"]
        assert node is not None
        return node

    for raw in entries:
        e = _as_entry(raw)
        parts = _split_path(e.path)
        kinds = (e.content is not None) + bool(e.dir) + (e.link is not None)
        if kinds != 1:
            raise ImportSourceError(
                f"entry {e.path!r} must have exactly one of content, dir or link"
            )
        parent = walk(parts[:-1], e.path)["children"] if len(parts) > 1 else roots
        name = parts[-1]
        existing = parent.get(name)
        if e.dir:
            if existing is not None:
                if existing["kind"] != "dir" or existing["entry"] is not None:
                    raise ImportSourceError(f"duplicate entry {e.path!r}")
                existing["entry"] = e
            else:
                parent[name] = {"kind": "dir", "children": {}, "entry": e,
                                "path": "/".join(parts)}
        else:
            if existing is not None:
                raise ImportSourceError(f"duplicate entry {e.path!r}")
            parent[name] = {"kind": "file" if e.content is not None else "link", "entry": e,
                            "path": "/".join(parts)}

    def build(name: str, node: dict) -> Source:
        e: Entry | None = node["entry"]
        mode = e.mode if e else None
        if mode is not None and mode == _DEFAULT_MODES[node["kind"]]:
            mode = None  # Helia's UnixFS does not store the default mode
        mtime = _mtime(e.mtime) if e else None
        if node["kind"] == "dir":
            kids = [build(n, c) for n, c in node["children"].items()]
            return DirSource(name, kids, mode, mtime, node["path"])
        assert e is not None
        if node["kind"] == "link":
            return SymlinkSource(name, _target_bytes(e.link), mtime, node["path"])
        content = e.content
        if isinstance(content, bytes | bytearray | memoryview):
            src = bytes_source(content, name)
        elif hasattr(content, "read"):
            src = stream_source(content, name)  # type: ignore[arg-type]
        else:
            raise ImportSourceError(
                f"entry {e.path!r}: content must be bytes or a binary stream,"
                f" not {type(content).__name__}"
            )
        src.mode, src.mtime, src.path = mode, mtime, node["path"]
        return src

    return [build(n, c) for n, c in roots.items()]


def _target_bytes(target: str | bytes | None) -> bytes:
    if isinstance(target, bytes):
        return target
    return os.fsencode(target or "")


def _as_entry(raw: Entry | dict) -> Entry:
    if isinstance(raw, Entry):
        return raw
    if isinstance(raw, dict):
        unknown = set(raw) - {"path", "content", "dir", "link", "mode", "mtime"}
        if unknown:
            raise ImportSourceError(f"unknown entry keys: {', '.join(sorted(unknown))}")
        if "path" not in raw:
            raise ImportSourceError("an entry needs a path")
        return Entry(**raw)
    raise ImportSourceError(f"an entry must be an Entry or a dict, not {type(raw).__name__}")


def _split_path(path: str) -> list[str]:
    if not isinstance(path, str):
        raise ImportSourceError(f"entry path must be a string, not {type(path).__name__}")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts:
        raise ImportSourceError(f"entry path {path!r} names nothing")
    for p in parts:
        if p == "..":
            raise ImportSourceError(f"entry path {path!r} may not contain '..'")
        if "\x00" in p:
            raise ImportSourceError(f"entry path {path!r} contains a NUL byte")
    return parts


@dataclass
class PathOptions:
    recursive: bool = False
    hidden: bool = False
    dereference_symlinks: bool = False
    preserve_mode: bool = False
    preserve_mtime: bool = False
    mode: int | None = None
    mtime: Mtime | None = None


def path_source(path: str | os.PathLike, opts: PathOptions) -> Source:
    """A filesystem path as a source; checks it up front so bad input fails before work."""
    fspath = os.fspath(path)
    name = os.path.basename(os.path.normpath(fspath))
    if name in ("", ".", ".."):
        name = os.path.basename(os.path.abspath(fspath))
    return _from_path(fspath, name, opts, set(), top=True)


def _stat(path: str, follow: bool) -> os.stat_result:
    try:
        return os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        raise ImportSourceError(f"{path}: no such file or directory") from None
    except PermissionError:
        raise ImportSourceError(f"{path}: permission denied") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise ImportSourceError(f"{path}: symlink loop") from None
        raise ImportSourceError(f"{path}: {exc.strerror}") from None
    except ValueError:  # os.stat's "embedded null byte": no file has such a name
        raise ImportSourceError(f"{path!r}: not a path (it holds a NUL byte)") from None


def _attrs(st: os.stat_result, opts: PathOptions) -> tuple[int | None, Mtime | None]:
    mode = (st.st_mode & 0o7777) if opts.preserve_mode else opts.mode
    mtime = Mtime.from_ns(st.st_mtime_ns) if opts.preserve_mtime else opts.mtime
    return mode, mtime


def _from_path(path: str, name: str, opts: PathOptions, ancestors: set, top: bool) -> Source:
    st = _stat(path, opts.dereference_symlinks)
    if stat_mod.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(os.fsencode(path))
        except OSError as exc:
            raise ImportSourceError(f"{path}: cannot read symlink: {exc.strerror}") from None
        _, mtime = _attrs(st, opts)
        return SymlinkSource(name, target, mtime, path)
    mode, mtime = _attrs(st, opts)
    if stat_mod.S_ISREG(st.st_mode):
        if not os.access(path, os.R_OK):
            raise ImportSourceError(f"{path}: permission denied")

        def opener(p: str = path) -> BinaryIO:
            try:
                return open(p, "rb")  # noqa: SIM115 - closed by the importer
            except OSError as exc:
                raise ImportSourceError(f"{p}: {exc.strerror}") from None

        return FileSource(name, opener, st.st_size, mode, mtime, path)
    if stat_mod.S_ISDIR(st.st_mode):
        if not opts.recursive:
            raise ImportSourceError(f"{path} is a directory, use -r to add directories")
        key = (st.st_dev, st.st_ino)
        if key in ancestors:
            raise ImportSourceError(f"{path}: symlink loop (directory contains itself)")
        try:
            names = sorted(os.listdir(path))
        except OSError as exc:
            raise ImportSourceError(f"{path}: {exc.strerror}") from None
        chain = ancestors | {key}

        def children(p: str = path, names: list[str] = names) -> Iterator[Source]:
            for child in names:
                if not opts.hidden and child.startswith("."):
                    continue
                yield _from_path(os.path.join(p, child), child, opts, chain, top=False)

        return DirSource(name, children, mode, mtime, path)
    kind = "FIFO" if stat_mod.S_ISFIFO(st.st_mode) else "socket" if stat_mod.S_ISSOCK(
        st.st_mode) else "device" if stat_mod.S_ISCHR(st.st_mode) or stat_mod.S_ISBLK(
        st.st_mode) else "special file"
    raise ImportSourceError(f"{path}: cannot add a {kind}, only files, directories and symlinks")

