"""The ``pinfold`` command on hostile input: DAGs whose entry names try to escape the
destination of ``get``, mutated CARs through ``dag import``, ``car inspect`` and
``car verify``, metadata filters and numeric values through every command that takes one.

Each run must keep the CLI's contract (see ``harness.run_cli``: exit 0/1/2, no traceback,
one-line errors), write nothing outside the destination, and leave a repo that verifies
clean.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile

from hypothesis import assume, example, given
from hypothesis import strategies as st

from pinfold import CID, Repo
from pinfold.codecs import dagpb, unixfs
from pinfold.codecs.dagpb import PBLink, PBNode
from pinfold.codecs.unixfs import NodeType, UnixFSData

from .harness import hostile_text, mostly, mutated, number_text, run_cli, target
from .seeds import content


@functools.cache
def workspace() -> str:
    """A directory for the whole module: ``repo`` (an fs repo holding the seed content),
    ``out`` (where ``get`` writes), ``victim`` (a file nothing may touch) and CAR files.
    Removed at exit."""
    root = tempfile.mkdtemp(prefix="pinfold-fuzz-cli-")
    import atexit

    atexit.register(shutil.rmtree, root, True)
    repo = Repo.init(os.path.join(root, "repo"), backend="fs", fsync=False)
    for cid, data in content().blocks:
        repo.block_put(data, codec=cid.codec)
    for cid in content().roots.values():
        if not cid.is_identity:
            repo.pin(cid)
    repo.close()
    os.mkdir(os.path.join(root, "out"))
    with open(os.path.join(root, "victim"), "wb") as f:
        f.write(b"untouched")
    return root


def _repo_path() -> str:
    return os.path.join(workspace(), "repo")


def _tree(root: str) -> dict[str, tuple]:
    """Every path under ``root`` with its kind, size and (for links) target."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st_ = os.lstat(full)
            out[full] = (st_.st_mode >> 12, st_.st_size,
                         os.readlink(full) if os.path.islink(full) else None)
    return out


# -- get: names that try to escape -------------------------------------------------------
SAFE = ["a", "b.txt", "é", "sub", "x y", "victim", ".hidden", "\udcff", "a" * 255]
ESCAPES = ["..", ".", "", "../victim", "../../victim", "/victim", "/tmp/x", "a/b", "a\\b",
           "\x00", "x\x00y", "\udcff", "é", "a" * 300, "CON", "victim", " ", "..."]
TARGETS = ["../victim", "../../victim", "/etc/passwd", "", "a" * 5000, ".", "..", "x\x00",
           "sub/../..", "victim"]


@st.composite
def hostile_dag(draw, depth: int = 0) -> tuple[list[tuple[CID, bytes]], CID]:
    """Blocks of a directory tree with hostile entry names and symlink targets."""
    blocks: list[tuple[CID, bytes]] = []
    links = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(mostly(st.sampled_from(SAFE), st.one_of(st.sampled_from(ESCAPES),
                                                            hostile_text(6)), one_in=4))
        name = name.encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape")
        if name in SAFE and any(lk.name == name for lk in links):
            name = f"{len(links)}{name}"[:255]  # two entries with one name: now and then
        kind = draw(st.sampled_from(["file", "dir", "symlink", "raw"] if depth < 2
                                    else ["file", "symlink", "raw"]))
        if kind == "dir":
            sub, cid = draw(hostile_dag(depth + 1))
            blocks += sub
        else:
            if kind == "raw":
                data = draw(st.binary(max_size=20))
                cid = CID.v1("raw", _sha256(data))
            else:
                fs = (UnixFSData(NodeType.FILE, data=draw(st.binary(max_size=20)))
                      if kind == "file" else UnixFSData(
                          NodeType.SYMLINK, data=draw(st.sampled_from(TARGETS)).encode(
                              "utf-8", "surrogateescape")))
                fs.mode = draw(st.sampled_from([None, 0o4755, 0o777, 0o000, 0o1777]))
                data = dagpb.encode(PBNode([], unixfs.encode(fs)))
                cid = CID.v1("dag-pb", _sha256(data))
            blocks.append((cid, data))
        links.append(PBLink(cid, name, 0))
    data = dagpb.encode(PBNode(links, unixfs.encode(UnixFSData(NodeType.DIRECTORY))))
    cid = CID.v1("dag-pb", _sha256(data))
    blocks.append((cid, data))
    return blocks, cid


