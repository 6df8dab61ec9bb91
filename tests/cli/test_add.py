"""pinfold.cli.add: ``pinfold add`` over the vectors, its output forms, flags and errors."""

from __future__ import annotations

import os
import sys

import pytest
from gen import case_source, load_vectors, make_content

import pinfold
from pinfold.cli.main import main

from .helpers import cli, either_side, run_usage

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


# the same options as Kubo's docs write them: bare booleans, values after a space
_BARE = {
    "profile": lambda v: ["--profile", v],
    "cidVersion": lambda v: ["--cid-version", str(v)],
    "rawLeaves": lambda v: ["--raw-leaves"] if v else ["--raw-leaves=false"],
    "chunkSize": lambda v: ["-s", f"size-{v}"],
    "maxChildrenPerNode": lambda v: ["--max-file-links", str(v)],
    "layout": lambda v: ["-t"] if v == "trickle" else [],
    "leafType": lambda v: [],
    "wrapWithDirectory": lambda v: ["-w"] if v else [],
}


def _placements(flags: list[str], arg: str) -> dict[str, list[str]]:
    """Flags before the path, after it, and split around it (an option kept with its value)."""
    groups: list[list[str]] = []
    for word in flags:
        if groups and not word.startswith("-") and "=" not in groups[-1][-1]:
            groups[-1].append(word)
        else:
            groups.append([word])
    half = [w for g in groups[:len(groups) // 2] for w in g]
    rest = [w for g in groups[len(groups) // 2:] for w in g]
    return {"before": [*flags, arg], "after": [arg, *flags], "around": [*half, arg, *rest]}


@pytest.mark.parametrize("case", CLI_CASES, ids=[c["id"] for c in CLI_CASES])
def test_unixfs_vectors_through_cli(case, tmp_path, capsys):
    """Every vector the flags can express gives its CID with the flags before the path, after
    it or around it, written ``--flag=value`` or Kubo's bare ``--flag`` / ``--flag value``."""
    arg = _write_case(case, tmp_path)
    opts = case["options"].items()
    for table in (_FLAG, _BARE):
        flags = ["-n", "-Q", "-r", *(f for k, v in opts for f in table[k](v))]
        for where, argv in _placements(flags, arg).items():
            code, out, err = run(capsys, "add", *argv)
            assert (code, err, out) == (0, "", case["cid"] + "\n"), (where, argv)


def test_most_unixfs_vectors_are_covered_by_the_cli():
    assert len(CLI_CASES) >= 28


@pytest.mark.parametrize("case", CHUNKERS, ids=[c["id"] for c in CHUNKERS])
def test_chunker_vectors_through_cli(case, tmp_path, capsys):
    path = tmp_path / "input.bin"
    path.write_bytes(make_content(case["file"]))
    v0 = _placements(["-nQ", f"--chunker={case['chunker']}"], str(path))
    v1 = _placements(["-n", "-s", case["chunker"], "-Q", "--cid-version", "1"], str(path))
    # the content-defined chunkers are slow in pure Python: three runs, not six
    for argv, cid in ((v0["before"], case["cid_v0"]), (v0["after"], case["cid_v0"]),
                      (v1["around"], case["cid_v1"])):
        code, out, _ = run(capsys, "add", *argv)
        assert (code, out) == (0, cid + "\n"), argv


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


# -- boolean flags before and after the path (issue 13): Kubo never takes the next word as a
# boolean's value, so both orders mean the same

def _photos(root):
    d = root / "photos"
    (d / "empty").mkdir(parents=True)
    (d / "a.jpg").write_bytes(b"not really a jpeg\n")
    (d / ".hidden").write_bytes(b"dot file\n")
    return str(d)


def test_raw_leaves_before_and_after_the_path(tmp_path, capsys):
    big = tmp_path / "big.bin"
    big.write_bytes(make_content({"gen": "sha256ctr", "seed": "big", "size": 600_000}))
    raw = str(pinfold.cid_of(str(big), raw_leaves=True))
    plain = str(pinfold.cid_of(str(big)))
    assert raw != plain
    # the issue's own line: -n -Q --raw-leaves big.bin
    assert either_side(capsys, ["add"], ["-n", "-Q", "--raw-leaves"], [str(big)]) == \
        (0, raw + "\n", "")
    for flags, cid in ((["-nQ", "--raw-leaves=true"], raw), (["-n", "-Q", "--raw-leaves=false"],
                       plain), (["-n", "-Q", "--raw-leaves=0"], plain), (["-n", "-Q",
                                "--raw-leaves="], raw),
                       (["-Q", "-n=true", "--cid-version", "1", "--raw-leaves=f"], None)):
        code, out, err = either_side(capsys, ["add"], flags, [str(big)])
        assert (code, err) == (0, "")
        if cid is None:  # CIDv1 with dag-pb leaves
            cid = str(pinfold.cid_of(str(big), cid_version=1, raw_leaves=False))
        assert out == cid + "\n", flags


def test_pin_before_and_after_the_path(tmp_path, capsys, cli_repo):
    photos = _photos(tmp_path)
    root = str(pinfold.cid_of(photos, recursive=True))
    # the other line: add --pin photos/ (with -r, as Kubo needs for a directory)
    code, out, err = either_side(capsys, ["add", "--repo", str(cli_repo)], ["--pin", "-r", "-Q"],
                                 [photos + "/"])
    assert (code, out, err) == (0, root + "\n", "")
    code, out, _ = run(capsys, "pin", "ls", "--repo", str(cli_repo), "-t", "recursive", "-q")
    assert out.split() == [root]
    other = tmp_path / "other.txt"
    other.write_bytes(b"added, not pinned\n")
    cid = str(pinfold.cid_of(str(other)))
    assert either_side(capsys, ["add", "--repo", str(cli_repo)], ["--pin=false", "-q"],
                       [str(other)]) == (0, cid + "\n", "")
    code, out, _ = run(capsys, "pin", "ls", "--repo", str(cli_repo), "-t", "recursive", "-q")
    assert out.split() == [root]
    code, out, _ = run(capsys, "block", "stat", "--repo", str(cli_repo), cid)
    assert code == 0  # stored all the same


def test_recursive_hidden_and_empty_dirs_before_and_after_the_path(tmp_path, capsys):
    photos = _photos(tmp_path)
    for flags, kw in ((["-r"], {}), (["--recursive"], {}), (["-r", "-H"], {"hidden": True}),
                      (["-rH", "--empty-dirs"], {"hidden": True}),
                      (["-r", "--empty-dirs=false"], {"empty_dirs": False}),
                      (["-r", "-E=false", "--hidden=true"], {"hidden": True, "empty_dirs": False})):
        cid = str(pinfold.cid_of(photos, recursive=True, **kw))
        code, out, err = either_side(capsys, ["add"], ["-n", "-Q", *flags], [photos])
        assert (code, out, err) == (0, cid + "\n", ""), flags
    code, _, err = either_side(capsys, ["add"], ["-n", "--recursive=false"], [photos])
    assert code == 1 and "is a directory" in err and err.count("\n") == 1


def test_progress_before_and_after_the_path(tmp_path, capsys):
    f = tmp_path / "f.bin"
    f.write_bytes(make_content({"gen": "zeros", "size": 300_000}))
    for flags in (["--progress"], ["-p"], ["--progress=true"]):
        for argv in (["add", "-n", *flags, str(f)], ["add", "-n", str(f), *flags]):
            code, out, err = run(capsys, *argv)
            assert code == 0 and "% " in err and out.startswith("added "), argv
    code, out, err = either_side(capsys, ["add"], ["-n", "--progress=false"], [str(f)])
    assert (code, err) == (0, "") and out.startswith("added ")


def test_other_add_switches_before_and_after_the_path(tmp_path, capsys):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"a\n")
    b.write_bytes(b"b\n")
    for flags in (["-n", "-w"], ["-n", "-t", "-q"], ["-n", "--inline"], ["-n", "--trickle=false"],
                  ["-n", "--preserve-mode", "--preserve-mtime=false"], ["-nQw", "--inline=1"]):
        code, out, err = either_side(capsys, ["add"], flags, [str(a), str(b)])
        assert (code, err) == (0, ""), flags
        # and between the two paths
        assert run(capsys, "add", str(a), *flags, str(b)) == (code, out, err)


def test_silent_and_kubo_options_pinfold_lacks(tmp_path, capsys):
    f = tmp_path / "f.txt"
    f.write_bytes(b"hello world\n")
    assert either_side(capsys, ["add"], ["-n", "--silent"], [str(f)]) == (0, "", "")
    assert either_side(capsys, ["add"], ["-nQ", "--silent"], [str(f)]) == (0, "", "")
    for flags, word in ((["--nocopy"], "filestore"), (["--fscache=true"], "filestore"),
                        (["--to-files", "/mfs/x"], "MFS"), (["--ignore", "*.tmp"], "ignore"),
                        (["--dereference-args"], "--dereference-symlinks")):
        code, out, err = run_usage(capsys, "add", "-n", *flags, str(f))
        assert code == 2 and out == "" and err.count("\n") == 1, flags
        assert "not supported by pinfold" in err and word in err, (flags, err)
    # asking for what pinfold does anyway is fine
    code, out, _ = run(capsys, "add", "-n", "-Q", "--nocopy=false", "--fscache=0", str(f))
    assert (code, out) == (0, "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n")


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


def test_init_profile_is_what_add_and_add_n_use(tmp_path, capsys):
    """`pinfold init --profile unixfs-v1-2025` (Kubo's `ipfs init --profile`): `add` into the
    repo, and `add -n` naming it, give the profile's CID unless a flag says otherwise."""
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(3 * 1024 * 1024))
    repo = str(tmp_path / "repo")
    v1 = str(pinfold.cid_of(f.read_bytes(), profile="unixfs-v1-2025"))
    v0 = str(pinfold.cid_of(f.read_bytes()))
    assert run(capsys, "init", "--repo", repo, "--profile", "unixfs-v1-2025")[0] == 0
    assert run(capsys, "add", "-Q", "--repo", repo, str(f)) == (0, v1 + "\n", "")
    assert run(capsys, "add", "-nQ", "--repo", repo, str(f)) == (0, v1 + "\n", "")
    assert run(capsys, "add", "-Q", "--repo", repo, "--profile", "unixfs-v0-2015",
               str(f)) == (0, v0 + "\n", "")
    code, out, _ = run(capsys, "add", "-Q", "--repo", repo, "--cid-version", "0", str(f))
    assert out.strip() == str(pinfold.cid_of(f.read_bytes(), profile="unixfs-v1-2025",
                                             cid_version=0))
    code, out, err = run(capsys, "init", "--repo", str(tmp_path / "r2"), "--profile", "v9")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == ["pinfold: error: unknown import profile 'v9' (known:"
                                        " legacy-cid-v0, unixfs-v0-2015, unixfs-v1-2025)"]
    assert not (tmp_path / "r2" / "config.json").exists()
