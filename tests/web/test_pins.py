"""pinfold.web.pins: the Pinning Service API under a real uvicorn, with API keys."""

from __future__ import annotations

import pytest

from pinfold import cid_of
from pinfold.web import create_app, pinning_routes


@pytest.fixture
def psa(serve, gw_repo):
    s = serve(gw_repo, create_app(gw_repo, routes=pinning_routes()))
    s.read = {"Authorization": f"Bearer {gw_repo.access.create_key('r', ['files:read']).secret}"}
    s.write = {"Authorization":
               f"Bearer {gw_repo.access.create_key('w', ['files:read', 'files:write']).secret}"}
    s.repo = gw_repo
    return s


def test_pin_lifecycle_over_http(psa):
    c = psa.client
    data = b"pinned over http" * 999
    r = c.post("/pins", json={"cid": str(cid_of(data)), "name": "doc", "meta": {"app": "a"}},
               headers=psa.write)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    rid = r.json()["requestid"]
    psa.repo.add(data, pin=False)  # the blocks arrive: the queued pin completes
    got = c.get(f"/pins/{rid}", headers=psa.read).json()
    assert got["status"] == "pinned" and got["pin"]["meta"] == {"app": "a"}
    listed = c.get("/pins", params={"name": "DOC", "match": "iexact"}, headers=psa.read).json()
    assert listed["count"] == 1 and listed["results"][0]["requestid"] == rid
    other = psa.repo.add(b"other", pin=False).root
    r = c.post(f"/pins/{rid}", json={"cid": str(other), "name": "doc"}, headers=psa.write)
    assert r.status_code == 202 and r.json()["pin"]["cid"] == str(other)
    new = r.json()["requestid"]
    assert c.get(f"/pins/{rid}", headers=psa.read).status_code == 404
    r = c.delete(f"/pins/{new}", headers=psa.write)
    assert r.status_code == 202 and r.content == b""
    assert c.get("/pins", headers=psa.read).json() == {"count": 0, "results": []}


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/pins", None), ("POST", "/pins", {"cid": "bafkqaaa"}), ("GET", "/pins/x", None),
    ("POST", "/pins/x", {"cid": "bafkqaaa"}), ("DELETE", "/pins/x", None),
])
def test_every_operation_needs_a_key(psa, method, path, body):
    r = psa.client.request(method, path, json=body)
    assert r.status_code == 401 and r.json()["error"]["reason"] == "UNAUTHORIZED"
    r = psa.client.request(method, path, json=body, headers={"Authorization": "Bearer pfk_no"})
    assert r.status_code == 401
    if method != "GET":  # a read-only key may not write
        r = psa.client.request(method, path, json=body, headers=psa.read)
        assert r.status_code == 403 and "files:write" in r.json()["error"]["details"]
    assert psa.repo.pins.list() == []


def test_errors_have_the_specs_shape(psa):
    c = psa.client
    r = c.get("/pins", params={"limit": "5000"}, headers=psa.read)
    assert r.status_code == 400 and r.json()["error"]["reason"] == "BAD_REQUEST"
    r = c.post("/pins", content=b"{not json", headers=psa.write)
    assert r.status_code == 400 and "not JSON" in r.json()["error"]["details"]
    r = c.get("/pins/nope", headers=psa.read)
    assert r.status_code == 404 and r.json()["error"]["reason"] == "NOT_FOUND"
    r = c.post("/pins", content=b"[" * 2_000_000, headers=psa.write)
    assert r.status_code == 413 or r.status_code == 400


def test_a_page_on_another_origin_may_call_the_api(psa):
    """Preflight and answers carry CORS headers (``*`` while the gateway rules list no
    origins; the origin itself once they do); a listed-out origin is refused with 403."""
    c = psa.client
    pre = c.options("/pins", headers={"Origin": "https://dapp.example",
                                      "Access-Control-Request-Method": "GET",
                                      "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in pre.headers["access-control-allow-headers"]
    assert {"GET", "POST"} <= set(pre.headers["access-control-allow-methods"].split(", "))
    pre = c.options("/pins/x", headers={"Origin": "https://dapp.example",
                                        "Access-Control-Request-Method": "DELETE"})
    assert "DELETE" in pre.headers["access-control-allow-methods"]
    r = c.get("/pins", headers={**psa.read, "Origin": "https://dapp.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    psa.repo.access.set_rules(allow_origins=["https://dapp.example"])
    r = c.get("/pins", headers={**psa.read, "Origin": "https://dapp.example"})
    assert r.headers["access-control-allow-origin"] == "https://dapp.example"
    r = c.post("/pins", json={"cid": "bafkqaaa"},
               headers={**psa.write, "Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["reason"] == "FORBIDDEN"
    assert psa.repo.pins.list() == []
    assert c.options("/pins", headers={"Origin": "https://evil.example",
                                       "Access-Control-Request-Method": "GET"}
                     ).status_code == 403
    # Kubo and other servers name no origin: served as before
    assert c.get("/pins", headers=psa.read).status_code == 200
