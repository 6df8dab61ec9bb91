"""Keys from outside: libp2p key protobufs, PEM files, peer IDs, key names and signatures.

``key import`` reads a file a user was handed, ``key verify`` and IPNS read peer IDs and
public keys that anyone can write, and a keystore directory can hold any file name. Seeds are
real keys of every type, so mutations reach past the protobuf into each type's key parser.
"""

from __future__ import annotations

import tempfile

from hypothesis import given
from hypothesis import strategies as st

from pinfold.keys import (
    LIBP2P_FORMAT,
    PEM_FORMAT,
    FSKeystore,
    Keyring,
    MemoryKeystore,
    export_pem,
    format_peer_id,
    generate_key,
    parse_peer_id,
    parse_private_key,
    public_key_from_peer_id,
    unmarshal_private_key,
    unmarshal_public_key,
)

from .harness import hostile, hostile_text, mostly, mutated, protobuf, target

_KEYS = [generate_key("ed25519"), generate_key("secp256k1"), generate_key("ecdsa"),
         generate_key("rsa", 2048)]
PRIVATE = [k.marshal() for k in _KEYS]
PUBLIC = [k.public_key.marshal() for k in _KEYS]
PEMS = [export_pem(k) for k in _KEYS]
PEERS = [format_peer_id(k.peer_id(), base) for k in _KEYS for base in ("base36", "base58btc")]
# the libp2p key message: field 1 the type (varint), field 2 the key bytes
key_messages = protobuf({1: st.integers(0, 5), 2: st.one_of(st.binary(max_size=80),
                                                             st.sampled_from(PRIVATE))})


@target(scale=1)
@given(st.one_of(st.binary(max_size=200), mutated(st.sampled_from(PRIVATE)), key_messages))
def test_unmarshal_private_key(data):
    with hostile():
        key = unmarshal_private_key(data)
        assert unmarshal_private_key(key.marshal()).marshal() == key.marshal()
        assert key.public_key.verify(b"m", key.sign(b"m"))
        assert repr(key).count(key.marshal().hex()) == 0  # a repr never shows the secret


@target(scale=2)
@given(st.one_of(st.binary(max_size=200), mutated(st.sampled_from(PUBLIC)), key_messages))
def test_unmarshal_public_key(data):
    with hostile():
        key = unmarshal_public_key(data)
        assert unmarshal_public_key(key.marshal()).marshal() == key.marshal()
        assert key.verify(b"m", b"\x00" * 64) is False


@target(scale=1)
@given(st.one_of(mutated(st.sampled_from(PEMS)), st.binary(max_size=300),
                 st.sampled_from(PEMS).map(lambda p: p.replace(b"PRIVATE KEY", b"PUBLIC KEY"))),
       st.sampled_from([PEM_FORMAT, LIBP2P_FORMAT, "pem", ""]))
def test_parse_private_key(data, fmt):
    with hostile():
        key = parse_private_key(data, fmt)
        assert key.public_key.verify(b"m", key.sign(b"m"))


@target(scale=2)
@given(mostly(st.sampled_from(PEERS), st.one_of(hostile_text(60), st.text(max_size=60))))
def test_parse_peer_id(text):
    with hostile():
        peer = parse_peer_id(text)
        assert parse_peer_id(format_peer_id(peer)) == peer
        with hostile():
            public_key_from_peer_id(peer)


@target(scale=1)
@given(mostly(st.text(min_size=1, max_size=20), hostile_text(20)),
       st.sampled_from(["memory", "fs"]))
def test_key_names(name, where):
    """Any text as a key name: stored and listed under that name, or refused."""
    with tempfile.TemporaryDirectory() as tmp, hostile():
        store = MemoryKeystore() if where == "memory" else FSKeystore(tmp)
        ring = Keyring(store)
        info = ring.add(name, _KEYS[0])
        assert info.name == name
        assert name in [k.name for k in ring.list()]
        assert ring.get(name).marshal() == _KEYS[0].marshal()


@target(scale=1)
@given(st.one_of(st.sampled_from(PEERS), hostile_text(60), st.sampled_from(["", "self"])),
       st.binary(max_size=80), st.binary(max_size=40))
def test_verify(who, signature, data):
    with hostile():
        _, ok = Keyring(MemoryKeystore()).verify(who, signature, data)
        assert ok is False  # nobody signed these bytes
