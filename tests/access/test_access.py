"""pinfold.access.access (with store and records): the link secret, API keys, gateway tokens
and rules of a repo; max-uses exact under 8 processes; secrets kept out of the database,
errors and reprs."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest

from pinfold.access import Access, AccessDenied, AccessError
from pinfold.repo import Repo


@pytest.fixture
def disk_repo(tmp_path):
    repo = Repo.init(tmp_path / "repo", fsync=False)
    yield repo
    repo.close()


def test_access_file_is_owner_only_and_secret_made_at_init(disk_repo):
    path = os.path.join(disk_repo.path, "access.sqlite")
    for name in os.listdir(disk_repo.path):
        if name.startswith("access.sqlite"):
            mode = stat.S_IMODE(os.stat(os.path.join(disk_repo.path, name)).st_mode)
            assert mode == 0o600, name
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM link_secrets").fetchone() == (1,)


def test_an_older_access_file_is_made_owner_only(tmp_path):
    repo_path = tmp_path / "r"
    repo_path.mkdir()
    (repo_path / "access.sqlite").touch(mode=0o644)
    os.chmod(repo_path / "access.sqlite", 0o644)
    Access(repo_path).close()
    assert stat.S_IMODE(os.stat(repo_path / "access.sqlite").st_mode) == 0o600


def test_links_check_across_processes_and_rotation(disk_repo):
    cid = disk_repo.add(b"x").roots[0].cid
    url = disk_repo.access.link(str(cid))
    from pinfold.access import parse_query_string

    q = parse_query_string(url.split("?", 1)[1])
    with Repo(disk_repo.path) as other:  # another opener sees the same secret
        assert other.access.check_link("GET", f"/ipfs/{cid}", q)
        other.access.rotate()
    with pytest.raises(AccessDenied, match="rotated"):
        disk_repo.access.check_link("GET", f"/ipfs/{cid}", q)
    assert disk_repo.access.check_link("GET", "/ipfs/x", [("a", "b")]) is False


def test_key_secret_is_shown_once_and_only_hashed(disk_repo):
    new = disk_repo.access.create_key("ci", ["files:read", "groups:read"], expires="1h")
    assert new.secret.startswith("pfk_") and len(new.secret) > 40
    assert new.secret not in repr(new) and "hidden" in repr(new)
    assert new.secret not in repr(disk_repo.access.keys())
    raw = open(os.path.join(disk_repo.path, "access.sqlite"), "rb").read()
    wal = os.path.join(disk_repo.path, "access.sqlite-wal")
    if os.path.exists(wal):
        raw += open(wal, "rb").read()
    assert new.secret.encode() not in raw
    key = disk_repo.access.key(new.key.id)
    assert key.scopes == ("files:read", "groups:read") and key.uses == 0
    assert key.expires == key.created + 3600
    assert "secret" not in key.to_json()


def test_check_key_refusals(disk_repo):
    a = disk_repo.access
    new = a.create_key("ci", ["files:write"], max_uses=1, expires="10m")
    cases = [
        (lambda: a.check_key(None, "files:read"), 401, "no API key"),
        (lambda: a.check_key("pfk_unknown", "files:read"), 401, "unknown"),
        (lambda: a.check_key("x" * 10000, "files:read"), 401, "unknown"),
        (lambda: a.check_key(new.secret, "files:read"), 403, "does not have the scope"),
        (lambda: a.check_key(new.secret, "files:write", now=time.time() + 601), 401,
         "expired"),
    ]
    for call, status, reason in cases:
        with pytest.raises(AccessDenied, match=reason) as e:
            call()
        assert e.value.status == status and new.secret not in str(e.value)
    assert a.check_key(new.secret, "files:write").uses == 1
    with pytest.raises(AccessDenied, match="used all") as e:
        a.check_key(new.secret, "files:write")
    a.revoke_key(new.key.id)
    with pytest.raises(AccessDenied, match="revoked"):
        a.check_key(new.secret, "files:write")
    with pytest.raises(AccessError):
        a.check_key(new.secret, "files:everything")
    with pytest.raises(AccessError, match="no API key with id"):
        a.revoke_key("nope")


def test_admin_has_every_scope_and_count_false_takes_no_use(disk_repo):
    new = disk_repo.access.create_key("root", admin=True, max_uses=1)
    for scope in ("files:read", "groups:write", "gateways:write"):
        assert disk_repo.access.check_key(new.secret, scope, count=False).admin
    assert disk_repo.access.check_key(new.secret, "files:read").uses == 1


def test_bad_key_options(disk_repo):
    for kw in (dict(name=""), dict(name="x", max_uses=0), dict(name="x", expires="0s"),
               dict(name="x", scopes=["nope"]), dict(name="x", scopes=[])):
        name = kw.pop("name")
        scopes = kw.pop("scopes", ["files:read"])
        with pytest.raises(AccessError):
            disk_repo.access.create_key(name, scopes, **kw)


_WORKER = """
import sys
from pinfold.access import AccessDenied
from pinfold.repo import Repo
ok = 0
with Repo(sys.argv[1]) as repo:
    for _ in range(int(sys.argv[3])):
        try:
            repo.access.check_key(sys.argv[2], "files:read")
            ok += 1
        except AccessDenied:
            pass
print(ok)
"""


def test_max_uses_is_exact_under_8_processes(disk_repo):
    new = disk_repo.access.create_key("shared", ["files:read"], max_uses=100)
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, disk_repo.path, new.secret,
                               "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(8)]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    assert sum(int(out) for out, _ in results) == 100
    assert disk_repo.access.key(new.key.id).uses == 100


def test_gateway_tokens(disk_repo):
    a = disk_repo.access
    assert not a.tokens_required()
    new = a.create_token("site")
    assert new.secret.startswith("pgt_") and new.secret not in repr(new)
    assert a.tokens_required() and a.check_token(new.secret).id == new.token.id
    with pytest.raises(AccessDenied) as e:
        a.check_token(None)
    assert e.value.status == 401
    a.revoke_token(new.token.id)
    with pytest.raises(AccessDenied, match="revoked"):
        a.check_token(new.secret)
    assert a.tokens_required()  # revoking the last token does not open the gateway
    assert [t.revoked is not None for t in a.tokens()] == [True]
    with pytest.raises(AccessError):
        a.revoke_token("nope")


def test_rules_are_shared_by_every_opener(disk_repo):
    a = disk_repo.access
    assert a.rules().restricted and a.rules().allow_ip == ()
    a.set_rules(restricted=False, allow_ip=["10.0.0.0/8"], trusted_proxies=["127.0.0.1"],
                allow_origins=["https://App.example/"])
    with Repo(disk_repo.path) as other:
        r = other.access.rules()
    assert r.to_json() == {"restricted": False, "allow_ip": ["10.0.0.0/8"],
                           "trusted_proxies": ["127.0.0.1/32"],
                           "allow_origins": ["https://app.example"]}
    a.set_rules(allow_ip=[])
    assert a.rules().allow_ip == () and not a.rules().restricted
    assert a.set_rules(clear=True) == type(r)()
    with pytest.raises(AccessError):
        a.set_rules(allow_ip=["10.0.0.1/8"])


def test_memory_repo_has_access_too():
    with Repo.memory() as repo:
        new = repo.access.create_key("k", ["files:read"])
        assert repo.access.check_key(new.secret, "files:read").uses == 1
