"""pinfold.pins.pinset: pinning, recursive and direct, names, unpinning, re-pointing."""

from __future__ import annotations

import pytest

from pinfold import Entry
from pinfold.codecs.links import links_of
from pinfold.errors import BlockNotFoundError
from pinfold.pins import PinError
from tests.repo.helpers import CHUNK, OPTS, blob, dag_blocks, raw_cid, rc_of, stored, two_dirs


# -- pins ---------------------------------------------------------------------------------------
def test_add_stores_and_pins_recursively(repo):
    result = repo.add([Entry("d/x.bin", content=blob("x", 4 * CHUNK)),
                       Entry("d/y.txt", content=b"y\n")], name="both", **OPTS)
    pins = repo.pins.list()
    assert [(p.cid, p.type, p.name) for p in pins] == [(result.root, "recursive", "both")]
    assert [e.cid for e in result.roots] == [result.root]
    assert repo.pins.pinned_type(result.root) == "recursive"
    blocks = dag_blocks(repo, result.root)
    assert stored(repo) == blocks
    child = links_of(result.root, repo.block_get(result.root))[0]
    assert repo.pins.pinned_type(child) == "indirect"
    assert repo.gc().blocks == 0
    assert repo.verify() == []


def test_add_several_top_level_inputs_pins_each(repo):
    result = repo.add([Entry("one.txt", content=b"1" * 100), Entry("two.txt", content=b"2")],
                      **OPTS)
    assert len(result.roots) == 2
    assert {p.cid for p in repo.pins.list()} == {e.cid for e in result.roots}


def test_block_put_with_pin(repo):
    a = repo.block_put(b"kept block", pin=True)
    assert repo.pins.pinned_type(a) == "direct"
    assert repo.gc().blocks == 0
    repo.unpin(a)
    assert set(repo.gc().freed) == {a.multihash}


def test_several_named_pins_on_one_cid(repo):
    root = repo.add(blob("named", 3 * CHUNK), pin=False, **OPTS).root
    blocks = dag_blocks(repo, root)
    pa = repo.pin(root, name="alpha")
    pb = repo.pin(root, name="beta")
    pc = repo.pin(root)
    assert len({pa.id, pb.id, pc.id}) == 3
    assert {p.name for p in repo.pins.list(cid=root)} == {"alpha", "beta", ""}
    assert pa.created < pb.created < pc.created
    assert [p.id for p in repo.pins.list()] == [pc.id, pb.id, pa.id]  # newest first
    assert repo.pins.check_counts() == []
    assert [p.id for p in repo.unpin(root, name="alpha")] == [pa.id]
    assert repo.unpin(root, name="") == [pc]
    assert repo.gc().blocks == 0
    assert dag_blocks(repo, root) == blocks
    repo.unpin(root, name="beta")
    assert set(repo.gc().freed) == blocks
    assert repo.verify() == []


def test_pinning_the_same_cid_and_name_again_is_a_no_op(repo):
    root = repo.add(blob("again", 2 * CHUNK), name="n", **OPTS).root
    first = repo.pins.list()[0]
    counts = rc_of(repo, root)
    again = repo.pin(root, name="n")
    assert again.id == first.id
    assert again == first
    assert repo.pins.list() == [first]
    assert rc_of(repo, root) == counts
    assert repo.pins.check_counts() == []
    # the same multihash under its CIDv1 is the same pin too
    assert repo.pin(root.to_v1(), name="n").id == first.id
    repo.unpin(root)
    assert repo.pins.list() == []
    assert stored(repo) - set(repo.gc().freed) == set()


def test_a_direct_pin_keeps_only_the_block(repo):
    root = repo.add([Entry("d/f.bin", content=blob("direct", 3 * CHUNK))], pin=False,
                    **OPTS).root
    blocks = dag_blocks(repo, root)
    pin = repo.pin(root, recursive=False, name="just the root")
    assert pin.type == "direct"
    assert repo.pins.pinned_type(root) == "direct"
    result = repo.gc()
    assert set(result.freed) == blocks - {root.multihash}
    assert stored(repo) == {root.multihash}
    assert repo.verify() == []
    repo.unpin(root)
    assert set(repo.gc().freed) == {root.multihash}


def test_a_direct_pin_on_a_recursively_pinned_cid_is_refused(repo):
    root = repo.add(blob("rec", 2 * CHUNK), **OPTS).root
    with pytest.raises(PinError, match="recursively"):
        repo.pin(root, recursive=False)
    assert [p.type for p in repo.pins.list()] == ["recursive"]
    assert repo.pins.check_counts() == []


def test_a_direct_pin_on_an_indirect_block_keeps_it(repo):
    root = repo.add(blob("ind", 3 * CHUNK), **OPTS).root
    leaf = links_of(root, repo.block_get(root))[0]
    repo.pin(leaf, recursive=False)
    assert repo.pins.pinned_type(leaf) == "indirect"
    repo.unpin(root)
    assert repo.pins.pinned_type(leaf) == "direct"
    result = repo.gc()
    assert leaf.multihash not in result.freed
    assert stored(repo) == {leaf.multihash}
    assert repo.verify() == []


def test_a_recursive_pin_replaces_direct_pins(repo):
    root = repo.add([Entry("d/f.bin", content=blob("rd", 3 * CHUNK))], pin=False,
                    **OPTS).root
    blocks = dag_blocks(repo, root)
    repo.pin(root, recursive=False, name="one")
    repo.pin(root, recursive=False, name="two")
    assert len(repo.pins.list(type="direct")) == 2
    rec = repo.pin(root, name="whole")
    assert repo.pins.list() == [rec]
    assert repo.pins.list(type="direct") == []
    assert repo.pins.check_counts() == []
    assert repo.gc().blocks == 0
    assert dag_blocks(repo, root) == blocks
    repo.unpin(root)
    assert set(repo.gc().freed) == blocks
    assert repo.verify() == []