def _sha256(data: bytes) -> bytes:
    import hashlib

    return b"\x12\x20" + hashlib.sha256(data).digest()


def _put(blocks) -> None:
    with Repo(_repo_path()) as repo:
        for cid, data in blocks:
            repo.block_put(data, codec=cid.codec)


@target(scale=0.5)
@given(hostile_dag(), mostly(st.just(""), st.sampled_from(["/..", "/a", "/../.."])),
       mostly(st.just("dest"), st.sampled_from(["dest/", "dest/../dest2", ""])))
def test_get_stays_inside(dag, suffix, dest):
    blocks, root = dag
    _put(blocks)
    ws = workspace()
    _empty(os.path.join(ws, "out"))
    before = {k: v for k, v in _tree(ws).items() if not k.startswith(os.path.join(ws, "repo"))}
    out = os.path.join(ws, "out", dest)
    run_cli(["get", "--repo", _repo_path(), f"{root}{suffix}", "-o", out])
    after = {k: v for k, v in _tree(ws).items() if not k.startswith(os.path.join(ws, "repo"))}
    written = os.path.realpath(os.path.join(ws, "out"))
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    outside = [k for k in changed if not os.path.realpath(os.path.dirname(k)).startswith(
        written)]
    assert not outside, f"written outside the destination: {outside}"
    with open(os.path.join(ws, "victim"), "rb") as f:
        assert f.read() == b"untouched"


