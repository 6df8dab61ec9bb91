"""Uploads as Pinata makes them: multipart files and folders, CAR files, JSON, presigned URLs.

- :class:`Uploads` (:mod:`.uploader`): ``upload`` (multipart or CAR), ``upload_json``,
  ``sign`` / ``check_url`` / ``upload_signed`` (presigned URLs, used once each), ``rotate``.
- :class:`MultipartReader` (:mod:`.multipart`): the streaming, bounded parser.
- :func:`safe_path` (:mod:`.names`): the checks on a file part's relative name.
- :class:`UploadPolicy`, :func:`sign_url`, :func:`verify_url` (:mod:`.presign`).
- :class:`UploadStore` (:mod:`.store`): the signing secret and used URLs, in the repo.

The routes that mount these are in :mod:`pinfold.web`; see docs/pinning-api.md.
"""

from .errors import MultipartError, UploadError
from .multipart import Limits, MultipartReader, Part, boundary_of, parse_header_params
from .names import MAX_DEPTH, safe_path
from .presign import (
           ALGORITHM,
           UploadPolicy,
           decode_policy,
           make_policy,
           mime_allowed,
           sign_url,
           verify_url,
)
from .store import UploadStore
from .uploader import CAR_TYPE, UploadResult, Uploads

__all__ = ["ALGORITHM", "CAR_TYPE", "MAX_DEPTH", "Limits", "MultipartError", "MultipartReader",
           "Part", "UploadError", "UploadPolicy", "UploadResult", "UploadStore", "Uploads",
           "boundary_of", "decode_policy", "make_policy", "mime_allowed", "parse_header_params",
           "safe_path", "sign_url", "verify_url"]
