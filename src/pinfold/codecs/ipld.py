"""Links inside IPLD data-model codecs other than DAG-PB (DAG-CBOR, DAG-JSON)."""

from __future__ import annotations

from ..cid import CID, DAG_CBOR, DAG_JSON

_UNKNOWN: set[int] = set()


def _walk(value: object, out: list[CID]) -> None:
    if isinstance(value, CID):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _walk(v, out)
    elif isinstance(value, list | tuple):
        for v in value:
            _walk(v, out)
    else:
        # multiformats.CID from the dag-cbor package
        if type(value).__name__ == "CID" and hasattr(value, "__bytes__"):
            out.append(CID.from_bytes(bytes(value)))  # type: ignore[arg-type]


def links(codec: int, data: bytes | memoryview) -> list[CID]:
    """Links of a DAG-CBOR or DAG-JSON block; other codecs are treated as having none."""
    if codec == DAG_CBOR:
        import dag_cbor

        from ..errors import DecodeError

        try:
            value = dag_cbor.decode(bytes(data))
        except Exception as exc:  # noqa: BLE001 - any decode failure is a bad block
            raise DecodeError(f"dag-cbor: {exc}") from None
        out: list[CID] = []
        _walk(value, out)
        return out
    if codec == DAG_JSON:
        import json

        from ..errors import DecodeError

        try:
            value = json.loads(bytes(data))
        except ValueError as exc:
            raise DecodeError(f"dag-json: {exc}") from None
        out = []
        _walk_json(value, out)
        return out
    return []


def _walk_json(value: object, out: list[CID]) -> None:
    if isinstance(value, dict):
        if len(value) == 1 and "/" in value and isinstance(value["/"], str):
            out.append(CID.decode(value["/"]))
            return
        for v in value.values():
            _walk_json(v, out)
    elif isinstance(value, list):
        for v in value:
            _walk_json(v, out)
