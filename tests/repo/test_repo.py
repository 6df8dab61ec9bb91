"""pinfold.repo.repo: init and open, verified reads, verify, stat, block rm, second handles,
and cat over a repo."""

from __future__ import annotations

import json

import pytest

import pinfold
from pinfold import CID
from pinfold.block import Block
from pinfold.cid import get_hash
from pinfold.codecs.links import links_of
from pinfold.errors import BlockNotFoundError, CorruptBlockError
from pinfold.pins import PinError
from pinfold.repo import Repo, RepoError

from .helpers import BACKENDS, CHUNK, OPTS, _corrupt, blob, dag_blocks, raw_cid


# -- init and open ------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_init_writes_a_versioned_config_and_opens(tmp_path, backend):
    path = tmp_path / "r"
    with Repo.init(path, backend=backend) as repo:
        assert repo.backend == backend
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["format"] == "pinfold-repo"
    assert cfg["version"] == 1
    assert cfg["backend"] == backend
    assert cfg["fsync"] is True
    with Repo(path) as repo:
        st = repo.stat()
        assert (st.backend, st.version, st.blocks, st.pins) == (backend, 1, 0, 0)


def test_opening_a_missing_repo_says_to_init(tmp_path):
    with pytest.raises(RepoError, match="pinfold init"):
        Repo(tmp_path / "nothing-here")
    assert not (tmp_path / "nothing-here").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_init_twice_is_refused(tmp_path, backend):
    Repo.init(tmp_path / "r", backend=backend).close()
    before = (tmp_path / "r" / "config.json").read_bytes()
    with pytest.raises(RepoError, match="already exists"):
        Repo.init(tmp_path / "r", backend=backend)
    with pytest.raises(RepoError):
        Repo.init(tmp_path / "r", backend="lmdb" if backend == "fs" else "fs")
    assert (tmp_path / "r" / "config.json").read_bytes() == before


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_newer_format_version_is_refused_and_left_alone(tmp_path, backend):
    path = tmp_path / "r"
    Repo.init(path, backend=backend).close()
    cfg_path = path / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["version"] = 99
    cfg_path.write_text(json.dumps(cfg))
    before = cfg_path.read_bytes()
    with pytest.raises(RepoError, match="99"):
        Repo(path)
    with pytest.raises(RepoError):
        Repo(path, create=True)
    assert cfg_path.read_bytes() == before


def test_unknown_backend_is_refused(tmp_path):
    with pytest.raises(RepoError, match="unknown backend"):
        Repo.init(tmp_path / "r", backend="rocksdb")
    assert not (tmp_path / "r" / "config.json").exists()
    Repo.init(tmp_path / "s").close()
    cfg_path = tmp_path / "s" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["backend"] = "rocksdb"
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(RepoError, match="unknown backend"):
        Repo(tmp_path / "s")