def test_unpin_by_cid_by_name_and_by_id(repo):
    r1 = repo.add(b"one", **OPTS).root
    r2 = repo.add(b"two", name="second", **OPTS).root
    r3 = repo.add(b"three", **OPTS).root
    p3 = repo.pins.list(cid=r3)[0]
    assert [p.cid for p in repo.unpin(r1)] == [r1]
    assert [p.cid for p in repo.unpin(r2, name="second")] == [r2]
    assert [p.cid for p in repo.unpin(pin_id=p3.id)] == [r3]
    assert repo.pins.list() == []
    assert set(repo.gc().freed) == {r1.multihash, r2.multihash, r3.multihash}
    # a CIDv1 string of a CIDv0 pin unpins it too
    r4 = repo.add(b"four", **OPTS).root
    assert [p.cid for p in repo.unpin(str(r4.to_v1()))] == [r4]


def test_unpinning_what_is_not_pinned_raises(repo):
    root = repo.add(blob("np", 3 * CHUNK), name="x", **OPTS).root
    leaf = links_of(root, repo.block_get(root))[0]
    with pytest.raises(PinError):
        repo.unpin(raw_cid(b"not even stored"))
    with pytest.raises(PinError, match="indirectly"):
        repo.unpin(leaf)
    with pytest.raises(PinError):
        repo.unpin(root, name="other name")
    with pytest.raises(PinError):
        repo.unpin(pin_id="0" * 32)
    with pytest.raises(PinError):
        repo.unpin()
    assert len(repo.pins.list()) == 1
    repo.unpin(root)
    with pytest.raises(PinError):
        repo.unpin(root)


def test_a_recursive_pin_needs_the_whole_dag(repo):
    root = repo.add([Entry("d/f.bin", content=blob("whole", 3 * CHUNK))], pin=False,
                    **OPTS).root
    leaf = links_of(root, repo.block_get(root))[0]
    repo.blocks.delete(leaf)
    repo.blocks.delete(links_of(root, repo.block_get(root))[0])
    with pytest.raises(BlockNotFoundError):
        repo.pin(root)
    assert repo.pins.list() == []
    assert repo.pins.check_counts() == []


def test_an_add_that_fails_in_a_transaction_that_goes_on_leaves_nothing(repo):
    """A caller's transaction that catches a failed add and commits keeps no record of it
    and no reference it took before it met the missing block; a queued add in the same
    transaction is written queued, with its metadata and groups, and takes no reference; an
    add with a bad group creates none of its groups."""
    root = repo.add([Entry("d/f.bin", content=blob("part", 3 * CHUNK))], pin=False,
                    **OPTS).root
    kept = links_of(root, repo.block_get(root))[0]
    repo.blocks.delete(links_of(root, repo.block_get(root))[-1])
    other = repo.block_put(b"another block", pin=False)
    with repo.pins.transaction():
        with pytest.raises(BlockNotFoundError):
            repo.pins.add(root, name="fails", meta={"k": 1}, groups=["g"])
        with pytest.raises(PinError, match="a group is a non-empty name"):
            repo.pins.add(other, name="bad group", groups=["fresh", ""])
        queued = repo.pins.add(root, name="waits", meta={"k": 2}, groups=["g"], queue=True)
        done = repo.pins.add(other, name="done")
    assert sorted((p.name, p.status) for p in repo.pins.list()) == [
        ("done", "pinned"), ("waits", "queued")]
    assert repo.pins.get(queued.id) == queued
    assert (queued.meta, queued.groups, queued.size) == ({"k": 2}, ("g",), None)
    assert repo.pins.get(done.id) == done
    assert rc_of(repo, root) == rc_of(repo, kept) == (0, 0)
    assert [g.name for g in repo.pins.groups()] == ["g"]  # no "fresh" from the bad add
    assert repo.pins.check_counts() == []


def test_pin_update_loses_no_named_pin(repo):
    """OLD pinned under two names: after ``update(OLD, NEW)`` each name still pins something
    (moved to NEW, or left on OLD) -- not silently dropped."""
    a, b = two_dirs()
    ra = repo.add(a, name="first", **OPTS).root
    repo.pin(ra, name="second")
    rb = repo.add(b, pin=False, **OPTS).root
    repo.pins.update(ra, rb)
    assert {p.name for p in repo.pins.list()} == {"first", "second"}
    assert repo.pins.check_counts() == []


def test_pin_update_without_unpin_and_to_a_pinned_cid(repo):
    a, b = two_dirs()
    ra = repo.add(a, **OPTS).root
    rb = repo.add(b, pin=False, **OPTS).root
    repo.pins.update(ra, rb, unpin=False)
    assert {p.cid for p in repo.pins.list()} == {ra, rb}
    with pytest.raises(PinError, match="already pinned"):
        repo.pins.update(ra, rb)
    assert repo.pins.check_counts() == []


def test_pin_update_to_an_incomplete_dag_changes_nothing(repo):
    a, b = two_dirs()
    ra = repo.add(a, **OPTS).root
    rb = repo.add(b, pin=False, **OPTS).root
    own = links_of(rb, repo.block_get(rb))
    repo.blocks.delete([c for c in own if c.multihash not in dag_blocks(repo, ra)][0])
    before = repo.pins.list()
    with pytest.raises(BlockNotFoundError):
        repo.pins.update(ra, rb)
    assert repo.pins.list() == before
    assert repo.pins.check_counts() == []
    assert repo.verify() == []
