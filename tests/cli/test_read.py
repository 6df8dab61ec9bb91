"""pinfold.cli.read: ``pinfold cat|ls|stat|get`` in Kubo's forms (issue 13): ``ls`` as Kubo's
aligned table, ``get`` writing to the path's last segment by default, Kubo's options that
pinfold lacks refused by name."""

from __future__ import annotations

import pinfold

from .helpers import either_side
from .names_helpers import run


def _site(tmp_path, capsys):
    repo = str(tmp_path / "repo")
    assert run(capsys, "init", "--repo", repo, "--no-fsync")[0] == 0
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "index.html").write_bytes(b"<h1>hello</h1>\n")
    (site / "a long name.txt").write_bytes(b"x" * 1234)
    (site / "sub" / "b.txt").write_bytes(b"b")
    code, out, _ = run(capsys, "add", "--repo", repo, "-r", "-Q", str(site))
    assert code == 0
    return repo, out.strip()


def test_ls_is_kubos_table(tmp_path, capsys):
    repo, root = _site(tmp_path, capsys)
    sub = pinfold.cid_of(str(tmp_path / "site" / "sub"), recursive=True)
    a = pinfold.cid_of(b"x" * 1234)
    index = pinfold.cid_of(b"<h1>hello</h1>\n")
    w = len(str(a)) + 1  # Go's tabwriter: each column as wide as its widest cell, plus one
    code, out, err = run(capsys, "ls", root, "--repo", repo)
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{str(a):<{w}}1234 a long name.txt",
                                f"{str(index):<{w}}15   index.html",
                                f"{str(sub):<{w}}-    sub/"]
    code, out, _ = either_side(capsys, ["ls", "--repo", repo], ["-v"], [root])
    assert out.splitlines()[0] == f"{'Hash':<{w}}Size Name"
    code, out, _ = either_side(capsys, ["ls", "--repo", repo], ["--size=false", "-s"], [root])
    assert out.splitlines() == [f"{str(a):<{w}}a long name.txt", f"{str(index):<{w}}index.html",
                                f"{str(sub):<{w}}sub/"]
    code, _, err = run(capsys, "ls", root, "-l", "--repo", repo)
    assert code == 1 and "--long is not supported" in err and err.count("\n") == 1


def test_get_writes_to_the_last_segment_by_default(tmp_path, capsys, monkeypatch):
    repo, root = _site(tmp_path, capsys)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, _ = run(capsys, "get", f"/ipfs/{root}/sub", "--repo", repo)
    assert code == 0 and (work / "sub" / "b.txt").read_bytes() == b"b"
    code, out, _ = run(capsys, "get", root, "-p", "--repo", repo)
    assert code == 0 and (work / root / "index.html").read_bytes() == b"<h1>hello</h1>\n"
    for flags in (["-a"], ["--compress"], ["-l", "6"]):
        code, _, err = run(capsys, "get", root, *flags, "--repo", repo)
        assert code != 0 and "not supported" in err and err.count("\n") == 1, flags


def test_cat_accepts_kubos_progress_flag(tmp_path, capsys):
    repo, root = _site(tmp_path, capsys)
    code, out, err = either_side(capsys, ["cat", "--repo", repo], ["-p", "-o", "4"],
                                 [f"{root}/index.html"])
    assert (code, out, err) == (0, "hello</h1>\n", "")
    assert run(capsys, "cat", f"{root}/index.html", "--progress=false", "-l", "3",
               "--repo", repo)[1] == "<h1"
