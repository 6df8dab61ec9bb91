"""pinfold.cli.add: ``pinfold add`` over the vectors, its output forms, flags and errors."""

from __future__ import annotations

import os
import sys

import pytest
from gen import case_source, load_vectors, make_content

from pinfold.cli.main import main

from .helpers import cli

UNIXFS = load_vectors("unixfs.json")
CHUNKERS = load_vectors("chunkers.json")


# vector option -> CLI flags (options the CLI cannot express keep a case library-only)
_FLAG = {
    "profile": lambda v: [f"--profile={v}"],
    "cidVersion": lambda v: [f"--cid-version={v}"],
    "rawLeaves": lambda v: [f"--raw-leaves={'true' if v else 'false'}"],
    "chunkSize": lambda v: [f"--chunker=size-{v}"],
    "maxChildrenPerNode": lambda v: [f"--max-file-links={v}"],
    "layout": lambda v: ["--trickle"] if v == "trickle" else [],
    "leafType": lambda v: [],  # raw dag-pb leaves are what --trickle makes
    "wrapWithDirectory": lambda v: ["-w"] if v else [],
}


def _expressible(case):
    opts = case["options"]
    if any(k not in _FLAG for k in opts):
        return False
    if opts.get("leafType") == "raw" and opts.get("layout") != "trickle":
        return False
    if any("mode" in e or "mtime" in e for e in case.get("entries", [])):
        return False  # Helia's per-entry metadata; Kubo's flags write a different node
    return True


CLI_CASES = [c for c in UNIXFS if _expressible(c)]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _write_case(case, root):
    """Write a case's input to disk; return the argument to add."""
    if "file" in case:
        path = root / "input.bin"
        path.write_bytes(case_source(case))
        return str(path)
    for e in case_source(case):
        path = root / e["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if "content" in e:
            path.write_bytes(e["content"])
        elif e.get("dir"):
            path.mkdir(exist_ok=True)
        else:
            os.symlink(e["link"], path)
    tops = {e["path"].split("/")[0] for e in case["entries"]}
    assert len(tops) == 1
    return str(root / tops.pop())


@pytest.mark.parametrize("case", CLI_CASES, ids=[c["id"] for c in CLI_CASES])
def test_unixfs_vectors_through_cli(case, tmp_path, capsys):
    arg = _write_case(case, tmp_path)
    flags = [f for k, v in case["options"].items() for f in _FLAG[k](v)]
    code, out, err = run(capsys, "add", "-n", "-Q", "-r", *flags, arg)
    assert (code, err) == (0, "")
    assert out == case["cid"] + "\n"


def test_most_unixfs_vectors_are_covered_by_the_cli():
    assert len(CLI_CASES) >= 28


@pytest.mark.parametrize("case", CHUNKERS, ids=[c["id"] for c in CHUNKERS])
def test_chunker_vectors_through_cli(case, tmp_path, capsys):
    path = tmp_path / "input.bin"
    path.write_bytes(make_content(case["file"]))
    code, out, _ = run(capsys, "add", "-n", "-Q", f"--chunker={case['chunker']}", str(path))
    assert (code, out) == (0, case["cid_v0"] + "\n")
    code, out, _ = run(capsys, "add", "-n", "-Q", "--cid-version=1",
                       f"--chunker={case['chunker']}", str(path))
    assert (code, out) == (0, case["cid_v1"] + "\n")


def test_output_forms(tmp_path, capsys):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_bytes(b"hello world\n")
    (d / "sub" / "b.txt").write_bytes(b"b")
    code, out, _ = run(capsys, "add", "-n", "-r", str(d))
    lines = out.splitlines()
    assert code == 0 and lines[0] == "added QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o d/a.txt"
    assert [ln.split()[2] for ln in lines] == ["d/a.txt", "d/sub/b.txt", "d/sub", "d"]
    code, out, _ = run(capsys, "add", "-n", "-q", "-r", str(d))
    assert [len(ln.split()) for ln in out.splitlines()] == [1, 1, 1, 1]
    root = out.splitlines()[-1]
    code, out, _ = run(capsys, "add", "-n", "-Q", "-r", str(d))
    assert out == root + "\n"
    code, out, _ = run(capsys, "add", "-n", "-Q", "-r", "--cid-base=base36", str(d))
    assert out.startswith("k") and len(out.strip()) > 50


def test_several_paths_and_wrap(tmp_path, capsys):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"a\n")
    b.write_bytes(b"b\n")
    code, out, _ = run(capsys, "add", "-n", str(a), str(b))
    assert [ln.split()[2] for ln in out.splitlines()] == ["a.txt", "b.txt"]
    code, out, _ = run(capsys, "add", "-n", "-Q", str(a), str(b))
    assert out.strip() == out.strip().split()[-1]  # the last argument's CID
    code, out, _ = run(capsys, "add", "-n", "-Q", "-w", str(a))
    assert out == "QmVtXd8Q5RgQaFMtVjPpgGymfDhNwC1EaTPj2yqPvuejPf\n"  # dir-wrap vector
    code, out2, _ = run(capsys, "add", "-n", "-Q", "-w", str(a), str(a))
    assert out2 == out  # repeated arguments collapse


