"""`pinfold key`: Kubo's forms and output, one-line errors with non-zero exits."""

import json
import os
import stat

from .helpers import either_side
from .names_helpers import (
    run,
    site_repo,  # noqa: F401 (the repo fixture)
)


def test_init_makes_the_self_key(repo, capsys):
    path, _ = repo
    ks = os.path.join(path, "keystore")
    assert os.listdir(ks) == ["key_onswyzq"]
    assert stat.S_IMODE(os.stat(ks).st_mode) == 0o700
    code, out, _ = run(capsys, "key", "ls", "--repo", path)
    assert (code, out) == (0, "self\n")


def test_key_commands(repo, capsys, tmp_path):
    path, _ = repo
    code, out, _ = run(capsys, "key", "gen", "site", "--repo", path)
    assert code == 0 and out.startswith("k51") and len(out.strip()) == 62
    site_id = out.strip()
    code, out, _ = run(capsys, "key", "gen", "-t", "secp256k1", "--ipns-base", "b58mh", "s",
                       "--repo", path)
    assert out.startswith("16Uiu2HA")
    code, out, _ = run(capsys, "key", "ls", "-l", "--repo", path)
    lines = out.splitlines()
    assert [ln.split()[1] for ln in lines] == ["self", "s", "site"]
    # Go's tabwriter: the id column padded to its widest cell + 1, the name cell too
    width = max(len(ln.split()[0]) for ln in lines) + 1
    assert lines[2] == site_id.ljust(width) + "site "
    assert all(len(ln) == len(lines[0]) for ln in lines)
    assert run(capsys, "key", "list", "--repo", path)[1] == "self\ns\nsite\n"
    code, out, _ = run(capsys, "key", "rename", "site", "web", "--repo", path)
    assert out == f"Key {site_id} renamed to web\n"
    run(capsys, "key", "gen", "other", "--repo", path)
    code, out, _ = run(capsys, "key", "rename", "-f", "web", "other", "--repo", path)
    assert out == f"Key {site_id} renamed to other with overwriting\n"
    code, out, _ = run(capsys, "key", "rm", "other", "s", "--repo", path)
    assert (code, out) == (0, "other\ns\n")
    assert run(capsys, "key", "ls", "--repo", path)[1] == "self\n"


def test_key_errors_are_one_line(repo, capsys):
    path, _ = repo
    for args, msg in ((["key", "gen", "self"], "cannot create key with name 'self'"),
                      (["key", "rm", "nope"], "no key named nope was found"),
                      (["key", "rename", "nope", "x"], "no key named nope was found"),
                      (["key", "gen", "-t", "ed25519", "-s", "2048", "x"], "always 256 bits"),
                      (["key", "export", "self"], "cannot export key with name 'self'"),
                      (["key", "ls", "--ipns-base", "base99"], "unknown key encoding")):
        code, out, err = run(capsys, *args, "--repo", path)
        assert code == 1 and msg in err and err.count("\n") == 1 and out == "", (args, err)


