"""pinfold.cli.repo (with the init, add, pin and block commands it needs):
``pinfold repo gc|stat|verify`` end to end."""

from __future__ import annotations

import os

import pytest

import pinfold
from pinfold import CID
from pinfold.codecs.links import links_of
from pinfold.repo import Repo
from tests.repo.helpers import BACKENDS, CHUNK, _corrupt, blob, one_line_error, raw_cid

from .helpers import cli, either_side, lines


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_repo_commands(tmp_path, capsysbinary, backend):
    repo = str(tmp_path / "repo")
    r = ["--repo", repo]
    code, out, _ = cli(capsysbinary, "init", "--backend", backend, "--no-fsync", *r)
    assert code == 0 and backend in out.decode()
    f1 = tmp_path / "hello.txt"
    f1.write_bytes(b"hello pinfold\n")
    f2 = tmp_path / "loose.bin"
    f2.write_bytes(blob("loose", 3 * CHUNK))
    f3 = tmp_path / "next.txt"
    f3.write_bytes(b"next version\n")

    code, out, _ = cli(capsysbinary, "add", *r, str(f1))
    assert code == 0
    (line,) = lines(out)
    assert line.startswith("added ") and line.endswith(" hello.txt")
    hello = CID(line.split()[1])
    assert hello == pinfold.cid_of(b"hello pinfold\n")

    code, out, _ = cli(capsysbinary, "add", *r, "--pin=false", "--chunker", f"size-{CHUNK}",
                       str(f2))
    loose = CID(lines(out)[-1].split()[1])
    code, out, _ = cli(capsysbinary, "pin", "ls", *r)
    assert lines(out) == [f"{hello} recursive"]

    code, out, _ = cli(capsysbinary, "pin", "add", *r, "--name", "my file", str(loose))
    assert code == 0 and lines(out) == [f"pinned {loose} recursively my file"]
    code, out, _ = cli(capsysbinary, "pin", "ls", *r, "--type", "recursive")
    assert sorted(lines(out)) == sorted([f"{hello} recursive", f"{loose} recursive my file"])
    code, out, _ = cli(capsysbinary, "pin", "ls", *r, "-q", "--type=recursive")
    assert sorted(lines(out)) == sorted([str(hello), str(loose)])
    code, out, _ = cli(capsysbinary, "pin", "ls", *r, "--type", "indirect")
    with Repo(repo) as rp:
        leaves = set(links_of(loose, rp.block_get(loose)))
    assert {CID(x.split()[0]) for x in lines(out)} == leaves
    assert all(x.endswith(" indirect") for x in lines(out))
    code, out, _ = cli(capsysbinary, "pin", "ls", *r, str(loose))
    assert lines(out) == [f"{loose} recursive my file"]

    code, out, _ = cli(capsysbinary, "pin", "verify", *r)
    assert code == 0 and "2 pins" in out.decode()

    # block put / stat / get / rm
    code, out, _ = cli(capsysbinary, "block", "put", *r, str(f3))
    assert code == 0
    blk = CID(lines(out)[0])
    assert blk == raw_cid(b"next version\n")
    code, out, _ = cli(capsysbinary, "block", "stat", *r, str(blk))
    assert lines(out) == [f"Key: {blk}", f"Size: {len(f3.read_bytes())}"]
    code, out, _ = cli(capsysbinary, "block", "get", *r, str(blk))
    assert code == 0 and out == b"next version\n"
    code, out, err = cli(capsysbinary, "block", "rm", *r, str(hello))
    one_line_error(code, err)
    assert "pinned" in err
    code, out, err = cli(capsysbinary, "block", "rm", *r, str(next(iter(leaves))))
    one_line_error(code, err)
    code, out, _ = cli(capsysbinary, "block", "rm", *r, str(blk))
    assert code == 0 and lines(out) == [f"removed {blk}"]

    # pin update, direct pins
    new = pinfold.cid_of(b"next version\n")
    cli(capsysbinary, "add", *r, "--pin=false", str(f3))
    code, out, _ = cli(capsysbinary, "pin", "update", *r, str(hello), str(new))
    assert code == 0 and lines(out) == [f"updated {hello} to {new}"]
    code, out, _ = cli(capsysbinary, "pin", "ls", *r, "-q", "-t", "recursive")
    assert sorted(lines(out)) == sorted([str(new), str(loose)])
    code, out, _ = cli(capsysbinary, "pin", "add", *r, "--recursive=false", str(hello))
    assert code == 0 and lines(out) == [f"pinned {hello} directly"]
    code, out, _ = cli(capsysbinary, "pin", "ls", *r, "--type", "direct")
    assert lines(out) == [f"{hello} direct"]

    # pin rm, gc, stat, verify
    code, out, _ = cli(capsysbinary, "pin", "rm", *r, str(loose))
    assert code == 0 and lines(out) == [f"unpinned {loose}"]
    code, out, _ = cli(capsysbinary, "repo", "gc", *r)
    assert code == 0
    removed = [x for x in lines(out) if x.startswith("removed ")]
    assert len(removed) == len(leaves) + 1
    assert lines(out)[-1].startswith(f"freed {len(leaves) + 1} blocks, ")
    code, out, _ = cli(capsysbinary, "repo", "gc", *r)
    assert lines(out) == ["freed 0 blocks, 0 bytes"]
    code, out, _ = cli(capsysbinary, "repo", "stat", *r)
    stat = dict(x.split(": ", 1) for x in lines(out))
    assert stat["NumObjects"] == "2"
    assert stat["Pins"] == "2"
    assert stat["Backend"] == backend
    assert stat["Version"] == "pinfold-repo@1"
    assert stat["RepoPath"] == os.path.abspath(repo)
    assert int(stat["RepoSize"]) == int(stat["PinnedSize"]) > 0
    code, out, _ = cli(capsysbinary, "repo", "verify", *r)
    assert code == 0 and lines(out)[0].startswith("verified 2 blocks")
    with Repo(repo) as rp:
        pin_id = rp.pins.list(cid=new)[0].id
    code, out, _ = cli(capsysbinary, "pin", "rm", *r, "--id", pin_id)
    assert code == 0 and lines(out) == [f"unpinned {new}"]
    code, out, _ = cli(capsysbinary, "pin", "rm", *r, "--name", "", str(hello))
    assert code == 0
    code, out, _ = cli(capsysbinary, "pin", "ls", *r)
    assert code == 0 and out == b""


