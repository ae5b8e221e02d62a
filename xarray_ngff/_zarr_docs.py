"""Say what is wrong with a Zarr node zarr-python could not open, in the store's own terms.

zarr-python reports a bad ``"zarr_format": "2"`` as "Expected one of 2 or 3. Got 2.", and an
array where a group was expected as ``ContainsArrayError``. :func:`explain` reads the raw
metadata documents of the node and names the offending value with its JSON type, or says
that the node is an array and how to open it as an image.
"""

from __future__ import annotations

import json
from typing import Any

from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync

from .errors import MetadataError, NgffError, NotOmeZarrError, json_type, json_value

__all__ = ["explain"]

_KEYS = ("zarr.json", ".zgroup", ".zarray", ".zattrs")
# (key, field): expected JSON types, allowed values (None: any)
_FIELDS: dict[tuple[str, str], tuple[tuple[str, ...], tuple[Any, ...] | None]] = {
    ("zarr.json", "zarr_format"): (("number",), (3,)),
    ("zarr.json", "node_type"): (("string",), ("group", "array")),
    ("zarr.json", "attributes"): (("object",), None),
    ("zarr.json", "shape"): (("array",), None),
    ("zarr.json", "dimension_names"): (("array", "null"), None),
    ("zarr.json", "codecs"): (("array",), None),
    ("zarr.json", "chunk_grid"): (("object",), None),
    ("zarr.json", "chunk_key_encoding"): (("object",), None),
    ("zarr.json", "data_type"): (("string", "object"), None),
    (".zgroup", "zarr_format"): (("number",), (2,)),
    (".zarray", "zarr_format"): (("number",), (2,)),
    (".zarray", "shape"): (("array",), None),
    (".zarray", "chunks"): (("array",), None),
    (".zarray", "dtype"): (("string", "array"), None),
    (".zarray", "compressor"): (("object", "null"), None),
    (".zarray", "filters"): (("array", "null"), None),
    (".zarray", "order"): (("string",), ("C", "F")),
}


def _read(store: Any, key: str) -> bytes | None:
    try:
        buf = sync(store.get(key, prototype=default_buffer_prototype()))
    except Exception:  # unreadable here too: nothing better to say than zarr did
        return None
    return None if buf is None else buf.to_bytes()


def explain(
    store: Any, path: str, name: str, *, shown: str | None = None, group: bool = True
) -> NgffError | None:
    """A clearer error for the node at key prefix ``path`` of ``store`` (named ``name``, the
    node shown as ``shown``), or None. ``group``: a group was expected there."""
    path = path.strip("/")
    where = shown or path or "/"
    docs: dict[str, Any] = {}
    for key in _KEYS:
        raw = _read(store, f"{path}/{key}" if path else key)
        if raw is None:
            continue
        try:
            docs[key] = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            return MetadataError(f"{key} is not valid JSON: {err}", store=name, path=where)
    for key, doc in docs.items():
        if not isinstance(doc, dict):
            return MetadataError(
                f"{key} must hold a JSON object, got {json_value(doc)}",
                store=name,
                path=where,
                field=key,
            )
        if key == ".zattrs":
            continue  # attributes are the OME metadata's to check, not zarr's
        for (k, field), (types, allowed) in _FIELDS.items():
            if k != key or field not in doc:
                continue
            value = doc[field]
            if json_type(value) not in types or (allowed is not None and value not in allowed):
                want = (
                    " or ".join(json.dumps(a) for a in allowed)
                    if allowed
                    else " or ".join(f"a JSON {t}" for t in types)
                )
                return MetadataError(
                    f'invalid Zarr metadata in {key}: "{field}": {json_value(value)}; '
                    f"it must be {want}",
                    store=name,
                    path=where,
                    field=field,
                )
    is_array = docs.get("zarr.json", {}).get("node_type") == "array" or ".zarray" in docs
    if group and is_array:
        return NotOmeZarrError(
            "this is a Zarr array, not an OME-Zarr group (OME-Zarr keeps its images in a "
            "group with multiscales metadata); open it as an image with "
            f"xn.to_ngff_image(zarr.open_array({name!r}, mode='r'), dims=[...])",
            store=name,
            path=where,
            field="node_type",
        )
    return None