def test_stdin(monkeypatch, capsys):
    import io

    class FakeStdin:
        buffer = io.BytesIO(b"hello world\n")

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    code, out, _ = run(capsys, "add", "-n", "-")
    cid = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert (code, out) == (0, f"added {cid} {cid}\n")


def test_mode_and_mtime_flags(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_bytes(b"m\n")
    code, out, _ = run(capsys, "add", "-n", "-Q", "--mode=0644", "--mtime=1700000000",
                       "--mtime-nsecs=5", "--cid-version=1", str(f))
    assert code == 0 and out.startswith("bafybei")  # dag-pb: raw leaves forced off
    code, _, err = run(capsys, "add", "-n", "--raw-leaves", "--preserve-mode", str(f))
    assert code == 1 and "raw leaves cannot carry" in err
    code, _, err = run(capsys, "add", "-n", "--mtime-nsecs=5", str(f))
    assert code == 1 and "--mtime-nsecs needs --mtime" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--chunker=size-0"], "chunk size must be greater than 0"),
        (["--chunker=size-99999999"], "exceeds the limit"),
        (["--chunker=rabin-1-2-3"], "min must be >= 16"),
        (["--chunker=wat"], "unknown chunker"),
        (["--cid-version=0", "--hash=sha2-512"], "CIDv0 only supports sha2-256"),
        (["--hash=md5"], "unknown hash function"),
        (["--profile=unixfs-v9"], "unknown profile"),
        (["--inline", "--inline-limit=500"], "exceeds the maximum"),
        (["--max-hamt-fanout=7"], "power of 2"),
        (["--cid-base=base99"], "unknown multibase"),
    ],
)
def test_bad_flags_give_one_line_errors(args, message, tmp_path, capsys):
    f = tmp_path / "f"
    f.write_bytes(b"x")
    code, out, err = run(capsys, "add", "-n", *args, str(f))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err and err.startswith("pinfold: error:")




def test_bad_inputs(tmp_path, capsys):
    code, _, err = run(capsys, "add", "-n", str(tmp_path / "missing"))
    assert code == 1 and "no such file or directory" in err and err.count("\n") == 1
    code, _, err = run(capsys, "add", "-n", str(tmp_path))
    assert code == 1 and "is a directory, use -r" in err
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "add", "-n", str(fifo))
    assert code == 1 and "FIFO" in err
    code, _, err = run(capsys, "add", "-n", "/dev/zero")
    assert code == 1 and "device" in err
    loop = tmp_path / "loop"
    os.symlink("loop", loop)
    code, _, err = run(capsys, "add", "-n", "--dereference-symlinks", str(loop))
    assert code == 1 and "symlink loop" in err


def test_add_without_repo_says_so(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_bytes(b"x")
    code, _, err = run(capsys, "add", "--repo", str(tmp_path / "norepo"), str(f))
    assert code == 1 and "no pinfold repo" in err and "pinfold init" in err


def test_progress_bar_on_request(tmp_path, capsys):
    f = tmp_path / "big"
    f.write_bytes(os.urandom(3 << 20))
    code, out, err = run(capsys, "add", "-n", "--progress", "--chunker=size-65536", str(f))
    assert code == 0 and out.startswith("added ")
    assert "MiB" in err and "\r" in err


def test_add_private(cli_repo, capsysbinary, tmp_path):
    """``add --private`` pins what it adds on the private network."""
    from pinfold.repo import Repo

    (tmp_path / "f").write_bytes(b"private file\n")
    code, out, _ = cli(capsysbinary, "add", "-Q", str(tmp_path / "f"), "--private",
                       "--repo", str(cli_repo))
    assert code == 0
    cid = out.decode().split()[-1]
    with Repo(cli_repo) as repo:
        assert [p.network for p in repo.pins.list()] == ["private"]
        assert repo.reach(cid) == "private"
