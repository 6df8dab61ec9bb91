"""`pinfold name`: Kubo's forms and output, one-line errors with non-zero exits, and
/ipns/ paths in the commands that read content."""

import json
import os

from pinfold.ipns import Name, unmarshal_record

from .helpers import either_side
from .names_helpers import (
    SPEC_V2,
    VECTORS,
    ids,
    run,
    site_repo,  # noqa: F401 (the repo fixture)
)


def test_publish_and_resolve(repo, capsys):
    path, cid = repo
    me = ids(capsys, path)["self"]
    code, out, _ = run(capsys, "name", "publish", f"/ipfs/{cid}", "--repo", path)
    assert (code, out) == (0, f"Published to {me}: /ipfs/{cid}\n")
    code, out, _ = run(capsys, "name", "publish", "-Q", cid, "--repo", path)
    assert (code, out) == (0, f"{me}\n")
    assert run(capsys, "name", "resolve", "--repo", path)[1] == f"/ipfs/{cid}\n"
    assert run(capsys, "name", "resolve", f"/ipns/{me}/sub", "--repo", path)[1] == (
        f"/ipfs/{cid}/sub\n")
    run(capsys, "key", "gen", "alias", "--repo", path)
    code, out, _ = run(capsys, "name", "publish", "-k", "alias", f"/ipns/{me}", "--ttl", "1m",
                       "--lifetime", "2h", "--repo", path)
    alias = ids(capsys, path)["alias"]
    assert out == f"Published to {alias}: /ipns/{me}\n"
    assert run(capsys, "name", "resolve", alias, "--repo", path)[1] == f"/ipfs/{cid}\n"
    assert run(capsys, "name", "resolve", "-r=false", alias, "--repo", path)[1] == (
        f"/ipns/{me}\n")
    rec = unmarshal_record(open(os.path.join(path, "ipns", alias), "rb").read())
    assert rec.ttl == 60 * 10**9 and rec.has_v1


def test_publish_options_and_errors(repo, capsys):
    path, cid = repo
    code, _, _ = run(capsys, "name", "publish", "--v1compat=false", "--sequence", "7",
                     "--validity", "2099-01-01T00:00:00.000000000Z", cid, "--repo", path)
    assert code == 0
    me = Name.parse(ids(capsys, path)["self"])
    rec = unmarshal_record(open(os.path.join(path, "ipns", str(me)), "rb").read())
    assert (rec.sequence, rec.has_v1, rec.validity) == (7, False,
                                                       b"2099-01-01T00:00:00.000000000Z")
    missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    for args, msg in ((["--sequence", "3", cid], "must be greater than the current"),
                      (["-t", "7d", cid], 'error parsing lifetime option: time: unknown unit "d"'),
                      (["--ttl", "3h", "-t", "1h", cid], "ttl (3h0m0s) must not be greater"),
                      ([f"/ipfs/{missing}"], "does not resolve in this repo"),
                      (["-k", "nope", cid], "no key named nope was found"),
                      (["not-a-path"], "invalid path")):
        code, out, err = run(capsys, "name", "publish", *args, "--repo", path)
        assert code == 1 and msg in err and err.count("\n") == 1, (args, err)
    assert run(capsys, "name", "publish", "--resolve=false", f"/ipfs/{missing}", "--repo",
               path)[0] == 0


def test_get_put_inspect(repo, capsys, tmp_path):
    path, cid = repo
    run(capsys, "name", "publish", cid, "--repo", path)
    me = ids(capsys, path)["self"]
    out_file = tmp_path / "rec"
    assert run(capsys, "name", "get", me, "-o", str(out_file), "--repo", path)[0] == 0
    assert run(capsys, "name", "get", me, "-o", os.devnull, "--repo", path)[0] == 0
    assert not os.path.isfile(os.devnull)  # written to, not replaced by a file
    stored = open(os.path.join(path, "ipns", me), "rb").read()
    assert out_file.read_bytes() == stored
    # another repo takes the record, and resolves the name
    other = str(tmp_path / "other")
    run(capsys, "init", "--repo", other)
    code, out, _ = run(capsys, "name", "put", me, str(out_file), "--repo", other)
    assert (code, out) == (0, f"{me}\n")
    assert run(capsys, "name", "put", "-q", me, str(out_file), "--repo", other)[1] == ""
    assert run(capsys, "name", "resolve", me, "--repo", other)[1] == f"/ipfs/{cid}\n"
    code, _, err = run(capsys, "name", "put", SPEC_V2[0], str(out_file), "--repo", other)
    assert code == 1 and err.startswith("pinfold: error: record validation failed")
    code, _, err = run(capsys, "name", "put", me, os.path.join(VECTORS, SPEC_V2[1]),
                       "--repo", other)
    assert code == 1 and "record validation failed" in err
    # inspect, as Kubo prints it
    code, out, _ = run(capsys, "name", "inspect", "--dump=false", str(out_file), "--repo", path)
    assert code == 0
    assert out.splitlines()[:2] == [f'Value:          "/ipfs/{cid}"', "Validity Type:  0"]
    assert "TTL:            5m0s\n" in out and "Signature Type: V1+V2\n" in out
    assert out.endswith("\nThis record was not verified. Pass '--verify k51...' to verify.\n")
    code, out, _ = run(capsys, "name", "inspect", "--verify", me, str(out_file), "--repo", path)
    assert code == 0 and f"Validation results:\n Valid: true\n Name:  {me}\n" in out
    assert "\nHex Dump:\n00000000  0a " in out


