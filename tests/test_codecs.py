"""The writers' codecs: named codecs (the CLI's ``--compressor``), v2/v3 translation and the
``compressors=`` argument, in the family of each version's Zarr format."""

from __future__ import annotations

import numcodecs
import pytest
import zarr.codecs

from xarray_ngff._cli import COMPRESSORS, make_compressors
from xarray_ngff._codecs import CODEC_NAMES, codec_for, named_compressors, resolve_compressors
from xarray_ngff.errors import UnsupportedVersionError, WriteError


def test_cli_names_are_the_codec_names():
    assert COMPRESSORS == CODEC_NAMES


@pytest.mark.parametrize("name", [n for n in CODEC_NAMES if n != "none"])
@pytest.mark.parametrize("version", ["0.4", "0.5", "0.6"])
def test_named_codecs_follow_the_zarr_format(name, version):
    (codec,) = named_compressors(name, 4, version)
    v2 = version == "0.4"
    assert isinstance(codec, numcodecs.abc.Codec) is v2
    assert isinstance(
        codec, zarr.codecs.BloscCodec | zarr.codecs.ZstdCodec | zarr.codecs.GzipCodec
    ) is (not v2)
    level = codec.clevel if "blosc" in name else codec.level
    assert level == 4
    assert make_compressors(f"{name}:4", version) == [codec]
    # a usable codec for that format: resolved (checked on a tiny in-memory array) unchanged
    assert resolve_compressors([codec], version, "t.zarr") == [codec]


def test_named_defaults_and_shuffle():
    (v2,) = named_compressors("blosc-zstd", None, "0.4")
    assert (v2.cname, v2.clevel, v2.shuffle) == ("zstd", 1, numcodecs.Blosc.BITSHUFFLE)
    (v3,) = named_compressors("blosc-lz4", None, "0.5")
    assert (v3.cname.value, v3.clevel, v3.shuffle.value) == ("lz4", 1, "shuffle")
    assert named_compressors("zstd", None, "0.4") == [numcodecs.Zstd(level=3)]
    assert named_compressors("gzip", None, "0.6") == [zarr.codecs.GzipCodec(level=5)]
    with pytest.raises(ValueError, match="unknown codec 'lzma'"):
        named_compressors("lzma", None, "0.5")


def test_translation_round_trips():
    v3 = zarr.codecs.BloscCodec(cname="lz4", clevel=7, shuffle="bitshuffle")
    v2 = codec_for(v3, 2)
    assert (v2.cname, v2.clevel, v2.shuffle) == ("lz4", 7, numcodecs.Blosc.BITSHUFFLE)
    back = codec_for(v2, 3)
    assert (back.cname.value, back.clevel, back.shuffle.value) == ("lz4", 7, "bitshuffle")


def test_bad_compressors_and_versions_are_refused_by_name():
    with pytest.raises(WriteError, match="Zarr v2") as info:
        resolve_compressors([zarr.codecs.TransposeCodec(order=(0,))], "0.4", "t.zarr")
    assert (info.value.store, info.value.field) == ("t.zarr", "compressors")
    with pytest.raises(UnsupportedVersionError, match="cannot write OME-NGFF version '0.3'"):
        resolve_compressors(None, "0.3", "t.zarr")
