"""Why an upload is refused: :class:`UploadError`, with the HTTP status a web part answers."""

from __future__ import annotations

from ..errors import PinfoldError


class UploadError(PinfoldError):
    """An upload refused or cut off: ``status`` is the HTTP status (400 malformed, 403 a
    presigned URL that does not allow it, 409 a URL in use, 413 too large, 415 a MIME type
    not allowed), ``reason`` the sentence (it never holds a secret or a signature)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class MultipartError(UploadError):
    """A ``multipart/form-data`` body that is malformed or passes a limit."""
