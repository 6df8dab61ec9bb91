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

import importlib
from typing import TYPE_CHECKING, Any

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
_LAZY = {
    'ECDSAPrivateKey': 'ecdsa',
    'ECDSAPublicKey': 'ecdsa',
    'Ed25519PrivateKey': 'ed25519',
    'Ed25519PublicKey': 'ed25519',
    'FORMATS': 'formats',
    'FSKeystore': 'keystore',
    'InvalidKeyOptionError': 'errors',
    'KeyExistsError': 'errors',
    'KeyFormatError': 'errors',
    'KeyInfo': 'keyring',
    'KeyNotFoundError': 'errors',
    'KeyType': 'base',
    'Keyring': 'keyring',
    'Keystore': 'keystore',
    'KeystoreError': 'errors',
    'LIBP2P_FORMAT': 'formats',
    'MemoryKeystore': 'keystore',
    'PEM_FORMAT': 'formats',
    'PrivateKey': 'base',
    'PublicKey': 'base',
    'RSAPrivateKey': 'rsa',
    'RSAPublicKey': 'rsa',
    'SELF': 'keyring',
    'SIGNED_MESSAGE_PREFIX': 'keyring',
    'Secp256k1PrivateKey': 'secp256k1',
    'Secp256k1PublicKey': 'secp256k1',
    'UnsupportedKeyTypeError': 'errors',
    'check_key_encoding': 'peerid',
    'export_pem': 'pem',
    'format_peer_id': 'peerid',
    'from_crypto_key': 'marshal',
    'from_crypto_public_key': 'marshal',
    'generate_key': 'marshal',
    'import_pem': 'pem',
    'is_inlined': 'base',
    'keystore_path': 'keyring',
    'parse_peer_id': 'peerid',
    'parse_private_key': 'keyring',
    'public_key_from_peer_id': 'peerid',
    'unmarshal_private_key': 'marshal',
    'unmarshal_public_key': 'marshal',
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

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
