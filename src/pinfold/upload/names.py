"""File names of an upload: relative paths, checked before anything is imported.

A part's ``filename`` is a relative path whose components become the names of UnixFS
directory entries (a browser's folder upload sends ``folder/sub/file.txt``). Refused, with an
:class:`~pinfold.upload.errors.UploadError` naming the problem: an empty name; an absolute
path (``/etc/passwd``); ``..`` or ``.`` components; empty components (``a//b``, a trailing
``/``); a backslash (a Windows path: ambiguous); NUL or any other control character; a lone
surrogate; a component longer than 255 UTF-8 bytes; a path deeper than :data:`MAX_DEPTH`
components or longer than :data:`MAX_PATH_BYTES` bytes (a "zip bomb" of nested folders).
"""

from __future__ import annotations

from .errors import UploadError

MAX_DEPTH = 32
MAX_PATH_BYTES = 4096
MAX_COMPONENT_BYTES = 255


def safe_path(filename: str, *, max_depth: int = MAX_DEPTH) -> tuple[str, ...]:
    """The components of an upload's relative file name."""
    if not isinstance(filename, str) or not filename:
        raise UploadError("a file part has an empty filename")
    shown = repr(filename[:80])
    try:
        size = len(filename.encode("utf-8"))
    except UnicodeEncodeError:
        raise UploadError(f"filename {shown} is not valid text") from None
    if size > MAX_PATH_BYTES:
        raise UploadError(f"filename {shown}... is longer than {MAX_PATH_BYTES} bytes")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in filename):
        raise UploadError(f"filename {shown} holds a control character")
    if "\\" in filename:
        raise UploadError(f"filename {shown} holds a backslash (use / between folders)")
    if filename.startswith("/"):
        raise UploadError(f"filename {shown} is an absolute path (give a relative one)")
    parts = tuple(filename.split("/"))
    if len(parts) > max_depth:
        raise UploadError(f"filename {shown} is nested deeper than {max_depth} levels")
    for part in parts:
        if part in ("", ".", ".."):
            raise UploadError(f"filename {shown} has an empty, '.' or '..' component")
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise UploadError(f"filename {shown} has a name longer than"
                              f" {MAX_COMPONENT_BYTES} bytes")
    return parts
