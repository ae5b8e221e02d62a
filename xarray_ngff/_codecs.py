"""Zarr codecs for the writers: the default codec, translation between the Zarr v2
(numcodecs) and v3 (``zarr.codecs``) spellings, the ``compressors=`` argument, and the named
codecs of the CLI's ``--compressor``.

The default (blosc zstd-1 bit-shuffle) was chosen by measurement; the figures are in
``docs/decisions.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numcodecs
import zarr
import zarr.codecs
import zarr.storage

from ._metadata.versions import DEFAULT_WRITE_VERSION, writable_version
from .errors import WriteError

__all__ = [
    "CODEC_NAMES",
    "codec_for",
    "default_compressors",
    "named_compressors",
    "resolve_compressors",
]

#: codec names of :func:`named_compressors` (the CLI's ``--compressor NAME[:LEVEL]``)
CODEC_NAMES = ("zstd", "blosc-zstd", "blosc-lz4", "gzip", "none")


def default_compressors(version: str = DEFAULT_WRITE_VERSION) -> list[Any]:
    """The default codec: blosc zstd level 1 with bit-shuffle (measured: docs/decisions.md).

    Examples
    --------
    >>> default_compressors("0.5")[0].cname.value, default_compressors("0.4")[0].cname
    ('zstd', 'zstd')
    """
    if writable_version(version).zarr_format == 2:
        return [numcodecs.Blosc(cname="zstd", clevel=1, shuffle=numcodecs.Blosc.BITSHUFFLE)]
    return [zarr.codecs.BloscCodec(cname="zstd", clevel=1, shuffle="bitshuffle")]


_SHUFFLE_V2 = {
    "noshuffle": numcodecs.Blosc.NOSHUFFLE,
    "shuffle": numcodecs.Blosc.SHUFFLE,
    "bitshuffle": numcodecs.Blosc.BITSHUFFLE,
}
_SHUFFLE_V3 = {v: k for k, v in _SHUFFLE_V2.items()}


def codec_for(codec: Any, zarr_format: int) -> Any:
    """Translate the common compressors between the v2 (numcodecs) and v3 (zarr.codecs)
    spellings, so one ``compressors=`` argument works for both versions."""
    if zarr_format == 2:
        if isinstance(codec, zarr.codecs.BloscCodec):
            shuffle = codec.shuffle.value if codec.shuffle is not None else "noshuffle"
            return numcodecs.Blosc(
                cname=codec.cname.value,
                clevel=codec.clevel,
                shuffle=_SHUFFLE_V2[shuffle],
                blocksize=codec.blocksize,
            )
        if isinstance(codec, zarr.codecs.ZstdCodec):
            return numcodecs.Zstd(level=codec.level, checksum=codec.checksum)
        if isinstance(codec, zarr.codecs.GzipCodec):
            return numcodecs.GZip(level=codec.level)
        return codec
    if isinstance(codec, numcodecs.Blosc):
        return zarr.codecs.BloscCodec(
            cname=codec.cname, clevel=codec.clevel, shuffle=_SHUFFLE_V3.get(codec.shuffle)
        )
    if isinstance(codec, numcodecs.Zstd):
        return zarr.codecs.ZstdCodec(level=codec.level, checksum=bool(codec.checksum))
    if isinstance(codec, numcodecs.GZip):
        return zarr.codecs.GzipCodec(level=codec.level)
    return codec


def resolve_compressors(compressors: Any, version: str, store_label: str) -> list[Any]:
    zarr_format = writable_version(version, store=store_label).zarr_format
    if compressors is None:
        return default_compressors(version)
    if isinstance(compressors, str | bytes | Mapping) or not isinstance(compressors, Sequence):
        compressors = [compressors]
    out = [codec_for(c, zarr_format) for c in compressors]
    # create the metadata of a tiny array in memory: zarr rejects bad codecs before the
    # target store is touched
    try:
        zarr.create_array(
            zarr.storage.MemoryStore(),
            shape=(2,),
            chunks=(2,),
            dtype="uint16",
            compressors=out,
            zarr_format=zarr_format,
        )
    except Exception as err:
        raise WriteError(
            f"compressors={compressors!r} cannot be used for Zarr v{zarr_format} "
            f"(OME-NGFF {version}): {err}",
            store=store_label,
            field="compressors",
        ) from err
    return out


def named_compressors(name: str, level: int | None, version: str) -> list[Any]:
    """The codecs for a name of :data:`CODEC_NAMES` (``level``: ``None`` for its default),
    in the codec family of ``version``'s Zarr format.

    Examples
    --------
    >>> named_compressors("zstd", 5, "0.5")
    [ZstdCodec(level=5, checksum=False)]
    >>> named_compressors("blosc-lz4", None, "0.4")[0].cname
    'lz4'
    >>> named_compressors("none", None, "0.4")
    []
    """
    if name not in CODEC_NAMES:
        raise ValueError(f"unknown codec {name!r}; choose one of {CODEC_NAMES}")
    if name == "none":
        return []
    if name == "zstd":
        codec: Any = zarr.codecs.ZstdCodec(level=3 if level is None else level)
    elif name == "gzip":
        codec = zarr.codecs.GzipCodec(level=5 if level is None else level)
    else:
        cname = name.split("-")[1]
        codec = zarr.codecs.BloscCodec(
            cname=cname,
            clevel=1 if level is None else level,
            shuffle="bitshuffle" if cname == "zstd" else "shuffle",
        )
    return [codec_for(codec, writable_version(version).zarr_format)]