def test_export_import(repo, capsys, tmp_path, monkeypatch):
    path, _ = repo
    _, gen, _ = run(capsys, "key", "gen", "-t", "rsa", "r", "--repo", path)
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "key", "export", "r", "--repo", path)[:2] == (0, "")
    assert stat.S_IMODE(os.stat(tmp_path / "r.key").st_mode) == 0o600
    assert run(capsys, "key", "export", "r", "-f", "pem-pkcs8-cleartext", "--repo", path)[0] == 0
    assert (tmp_path / "r.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    run(capsys, "key", "export", "r", "-o", str(tmp_path / "x.bin"), "--repo", path)
    assert (tmp_path / "x.bin").read_bytes() == (tmp_path / "r.key").read_bytes()
    code, out, _ = run(capsys, "key", "import", "r2", str(tmp_path / "r.key"), "--repo", path)
    assert (code, out) == (0, gen)
    code, out, _ = run(capsys, "key", "import", "r3", "-f", "pem-pkcs8-cleartext",
                       str(tmp_path / "r.pem"), "--repo", path)
    assert (code, out) == (0, gen)
    before = sorted(os.listdir(os.path.join(path, "keystore")))
    for args, msg in ((["r2", str(tmp_path / "r.key")], "key with name 'r2' already exists"),
                      (["bad", str(tmp_path / "r.pem")], "try again with format=pem-pkcs8"),
                      (["bad", str(tmp_path / "missing")], "cannot read")):
        code, _, err = run(capsys, "key", "import", *args, "--repo", path)
        assert code == 1 and msg in err and err.count("\n") == 1
        assert "BEGIN" not in err
    assert sorted(os.listdir(os.path.join(path, "keystore"))) == before


def test_import_ecdsa_needs_the_flag(repo, capsys, tmp_path):
    from pinfold.keys import ECDSAPrivateKey

    path, _ = repo
    f = tmp_path / "ec.key"
    f.write_bytes(ECDSAPrivateKey.generate().marshal())
    code, _, err = run(capsys, "key", "import", "ec", str(f), "--repo", path)
    assert code == 1 and "--allow-any-key-type" in err
    code, out, _ = run(capsys, "key", "import", "ec", str(f), "--allow-any-key-type",
                       "--repo", path)
    assert code == 0 and out.startswith("k")


def test_sign_verify(repo, capsys, tmp_path):
    path, _ = repo
    data = tmp_path / "msg"
    data.write_bytes(b"hello")
    code, out, _ = run(capsys, "key", "sign", str(data), "--repo", path)
    signed = json.loads(out)
    assert code == 0 and out.endswith("\n") and list(signed) == ["Key", "Signature"]
    assert signed["Key"]["Name"] == "self" and signed["Signature"].startswith("u")
    assert out == json.dumps(signed, separators=(",", ":")) + "\n"
    code, out, _ = run(capsys, "key", "verify", "-s", signed["Signature"], str(data),
                       "--repo", path)
    assert json.loads(out) == {"Key": signed["Key"], "SignatureValid": True}
    data.write_bytes(b"hellO")
    code, out, _ = run(capsys, "key", "verify", "-s", signed["Signature"], str(data),
                       "-k", signed["Key"]["Id"], "--repo", path)
    assert json.loads(out)["SignatureValid"] is False and json.loads(out)["Key"]["Name"] == ""


def test_key_flags_before_and_after_the_names(repo, capsys, tmp_path):
    """Issue 13: --allow-any-key-type, -l and -f on either side of the positional words."""
    from pinfold.keys import ECDSAPrivateKey

    path, _ = repo
    f = tmp_path / "ec.key"
    f.write_bytes(ECDSAPrivateKey.generate().marshal())
    code, _, err = either_side(capsys, ["key", "import", "--repo", path],
                               ["--allow-any-key-type=false"], ["ec", str(f)])
    assert code == 1 and "--allow-any-key-type" in err
    code, out, _ = run(capsys, "key", "import", "--allow-any-key-type", "ec", str(f),
                       "--repo", path)
    assert code == 0 and out.startswith("k")
    assert run(capsys, "key", "rm", "ec", "--repo", path)[0] == 0
    code, out, _ = run(capsys, "key", "import", "ec", "--allow-any-key-type", str(f),
                       "--repo", path)  # between the two positional words
    assert code == 0 and out.startswith("k")
    long = run(capsys, "key", "ls", "-l", "--repo", path)[1]
    assert run(capsys, "key", "ls", "-l=true", "--repo", path)[1] == long
    assert run(capsys, "key", "ls", "-l=false", "--repo", path)[1] == \
        run(capsys, "key", "ls", "--repo", path)[1] != long
    run(capsys, "key", "gen", "a", "--repo", path)
    run(capsys, "key", "gen", "b", "--repo", path)
    code, _, err = run(capsys, "key", "rename", "a", "b", "-f=false", "--repo", path)
    assert code == 1 and err.count("\n") == 1
    code, out, _ = run(capsys, "key", "rename", "a", "-f", "b", "--repo", path)
    assert code == 0 and "b" in out
    code, out, _ = run(capsys, "key", "rm", "b", "-l", "--repo", path)
    assert code == 0 and out.startswith("k") and out.split()[1] == "b"


def test_a_repo_older_than_the_keystore_gets_its_self_key_on_first_use(repo, capsys):
    """A repo made before keys existed has no keystore: the first key command makes ``self``
    (0400 in a 0700 directory), later ones find the same key, and publishing uses it."""
    import shutil

    path, root = repo
    ks = os.path.join(path, "keystore")
    shutil.rmtree(ks)
    code, out, _ = run(capsys, "key", "ls", "-l", "--repo", path)
    assert code == 0
    self_id, name = out.split()
    assert name == "self" and self_id.startswith("k51")
    assert os.listdir(ks) == ["key_onswyzq"]
    assert stat.S_IMODE(os.stat(ks).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(ks, "key_onswyzq")).st_mode) == 0o400
    assert run(capsys, "key", "ls", "-l", "--repo", path)[1] == out
    code, out, _ = run(capsys, "name", "publish", "--repo", path, f"/ipfs/{root}")
    assert (code, out) == (0, f"Published to {self_id}: /ipfs/{root}\n")
