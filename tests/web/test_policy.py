"""pinfold.web.policy: the rules applied to one request without a server; its parsers of
untrusted input (paths, queries, headers) fuzzed: only decisions come out, never an
exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinfold.access import AccessDenied
from pinfold.repo import Repo
from pinfold.web.policy import bearer, check_path, decide, redact, redirect_location


@pytest.fixture(scope="module")
def mem():
    repo = Repo.memory()
    pub = str(repo.add(b"public").roots[0].cid)
    priv = str(repo.add(b"private", network="private").roots[0].cid)
    repo.access.set_rules(allow_origins=["https://app.example"],
                          trusted_proxies=["127.0.0.1"])
    yield repo, pub, priv
    repo.close()


def test_decisions(mem):
    repo, pub, priv = mem
    ok = decide(repo, "GET", f"/ipfs/{pub}", f"/ipfs/{pub}".encode(), "a=1", [], "127.0.0.1")
    assert ok.status is None and ok.query == [("a", "1")] and not ok.private
    d = decide(repo, "GET", f"/ipfs/{priv}", b"/ipfs/x", "", [], "127.0.0.1")
    assert d.status == 401
    link = repo.access.link(priv)
    path, _, query = link.partition("?")
    d = decide(repo, "GET", path, path.encode(), query + "&pinfoldGatewayToken=t", [],
               "127.0.0.1")
    assert d.status is None and d.private and d.credentials == "link" and d.query == []
    d = decide(repo, "GET", f"/ipfs/{pub}", b"/", "", [("Origin", "https://evil.example")],
               "127.0.0.1")
    assert d.status == 403


def test_path_checks():
    assert check_path(b"/ipfs/x/a%2Fb", "/ipfs/x/a/b")
    assert check_path(b"/ipfs/x/a%5cb", "/ipfs/x/a\\b") is None  # a name may hold one
    assert check_path(b"/ipfs/x/../y", "/ipfs/x/../y")
    assert check_path(b"/ipfs/x/a", "/ipfs/x/a\x00")
    assert check_path(b"/ipfs/x/a%20b", "/ipfs/x/a b") is None


def test_bearer_and_redirects_and_redaction():
    assert bearer(None) is None and bearer("Bearer  k ") == "k" and bearer("bearer k") == "k"
    for bad in ("Basic x", "Bearer", "k"):
        with pytest.raises(AccessDenied):
            bearer(bad)
    assert redirect_location("/ipfs/x/?a=1", "X-Date=1&a=1") == "/ipfs/x/?X-Date=1&a=1"
    assert redact("/ipfs/x?X-Signature=abc&pinfoldGatewayToken=t&a=1") == (
        "/ipfs/x?X-Signature=***&pinfoldGatewayToken=***&a=1")
    assert redact("/ipfs/x") == "/ipfs/x"


_text = st.text(alphabet=st.characters(codec="latin-1"), max_size=60)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "HEAD", "OPTIONS", "POST"]),
       path=st.one_of(_text.map(lambda t: "/ipfs/" + t), _text.map(lambda t: "/ipns/" + t),
                      _text),
       query=_text,
       headers=st.lists(st.tuples(st.sampled_from(
           ["Origin", "Referer", "Authorization", "X-Forwarded-For", "x-pinfold-gateway-token",
            "Range", "X-Other"]), _text), max_size=5),
       peer=st.one_of(st.none(), st.sampled_from(["127.0.0.1", "10.0.0.1", "::1"]), _text))
def test_decide_fuzz(mem, method, path, query, headers, peer):
    repo = mem[0]
    d = decide(repo, method, path, path.encode("utf-8", "surrogatepass"), query, headers, peer)
    assert d.status is None or 200 <= d.status < 500