def test_inspect_vectors(capsys):
    spec = os.path.join(VECTORS, SPEC_V2[1])
    code, out, _ = run(capsys, "name", "inspect", "--json", "--verify", SPEC_V2[0], spec)
    doc = json.loads(out)
    assert code == 0 and doc["Validation"] == {"Valid": True, "Reason": "", "Name": SPEC_V2[0]}
    assert doc["Entry"] == {"Value": "/ipfs/bafkqadtwgiww63tmpeqhezldn5zgi", "ValidityType": 0,
                            "Validity": "2123-08-14T12:17:03.694052Z", "Sequence": 0,
                            "TTL": 1800000000000}
    assert doc["PbSize"] == 188 and doc["SignatureType"] == "V2"
    kubo = os.path.join(VECTORS, "kubo-12D3KooWBT21CjaZgY3MvoFFwRJLBEqgk7zwa294Boh9wdX2RUX2"
                                 "_expired-2024.ipns-record")
    code, out, _ = run(capsys, "name", "inspect", "--verify",
                       "12D3KooWBT21CjaZgY3MvoFFwRJLBEqgk7zwa294Boh9wdX2RUX2", kubo)
    assert code == 1 and " Valid:  false\n Reason: record is expired\n" in out
    assert "TTL:            1h0m0s\n" in out
    code, _, err = run(capsys, "name", "inspect", os.path.join(
        VECTORS, "k51qzi5uqu5dm4tm0wt8srkg9h9suud4wuiwjimndrkydqm81cqtlb5ak6p7ku_v1.ipns-record"))
    assert code == 1 and "missing the dag-cbor data field" in err


def test_ipns_paths_in_content_commands(repo, capsys, tmp_path):
    path, cid = repo
    run(capsys, "name", "publish", cid, "--repo", path)
    me = ids(capsys, path)["self"]
    assert run(capsys, "cat", f"/ipns/{me}/sub/a.txt", "--repo", path)[1] == "deep"
    _, out, _ = run(capsys, "ls", f"/ipns/{me}", "--repo", path)
    assert "index.html" in out and "sub/" in out
    assert run(capsys, "stat", f"/ipns/{me}/sub", "--repo", path)[1].splitlines()[1] == (
        "Type: directory")
    assert run(capsys, "get", f"/ipns/{me}/sub", "-o", str(tmp_path / "o"), "--repo",
               path)[0] == 0
    assert (tmp_path / "o" / "a.txt").read_text() == "deep"
    code, out, _ = run(capsys, "dag", "get", f"/ipns/{me}", "--repo", path)
    assert code == 0 and "index.html" in out
    car = tmp_path / "x.car"
    assert run(capsys, "dag", "export", f"/ipns/{me}", "-o", str(car), "--repo", path)[0] == 0
    assert car.stat().st_size > 0
    code, out, _ = run(capsys, "pin", "add", f"/ipns/{me}/sub", "--repo", path)
    assert code == 0 and "pinned" in out
    other = Name.parse(SPEC_V2[0])
    code, _, err = run(capsys, "cat", f"/ipns/{other}", "--repo", path)
    assert code == 1 and "no IPNS record" in err and err.count("\n") == 1


def test_name_flags_before_and_after_the_path(repo, capsys):
    """Issue 13: --resolve, --v1compat, -Q, -r, --dump on either side of the path or name."""
    path, cid = repo
    me = ids(capsys, path)["self"]
    missing = "/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    for flags in (["--resolve=false"], ["--resolve=f", "-Q"], ["--resolve=0", "--v1compat"],
                  ["--resolve=false", "--allow-offline", "--allow-delegated=false"]):
        code, out, err = either_side(capsys, ["name", "publish", "--repo", path], flags,
                                     [missing])
        assert (code, err) == (0, ""), flags
        assert out == (f"{me}\n" if "-Q" in flags else f"Published to {me}: {missing}\n")
    code, _, err = either_side(capsys, ["name", "publish", "--repo", path], ["--resolve"],
                               [missing])
    assert code == 1 and "does not resolve" in err
    for flags, v1 in ((["--v1compat=false"], False), (["--v1compat"], True),
                      (["--v1compat=true", "--resolve"], True)):
        either_side(capsys, ["name", "publish", "--repo", path], flags, [cid])
        rec = unmarshal_record(open(os.path.join(path, "ipns", me), "rb").read())
        assert rec.has_v1 is v1, flags
    run(capsys, "key", "gen", "alias", "--repo", path)
    alias = ids(capsys, path)["alias"]
    run(capsys, "name", "publish", "-k", "alias", f"/ipns/{me}", "--repo", path)
    for flags, want in ((["-r"], f"/ipfs/{cid}\n"), (["--recursive"], f"/ipfs/{cid}\n"),
                        (["-r=false"], f"/ipns/{me}\n"), (["--recursive=f"], f"/ipns/{me}\n"),
                        (["-r", "--nocache", "-s"], f"/ipfs/{cid}\n")):
        assert either_side(capsys, ["name", "resolve", "--repo", path], flags, [alias]) == \
            (0, want, ""), flags
    record = os.path.join(path, "alias.ipns-record")
    code, _, _ = run(capsys, "name", "get", alias, "-o", record, "--repo", path)
    assert code == 0
    plain = either_side(capsys, ["name", "inspect"], ["--dump=false"], [record])
    dumped = either_side(capsys, ["name", "inspect"], ["--dump"], [record])
    assert plain[0] == dumped[0] == 0 and len(dumped[1]) > len(plain[1])
