"""Keys: libp2p public and private keys (Ed25519, RSA, secp256k1, ECDSA), peer IDs, and a
keystore laid out as Kubo's.

- :class:`PublicKey` / :class:`PrivateKey`: ``verify`` / ``sign`` with each type's libp2p
  signature scheme; ``marshal()`` gives the libp2p key protobuf; ``peer_id()`` the binary
  peer ID. A private key's ``repr`` names its type and peer ID, never its secret.
- :func:`unmarshal_public_key`, :func:`unmarshal_private_key`, :func:`generate_key`,
  :func:`from_crypto_key`: keys from bytes, new keys, keys from ``cryptography`` objects.
- :func:`export_pem` / :func:`import_pem`: PEM PKCS #8.
- :func:`format_peer_id`, :func:`parse_peer_id`, :func:`public_key_from_peer_id`: peer IDs
  as ``k51...``, ``12D3KooW...`` and back.
- :class:`Keystore` (interface), :class:`FSKeystore`, :class:`MemoryKeystore`: named keys.
- :class:`Keyring`: Kubo's ``ipfs key`` rules over a keystore (``self``, gen, ls, rename,
  rm, export, import, sign, verify). See ``docs/names.md``.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:  # loaded on first use, so the CLI starts without cryptography
    from .base import KeyType, PrivateKey, PublicKey, is_inlined
    from .ecdsa import ECDSAPrivateKey, ECDSAPublicKey
    from .ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from .errors import (
        InvalidKeyOptionError,
        KeyExistsError,
        KeyFormatError,
        KeyNotFoundError,
        KeystoreError,
        UnsupportedKeyTypeError,
    )
    from .keyring import (
        FORMATS,
        LIBP2P_FORMAT,
        PEM_FORMAT,
        SELF,
        SIGNED_MESSAGE_PREFIX,
        KeyInfo,
        Keyring,
        keystore_path,
        parse_private_key,
    )
    from .keystore import FSKeystore, Keystore, MemoryKeystore
    from .marshal import (
        from_crypto_key,
        from_crypto_public_key,
        generate_key,
        unmarshal_private_key,
        unmarshal_public_key,
    )
    from .peerid import check_key_encoding, format_peer_id, parse_peer_id, public_key_from_peer_id
    from .pem import export_pem, import_pem
    from .rsa import RSAPrivateKey, RSAPublicKey
    from .secp256k1 import Secp256k1PrivateKey, Secp256k1PublicKey

#: Each public name and the module of this package that defines it.
__getattr__, __dir__ = lazy_attributes(__name__, {
    "ECDSAPrivateKey": (".ecdsa", "ECDSAPrivateKey"),
    "ECDSAPublicKey": (".ecdsa", "ECDSAPublicKey"),
    "Ed25519PrivateKey": (".ed25519", "Ed25519PrivateKey"),
    "Ed25519PublicKey": (".ed25519", "Ed25519PublicKey"),
    "FORMATS": (".formats", "FORMATS"),
    "FSKeystore": (".keystore", "FSKeystore"),
    "InvalidKeyOptionError": (".errors", "InvalidKeyOptionError"),
    "KeyExistsError": (".errors", "KeyExistsError"),
    "KeyFormatError": (".errors", "KeyFormatError"),
    "KeyInfo": (".keyring", "KeyInfo"),
    "KeyNotFoundError": (".errors", "KeyNotFoundError"),
    "KeyType": (".base", "KeyType"),
    "Keyring": (".keyring", "Keyring"),
    "Keystore": (".keystore", "Keystore"),
    "KeystoreError": (".errors", "KeystoreError"),
    "LIBP2P_FORMAT": (".formats", "LIBP2P_FORMAT"),
    "MemoryKeystore": (".keystore", "MemoryKeystore"),
    "PEM_FORMAT": (".formats", "PEM_FORMAT"),
    "PrivateKey": (".base", "PrivateKey"),
    "PublicKey": (".base", "PublicKey"),
    "RSAPrivateKey": (".rsa", "RSAPrivateKey"),
    "RSAPublicKey": (".rsa", "RSAPublicKey"),
    "SELF": (".keyring", "SELF"),
    "SIGNED_MESSAGE_PREFIX": (".keyring", "SIGNED_MESSAGE_PREFIX"),
    "Secp256k1PrivateKey": (".secp256k1", "Secp256k1PrivateKey"),
    "Secp256k1PublicKey": (".secp256k1", "Secp256k1PublicKey"),
    "UnsupportedKeyTypeError": (".errors", "UnsupportedKeyTypeError"),
    "check_key_encoding": (".peerid", "check_key_encoding"),
    "export_pem": (".pem", "export_pem"),
    "format_peer_id": (".peerid", "format_peer_id"),
    "from_crypto_key": (".marshal", "from_crypto_key"),
    "from_crypto_public_key": (".marshal", "from_crypto_public_key"),
    "generate_key": (".marshal", "generate_key"),
    "import_pem": (".pem", "import_pem"),
    "is_inlined": (".base", "is_inlined"),
    "keystore_path": (".keyring", "keystore_path"),
    "parse_peer_id": (".peerid", "parse_peer_id"),
    "parse_private_key": (".keyring", "parse_private_key"),
    "public_key_from_peer_id": (".peerid", "public_key_from_peer_id"),
    "unmarshal_private_key": (".marshal", "unmarshal_private_key"),
    "unmarshal_public_key": (".marshal", "unmarshal_public_key"),
})

__all__ = [
    "FORMATS",
    "LIBP2P_FORMAT",
    "PEM_FORMAT",
    "SELF",
    "SIGNED_MESSAGE_PREFIX",
    "ECDSAPrivateKey",
    "ECDSAPublicKey",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "FSKeystore",
    "InvalidKeyOptionError",
    "KeyExistsError",
    "KeyFormatError",
    "KeyInfo",
    "KeyNotFoundError",
    "KeyType",
    "Keyring",
    "Keystore",
    "KeystoreError",
    "MemoryKeystore",
    "PrivateKey",
    "PublicKey",
    "RSAPrivateKey",
    "RSAPublicKey",
    "Secp256k1PrivateKey",
    "Secp256k1PublicKey",
    "UnsupportedKeyTypeError",
    "check_key_encoding",
    "export_pem",
    "format_peer_id",
    "from_crypto_key",
    "from_crypto_public_key",
    "generate_key",
    "import_pem",
    "is_inlined",
    "keystore_path",
    "parse_peer_id",
    "parse_private_key",
    "public_key_from_peer_id",
    "unmarshal_private_key",
    "unmarshal_public_key",
]
