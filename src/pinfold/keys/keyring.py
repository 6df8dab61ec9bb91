"""Kubo's ``ipfs key`` over a :class:`~pinfold.keys.Keystore`: the ``self`` key, generate,
list, rename, remove, export, import, sign and verify, with Kubo's rules and messages.

Kubo keeps ``self`` (the node identity) in its config; pinfold keeps it in the keystore
under the name ``self``, made on first use (``pinfold init`` makes it at once). As in Kubo,
no command creates, imports, renames, removes or exports a key called ``self``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from .base import KeyType, PrivateKey, PublicKey
from .errors import (
    KeyExistsError,
    KeyFormatError,
    KeyNotFoundError,
    KeystoreError,
    UnsupportedKeyTypeError,
)
from .formats import FORMATS, LIBP2P_FORMAT, PEM_FORMAT
from .keystore import FSKeystore, Keystore
from .marshal import generate_key, unmarshal_private_key
from .peerid import format_peer_id, parse_peer_id, public_key_from_peer_id
from .pem import export_pem, import_pem, looks_like_pem

log = logging.getLogger("pinfold.keys")

SELF = "self"
#: What ``key sign`` prefixes to the data, so a signature cannot be replayed elsewhere.
SIGNED_MESSAGE_PREFIX = b"libp2p-key signed message:"
#: The key types ``key import`` takes without ``allow_any_type`` (Kubo's list).
IMPORTABLE = (KeyType.RSA, KeyType.ED25519, KeyType.SECP256K1)


@dataclass(frozen=True)
class KeyInfo:
    """A key's name and peer ID (no secret): what ``key ls -l`` lists."""

    name: str
    peer_id: bytes
    key_type: KeyType

    def id(self, base: str = "base36") -> str:
        """The peer ID as ``--ipns-base`` writes it (``k51...`` by default)."""
        return format_peer_id(self.peer_id, base)

    @property
    def path(self) -> str:
        """``/ipns/<k51...>``."""
        return "/ipns/" + self.id()


def _info(name: str, key: PrivateKey | PublicKey) -> KeyInfo:
    return KeyInfo(name, key.peer_id(), key.key_type)


def keystore_path(repo_dir: str | os.PathLike) -> str:
    """Where a repo keeps its keys: ``<repo>/keystore``."""
    return os.path.join(os.fspath(repo_dir), "keystore")


