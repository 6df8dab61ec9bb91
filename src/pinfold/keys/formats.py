"""The names of the key file formats ``key export``/``key import`` read and write (Kubo's),
in a module of their own that imports nothing: the CLI builds its parsers from them without
loading ``cryptography``."""

LIBP2P_FORMAT = "libp2p-protobuf-cleartext"
PEM_FORMAT = "pem-pkcs8-cleartext"
FORMATS = (LIBP2P_FORMAT, PEM_FORMAT)
