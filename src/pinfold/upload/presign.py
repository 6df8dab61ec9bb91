"""Presigned upload URLs, as Pinata's ``files/sign``: a URL that a browser can POST one
upload to without any key, carrying everything it allows, signed with HMAC-SHA256.

The URL is ``<base>/upload/signed?X-Algorithm=PINFOLD-UPLOAD1&X-Policy=<p>&X-Signature=<s>``:
``p`` is the base64url (unpadded) of the policy's JSON (:class:`UploadPolicy`: date,
expiry, maximum size, allowed MIME types, name, group, keyvalues, network and a random
nonce), ``s`` the hex HMAC-SHA256 of ``"pinfold-upload-v1\\n" + p`` under the repo's upload
secret (:class:`~pinfold.upload.store.UploadStore`). The policy's bytes are what is signed,
so there is nothing to canonicalise: a changed character anywhere fails the check.

:func:`verify_url` checks, in this order, and refuses with a 403 naming the first failure:
the three parameters (each exactly once, nothing else besides), the algorithm, the signature
(compared in constant time, before the policy is decoded), the policy's shape, a date not in
the future beyond :data:`CLOCK_SKEW`, and the expiry.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from .errors import UploadError

ALGORITHM = "PINFOLD-UPLOAD1"
PATH = "/upload/signed"
CLOCK_SKEW = 60
MAX_POLICY_CHARS = 16 * 1024
MAX_EXPIRES = 366 * 86400
MAX_MIME_TYPES = 32
NETWORKS = ("public", "private")
_CONTEXT = b"pinfold-upload-v1\n"
_PARAMS = ("X-Algorithm", "X-Policy", "X-Signature")


@dataclass(frozen=True)
class UploadPolicy:
    """What one presigned upload may do. ``date`` and ``expires`` are Unix seconds and a
    duration in seconds; ``max_file_size`` bounds the file bytes of the upload (``None``:
    no bound); ``allow_mime_types`` the MIME types of its files (``image/*`` wildcards;
    empty: any); ``name``, ``group``, ``keyvalues`` and ``network`` are what the upload is
    pinned with, whatever the request says."""

    date: int
    expires: int
    nonce: str
    max_file_size: int | None = None
    allow_mime_types: tuple[str, ...] = ()
    name: str | None = None
    group: str | None = None
    keyvalues: dict[str, str] = field(default_factory=dict)
    network: str | None = None

    @property
    def expires_at(self) -> int:
        return self.date + self.expires

    def to_json(self) -> dict[str, Any]:
        return {"v": 1, "date": self.date, "expires": self.expires, "nonce": self.nonce,
                "max_file_size": self.max_file_size,
                "allow_mime_types": list(self.allow_mime_types), "name": self.name,
                "group": self.group, "keyvalues": dict(self.keyvalues),
                "network": self.network}

    def allows_mime(self, mime: str) -> bool:
        return mime_allowed(mime, self.allow_mime_types)

    def __repr__(self) -> str:  # the nonce identifies a bearer URL: not shown
        return (f"UploadPolicy(date={self.date}, expires={self.expires},"
                f" max_file_size={self.max_file_size},"
                f" allow_mime_types={self.allow_mime_types!r}, name={self.name!r},"
                f" group={self.group!r}, network={self.network!r})")


def check_mime_pattern(pattern: str) -> str:
    """``type/subtype`` or ``type/*`` (lower-cased)."""
    if not isinstance(pattern, str):
        raise UploadError("a MIME type is a string such as image/png or image/*")
    p = pattern.strip().lower()
    kind, sep, sub = p.partition("/")
    ok = sep and kind and sub and all(
        c.isascii() and (c.isalnum() or c in "!#$&-^_.+") for c in kind) and (
        sub == "*" or all(c.isascii() and (c.isalnum() or c in "!#$&-^_.+") for c in sub))
    if not ok:
        raise UploadError(f"{pattern[:60]!r} is not a MIME type such as image/png or image/*")
    return p


def mime_allowed(mime: str, patterns: Sequence[str]) -> bool:
    """Whether ``mime`` (parameters ignored, case-insensitive) matches one of ``patterns``
    (``type/*`` matches any subtype); every type matches an empty list."""
    if not patterns:
        return True
    base = mime.split(";", 1)[0].strip().lower()
    kind, _, _sub = base.partition("/")
    for p in patterns:
        if p == base or (p.endswith("/*") and p[:-2] == kind and "/" in base):
            return True
    return False


def make_policy(*, expires: int, max_file_size: int | None = None,
                allow_mime_types: Iterable[str] = (), name: str | None = None,
                group: str | None = None, keyvalues: dict[str, str] | None = None,
                network: str | None = None, date: int | None = None) -> UploadPolicy:
    """A checked policy with a fresh nonce."""
    if isinstance(expires, bool) or not isinstance(expires, int) or \
            not 1 <= expires <= MAX_EXPIRES:
        raise UploadError(f"expires is a number of seconds from 1 to {MAX_EXPIRES}")
    if max_file_size is not None and (isinstance(max_file_size, bool)
                                      or not isinstance(max_file_size, int)
                                      or max_file_size < 0):
        raise UploadError("max_file_size is a number of bytes, 0 or more")
    mimes = tuple(dict.fromkeys(check_mime_pattern(m) for m in allow_mime_types))
    if len(mimes) > MAX_MIME_TYPES:
        raise UploadError(f"at most {MAX_MIME_TYPES} MIME types")
    if network is not None and network not in NETWORKS:
        raise UploadError("network is public or private")
    kv = dict(keyvalues or {})
    for k, v in kv.items():
        if not isinstance(k, str) or not k or not isinstance(v, str):
            raise UploadError("keyvalues are non-empty string keys with string values")
    for what, value in (("name", name), ("group", group)):
        if value is not None and (not isinstance(value, str) or not value):
            raise UploadError(f"{what} is a non-empty string")
    return UploadPolicy(int(time.time()) if date is None else date, expires,
                        secrets.token_urlsafe(18), max_file_size, mimes, name, group, kv,
                        network)


def _mac(secret: bytes, policy_b64: str) -> bytes:
    h = hmac.HMAC(secret, hashes.SHA256())
    h.update(_CONTEXT + policy_b64.encode("ascii"))
    return h.finalize()


def sign_url(secret: bytes, policy: UploadPolicy, base_url: str = "") -> str:
    """The presigned URL of ``policy`` (``base_url``: where the app is mounted)."""
    raw = json.dumps(policy.to_json(), separators=(",", ":"), ensure_ascii=False)
    p = base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=").decode("ascii")
    query = urlencode([("X-Algorithm", ALGORITHM), ("X-Policy", p),
                       ("X-Signature", _mac(secret, p).hex())])
    return f"{base_url.rstrip('/')}{PATH}?{query}"


def verify_url(secrets_: Iterable[bytes], pairs: Iterable[tuple[str, str]], *,
               now: float | None = None) -> UploadPolicy:
    """The policy of a presigned URL's query parameters (``pairs``, decoded), or an
    :class:`UploadError` (403) naming what is wrong."""
    got: dict[str, str] = {}
    for key, value in pairs:
        if key not in _PARAMS:
            raise UploadError(f"unexpected parameter {key[:40]!r} in an upload URL", 403)
        if key in got:
            raise UploadError(f"{key} is given twice in an upload URL", 403)
        got[key] = value
    missing = [k for k in _PARAMS if k not in got]
    if missing:
        raise UploadError(f"not a presigned upload URL: {missing[0]} is missing", 403)
    if got["X-Algorithm"] != ALGORITHM:
        raise UploadError(f"unknown X-Algorithm (expected {ALGORITHM})", 403)
    p, sig_text = got["X-Policy"], got["X-Signature"]
    if len(p) > MAX_POLICY_CHARS or not p.isascii():
        raise UploadError("the upload URL's policy is malformed", 403)
    try:
        sig = bytes.fromhex(sig_text) if len(sig_text) == 64 and sig_text.isascii() else b""
    except ValueError:
        sig = b""
    if len(sig) != 32:
        raise UploadError("the upload URL's signature is malformed", 403)
    ok = False
    for secret in secrets_:
        h = hmac.HMAC(secret, hashes.SHA256())
        h.update(_CONTEXT + p.encode("ascii"))
        try:
            h.verify(sig)
            ok = True
            break
        except InvalidSignature:
            continue
    if not ok:
        raise UploadError("the upload URL's signature does not match (altered, or signed"
                          " before the secret was rotated)", 403)
    policy = decode_policy(p)
    t = time.time() if now is None else now
    if policy.date > t + CLOCK_SKEW:
        raise UploadError("the upload URL is dated in the future", 403)
    if t >= policy.expires_at:
        raise UploadError("the upload URL has expired", 403)
    return policy


def decode_policy(p: str) -> UploadPolicy:
    """The policy of an ``X-Policy`` value (signed: its shape is still checked)."""
    try:
        raw = base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))
        obj = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise UploadError("the upload URL's policy is malformed", 403) from None
    if not isinstance(obj, dict) or obj.get("v") != 1:
        raise UploadError("the upload URL's policy is malformed", 403)

    def ints(key: str, nullable: bool = False) -> int | None:
        v = obj.get(key)
        if v is None and nullable:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < (1 << 62):
            raise UploadError(f"the upload URL's policy has a bad {key}", 403)
        return v

    def text(key: str) -> str | None:
        v = obj.get(key)
        if v is not None and not isinstance(v, str):
            raise UploadError(f"the upload URL's policy has a bad {key}", 403)
        return v

    mimes = obj.get("allow_mime_types")
    kv = obj.get("keyvalues")
    nonce = text("nonce")
    if (not isinstance(mimes, list) or not all(isinstance(m, str) for m in mimes)
            or not isinstance(kv, dict) or not all(isinstance(v, str) for v in kv.values())
            or not nonce or obj.get("network") not in (None, *NETWORKS)):
        raise UploadError("the upload URL's policy is malformed", 403)
    return UploadPolicy(ints("date") or 0, ints("expires") or 0, nonce,
                        ints("max_file_size", True), tuple(mimes), text("name"),
                        text("group"), dict(kv), obj.get("network"))