def _empty(directory: str) -> None:
    for entry in os.listdir(directory):
        path = os.path.join(directory, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            for dirpath, dirnames, _ in os.walk(path):  # get may have written mode 000
                for d in dirnames:
                    if not os.path.islink(os.path.join(dirpath, d)):
                        os.chmod(os.path.join(dirpath, d), 0o700)
            os.chmod(path, 0o700)
            shutil.rmtree(path)
        else:
            os.unlink(path)


# -- CARs --------------------------------------------------------------------------------
_CARS = sorted(content().cars.values(), key=len)


@target(scale=0.5)
@given(mutated(st.sampled_from(_CARS), max_edits=5), st.booleans())
def test_car_commands(car, pin):
    path = os.path.join(workspace(), "input.car")
    with open(path, "wb") as f:
        f.write(car)
    run_cli(["car", "inspect", path])
    run_cli(["car", "inspect", "--json", "--no-verify", path])
    run_cli(["car", "verify", path, path])
    # a block imported unverified, or a pin of an incomplete DAG, would show in verify
    repo_dir = os.path.join(workspace(), "imports")
    if not os.path.exists(repo_dir):
        Repo.init(repo_dir, backend="fs", fsync=False).close()
    run_cli(["dag", "import", "--repo", repo_dir] + ([] if pin else ["--pin=false"]) + [path])
    with Repo(repo_dir) as repo:
        assert repo.verify() == []


# -- values: filters and numbers ---------------------------------------------------------
def _filter_text():
    return st.tuples(mostly(st.sampled_from(["a", "tag", "é"]), hostile_text(5)),
                     st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~"]),
                     st.one_of(number_text(), hostile_text())).map("".join)


def _number_argv():
    """A command that takes a number, given a hostile one."""
    file_cid = str(content().roots["file"])
    n = number_text()
    return st.one_of(
        st.tuples(st.sampled_from(["--min-size", "--max-size", "--limit", "--cursor"]),
                  n).map(lambda t: ["pin", "ls", t[0], t[1]]),
        st.tuples(st.sampled_from(["-o", "-l"]), n).map(lambda t: ["cat", file_cid, *t]),
        st.tuples(st.sampled_from(["--max-file-links", "--inline-limit", "--hamt-threshold",
                                   "--max-hamt-fanout", "--mtime", "--mtime-nsecs",
                                   "--mode", "--cid-version"]), n).map(
            lambda t: ["add", "-n", "-Q", f"{t[0]}={t[1]}", "-"]),
        n.map(lambda v: ["add", "-n", "-Q", f"--chunker=size-{v}", "-"]),
        n.map(lambda v: ["add", "-n", "-Q", f"--chunker=rabin-16-{v}-{v}", "-"]),
        st.tuples(n, n).map(lambda t: ["dag", "export", "-o", os.devnull, "--entity-bytes",
                                       f"{t[0]}:{t[1]}", file_cid]),
        st.tuples(st.sampled_from(["list", "bytes", "file"]), n).map(
            lambda t: ["dag", "get", f"{content().roots['cbor']}/{t[0]}/{t[1]}"]),
    )


@target(scale=0.5)
@given(st.one_of(
    st.lists(_filter_text(), min_size=1, max_size=2).map(
        lambda fs: ["pin", "ls"] + [a for f in fs for a in ("--meta", f)]),
    hostile_text().map(lambda j: ["pin", "ls", "--meta-json", j]),
    st.tuples(st.sampled_from(["--name", "--group", "--before", "--after"]),
              hostile_text()).map(lambda t: ["pin", "ls", *t]),
    _filter_text().map(lambda f: ["pin", "meta", str(content().roots["file"]), "--set", f]),
    _filter_text().map(lambda f: ["add", "-Q", "--meta", f, "-"]),
    _number_argv(),
    st.tuples(st.sampled_from([["cat"], ["ls"], ["stat"], ["block", "get"], ["dag", "get"],
                               ["block", "stat"], ["pin", "rm"]]),
              hostile_text()).map(lambda t: [*t[0], t[1]]),
))
@example(["pin", "ls", "--meta", "a=" + "9" * 5000])  # issue 14, hole 6
@example(["pin", "ls", "--meta", "a>" + "9" * 5000])
@example(["pin", "ls", "--cursor", "9" * 20])
@example(["pin", "ls", "--meta", "a=\udcff"])  # undecodable bytes in argv
@example(["pin", "ls", "--min-size", "9" * 20])
@example(["add", "-n", "-Q", "--mtime=" + "9" * 20, "-"])
def test_values(argv):
    words = 2 if argv[0] in ("pin", "block", "dag") else 1  # the command's own words
    if not (argv[0] == "add" and "-n" in argv):
        argv = [*argv[:words], "--repo", _repo_path(), *argv[words:]]
    run_cli(argv, stdin=b"some content\n")


def test_repo_intact():
    with Repo(_repo_path()) as repo:
        assert repo.verify() == []


# -- add: special files ------------------------------------------------------------------
SPECIALS = ["fifo", "socket", "loop", "dangling", "self", "file", "dir", "bytes-name", "device",
            "absolute", "deep"]


def _make(kind: str, where: str, i: int) -> None:
    import socket
    import stat

    name = os.path.join(where, f"{kind}{i}")
    if kind == "fifo":
        os.mkfifo(name)
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        try:
            s.bind(name)
        except OSError:  # a path too long for a socket address: a file instead
            open(name, "wb").close()
        finally:
            s.close()
    elif kind == "loop":
        os.symlink(f"{kind}{i}b", name)
        os.symlink(f"{kind}{i}", name + "b")
    elif kind == "dangling":
        os.symlink("nowhere/at/all", name)
    elif kind == "self":
        os.symlink(".", name)
    elif kind == "absolute":  # to a directory outside the tree added
        outside = os.path.join(os.path.dirname(where), "outside")
        os.makedirs(outside, exist_ok=True)
        with open(os.path.join(outside, "secret"), "wb") as f:
            f.write(b"outside")
        os.symlink(outside, name)
    elif kind == "file":
        with open(name, "wb") as f:
            f.write(b"x" * i)
    elif kind == "dir":
        os.mkdir(name)
    elif kind == "bytes-name":
        with open(os.path.join(os.fsencode(where), b"\xff\xfe" + str(i).encode()), "wb") as f:
            f.write(b"named in bytes")
    elif kind == "device":
        try:
            os.mknod(name, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
        except (PermissionError, OSError):
            os.mkfifo(name)
    elif kind == "deep":
        path = name
        for _ in range(40):
            path = os.path.join(path, "d")
        os.makedirs(path)


@target(scale=0.3)
@given(st.lists(st.sampled_from(SPECIALS), min_size=1, max_size=5),
       st.sampled_from([["-r"], ["-r", "-H"], ["-r", "--dereference-symlinks"], ["-r", "-w"],
                        []]),
       st.booleans())
def test_add_special_files(kinds, flags, only_hash):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        for i, kind in enumerate(kinds):
            _make(kind, src, i)
        argv = ["add", "-Q", *flags]
        argv += ["-n"] if only_hash else ["--repo", _repo_path()]
        run_cli([*argv, src])
        run_cli([*argv, os.path.join(src, f"{kinds[0]}0")])


# -- keys and names from outside ---------------------------------------------------------
@functools.cache
def _signed() -> tuple[str, list[bytes], list[bytes]]:
    """The repo's self name, records it signed, and exported keys (seeds for mutation)."""
    from pinfold.ipns import Names
    from pinfold.keys import Keyring, export_pem

    names = Names.open(_repo_path())
    ring = Keyring.open(_repo_path())
    name = str(names.publish("/ipfs/bafkqaaa", resolve=False).name)
    record = names.get(name)
    key = ring.self_key()
    return name, [record], [key.marshal(), export_pem(key)]


@target(scale=0.5)
@given(st.data(), st.sampled_from(["put", "inspect", "inspect-verify", "key-import"]))
def test_records_and_keys(data, command):
    name, records, keys = _signed()
    seeds = keys if command == "key-import" else records
    blob = data.draw(st.one_of(mutated(st.sampled_from(seeds)), st.binary(max_size=120)))
    repo = ["--repo", _repo_path()]
    if command == "put":
        run_cli(["name", "put", *repo, name, "-"], stdin=blob)
        code, out, _ = run_cli(["name", "resolve", *repo, name])
        assert code == 0 and out.strip() == b"/ipfs/bafkqaaa"  # a bad record never replaces
    elif command == "inspect":
        run_cli(["name", "inspect", *repo, "--json"], stdin=blob)
    elif command == "inspect-verify":
        run_cli(["name", "inspect", *repo, "--verify", name], stdin=blob)
    else:
        fmt = data.draw(st.sampled_from(["libp2p-protobuf-cleartext", "pem-pkcs8-cleartext"]))
        code, _, _ = run_cli(["key", "import", *repo, "-f", fmt, "--allow-any-key-type",
                              "fuzzed", "-"], stdin=blob)
        if code == 0:
            run_cli(["key", "rm", *repo, "fuzzed"])


# -- boolean flags as Kubo parses them (issue 13): any mix of flag words around a path --------

_FLAG_WORDS = st.sampled_from([
    "-n", "-Q", "-q", "-nQ", "-nQr", "-r", "-w", "-H", "-t", "-E", "-p", "-n=true", "-Q=f",
    "--pin", "--pin=", "--pin=false", "--pin=TRUE", "--pin=yes", "--raw-leaves",
    "--raw-leaves=0", "--raw-leaves=maybe", "--empty-dirs=false", "--progress=false",
    "--recursive", "--recursive=1", "--trickle=t", "--inline", "--inline-limit", "--no-pin",
    "--cid-version", "1", "0", "-s", "size-1024", "--chunker=rabin", "--nocopy",
    "--nocopy=false", "--to-files", "--raw", "--", "-", "=", "--=", "-=x", "--silent",
])


@target(scale=0.5)
@given(before=st.lists(st.one_of(_FLAG_WORDS, hostile_text(8)), max_size=6),
       after=st.lists(st.one_of(_FLAG_WORDS, hostile_text(8)), max_size=6))
def test_add_flag_words_anywhere(before, after):
    """``add -n`` with flag words before and after a file: the CLI's contract holds, and when
    it succeeds the printed root is the one the same words give with the file moved last."""
    # a progress bar on stderr is what -p asks for, not a broken contract
    assume(not any(w == "-p" or (w.startswith("--progress") and w != "--progress=false")
                   for w in before + after))
    path = os.path.join(workspace(), "flag-words.txt")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(b"flag words\n")
    argv = ["add", "-n", "--progress=false", *before, path, *after]
    code, out, _ = run_cli(argv)
    if code == 0 and "--" not in before + after and "-" not in before + after:
        moved, out2, _ = run_cli(["add", "-n", "--progress=false", *before, *after, path])
        if moved == 0:
            assert out2 == out, (argv, out, out2)
