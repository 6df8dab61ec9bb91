"""pinfold.cli.pins: ``pinfold pin add|ls|meta|export|import`` with metadata, filters and
outputs (and ``pinfold add`` with metadata, groups and a pin name)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import pinfold
from pinfold.repo import Repo
from tests.pins.helpers import (
    OPTS,
    OTHERS,
    QDATA,
    TYPED,
    UTC,
    T,
    assert_one_line_error,
    build_export,
    build_meta,
    cli_names,
    json_lines,
    pin_view,
    qblocks,
    run,
)
from tests.repo.helpers import BACKENDS, blob, raw_cid

from .helpers import cli, lines


def test_cli_pin_add_types_metadata(cli_repo, capsys):
    with Repo(cli_repo) as repo:
        cid = repo.block_put(b"typed on the command line")
    code, out, err = run(capsys, "pin", "add", "--repo", cli_repo, cid, "--name", "typed",
                         "--meta", "n=5", "--meta", "f=2.5", "--meta", "b=true",
                         "--meta", "t=2024-05-01T00:00:00Z", "--meta", "o=2024-05-01T02:00+02:00",
                         "--meta", "w=hello world", "--meta-str", "s=5",
                         "--meta-str", "sb=true", "--group", "g1", "--group", "g2")
    assert (code, err) == (0, "")
    assert out == f"pinned {cid} recursive typed\n"
    with Repo(cli_repo) as repo:
        (pin,) = repo.pins.list()
    when = dt.datetime(2024, 5, 1, tzinfo=UTC)
    assert pin.meta == {"n": 5, "f": 2.5, "b": True, "t": when, "o": when, "w": "hello world",
                        "s": "5", "sb": "true"}
    assert type(pin.meta["n"]) is int and type(pin.meta["b"]) is bool
    assert pin.groups == ("g1", "g2")

    def ls(*args):
        code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, *args)
        assert (code, err) == (0, ""), err
        return cli_names(out)

    assert ls("--meta", "n>4") == ["typed"]
    assert ls("--meta", "n>5") == []
    assert ls("--meta", "n>=5", "--meta", "n<=5", "--meta", "n<6") == ["typed"]
    assert ls("--meta", "n!=5") == []
    assert ls("--meta", "n=5.0") == ["typed"]
    assert ls("--meta", "f<3") == ["typed"]
    assert ls("--meta", "b=true") == ["typed"]
    assert ls("--meta", "b=false") == []
    assert ls("--meta", "t=2024-05-01T03:00:00+03:00") == ["typed"]
    assert ls("--meta", "t>2024-04-30") == ["typed"]
    assert ls("--meta", "t<2024-05-01") == []
    assert ls("--meta", "s=5") == []  # 5 is a number; s holds the string "5"
    assert ls("--meta", "s~5") == ["typed"]
    assert ls("--meta-json", '{"s": "5"}') == ["typed"]
    assert ls("--meta", "w~hello %") == ["typed"]
    assert ls("--meta", "w~Hello %") == []
    assert ls("--meta", "w=hello world") == ["typed"]
    assert ls("--meta-json", '{"n": {"value": 4, "op": "gt"}}', "--meta", "b=true") == ["typed"]
    assert ls("--meta-json", '{"n": {"value": 4, "op": "gt"}}', "--meta", "b=false") == []
    assert ls("--meta-json", '{"t": {"value": "2024-04-30", "secondValue": "2024-05-02",'
              ' "op": "between"}}') == ["typed"]
    assert ls("--group", "g2") == ["typed"]


@pytest.fixture(scope="module", params=BACKENDS)
def cli_meta_repo(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(f"cli-meta-{request.param}") / "repo"
    with Repo.init(path, backend=request.param, fsync=False) as repo:
        build_meta(repo)
    return path


CLI_FILTERS = [
    (["--meta", "n>9"], {"ten", "hundred"}),
    (["--meta", "n>=10"], {"ten", "hundred"}),
    (["--meta", "n<10"], {"nine", "neg"}),
    (["--meta", "n<=9"], {"nine", "neg"}),
    (["--meta", "n=10"], {"ten"}),
    (["--meta", "n!=10", "--group", "typed"], {"nine", "hundred", "neg"}),
    (["--meta", "n=-2.5"], {"neg"}),
    (["--meta", "s~a%"], {"nine", "neg"}),
    (["--meta", "s~_pple"], {"nine"}),
    (["--meta", "t>2024-05-01T00:00:00Z"], {"ten", "neg"}),
    (["--meta", "t<2024-01-01T01:00:00Z"], {"hundred"}),
    (["--meta", "t=2024-05-01T02:00:00+02:00"], {"nine"}),
    (["--meta", "b=true"], {"nine", "hundred"}),
    (["--meta", "n>9", "--meta", "b=true"], {"hundred"}),
    (["--meta-json", '{"s": {"value": "^a", "op": "iRegexp"}}'], {"nine", "ten", "neg"}),
    (["--meta-json", '{"n": {"value": [9, 10], "op": "notBetween"}}', "--group", "typed"],
     {"hundred", "neg"}),
    (["--meta-json", '{"n": 10}'], {"ten"}),
    (["--meta-json", '{"n": "10"}'], {"text10"}),
    (["--name", "te", "--match", "partial"], {"text10", "ten"}),
    (["--name", "TEX", "--match", "ipartial"], {"text10"}),
    (["--name", "TEX", "--match", "partial"], set()),
    (["--name", "NINE", "--match", "iexact"], {"nine"}),
    (["--name", "NINE"], set()),
    (["--name", "nine"], {"nine"}),
]


def test_cli_pin_ls_filters(cli_meta_repo, capsys):
    for args, expected in CLI_FILTERS:
        code, out, err = run(capsys, "pin", "ls", "--repo", cli_meta_repo, *args)
        assert (code, err) == (0, ""), (args, err)
        assert set(cli_names(out)) == expected, args
        assert len(cli_names(out)) == len(expected)


def test_cli_pin_ls_outputs(cli_repo, capsys):
    with Repo(cli_repo) as repo:
        res = repo.add(QDATA, name="the file", meta={"t": T("2024-05-01"), "n": 1},
                       groups=["g"], **OPTS)
        d = repo.block_put(b"direct")
        repo.pin(d, name="dir", recursive=False)
        u = repo.block_put(b"unnamed")
        repo.pin(u)
    root = res.root
    # Kubo's listing: recursive, direct and indirect pins
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert f"{root} recursive the file" in lines
    assert f"{d} direct dir" in lines
    assert f"{u} recursive" in lines
    assert sum(line.endswith(" indirect") for line in lines) == len(qblocks()) - 1
    # a query: <cid> <type> <name>, newest first
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--status", "pinned")
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{u} recursive", f"{d} direct dir", f"{root} recursive the file"]
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--status", "pinned", "-q")
    assert out.splitlines() == [str(u), str(d), str(root)]
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "-q", str(root))
    assert out == f"{root}\n"
    # --json: one object per pin and a final cursor line
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--json", str(root))
    assert (code, err) == (0, "")
    (row,), last = json_lines(out)
    assert {"id", "cid", "name", "meta", "groups", "status", "created", "size"} <= set(row)
    assert row["cid"] == str(root) and row["name"] == "the file" and row["status"] == "pinned"
    assert row["meta"] == {"t": {"$time": "2024-05-01T00:00:00Z"}, "n": 1}
    assert row["groups"] == ["g"] and row["size"] == res.roots[0].size
    assert row["type"] == "recursive"
    assert last["cursor"] is None
    # paging: the next-page cursor goes to stderr in text, in the last line in JSON
    seen = []
    cursor_args: list[str] = []
    while True:
        code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--limit", "2",
                             *cursor_args)
        assert code == 0
        seen.extend(cli_names(out))
        if not err:
            break
        assert err.startswith("next page: --cursor ") and err.count("\n") == 1
        cursor_args = ["--cursor", err.split()[3]]
    assert seen == ["", "dir", "the file"]
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--limit", "2", "--json")
    rows, last = json_lines(out)
    assert [r["name"] for r in rows] == ["", "dir"] and err == ""
    assert isinstance(last["cursor"], int)
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--json", "--cursor",
                         last["cursor"])
    rows, last = json_lines(out)
    assert [r["name"] for r in rows] == ["the file"] and last["cursor"] is None
    # before / after as ISO text
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--after",
                         "2000-01-01T00:00:00Z", "--before", "2200-01-01", "-q")
    assert out.splitlines() == [str(u), str(d), str(root)]
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--before", "2000-01-01")
    assert (code, out, err) == (0, "", "")
    # size range
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--min-size", "100", "-q")
    assert out.splitlines() == [str(root)]
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--max-size", "6", "-q")
    assert out.splitlines() == [str(d)]


def test_cli_plain_pin_ls_lists_only_what_is_pinned(cli_repo, capsys):
    """Kubo's ``pin ls`` form (no filter) lists what is pinned. Found: commands.py cmd_pin_ls
    lists every pin record through ``pins.list(type=t)``, so a queued pin whose blocks are
    absent is printed as ``<cid> recursive q``, while ``pin ls <cid>`` says it is not pinned."""
    missing = raw_cid(b"not yet")
    code, out, err = run(capsys, "pin", "add", "--repo", cli_repo, "--queue", missing,
                         "--name", "q")
    assert code == 0 and "(queued)" in out
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, missing)
    assert_one_line_error(code, out, err, "is not pinned")
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--status", "queued")
    assert out == f"{missing} recursive q\n"
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo)
    assert (code, err) == (0, "")
    assert str(missing) not in out


def test_cli_queued_pin_completes_when_content_is_added(cli_repo, tmp_path, capsys):
    data = blob("cli queued", 3000)
    src = tmp_path / "file.bin"
    src.write_bytes(data)
    cid = pinfold.cid_of(data)
    code, out, err = run(capsys, "pin", "add", "--repo", cli_repo, "--queue", cid,
                         "--name", "later", "--meta", "n=1")
    assert (code, err) == (0, "")
    assert out == f"pinned {cid} recursive later (queued)\n"
    code, out, err = run(capsys, "add", "--repo", cli_repo, "--pin=false", "-Q", src)
    assert (code, out.strip()) == (0, str(cid))
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--json", "--status", "pinned")
    (row,), _ = json_lines(out)
    assert (row["name"], row["status"], row["meta"]) == ("later", "pinned", {"n": 1})
    code, out, err = run(capsys, "repo", "gc", "--repo", cli_repo, "-q")
    assert out == "freed 0 blocks, 0 bytes\n"


def test_cli_add_with_metadata_groups_and_pin_name(cli_repo, tmp_path, capsys):
    src = tmp_path / "doc.txt"
    src.write_bytes(b"a document\n")
    code, out, err = run(capsys, "add", "--repo", cli_repo, "--pin-name", "doc",
                         "--meta", "pages=3", "--meta-str", "rev=3", "--group", "docs", "-Q",
                         src)
    assert (code, err) == (0, "")
    root = out.strip()
    code, out, err = run(capsys, "add", "--repo", cli_repo, "--name", "again", "-Q", src)
    assert (code, out.strip()) == (0, root)
    with Repo(cli_repo) as repo:
        pins = {p.name: p for p in repo.pins.list()}
    assert set(pins) == {"doc", "again"}
    assert pins["doc"].meta == {"pages": 3, "rev": "3"} and pins["doc"].groups == ("docs",)
    assert str(pins["doc"].cid) == root
    # bad metadata fails before anything is stored
    other = tmp_path / "other.txt"
    other.write_bytes(b"another document\n")
    code, out, err = run(capsys, "add", "--repo", cli_repo, "--meta", "novalue", other)
    assert_one_line_error(code, out, err, "KEY=VALUE")
    code, out, err = run(capsys, "add", "--repo", cli_repo, "--meta", "n=1e999", other)
    assert_one_line_error(code, out, err, "finite")
    with Repo(cli_repo) as repo:
        assert not repo.has(pinfold.cid_of(b"another document\n"))
        assert len(repo.pins.list()) == 2


def test_cli_pin_meta(cli_repo, capsys):
    with Repo(cli_repo) as repo:
        cid = repo.block_put(b"meta cli")
        pin = repo.pin(cid, name="m", meta={"a": 1, "b": "x"})
        other = repo.block_put(b"two pins")
        repo.pin(other, name="one")
        repo.pin(other, name="two")

    def meta(*args):
        code, out, err = run(capsys, "pin", "meta", "--repo", cli_repo, *args)
        assert (code, err) == (0, ""), err
        return json.loads(out)

    assert meta(pin.id, "--set", "n=5", "--set-str", "s=5", "--unset", "b",
                "--set", "t=2024-05-01") == {
        "a": 1, "n": 5, "s": "5", "t": {"$time": "2024-05-01T00:00:00Z"}}
    assert meta(str(cid), "--set", "a=2") == {
        "a": 2, "n": 5, "s": "5", "t": {"$time": "2024-05-01T00:00:00Z"}}
    assert meta(pin.id, "--replace", "--set", "x=true") == {"x": True}
    assert meta(pin.id, "--name", "renamed") == {"x": True}
    assert meta(pin.id, "--replace") == {}
    with Repo(cli_repo) as repo:
        assert repo.pins.get(pin.id).name == "renamed"
    code, out, err = run(capsys, "pin", "meta", "--repo", cli_repo, pin.id, "--replace",
                         "--unset", "x")
    assert_one_line_error(code, out, err, "--replace")
    code, out, err = run(capsys, "pin", "meta", "--repo", cli_repo, str(other), "--set", "a=1")
    assert_one_line_error(code, out, err, "2 pins")
    code, out, err = run(capsys, "pin", "meta", "--repo", cli_repo, pin.id, "--set",
                         "ok=1", "--set", "=1")
    assert_one_line_error(code, out, err, "non-empty")
    code, out, err = run(capsys, "pin", "meta", "--repo", cli_repo, pin.id, "--set",
                         "ok=1", "--set", "k" * 256 + "=1")
    assert_one_line_error(code, out, err, "255 bytes")
    with Repo(cli_repo) as repo:
        assert repo.pins.get(pin.id).meta == {}


def test_cli_export_import(cli_repo, tmp_path, capsys):
    with Repo(cli_repo) as repo:
        build_export(repo)
        before = [pin_view(p) for p in repo.pins.list()]
    dump = tmp_path / "pins.jsonl"
    code, out, err = run(capsys, "pin", "export", "--repo", cli_repo, "-o", dump)
    assert (code, out, err) == (0, "", "exported 4 pins\n")
    code, out, err = run(capsys, "pin", "export", "--repo", cli_repo)
    assert out == dump.read_text(encoding="utf-8")
    fresh = tmp_path / "fresh"
    Repo.init(fresh, backend="lmdb", fsync=False).close()
    code, out, err = run(capsys, "pin", "import", "--repo", fresh, dump)
    assert (code, out, err) == (0, "imported 4 pins (4 queued, waiting for their blocks)\n", "")
    with Repo(fresh) as repo:
        assert [pin_view(p) for p in repo.pins.list()] == before
    bad = tmp_path / "bad.jsonl"
    bad.write_text(dump.read_text(encoding="utf-8") + "{oops\n", encoding="utf-8")
    other = tmp_path / "other"
    Repo.init(other, backend="fs", fsync=False).close()
    code, out, err = run(capsys, "pin", "import", "--repo", other, bad)
    assert_one_line_error(code, out, err, "line 5")
    with Repo(other) as repo:
        assert repo.pins.list() == []


CLI_ERRORS = [
    (["pin", "ls", "--meta", "novalue"], "bad metadata filter"),
    (["pin", "ls", "--meta", "t>2024-13-45"], "malformed date"),
    (["pin", "ls", "--meta-json", "{bad"], "not JSON"),
    (["pin", "ls", "--meta-json", '{"n": {"value": 1, "op": "nope"}}'], "unknown metadata"),
    (["pin", "ls", "--meta-json", '{"s": {"value": "(", "op": "regexp"}}'], "regular expr"),
    (["pin", "ls", "--before", "yesterday"], "malformed date"),
    (["pin", "ls", "--after", "2024-02-30"], "malformed date"),
    (["pin", "ls", "--cursor", "abc"], "bad cursor"),
    (["pin", "ls", "--group", "nope"], "no group"),
    (["pin", "ls", "-t", "indirect", "--json"], "indirect"),
    (["pin", "add", "bafkqaaa", "--meta", "k" * 256 + "=1"], "255 bytes"),
    (["pin", "add", "bafkqaaa", "--name", "n" * 256], "255 bytes"),
    (["pin", "add", "bafkqaaa", "--meta", "t=2024-13-01"], "malformed date"),
    (["pin", "meta", "nope", "--set", "a=1"], "no pin"),
    (["group", "rm", "nope"], "no group"),
    (["group", "add", "nope", "x"], "no "),
    (["pin", "import", "/nonexistent/file.jsonl"], "No such file"),
]


@pytest.mark.parametrize(("args", "words"), CLI_ERRORS, ids=[" ".join(a)[:40] for a, _ in
                                                              CLI_ERRORS])
def test_cli_errors_are_one_line(cli_meta_repo, capsys, args, words):
    code, out, err = run(capsys, *args[:2], "--repo", cli_meta_repo, *args[2:])
    assert_one_line_error(code, out, err, words)
    with Repo(cli_meta_repo) as repo:
        assert len(repo.pins.list()) == len(TYPED) + len(OTHERS)




def test_cli_huge_integer_metadata_is_a_one_line_error_or_stored(cli_repo, capsys):
    """Found: ``--meta n=99999999999999999999`` raises OverflowError out of ``main`` (a
    traceback, not ``pinfold: error: ...``)."""
    code, out, err = run(capsys, "pin", "add", "--repo", cli_repo, "--queue",
                         raw_cid(b"huge"), "--meta", "n=99999999999999999999")
    if code != 0:
        assert_one_line_error(code, out, err)
    code, out, err = run(capsys, "pin", "ls", "--repo", cli_repo, "--meta",
                         "n>99999999999999999999")
    if code != 0:
        assert_one_line_error(code, out, err)


def test_pin_add_private_and_ls_network(cli_repo, capsysbinary):
    """``pin add --private`` pins on the private network; ``pin ls --network`` filters."""
    r = str(cli_repo)
    with Repo(cli_repo) as repo:
        cid = str(repo.block_put(b"secret block"))
        pub = str(repo.block_put(b"public block"))
    code, out, _ = cli(capsysbinary, "pin", "add", cid, "--private", "--repo", r)
    assert code == 0 and lines(out) == [f"pinned {cid} recursive private"]
    assert cli(capsysbinary, "pin", "add", pub, "--repo", r)[0] == 0
    code, out, _ = cli(capsysbinary, "pin", "ls", "--network", "private", "-q", "--repo", r)
    assert lines(out) == [cid]
    code, out, _ = cli(capsysbinary, "pin", "ls", "--network", "public", "-q", "--repo", r)
    assert lines(out) == [pub]
    with pytest.raises(SystemExit) as e:  # a usage error: argparse's exit 2
        cli(capsysbinary, "pin", "ls", "--network", "secret", "--repo", r)
    assert e.value.code == 2
