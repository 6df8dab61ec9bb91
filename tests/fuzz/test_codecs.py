"""DAG-PB and UnixFS decoders on random, mutated and structure-aware blocks: only
PinfoldError escapes, and a node that decodes re-encodes to bytes that decode to it."""

from __future__ import annotations

import dataclasses

from hypothesis import example, given
from hypothesis import strategies as st

from pinfold.codecs import dagpb, unixfs

from .harness import hostile, mutated, protobuf, target, varints
from .seeds import content

_PB = [data for cid, data in content().blocks if cid.codec == "dag-pb"]
_DATA = [dagpb.decode(b).data or b"" for b in _PB]
_CIDS = sorted({cid.bytes for cid, _ in content().blocks})

_unixfs = protobuf({1: st.one_of(st.integers(0, 5), varints()), 2: st.binary(max_size=16),
                    3: varints(), 4: varints(), 5: varints(), 6: varints(), 7: varints(),
                    8: protobuf({1: varints(), 2: varints()}, max_fields=3, order=[1, 2])},
                   order=[1, 2, 3, 4, 5, 6, 7, 8])
_link = protobuf({1: st.sampled_from(_CIDS) | mutated(st.sampled_from(_CIDS), max_edits=1),
                  2: st.one_of(st.binary(max_size=12), st.just(b"\xff\xfe")),
                  3: varints()}, max_fields=4, order=[1, 2, 3])
_dagpb = protobuf({1: st.one_of(_unixfs, st.binary(max_size=16)), 2: _link},
                  order=[2, 2, 2, 1])


@target(scale=3)
@given(st.one_of(st.binary(max_size=200), mutated(st.sampled_from(_PB)), _dagpb))
def test_dagpb(block):
    with hostile():
        node = dagpb.decode(block)
        again = dagpb.decode(dagpb.encode(node))
        # encode writes absent names and sizes as empty/0 and sorts links by name bytes
        assert again.data == node.data
        assert sorted(lk.cid.bytes for lk in again.links) == sorted(
            lk.cid.bytes for lk in node.links)
        assert list(dagpb.link_cids(block)) == [lk.cid for lk in node.links]


def _normal(msg: unixfs.UnixFSData) -> unixfs.UnixFSData:
    """Mode 0 is "not set" (Kubo writes neither)."""
    return dataclasses.replace(msg, mode=msg.mode or None)


@target(scale=3)
@given(st.one_of(st.binary(max_size=120), mutated(st.sampled_from(_DATA)), _unixfs))
@example(b"\x08\x02\x38\x00")  # mode 0: decoded as 0, encoded as absent
def test_unixfs(data):
    with hostile():
        msg = unixfs.decode(data)
        assert _normal(unixfs.decode(unixfs.encode(msg))) == _normal(msg)