def test_cli_repo_verify_reports_problems(tmp_path, capsysbinary):
    repo = str(tmp_path / "repo")
    r = ["--repo", repo]
    cli(capsysbinary, "init", *r, "--no-fsync")
    f = tmp_path / "f.bin"
    f.write_bytes(blob("f", 3 * CHUNK))
    code, out, _ = cli(capsysbinary, "add", *r, "--chunker", f"size-{CHUNK}", str(f))
    root = CID(lines(out)[0].split()[1])
    with Repo(repo) as rp:
        leaf = links_of(root, rp.block_get(root))[0]
        _corrupt(rp, leaf, b"bad bytes")
    code, out, err = cli(capsysbinary, "repo", "verify", *r)
    one_line_error(code, err)
    assert any(x.startswith(f"{leaf} corrupt") or "corrupt" in x for x in lines(out))
    code, out, _ = cli(capsysbinary, "pin", "verify", *r)
    assert code == 1 and f"{leaf} corrupt" in out.decode()
    code, out, err = cli(capsysbinary, "block", "get", *r, str(leaf))
    one_line_error(code, err)
    assert str(leaf) in err


def test_cli_block_and_repo_flags_before_and_after_the_words(tmp_path, capsysbinary):
    """Issue 13: block put --pin, block rm -f, repo gc -q/--full on either side."""
    path = str(tmp_path / "r")
    cli(capsysbinary, "init", "--repo", path, "--no-fsync=true")
    f = tmp_path / "b.bin"
    f.write_bytes(b"a block")
    code, out, err = either_side(capsysbinary, ["block", "put", "--repo", path], ["--pin"],
                                 [str(f)])
    cid = out.strip()
    assert (code, err) == (0, "") and cid == str(raw_cid(b"a block"))
    for flags in (["-f"], ["-f=false"], ["--force"]):  # Kubo's -f ignores missing blocks only
        code, _, err = either_side(capsysbinary, ["block", "rm", "--repo", path], flags, [cid])
        assert code == 1 and "pinned" in err
    missing = str(raw_cid(b"never stored"))
    code, _, err = either_side(capsysbinary, ["block", "rm", "--repo", path], [], [missing])
    assert code == 1 and err.count("\n") == 1
    assert either_side(capsysbinary, ["block", "rm", "--repo", path], ["-f"], [missing]) == \
        (0, "", "")
    code, out, _ = cli(capsysbinary, "block", "rm", cid, "--even-if-pinned", "-q", "--repo",
                       path)
    assert (code, out) == (0, b"")
    code, out, _ = cli(capsysbinary, "pin", "rm", cid, "--repo", path)
    f.write_bytes(b"another block")
    code, out, _ = cli(capsysbinary, "block", "put", str(f), "--repo", path)
    other = out.decode().strip()
    # repo gc: Kubo's "removed <cid>" lines (and pinfold's summary), -q the CIDs alone,
    # --silent nothing
    code, out, _ = cli(capsysbinary, "repo", "gc", "--full=true", "-q", "--repo", path)
    assert (code, lines(out)) == (0, [other])
    cli(capsysbinary, "block", "put", str(f), "--repo", path)
    code, out, _ = cli(capsysbinary, "repo", "gc", "--silent", "--repo", path)
    assert (code, out) == (0, b"")
    code, out, _ = cli(capsysbinary, "repo", "gc", "--repo", path)
    assert lines(out) == ["freed 0 blocks, 0 bytes"]


def test_cli_repo_stat_size_only_and_human(tmp_path, capsysbinary):
    path = str(tmp_path / "r")
    cli(capsysbinary, "init", "--repo", path, "--no-fsync")
    f = tmp_path / "big.bin"
    f.write_bytes(blob("stat-h", 1_234_567))
    cli(capsysbinary, "add", "--repo", path, "-Q", str(f))
    code, out, _ = cli(capsysbinary, "repo", "stat", "--repo", path)
    size = int(dict(x.split(": ", 1) for x in lines(out))["RepoSize"])
    assert cli(capsysbinary, "repo", "stat", "-s", "--repo", path)[1] == \
        f"RepoSize: {size}\n".encode()
    code, out, _ = cli(capsysbinary, "repo", "stat", "-s", "-H", "--repo", path)
    assert out == f"RepoSize: {size / 1e6:.1f} MB\n".encode()  # go-humanize's Bytes
    code, out, _ = cli(capsysbinary, "repo", "stat", "-H", "--repo", path)
    assert lines(out)[0].startswith("NumObjects: ") and "RepoSize: 1.2 MB" in lines(out)
