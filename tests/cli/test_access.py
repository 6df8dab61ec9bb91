"""pinfold.cli.access: ``pinfold access link|rotate``, ``apikey create|ls|revoke``,
``gateway rules`` and ``gateway token create|ls|revoke``, end to end."""

from __future__ import annotations

import json

from pinfold.access import parse_query_string
from pinfold.repo import Repo

from .helpers import cli, lines


def test_access_link_and_rotate(cli_repo, capsysbinary, tmp_path):
    (tmp_path / "f.txt").write_bytes(b"private\n")
    code, out, _ = cli(capsysbinary, "add", "-Q", "--repo", str(cli_repo),
                       str(tmp_path / "f.txt"), "--private")
    assert code == 0
    cid = lines(out)[-1]
    code, out, _ = cli(capsysbinary, "access", "link", cid, "--expires", "10m",
                       "--base-url", "https://gw.example/", "--repo", str(cli_repo))
    assert code == 0
    url = lines(out)[-1]
    assert url.startswith(f"https://gw.example/ipfs/{cid}?X-Algorithm=")
    q = parse_query_string(url.split("?", 1)[1])
    assert dict(q)["X-Expires"] == "600"
    with Repo(cli_repo) as repo:
        assert repo.access.check_link("GET", f"/ipfs/{cid}", q)
    assert cli(capsysbinary, "access", "rotate", "--repo", str(cli_repo))[0] == 0
    with Repo(cli_repo) as repo:
        assert repo.reach(cid) == "private"
        try:
            repo.access.check_link("GET", f"/ipfs/{cid}", q)
            raise AssertionError("a link survived the rotation")
        except Exception as exc:  # noqa: BLE001 - AccessDenied expected
            assert "rotated" in str(exc)


def test_access_link_bad_input_is_one_line(cli_repo, capsysbinary):
    for args in (["access", "link", "not-a-cid"],
                 ["access", "link", "bafkqaaa", "--expires", "soon"],
                 ["access", "link", "bafkqaaa", "--method", "POST"]):
        code, out, err = cli(capsysbinary, *args, "--repo", str(cli_repo))
        assert code != 0 and err.startswith("pinfold: error:") and len(err.splitlines()) == 1


def test_apikey_create_ls_revoke(cli_repo, capsysbinary):
    code, out, _ = cli(capsysbinary, "apikey", "create", "ci", "--scope", "files:read",
                       "--scope", "groups:write", "--max-uses", "5", "--expires", "30d",
                       "--repo", str(cli_repo))
    assert code == 0
    secret = lines(out)[-1]
    assert secret.startswith("pfk_")
    code, out, _ = cli(capsysbinary, "apikey", "create", "boss", "--admin", "--json",
                       "--repo", str(cli_repo))
    boss = json.loads(lines(out)[-1])
    assert boss["admin"] and boss["scopes"] == ["admin"] and boss["secret"].startswith("pfk_")
    code, out, _ = cli(capsysbinary, "apikey", "ls", "--json", "--repo", str(cli_repo))
    keys = [json.loads(x) for x in lines(out)]
    assert [k["name"] for k in keys] == ["ci", "boss"]
    assert keys[0]["scopes"] == ["files:read", "groups:write"] and keys[0]["max_uses"] == 5
    assert all("secret" not in k for k in keys) and secret.encode() not in out
    code, out, _ = cli(capsysbinary, "apikey", "ls", "--repo", str(cli_repo))
    assert lines(out)[0].split()[1:4] == ["ci", "files:read,groups:write", "0/5"]
    assert cli(capsysbinary, "apikey", "revoke", keys[0]["id"], "--repo", str(cli_repo))[0] == 0
    with Repo(cli_repo) as repo:
        assert repo.access.key(keys[0]["id"]).revoked is not None
    code, _, err = cli(capsysbinary, "apikey", "create", "x", "--repo", str(cli_repo))
    assert code != 0 and "scope" in err
    code, _, err = cli(capsysbinary, "apikey", "revoke", "nope", "--repo", str(cli_repo))
    assert code != 0 and "no API key" in err


def test_gateway_rules(cli_repo, capsysbinary):
    code, out, _ = cli(capsysbinary, "gateway", "rules", "--repo", str(cli_repo))
    assert lines(out)[0] == "restricted: true"
    code, out, _ = cli(capsysbinary, "gateway", "rules", "--restricted=false", "--allow-ip",
                       "10.0.0.0/8", "--allow-ip", "192.0.2.1", "--trusted-proxy",
                       "127.0.0.1", "--allow-origin", "https://app.example", "--json",
                       "--repo", str(cli_repo))
    assert json.loads(out) == {"restricted": False,
                               "allow_ip": ["10.0.0.0/8", "192.0.2.1/32"],
                               "trusted_proxies": ["127.0.0.1/32"],
                               "allow_origins": ["https://app.example"],
                               "tokens_required": False}
    code, out, _ = cli(capsysbinary, "gateway", "rules", "--clear", "--repo", str(cli_repo))
    assert lines(out)[:2] == ["restricted: true", "allow-ip: (anyone)"]
    code, _, err = cli(capsysbinary, "gateway", "rules", "--allow-origin", "*",
                       "--repo", str(cli_repo))
    assert code != 0 and "origin" in err


def test_gateway_tokens(cli_repo, capsysbinary):
    code, out, _ = cli(capsysbinary, "gateway", "token", "create", "site",
                       "--repo", str(cli_repo))
    secret = lines(out)[-1]
    assert code == 0 and secret.startswith("pgt_")
    code, out, _ = cli(capsysbinary, "gateway", "token", "ls", "--json", "--repo",
                       str(cli_repo))
    (tok,) = [json.loads(x) for x in lines(out)]
    assert tok["name"] == "site" and tok["revoked"] is None and secret.encode() not in out
    assert cli(capsysbinary, "gateway", "token", "revoke", tok["id"],
               "--repo", str(cli_repo))[0] == 0
    code, out, _ = cli(capsysbinary, "gateway", "rules", "--repo", str(cli_repo))
    assert "tokens: required" in lines(out)
