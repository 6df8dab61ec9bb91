"""pinfold.web.app: the gateway app under a real uvicorn, over HTTP: content, the access
rules, and the attacks of issue 15, one test each."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.routing import Route

from pinfold import Entry
from pinfold.repo import Repo
from pinfold.web import get_repo, require_key

from .helpers import BIG, raw_get


@pytest.fixture
def content(gw_repo):
    """A public site, a private file, a private directory and an unpinned block."""
    site = gw_repo.add([Entry("site/index.html", b"<p>home</p>\n"),
                        Entry("site/sub/b.txt", b"bbb\n"),
                        Entry("site/big.bin", BIG)]).roots[0].cid
    secret = gw_repo.add(b"private bytes\n", network="private").roots[0].cid
    pdir = gw_repo.add([Entry("pdir/a.txt", b"aaa\n")], network="private").roots[0].cid
    loose = gw_repo.block_put(b"not pinned")
    return {"site": str(site), "secret": str(secret), "pdir": str(pdir), "loose": str(loose)}


@pytest.fixture
def gw(serve, gw_repo, content):
    return serve(gw_repo)


def link_of(repo, path, **kw) -> str:
    return repo.access.link(path, **kw)


def tamper(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    q = [(k, value if k == name else v) for k, v in parse_qsl(parts.query)]
    return parts.path + "?" + urlencode(q)


# -- serving ------------------------------------------------------------------------------
def test_public_file_get_head_range_etag(gw, content):
    c = gw.client
    url = f"/ipfs/{content['site']}/big.bin"
    r = c.get(url)
    assert r.status_code == 200 and r.content == BIG
    assert r.headers["content-length"] == str(len(BIG))
    assert r.headers["access-control-allow-origin"] == "*"
    assert "immutable" in r.headers["cache-control"]
    h = c.head(url)
    assert h.status_code == 200 and h.content == b""
    assert h.headers["etag"] == r.headers["etag"]
    rr = c.get(url, headers={"Range": "bytes=1000-1999"})
    assert rr.status_code == 206 and rr.content == BIG[1000:2000]
    assert rr.headers["content-range"] == f"bytes 1000-1999/{len(BIG)}"
    nm = c.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert nm.status_code == 304 and nm.content == b""


def test_streamed_body_arrives_in_chunks(gw, content):
    with gw.client.stream("GET", f"/ipfs/{content['site']}/big.bin") as r:
        parts = list(r.iter_raw())
    assert b"".join(parts) == BIG and len(parts) > 1


def test_directory_redirect_index_and_listing(gw, content):
    c = gw.client
    r = c.get(f"/ipfs/{content['site']}")
    assert r.status_code == 301 and r.headers["location"] == f"/ipfs/{content['site']}/"
    r = c.get(f"/ipfs/{content['site']}/")
    assert r.status_code == 200 and r.content == b"<p>home</p>\n"
    r = c.get(f"/ipfs/{content['site']}/sub/")
    assert r.status_code == 200 and b'b.txt">b.txt</a>' in r.content


def test_restricted_mode_hides_unpinned_blocks(gw, gw_repo, content):
    r = gw.client.get(f"/ipfs/{content['loose']}")
    assert r.status_code == 404 and "no pin" in r.text
    gw_repo.access.set_rules(restricted=False)
    r = gw.client.get(f"/ipfs/{content['loose']}")
    assert r.status_code == 200 and r.content == b"not pinned"


def test_a_block_inside_a_public_dag_is_public(gw, gw_repo, content):
    from pinfold import exporter

    entry = [e for e in exporter.ls(gw_repo, content["site"] + "/sub")][0]
    r = gw.client.get(f"/ipfs/{entry.cid}")
    assert r.status_code == 200 and r.content == b"bbb\n"


# -- private content ----------------------------------------------------------------------
def test_private_content_needs_credentials(gw, content):
    r = gw.client.get(f"/ipfs/{content['secret']}")
    assert r.status_code == 401 and "access link" in r.text
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_access_link_opens_private_content_not_cached(gw, gw_repo, content):
    r = gw.client.get(link_of(gw_repo, content["secret"]))
    assert r.status_code == 200 and r.content == b"private bytes\n"
    assert r.headers["cache-control"] == "private, no-store"


def test_access_link_to_a_directory_survives_the_redirect(gw, gw_repo, content):
    r = gw.client.get(link_of(gw_repo, content["pdir"]), follow_redirects=True)
    assert r.status_code == 200 and b"a.txt" in r.content
    assert r.url.path.endswith("/")


def test_bearer_key_reads_private_content_one_use_each(gw, gw_repo, content):
    new = gw_repo.access.create_key("reader", ["files:read"], max_uses=2)
    auth = {"Authorization": f"Bearer {new.secret}"}
    for _ in range(2):
        r = gw.client.get(f"/ipfs/{content['secret']}", headers=auth)
        assert r.status_code == 200 and r.content == b"private bytes\n"
    r = gw.client.get(f"/ipfs/{content['secret']}", headers=auth)
    assert r.status_code == 401 and "used all of its 2 uses" in r.text
    assert new.secret not in r.text
    assert gw_repo.access.key(new.key.id).uses == 2


def test_key_without_files_read_is_forbidden(gw, gw_repo, content):
    new = gw_repo.access.create_key("writer", ["files:write"])
    r = gw.client.get(f"/ipfs/{content['secret']}",
                      headers={"Authorization": f"Bearer {new.secret}"})
    assert r.status_code == 403 and "files:read" in r.text


def test_revoked_key_is_refused(gw, gw_repo, content):
    new = gw_repo.access.create_key("reader", ["files:read"])
    gw_repo.access.revoke_key(new.key.id)
    r = gw.client.get(f"/ipfs/{content['secret']}",
                      headers={"Authorization": f"Bearer {new.secret}"})
    assert r.status_code == 401 and "revoked" in r.text and new.secret not in r.text


def test_unknown_key_and_other_schemes_are_refused(gw, content):
    for value in ("Bearer pfk_nope", "Basic dXNlcjpwYXNz", "Bearer"):
        r = gw.client.get(f"/ipfs/{content['site']}/", headers={"Authorization": value})
        assert r.status_code == 401


# -- attacks on links ---------------------------------------------------------------------
@pytest.mark.parametrize("name,value", [
    ("X-Signature", None), ("X-Date", "-1"), ("X-Expires", "+100000"),
    ("X-Method", "HEAD"), ("X-Algorithm", "PINATA1")])
def test_tampered_link_is_refused(gw, gw_repo, content, name, value):
    url = link_of(gw_repo, content["secret"])
    old = dict(parse_qsl(urlsplit(url).query))[name]
    if value is None:  # flip one hex digit of the signature
        new = ("1" if old[0] != "1" else "2") + old[1:]
    elif value.startswith(("+", "-")):
        new = str(int(old) + int(value))
    else:
        new = value
    r = gw.client.get(tamper(url, name, new))
    assert r.status_code == 403, r.text


def test_truncated_signature_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["secret"])
    sig = dict(parse_qsl(urlsplit(url).query))["X-Signature"]
    r = gw.client.get(tamper(url, "X-Signature", sig[:-2]))
    assert r.status_code == 403 and "malformed" in r.text


def test_expired_link_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["secret"], expires="90s", date=int(time.time()) - 91)
    r = gw.client.get(url)
    assert r.status_code == 403 and "expired" in r.text


def test_link_dated_in_the_future_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["secret"], date=int(time.time()) + 3600)
    r = gw.client.get(url)
    assert r.status_code == 403 and "future" in r.text
    ok = gw.client.get(link_of(gw_repo, content["secret"], date=int(time.time()) + 5))
    assert ok.status_code == 200  # within the clock skew


def test_link_for_another_path_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["pdir"] + "/a.txt")
    query = urlsplit(url).query
    assert gw.client.get(url).status_code == 200
    for other in (f"/ipfs/{content['secret']}", f"/ipfs/{content['pdir']}/",
                  f"/ipfs/{content['pdir']}/a.txt/x"):
        r = gw.client.get(other + "?" + query)
        assert r.status_code == 403, other


def test_link_for_another_method_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["secret"])
    assert gw.client.head(url).status_code == 403
    head = link_of(gw_repo, content["secret"], method="HEAD")
    assert gw.client.head(head).status_code == 200
    assert gw.client.get(head).status_code == 403


def test_link_from_before_a_rotation_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["secret"])
    assert gw.client.get(url).status_code == 200
    gw_repo.access.rotate()
    r = gw.client.get(url)
    assert r.status_code == 403 and "rotated" in r.text
    assert gw.client.get(link_of(gw_repo, content["secret"])).status_code == 200


def test_link_with_an_added_query_parameter_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["pdir"])
    r = gw.client.get(url + "&format=car")
    assert r.status_code == 403
    car = link_of(gw_repo, content["pdir"], query=[("format", "car")])
    r = gw.client.get(car)
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.ipld.car")


def test_repeated_link_parameter_is_refused(gw, gw_repo, content):
    url = link_of(gw_repo, content["secret"])
    r = gw.client.get(url + "&X-Method=GET")
    assert r.status_code == 403 and "twice" in r.text


# -- gateway tokens -------------------------------------------------------------------------
def test_tokens_once_one_exists(gw, gw_repo, content):
    site = f"/ipfs/{content['site']}/"
    assert gw.client.get(site).status_code == 200
    tok = gw_repo.access.create_token("site")
    r = gw.client.get(site)
    assert r.status_code == 401 and "token" in r.text
    assert gw.client.get(site, headers={"x-pinfold-gateway-token": tok.secret}
                         ).status_code == 200
    assert gw.client.get(site, params={"pinfoldGatewayToken": tok.secret}).status_code == 200
    assert gw.client.get(site, headers={"x-pinfold-gateway-token": "pgt_wrong"}
                         ).status_code == 401
    # a link and a key stand on their own
    assert gw.client.get(link_of(gw_repo, content["secret"])).status_code == 200
    key = gw_repo.access.create_key("k", ["files:read"])
    assert gw.client.get(site, headers={"Authorization": f"Bearer {key.secret}"}
                         ).status_code == 200


def test_revoked_token_is_refused(gw, gw_repo, content):
    tok = gw_repo.access.create_token("site")
    site = f"/ipfs/{content['site']}/"
    hdr = {"x-pinfold-gateway-token": tok.secret}
    assert gw.client.get(site, headers=hdr).status_code == 200
    gw_repo.access.revoke_token(tok.token.id)
    r = gw.client.get(site, headers=hdr)
    assert r.status_code == 401 and "revoked" in r.text and tok.secret not in r.text


def test_token_on_a_directory_redirect_is_kept(gw, gw_repo, content):
    tok = gw_repo.access.create_token()
    r = gw.client.get(f"/ipfs/{content['site']}", params={"pinfoldGatewayToken": tok.secret},
                      follow_redirects=True)
    assert r.status_code == 200 and r.content == b"<p>home</p>\n"


# -- addresses and origins ------------------------------------------------------------------
def test_ip_allowlist(gw, gw_repo, content):
    site = f"/ipfs/{content['site']}/"
    gw_repo.access.set_rules(allow_ip=["10.0.0.0/8"])
    r = gw.client.get(site)
    assert r.status_code == 403 and "127.0.0.1" in r.text
    gw_repo.access.set_rules(allow_ip=["127.0.0.0/8"])
    assert gw.client.get(site).status_code == 200


def test_forwarded_for_from_an_untrusted_peer_is_ignored(gw, gw_repo, content):
    site = f"/ipfs/{content['site']}/"
    gw_repo.access.set_rules(allow_ip=["10.0.0.0/8"])
    r = gw.client.get(site, headers={"X-Forwarded-For": "10.1.2.3"})
    assert r.status_code == 403
    gw_repo.access.set_rules(allow_ip=["10.0.0.0/8"], trusted_proxies=["192.0.2.0/24"])
    assert gw.client.get(site, headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403


def test_forwarded_for_from_a_trusted_proxy_names_the_client(gw, gw_repo, content):
    site = f"/ipfs/{content['site']}/"
    gw_repo.access.set_rules(allow_ip=["10.0.0.0/8"], trusted_proxies=["127.0.0.1"])
    assert gw.client.get(site, headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200
    # the right-most untrusted hop counts: a client cannot prepend an allowed address
    r = gw.client.get(site, headers={"X-Forwarded-For": "10.1.2.3, 198.51.100.7"})
    assert r.status_code == 403
    r = gw.client.get(site, headers={"X-Forwarded-For": "not-an-ip"})
    assert r.status_code == 400


def test_origin_allowlist_and_cors(gw, gw_repo, content):
    site = f"/ipfs/{content['site']}/"
    gw_repo.access.set_rules(allow_origins=["https://app.example"])
    ok = gw.client.get(site, headers={"Origin": "https://app.example"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "Origin" in ok.headers["vary"]
    assert gw.client.get(site, headers={"Origin": "https://evil.example"}).status_code == 403
    assert gw.client.get(site, headers={"Referer": "https://evil.example/x"}
                         ).status_code == 403
    assert gw.client.get(site, headers={"Referer": "https://app.example/page"}
                         ).status_code == 200
    none = gw.client.get(site)
    assert none.status_code == 200 and "access-control-allow-origin" not in none.headers
    pre = gw.client.options(site, headers={"Origin": "https://app.example",
                                           "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204
    assert "Authorization" in pre.headers["access-control-allow-headers"]


# -- paths and headers ----------------------------------------------------------------------
def test_path_traversal_is_refused(gw, content):
    for target in (f"/ipfs/{content['site']}/../{content['secret']}",
                   f"/ipfs/{content['site']}/%2e%2e/{content['secret']}",
                   f"/ipfs/{content['site']}/sub/./b.txt"):
        status, _, body = raw_get(gw.port, target)
        assert status == 400, (target, body)


def test_encoded_slashes_are_refused(gw, content):
    for target in (f"/ipfs/{content['site']}/sub%2Fb.txt",
                   f"/ipfs/{content['site']}/sub%2fb.txt",
                   f"/ipfs/{content['site']}%2F..%2F{content['secret']}"):
        status, _, body = raw_get(gw.port, target)
        assert status == 400 and b"encoded slash" in body, target


def test_oversized_headers_are_refused(gw, content):
    site = f"/ipfs/{content['site']}/"
    status, _, _ = raw_get(gw.port, site, {"Authorization": "Bearer " + "a" * 9000})
    assert status == 431
    status, _, _ = raw_get(gw.port, site, {"X-Big": "b" * 100_000})
    assert 400 <= status < 500
    assert gw.client.get(site).status_code == 200  # the server is still up


def test_bad_cid_and_other_paths(gw):
    assert gw.client.get("/ipfs/not-a-cid").status_code == 400
    assert gw.client.get("/elsewhere").status_code == 404
    assert gw.client.post("/ipfs/bafkqaaa").status_code == 405


def test_secrets_stay_out_of_the_access_log(serve, gw_repo, content, capsys):
    s = serve(gw_repo, log_level="info")
    tok = gw_repo.access.create_token()
    url = link_of(gw_repo, content["secret"])
    sig = dict(parse_qsl(urlsplit(url).query))["X-Signature"]
    assert s.client.get(url).status_code == 200
    s.client.get(f"/ipfs/{content['site']}/", params={"pinfoldGatewayToken": tok.secret})
    logged = capsys.readouterr()
    text = logged.out + logged.err
    assert "X-Signature=***" in text and "pinfoldGatewayToken=***" in text
    assert sig not in text and tok.secret not in text


# -- mounted routes ---------------------------------------------------------------------------
def test_mounted_routes_use_require_key(serve, gw_repo):
    async def write(request):
        key = await require_key(request, "files:write")
        if isinstance(key, JSONResponse):
            return key
        return JSONResponse({"key": key.id, "pins": get_repo(request).pins.stats()["pins"]})

    from pinfold.web import create_app  # the fixture's app is the plain gateway

    app = create_app(gw_repo, routes=[Route("/v1/write", write, methods=["POST"])])
    s = serve(gw_repo, app)
    writer = gw_repo.access.create_key("w", ["files:write"])
    reader = gw_repo.access.create_key("r", ["files:read"])
    r = s.client.post("/v1/write")
    assert r.status_code == 401 and r.json()["error"]["reason"] == "UNAUTHORIZED"
    r = s.client.post("/v1/write", headers={"Authorization": f"Bearer {reader.secret}"})
    assert r.status_code == 403 and r.json()["error"]["reason"] == "FORBIDDEN"
    r = s.client.post("/v1/write", headers={"Authorization": f"Bearer {writer.secret}"})
    assert r.status_code == 200 and r.json()["key"] == writer.key.id


def test_uvicorn_factory_serves_pinfold_repo(tmp_path, content, gw_repo):
    """``uvicorn --factory pinfold.web:create_app`` in its own process, on a socket handed
    over already listening (``--fd``)."""
    gw_repo.close()
    path = gw_repo.path
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    env = {**os.environ, "PINFOLD_REPO": path}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "pinfold.web:create_app",
         "--fd", str(sock.fileno()), "--no-proxy-headers", "--log-level", "warning"],
        env=env, pass_fds=[sock.fileno()], stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            r = c.get(f"/ipfs/{content['site']}/")
            assert r.status_code == 200 and r.content == b"<p>home</p>\n"
            assert c.get(f"/ipfs/{content['secret']}").status_code == 401
            with Repo(path) as repo:
                url = repo.access.link(content["secret"])
            assert c.get(url).content == b"private bytes\n"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        sock.close()
    assert b"Traceback" not in err, err.decode(errors="replace")


def test_ipns_name_of_private_content_needs_credentials(gw, gw_repo, content):
    published = gw_repo.names.publish(f"/ipfs/{content['secret']}")
    name = str(published.name)
    r = gw.client.get(f"/ipns/{name}")
    assert r.status_code == 401
    key = gw_repo.access.create_key("k", ["files:read"])
    r = gw.client.get(f"/ipns/{name}", headers={"Authorization": f"Bearer {key.secret}"})
    assert r.status_code == 200 and r.content == b"private bytes\n"
    pub = gw_repo.names.publish(f"/ipfs/{content['site']}/sub/b.txt", "self")
    assert gw.client.get(f"/ipns/{pub.name}").content == b"bbb\n"