def test_a_directory_without_pinfold_config_is_not_a_repo(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.json").write_text('{"format": "something-else", "version": 1}')
    with pytest.raises(RepoError, match="not a pinfold repo"):
        Repo(tmp_path / "r")
    (tmp_path / "r" / "config.json").write_text("{not json")
    with pytest.raises(RepoError):
        Repo(tmp_path / "r")


# -- blockstore ---------------------------------------------------------------------------------
def test_cidv0_and_cidv1_of_the_same_bytes_share_one_block(repo):
    node = next(iter(pinfold.iter_blocks(b"hello world\n")))  # a DAG-PB leaf, CIDv0
    assert node.cid.version == 0
    v0 = repo.block_put(node.data, codec="dag-pb", cid_version=0)
    assert v0 == node.cid
    v1 = v0.to_v1()
    assert repo.block_get(v1) == node.data
    assert repo.has(v1)
    assert repo.block_put(node.data, codec="dag-pb", cid_version=1) == v1
    assert repo.blocks.stat() == (1, len(node.data))
    assert repo.block_stat(v1) == (v1, len(node.data))
    assert repo.block_stat(v0)[1] == len(node.data)


def test_every_read_is_verified(repo):
    result = repo.add(blob("file", 3 * CHUNK), **OPTS)
    leaf = links_of(result.root, repo.block_get(result.root))[1]
    good = repo.block_get(leaf)
    _corrupt(repo, leaf, good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(CorruptBlockError, match=str(leaf)) as info:
        repo.block_get(leaf)
    assert info.value.cid == leaf
    problems = repo.verify()
    assert {p.kind for p in problems} >= {"corrupt"}
    assert all(p.cid.multihash == leaf.multihash for p in problems if p.kind == "corrupt")
    _corrupt(repo, leaf, good)
    assert repo.block_get(leaf) == good
    assert repo.verify() == []


def test_a_missing_block_is_named(repo):
    cid = raw_cid(b"never stored")
    with pytest.raises(BlockNotFoundError, match=str(cid)) as info:
        repo.block_get(cid)
    assert info.value.cid == cid
    with pytest.raises(BlockNotFoundError, match=str(cid)):
        repo.block_stat(cid)
    assert not repo.has(cid)


def test_identity_cids_are_never_stored_and_always_present(repo):
    cid = pinfold.cid_of(b"tiny", raw_leaves=True, inline=True)
    assert cid.hash_name == "identity"
    assert repo.has(cid)
    assert repo.block_get(cid) == b"tiny"
    assert repo.blocks.stat() == (0, 0)


# -- verify -------------------------------------------------------------------------------------
def test_verify_reports_a_corrupt_block(repo):
    root = repo.add(blob("v", 3 * CHUNK), **OPTS).root
    leaf = links_of(root, repo.block_get(root))[2]
    _corrupt(repo, leaf, b"not what it was")
    problems = repo.verify()
    assert problems and {p.kind for p in problems} == {"corrupt"}
    assert {p.cid.multihash for p in problems} == {leaf.multihash}


def test_verify_reports_a_missing_block_of_a_pinned_dag(repo):
    root = repo.add(blob("m", 3 * CHUNK), **OPTS).root
    leaf = links_of(root, repo.block_get(root))[1]
    repo.blocks.delete(leaf)
    problems = repo.verify()
    missing = [p for p in problems if p.kind == "missing"]
    assert missing and {p.cid for p in missing} == {leaf}
    assert {p.kind for p in problems} == {"missing"}
    with pytest.raises(PinError, match="incomplete"):
        repo.gc(full=True)
    assert repo.blocks.has(root)


def test_verify_reports_refcount_drift(repo):
    root = repo.add(blob("d", 3 * CHUNK), **OPTS).root
    leaf = links_of(root, repo.block_get(root))[0]
    repo.pins.conn.execute("UPDATE refs SET rc = rc + 1 WHERE mh = ?", (leaf.multihash,))
    problems = repo.verify()
    assert [(p.kind, p.cid.multihash) for p in problems] == [("refcount", leaf.multihash)]
    stray = repo.block_put(b"stray")
    repo.pins.conn.execute("UPDATE refs SET dc = 1 WHERE mh = ?", (stray.multihash,))
    assert {p.cid.multihash for p in repo.verify()} == {leaf.multihash, stray.multihash}


def test_block_rm_is_refused_while_pinned(repo):
    root = repo.add(blob("rm", 3 * CHUNK), **OPTS).root
    leaf = links_of(root, repo.block_get(root))[0]
    with pytest.raises(pinfold.PinfoldError, match="pinned"):
        repo.block_rm(root)
    with pytest.raises(pinfold.PinfoldError, match="indirect"):
        repo.block_rm(leaf)
    loose = repo.block_put(b"loose")
    assert repo.block_rm(loose) is True
    assert not repo.has(loose)
    with pytest.raises(BlockNotFoundError):
        repo.block_rm(loose)
    assert repo.verify() == []
    assert repo.gc().blocks == 0


def test_stat_counts_blocks_and_pinned_bytes(repo):
    root = repo.add(blob("st", 3 * CHUNK), **OPTS).root
    repo.block_put(b"unpinned")
    st = repo.stat()
    pinned = sum(len(repo.block_get(CID.v1("raw", mh))) for mh in dag_blocks(repo, root))
    assert (st.blocks, st.pins) == (len(dag_blocks(repo, root)) + 1, 1)
    assert st.pinned_bytes == pinned
    assert st.bytes == pinned + len(b"unpinned")


def test_a_second_handle_on_an_open_repo(make_repo):
    """Two ``Repo`` objects on one repo in one process (two threads, or a library and its
    caller): the fs backend allows it; LMDB must either allow it too or refuse with a
    RepoError, not leak ``lmdb.Error`` (every error a caller can cause is a PinfoldError)."""
    for kind in BACKENDS:
        first = make_repo(kind)
        root = first.block_put(b"shared handle", pin=True)
        try:
            second = Repo(first.path)
        except RepoError as exc:
            assert "open" in str(exc)
            continue
        try:
            assert second.block_get(root) == b"shared handle"
            assert [p.cid for p in second.pins.list()] == [root]
            second.block_put(b"from the second handle")
        finally:
            second.close()
        assert first.gc().blocks == 1
        assert first.verify() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_cat_reads_dag_pb_leaves_however_they_are_framed(make_repo, backend):
    from pinfold.codecs import dagpb, unixfs
    from pinfold.codecs.unixfs import NodeType, UnixFSData

    repo = make_repo(backend)
    chunks = [blob("c0", 3000), blob("c1", 2000), b"", blob("c3", 10), blob("c4", 500)]
    leaves = [
        unixfs.dagpb_leaf_block(chunks[0]),  # as importers write them
        unixfs.dagpb_leaf_block(chunks[1], NodeType.RAW),  # trickle's Raw leaves
        unixfs.dagpb_leaf_block(chunks[2]),
        dagpb.encode_node([], unixfs.encode(UnixFSData(NodeType.FILE, chunks[3]))),  # no filesize
        dagpb.encode_node([], unixfs.encode(UnixFSData(NodeType.RAW, chunks[4], 500, mode=0o644))),
    ]
    fn = get_hash("sha2-256")
    cids = [CID.v0(fn.multihash(b)) for b in leaves]
    root_block = dagpb.encode_node(
        [(c.bytes, b"", len(b)) for c, b in zip(cids, leaves, strict=True)],
        unixfs.encode(UnixFSData(NodeType.FILE, None, sum(map(len, chunks)),
                                 [len(c) for c in chunks])))
    root = CID.v0(fn.multihash(root_block))
    repo.blocks.put_many([Block(c, b) for c, b in zip(cids, leaves, strict=True)]
                         + [Block(root, root_block)])
    content = b"".join(chunks)
    assert b"".join(pinfold.exporter.cat(repo, root)) == content
    assert b"".join(pinfold.exporter.cat(repo, root, offset=2990, length=3020)) \
        == content[2990:6010]
    # a leaf whose size disagrees with its parent is still refused
    bad = unixfs.dagpb_leaf_block(blob("bad", 2001))
    bad_cid = CID.v0(fn.multihash(bad))
    bad_root_block = dagpb.encode_node(
        [(bad_cid.bytes, b"", len(bad))],
        unixfs.encode(UnixFSData(NodeType.FILE, None, 2000, [2000])))
    bad_root = CID.v0(fn.multihash(bad_root_block))
    repo.blocks.put_many([Block(bad_cid, bad), Block(bad_root, bad_root_block)])
    with pytest.raises(pinfold.errors.DecodeError, match="holds 2000 bytes, it holds 2001"):
        b"".join(pinfold.exporter.cat(repo, bad_root))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_repo_made_with_a_profile_imports_with_it(tmp_path, backend):
    """``Repo.init(profile=...)``, as ``ipfs init --profile``: adds that name no profile use
    the repo's; options they set still win; a profile of their own replaces it."""
    data = blob("profiled", 3 * 1024 * 1024 + 5)
    v1 = pinfold.cid_of(data, profile="unixfs-v1-2025")
    assert v1 != pinfold.cid_of(data) and v1.version == 1
    path = tmp_path / "repo"
    with Repo.init(path, backend=backend, fsync=False, profile="unixfs-v1-2025") as repo:
        assert repo.profile == "unixfs-v1-2025"
        assert repo.add(data).root == v1
        assert repo.add(data, cid_version=0).root == pinfold.cid_of(
            data, profile="unixfs-v1-2025", cid_version=0)
        assert repo.add(data, profile="unixfs-v0-2015").root == pinfold.cid_of(data)
    assert json.loads((path / "config.json").read_text())["profile"] == "unixfs-v1-2025"
    assert Repo.profile_at(path) == "unixfs-v1-2025"
    with Repo(path) as repo:  # kept in the config: every opener imports with it
        assert repo.add(data, pin=False).root == v1
    assert Repo.profile_at(tmp_path / "nothing-here") is None


def test_an_unknown_profile_is_refused_and_no_repo_is_left(tmp_path):
    with pytest.raises(RepoError, match="unknown import profile 'unixfs-v9'"):
        Repo.init(tmp_path / "r", profile="unixfs-v9")
    assert not (tmp_path / "r" / "config.json").exists()
    with Repo.init(tmp_path / "plain", fsync=False) as repo:
        assert repo.profile is None
        assert repo.add(b"kubo defaults").root == pinfold.cid_of(b"kubo defaults")
