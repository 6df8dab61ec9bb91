"""pinfold.upload.presign: presigned upload URLs, signed and checked."""

from __future__ import annotations

import base64
import json
import time

import pytest

from pinfold.upload import UploadError, make_policy, mime_allowed, sign_url, verify_url

from .helpers import url_pairs

SECRET = b"k" * 32


def test_round_trip_keeps_every_field():
    p = make_policy(expires=600, max_file_size=10, allow_mime_types=["image/*", "Text/Plain"],
                    name="n", group="g", keyvalues={"a": "b"}, network="private")
    url = sign_url(SECRET, p, "https://app.example/api/")
    assert url.startswith("https://app.example/api/upload/signed?X-Algorithm=PINFOLD-UPLOAD1&")
    got = verify_url([SECRET], url_pairs(url))
    assert got == p and got.allow_mime_types == ("image/*", "text/plain")
    assert p.nonce not in repr(p)


def _tamper(url: str, key: str, fn) -> list[tuple[str, str]]:
    return [(k, fn(v) if k == key else v) for k, v in url_pairs(url)]


def _policy_with(url: str, **changes) -> str:
    p = dict(url_pairs(url))["X-Policy"]
    obj = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    obj.update(changes)
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("change, words", [
    (lambda u: _tamper(u, "X-Signature", lambda s: s[:-1] + ("0" if s[-1] != "0" else "1")),
     "does not match"),
    (lambda u: _tamper(u, "X-Signature", lambda s: s[:40]), "malformed"),
    (lambda u: _tamper(u, "X-Policy", lambda s: _policy_with(u, max_file_size=10**12)),
     "does not match"),
    (lambda u: _tamper(u, "X-Policy", lambda s: _policy_with(u, name="evil")), "does not match"),
    (lambda u: _tamper(u, "X-Algorithm", lambda s: "PINATA1"), "X-Algorithm"),
    (lambda u: [kv for kv in url_pairs(u) if kv[0] != "X-Policy"], "missing"),
    (lambda u: url_pairs(u) + [("X-Policy", "x")], "twice"),
    (lambda u: url_pairs(u) + [("name", "x")], "unexpected"),
])
def test_altered_urls_are_refused(change, words):
    url = sign_url(SECRET, make_policy(expires=600, max_file_size=5, name="n"))
    with pytest.raises(UploadError, match=words) as info:
        verify_url([SECRET], change(url))
    assert info.value.status == 403


def test_other_secret_expiry_and_future_dates():
    url = sign_url(SECRET, make_policy(expires=60))
    with pytest.raises(UploadError, match="does not match"):
        verify_url([b"o" * 32], url_pairs(url))
    with pytest.raises(UploadError, match="expired"):
        verify_url([SECRET], url_pairs(url), now=time.time() + 61)
    future = sign_url(SECRET, make_policy(expires=60, date=int(time.time()) + 3600))
    with pytest.raises(UploadError, match="future"):
        verify_url([SECRET], url_pairs(future))


@pytest.mark.parametrize("kw, words", [
    ({"expires": 0}, "expires"), ({"expires": 10**9}, "expires"), ({"expires": True}, "expires"),
    ({"expires": 5, "max_file_size": -1}, "max_file_size"),
    ({"expires": 5, "allow_mime_types": ["image"]}, "MIME"),
    ({"expires": 5, "allow_mime_types": ["*/*x"]}, "MIME"),
    ({"expires": 5, "network": "dark"}, "network"),
    ({"expires": 5, "keyvalues": {"a": 1}}, "keyvalues"), ({"expires": 5, "name": ""}, "name"),
])
def test_bad_policies(kw, words):
    with pytest.raises(UploadError, match=words):
        make_policy(**kw)


@pytest.mark.parametrize("mime, patterns, ok", [
    ("image/png", ["image/*"], True), ("IMAGE/PNG; q=1", ["image/png"], True),
    ("image/png", ["text/*"], False), ("imagex/png", ["image/*"], False),
    ("image", ["image/*"], False), ("anything/at-all", [], True),
])
def test_mime_wildcards(mime, patterns, ok):
    assert mime_allowed(mime, patterns) is ok
