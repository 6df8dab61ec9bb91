"""pinfold.pins public and private pins (``network``): the public counts of refcount, the
pin set's ``reach``, queries, export/import and repair by gc --full."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinfold import Entry
from pinfold.pins import PinError
from pinfold.repo import Repo

NETS = ("public", "private")


def tree(repo, network="public", tag=b""):
    res = repo.add([Entry("d/a.txt", b"a" + tag), Entry("d/s/b.txt", b"b" + tag),
                    Entry("d/shared.txt", b"shared")], network=network)
    return res.roots[0].cid, {e.path: e.cid for e in res.entries}


def test_private_pins_reach_privately(repo):
    root, cids = tree(repo, "private")
    assert repo.reach(root) == "private"
    assert {repo.reach(c) for c in cids.values()} == {"private"}
    assert repo.pins.list()[0].network == "private"


def test_a_public_pin_sharing_blocks_makes_only_those_public(repo):
    root, cids = tree(repo, "private")
    pub = repo.add(b"shared", network="public").roots[0].cid
    assert pub == cids["d/shared.txt"]
    assert repo.reach(pub) == "public"
    assert repo.reach(cids["d/a.txt"]) == "private" and repo.reach(root) == "private"
    repo.unpin(pub)
    assert repo.reach(pub) == "private"
    repo.unpin(root)
    assert repo.reach(pub) is None and repo.reach(root) is None
    assert repo.verify() == []


def test_public_and_private_pins_of_one_cid(repo):
    root, cids = tree(repo, "private")
    pin = repo.pin(root, network="public")
    assert pin.network == "public" and len(repo.pins.list(cid=root)) == 2
    assert {repo.reach(c) for c in cids.values()} == {"public"}
    repo.unpin(pin_id=pin.id)
    assert {repo.reach(c) for c in cids.values()} == {"private"}


def test_public_dag_containing_a_private_root(repo):
    inner = repo.add(b"inner file", network="private").roots[0].cid
    outer = repo.add([Entry("o/inner", b"inner file"), Entry("o/x", b"x")]).roots[0].cid
    assert repo.reach(inner) == "public" and repo.reach(outer) == "public"


def test_direct_pins(repo):
    cid = repo.block_put(b"lonely")
    repo.pin(cid, recursive=False, network="private")
    assert repo.reach(cid) == "private"
    repo.pin(cid, recursive=False, network="public")
    assert repo.reach(cid) == "public"


def test_query_export_import_and_update_keep_the_network(repo, make_repo):
    priv, _ = tree(repo, "private")
    pub, _ = tree(repo, "public", b"2")
    assert [p.cid for p in repo.pins.query(network="private").pins] == [priv]
    assert [p.cid for p in repo.pins.query(network="public").pins] == [pub]
    with pytest.raises(PinError):
        repo.pin(pub, network="secret")
    buf = io.StringIO()
    repo.pins.export(buf)
    other = make_repo("memory")
    other.pins.import_(io.StringIO(buf.getvalue()))
    assert {(p.cid, p.network) for p in other.pins.list()} == {(priv, "private"),
                                                              (pub, "public")}
    assert other.reach(priv) is None  # blocks absent: queued pins reach nothing yet
    # an old export line without a network is public
    line = json.dumps({"cid": str(pub), "name": "old"}) + "\n"
    assert other.pins.import_([line])[0].network == "public"
    new, _ = tree(repo, "private", b"3")
    repo.unpin(new)
    moved = repo.pins.update(priv, new)
    assert moved.network == "private" and repo.reach(new) == "private"


def test_gc_full_rebuilds_the_public_counts(repo):
    priv, pcids = tree(repo, "private")
    pub, ucids = tree(repo, "public", b"2")
    repo.gc(full=True)
    assert repo.reach(pub) == "public" and repo.reach(ucids["d/s/b.txt"]) == "public"
    assert repo.reach(pcids["d/s/b.txt"]) == "private"
    assert repo.reach(pcids["d/shared.txt"]) == "public"  # shared with the public tree


def test_verify_reports_a_drifted_public_count(make_repo):
    repo = make_repo("fs")
    root, cids = tree(repo, "private")
    assert repo.verify() == []
    mh = cids["d/s/b.txt"].multihash
    with repo.pins.tx() as c:
        c.execute("UPDATE refs SET prc = 1 WHERE mh = ?", (mh,))
    problems = repo.verify()
    assert [p.detail for p in problems] == ["stored public prc=1, expected prc=0"]
    repo.gc(full=True)  # the repair recomputes the public counts too
    assert repo.verify() == []


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.sampled_from(NETS)),
                min_size=1, max_size=12))
def test_reach_matches_a_walk_after_any_pins_and_unpins(ops):
    """After any sequence of pins and unpins (public or private) of DAGs that share blocks,
    ``reach`` of every block equals what walking every pinned DAG says."""
    from pinfold.codecs.links import links_of

    with Repo.memory() as repo:
        roots = [repo.add([Entry("r/common.txt", b"common"), Entry(f"r/own{i}.txt",
                                                                   bytes([i]) * 3),
                           Entry("r/s/deep.txt", b"deep" + bytes([i % 2]))],
                          pin=False).roots[0].cid for i in range(4)]

        def dag(cid):
            out, todo = set(), [cid]
            while todo:
                c = todo.pop()
                if c.multihash in out:
                    continue
                out.add(c.multihash)
                todo.extend(links_of(c, repo.get(c)))
            return out

        dags = [dag(r) for r in roots]
        every = {mh for d in dags for mh in d}
        held: list[tuple[int, str, str]] = []
        for n, (add, which, net) in enumerate(ops):
            if add or not held:
                pin = repo.pin(roots[which], name=f"p{n}", network=net)
                held.append((which, net, pin.id))
            else:
                which, net, pin_id = held.pop(which % len(held))
                repo.unpin(pin_id=pin_id)
            public = {mh for w, nt, _ in held if nt == "public" for mh in dags[w]}
            anyone = {mh for w, _, _ in held for mh in dags[w]}
            for mh in every:
                cid = repo.pins.known_cid(mh)
                if cid is None:
                    assert mh not in anyone
                    continue
                want = "public" if mh in public else "private" if mh in anyone else None
                assert repo.reach(cid) == want
        assert repo.pins.check_counts() == []