class Keyring:
    """Named keys with Kubo's rules, over any :class:`~pinfold.keys.Keystore`."""

    def __init__(self, keystore: Keystore) -> None:
        self.keystore = keystore

    @classmethod
    def open(cls, repo_dir: str | os.PathLike) -> Keyring:
        """The keyring of the repo at ``repo_dir`` (its ``keystore/`` directory)."""
        return cls(FSKeystore(keystore_path(repo_dir)))

    def __repr__(self) -> str:
        return f"<Keyring {self.keystore!r}>"

    # -- the self key -------------------------------------------------------------------
    def self_key(self) -> PrivateKey:
        """The repo's own key (Ed25519), made and stored the first time it is asked for."""
        try:
            return self.keystore.get(SELF)
        except KeyNotFoundError:
            pass
        key = generate_key("ed25519")
        try:
            self.keystore.put(SELF, key)
        except KeyExistsError:  # made by someone else meanwhile
            return self.keystore.get(SELF)
        return key

    # -- lookups ------------------------------------------------------------------------
    def get(self, name: str) -> PrivateKey:
        """The key called ``name`` (``self`` included), or the stored key whose peer ID
        ``name`` is (any form :func:`~pinfold.keys.parse_peer_id` reads), as Kubo's
        ``--key`` takes either."""
        if name in ("", SELF):
            return self.self_key()
        try:
            return self.keystore.get(name)
        except KeyNotFoundError:
            pass
        try:
            wanted = parse_peer_id(name)
        except KeyFormatError:
            raise KeyNotFoundError(f"no key named {name} was found") from None
        if self.self_key().peer_id() == wanted:
            return self.self_key()
        for other in self.keystore.names():
            try:
                key = self.keystore.get(other)
            except KeystoreError:
                continue
            if key.peer_id() == wanted:
                return key
        raise KeyNotFoundError(f"no key named {name} was found")

    def list(self) -> list[KeyInfo]:
        """``self`` first, then the other keys sorted by name. A key file that cannot be read
        is left out (and logged, without its contents), as Kubo does."""
        out = [_info(SELF, self.self_key())]
        for name in sorted(n for n in self.keystore.names() if n != SELF):
            try:
                out.append(_info(name, self.keystore.get(name)))
            except KeystoreError as exc:
                log.error("cannot get key from keystore: %s", exc)
            except KeyFormatError as exc:
                log.error("cannot get key from keystore: %s", exc)
        return out

    # -- changes ------------------------------------------------------------------------
    def generate(self, name: str, key_type: str = "ed25519", size: int | None = None) -> KeyInfo:
        """Make and store a new key (``key gen``)."""
        if name == SELF:
            raise KeystoreError("cannot create key with name 'self'")
        if self.keystore.has(name):
            raise KeyExistsError(f"key with name '{name}' already exists")
        key = generate_key(key_type, size)
        self.keystore.put(name, key)
        return _info(name, key)

    def add(self, name: str, key: PrivateKey) -> KeyInfo:
        """Store an existing key object under ``name``."""
        if name == SELF:
            raise KeystoreError("cannot import key with name 'self'")
        self.keystore.put(name, key)
        return _info(name, key)

    def rename(self, old: str, new: str, *, force: bool = False) -> tuple[KeyInfo, bool]:
        """Rename a key (``key rename [-f]``); returns the key and whether a key called
        ``new`` was overwritten."""
        if old == SELF:
            raise KeystoreError("cannot rename key with name 'self'")
        if new == SELF:
            raise KeystoreError("cannot overwrite key with name 'self'")
        try:
            key = self.keystore.get(old)
        except KeyNotFoundError:
            raise KeyNotFoundError(f"no key named {old} was found") from None
        if new == old:
            return _info(old, key), False
        overwrite = force and self.keystore.has(new)
        if force:
            self.keystore.replace(new, key)
        elif self.keystore.has(new):
            raise KeyExistsError(f"key with name '{new}' already exists, refusing to overwrite")
        else:
            self.keystore.put(new, key)
        self.keystore.delete(old)
        return _info(new, key), overwrite

    def remove(self, name: str) -> KeyInfo:
        """Remove a key (``key rm``); returns what was removed."""
        if name == SELF:
            raise KeystoreError("cannot remove key with name 'self'")
        key = self.keystore.get(name)
        self.keystore.delete(name)
        return _info(name, key)

    def export(self, name: str, fmt: str = LIBP2P_FORMAT) -> bytes:
        """The private key ``name`` in ``fmt`` (``key export``): secret bytes."""
        if name == SELF:
            raise KeystoreError("cannot export key with name 'self'")
        if fmt not in FORMATS:
            raise KeystoreError(f"unrecognized export format: {fmt}")
        try:
            key = self.keystore.get(name)
        except KeyNotFoundError:
            raise KeyNotFoundError(f"key with name '{name}' doesn't exist") from None
        return export_pem(key) if fmt == PEM_FORMAT else key.marshal()

    def import_(self, name: str, data: bytes, fmt: str = LIBP2P_FORMAT, *,
                allow_any_type: bool = False) -> KeyInfo:
        """Store the key in ``data`` under ``name`` (``key import``). A taken name, bytes
        that are not a key in ``fmt`` or (without ``allow_any_type``) a type other than
        RSA, Ed25519 and secp256k1 raise, and change nothing."""
        if name == SELF:
            raise KeystoreError("cannot import key with name 'self'")
        key = parse_private_key(data, fmt)
        if not allow_any_type and key.key_type not in IMPORTABLE:
            raise UnsupportedKeyTypeError(
                f"key type {key.key_type.label} is not allowed to be imported, only RSA,"
                " Ed25519, or Secp256k1; use --allow-any-key-type if you are sure of what"
                " you're doing")
        if self.keystore.has(name):
            raise KeyExistsError(f"key with name '{name}' already exists")
        self.keystore.put(name, key)
        return _info(name, key)

    # -- signatures ---------------------------------------------------------------------
    def sign(self, name: str | None, data: bytes) -> tuple[KeyInfo, bytes]:
        """Sign ``SIGNED_MESSAGE_PREFIX + data`` with key ``name`` (``self`` when empty), as
        ``ipfs key sign`` does."""
        name = name or SELF
        key = self.self_key() if name == SELF else self.keystore.get(name)
        return _info(name, key), key.sign(SIGNED_MESSAGE_PREFIX + bytes(data))

    def verify(self, key_or_name: str | None, signature: bytes,
               data: bytes) -> tuple[KeyInfo, bool]:
        """Whether ``signature`` is ``key sign``'s signature of ``data`` by ``key_or_name``: a
        stored key's name (``self`` when empty), or an IPNS name / peer ID with an inlined
        public key (``ipfs key verify``). The returned name is empty for a peer ID."""
        name = key_or_name or SELF
        public: PublicKey | None
        if name == SELF:
            public = self.self_key().public_key
        elif self.keystore.has(name):
            public = self.keystore.get(name).public_key
        else:
            try:
                peer = parse_peer_id(name.removeprefix("/ipns/"))
            except KeyFormatError:
                raise KeystoreError(f"{name!r} is not a known key, an IPNS Name, or a valid"
                                    " PeerID") from None
            public = public_key_from_peer_id(peer)
            if public is None:
                raise KeystoreError("public key is not embedded in peer ID")
            name = ""
        return _info(name, public), public.verify(SIGNED_MESSAGE_PREFIX + bytes(data),
                                                  signature)


def parse_private_key(data: bytes, fmt: str = LIBP2P_FORMAT) -> PrivateKey:
    """The private key in ``data``, written in ``fmt`` (``libp2p-protobuf-cleartext`` or
    ``pem-pkcs8-cleartext``), with Kubo's messages when it is not one."""
    if fmt == PEM_FORMAT:
        return import_pem(data)
    if fmt != LIBP2P_FORMAT:
        raise KeystoreError(f"unrecognized import format: {fmt}")
    try:
        return unmarshal_private_key(data)
    except KeyFormatError as exc:
        if looks_like_pem(data):
            raise KeyFormatError(f"unexpected PEM block for format={LIBP2P_FORMAT}: try again"
                                 f" with format={PEM_FORMAT}") from None
        raise type(exc)(f"unable to unmarshall format={LIBP2P_FORMAT}: {exc}") from None
