"""pinfold.repo.parts: repos whose blockstore is on S3 (SeaweedFS) and whose pin set is on
PostgreSQL, made by ``pinfold init --blockstore s3://… --pinset postgresql://…``; the pairings
allowed and refused; credentials never written. Real servers (tests/servers.py)."""

from __future__ import annotations

import json
import os

import pytest

from pinfold.repo import Repo
from pinfold.repo.parts import RepoPartsError
from tests.cli.helpers import cli
from tests.repo.helpers import blob


@pytest.fixture
def shared(s3_bucket, pg_database):
    """The ``init`` arguments of a repo on the test's bucket and database."""
    return ["--blockstore", f"s3://{s3_bucket.name}/blocks", "--s3-endpoint",
            s3_bucket.endpoint, "--pinset", pg_database.url]


def test_init_points_at_shared_stores_and_every_command_works(tmp_path, shared, s3_bucket,
                                                              capsysbinary):
    one, two = tmp_path / "host1", tmp_path / "host2"
    code, out, err = cli(capsysbinary, "init", "--repo", str(one), *shared)
    assert code == 0, err
    cfg_text = (one / "config.json").read_text()
    cfg = json.loads(cfg_text)
    assert cfg["version"] == 2 and cfg["backend"] == "s3"
    assert cfg["s3"] == {"bucket": s3_bucket.name, "prefix": "blocks/",
                         "endpoint": s3_bucket.endpoint}
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in cfg_text
    assert os.environ["AWS_ACCESS_KEY_ID"] not in cfg_text
    assert sorted(p.name for p in one.iterdir()) == ["config.json", "keystore"] or \
        not (one / "pins.sqlite").exists()
    data = blob("shared", 300_000)
    src = tmp_path / "f.bin"
    src.write_bytes(data)
    code, out, err = cli(capsysbinary, "add", "--repo", str(one), "-Q", "--name", "f",
                         str(src))
    assert code == 0, err
    root = out.decode().strip()
    # a second directory (another host) pointing at the same stores sees the same repo
    assert cli(capsysbinary, "init", "--repo", str(two), *shared)[0] == 0
    code, out, err = cli(capsysbinary, "cat", "--repo", str(two), root)
    assert code == 0 and out == data, err
    code, out, _ = cli(capsysbinary, "pin", "ls", "--repo", str(two), "--name", "f")
    assert root in out.decode()
    code, out, err = cli(capsysbinary, "repo", "verify", "--repo", str(two))
    assert code == 0, err
    code, out, err = cli(capsysbinary, "repo", "stat", "--repo", str(two))
    assert code == 0 and "s3" in out.decode(), err
    assert cli(capsysbinary, "pin", "rm", "--repo", str(two), root)[0] == 0
    code, out, err = cli(capsysbinary, "repo", "gc", "--repo", str(one))
    assert code == 0, err
    with Repo(one) as repo:
        assert repo.stat().blocks == 0 and repo.pins.stats()["pins"] == 0


def test_a_second_pin_set_over_one_bucket_is_refused(tmp_path, s3_bucket, capsysbinary):
    """S3 blocks with a local SQLite pin set: one repo (one host) only; another repo with its
    own pin set over the same prefix would collect the first one's blocks."""
    url = f"s3://{s3_bucket.name}/p"
    args = ["--blockstore", url, "--s3-endpoint", s3_bucket.endpoint]
    assert cli(capsysbinary, "init", "--repo", str(tmp_path / "a"), *args)[0] == 0
    with Repo(tmp_path / "a") as repo:  # reopening the same pairing is fine
        repo.add(b"kept by a")
    code, out, err = cli(capsysbinary, "init", "--repo", str(tmp_path / "b"), *args)
    assert code == 1
    assert err.startswith("pinfold: error: ") and err.count("\n") == 1
    assert "holds the blocks of another pin set" in err and "s3://" in err
    assert not (tmp_path / "b" / "config.json").exists()  # nothing half made is left
    # another prefix of the bucket is another blockstore
    args2 = ["--blockstore", url + "2", "--s3-endpoint", s3_bucket.endpoint]
    assert cli(capsysbinary, "init", "--repo", str(tmp_path / "c"), *args2)[0] == 0


def test_local_blocks_under_a_shared_pin_set_are_one_hosts_only(tmp_path, pg_database,
                                                                capsysbinary):
    args = ["--pinset", pg_database.url]
    assert cli(capsysbinary, "init", "--repo", str(tmp_path / "a"), *args)[0] == 0
    with Repo(tmp_path / "a") as repo:
        root = repo.add(b"local blocks, shared pins").root
        assert repo.pins.list()[0].cid == root
    code, out, err = cli(capsysbinary, "init", "--repo", str(tmp_path / "b"), "--backend",
                         "lmdb", *args)
    assert code == 1
    assert "keeps the blocks of local:" in err and "s3://" in err


@pytest.mark.parametrize("args, words", [
    (["--pinset", "postgresql://u:secret@127.0.0.1:1/db"], ["password", "PGPASSWORD"]),
    (["--pinset", "mysql://x"], ["unknown pin set"]),
    (["--blockstore", "s3://key:secret@bucket/p"], ["credentials", "AWS_ACCESS_KEY_ID"]),
    (["--blockstore", "gs://bucket"], ["unknown backend"]),
    (["--blockstore", "s3://"], ["no bucket"]),
    (["--blockstore", "s3://b/p", "--s3-endpoint", "ftp://x"], ["endpoint"]),
    (["--backend", "fs", "--s3-endpoint", "http://127.0.0.1:1"], ["--s3-endpoint"]),
    (["--gc-grace", "5"], ["grace"]),
])
def test_bad_parts_are_one_line_errors(tmp_path, capsysbinary, args, words):
    code, out, err = cli(capsysbinary, "init", "--repo", str(tmp_path / "r"), *args)
    assert code == 1 and err.startswith("pinfold: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err
    assert "secret" not in err
    assert not (tmp_path / "r" / "config.json").exists()


def test_unreachable_pin_set_is_a_clear_error(tmp_path, capsysbinary):
    from tests.servers import free_ports

    port = free_ports(1)[0]
    code, out, err = cli(capsysbinary, "init", "--repo", str(tmp_path / "r"), "--pinset",
                         f"postgresql://app@127.0.0.1:{port}/db")
    assert code == 1 and "PostgreSQL pin set" in err and err.count("\n") == 1, err
    with pytest.raises(RepoPartsError):
        Repo.init(tmp_path / "r2", pinset="postgresql://u:pw@h/db")
