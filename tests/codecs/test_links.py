"""pinfold.codecs.links: the links of a block, whatever its codec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinfold.cid import CID, DAG_PB, RAW
from pinfold.codecs.links import codec_links as block_links
from pinfold.codecs.links import links_of, pack, unpack, unpack_mhs
from pinfold.errors import (
    DecodeError,
)
from pinfold.ipld import (
    block_of,
)

from .helpers import LINK, LINK_V0


def test_links_of_other_codecs_and_through_links_of():
    assert block_links(RAW, b"\xff") == []
    assert block_links(DAG_PB, b"") == []
    cid, data = block_of({"a": [LINK, LINK_V0, LINK]})
    assert links_of(cid, data) == [LINK, LINK_V0, LINK]  # order of appearance, duplicates kept
    jcid, jdata = block_of({"z": LINK_V0, "a": [LINK, {"/": LINK}]}, "dag-json")
    assert links_of(jcid, jdata) == [LINK, LINK, LINK_V0]
    with pytest.raises(DecodeError, match="dag-cbor"):
        links_of(cid, data[:-1])


# -- packed links: unpack_mhs's stride fast paths against the parse of each CID ---------------
_FORMS = st.sampled_from(["v0", "v1-raw", "v1-pb", "v1-cbor", "v1-blake3", "identity"])


def _packed_cid(form: str, digest: bytes):
    if form == "v0":
        return CID.v0(b"\x12\x20" + digest)
    if form == "identity":
        return CID.v1(RAW, b"\x00\x05" + digest[:5])
    if form == "v1-blake3":
        return CID.v1(RAW, b"\x1e\x20" + digest)
    codec = {"v1-raw": RAW, "v1-pb": DAG_PB, "v1-cbor": 0x71}[form]
    return CID.v1(codec, b"\x12\x20" + digest)


@given(st.lists(st.tuples(_FORMS, st.binary(min_size=32, max_size=32)), max_size=40),
       st.booleans())
def test_unpack_mhs_matches_the_parse_of_each_cid(items, uniform):
    """unpack_mhs slices runs of one usual form at a stride; whatever the mix (a whole node
    of one form, or forms whose lengths make a stride line up by chance), it gives what
    parsing CID after CID gives."""
    if uniform and items:
        items = [(items[0][0], d) for _, d in items]
    cids = [_packed_cid(form, digest) for form, digest in items]
    packed = pack(cids)
    assert unpack_mhs(packed) == [c.multihash for c in unpack(packed)] == [
        c.multihash for c in cids]
