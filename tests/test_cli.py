"""The xarray-ngff command line: option parsing, info, validate, convert and errors."""

from __future__ import annotations

import importlib
import importlib.util
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import zarr

import xarray_ngff as xn
from xarray_ngff import _cli as cli
from xarray_ngff._cli import (
    CliError,
    describe_store,
    main,
    make_compressors,
    parse_chunks,
    parse_per_dim,
    parse_scale_factors,
)
from xarray_ngff.errors import NgffError

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- option parsing -------------------------------------------------------------------------


def test_parse_per_dim_forms():
    assert parse_per_dim("z=2, y=0.5 ,x=0.5", float) == {"z": 2.0, "y": 0.5, "x": 0.5}
    assert parse_per_dim("3", float, spatial=("z", "y", "x")) == {"z": 3.0, "y": 3.0, "x": 3.0}
    assert parse_per_dim(None) is None
    with pytest.raises(CliError, match="--scale: 'abc' is not a valid float"):
        parse_per_dim("x=abc", float, option="--scale")
    with pytest.raises(CliError, match="not DIM=VALUE"):
        parse_per_dim("x=1,y", float)


def test_parse_scale_factors_and_chunks():
    assert parse_scale_factors(None) is None
    assert parse_scale_factors("AUTO") is None
    assert parse_scale_factors("2, 4,8") == [2, 4, 8]
    assert parse_scale_factors("none") == []
    assert parse_scale_factors('[{"x": 2}]') == [{"x": 2}]
    with pytest.raises(CliError, match="not valid JSON"):
        parse_scale_factors("[{x: 2}]")
    with pytest.raises(CliError, match="not a valid int"):
        parse_scale_factors("2,four")
    assert parse_chunks("z=16,y=64") == {"z": 16, "y": 64}
    assert parse_chunks("1, 4,4", "--chunks-per-shard") == (1, 4, 4)
    with pytest.raises(CliError, match="--chunks-per-shard"):
        parse_chunks("x", "--chunks-per-shard")


def test_compressors_per_version():
    import numcodecs
    from zarr.codecs import BloscCodec, GzipCodec

    (v3,) = make_compressors("blosc-lz4:5", "0.5")
    assert isinstance(v3, BloscCodec) and v3.cname.value == "lz4" and v3.clevel == 5
    (v2,) = make_compressors("blosc-zstd", "0.4")
    assert isinstance(v2, numcodecs.Blosc) and v2.shuffle == numcodecs.Blosc.BITSHUFFLE
    assert isinstance(make_compressors("gzip", "0.5")[0], GzipCodec)
    assert make_compressors(None, "0.5") is None
    assert make_compressors("none", "0.5") == []
    with pytest.raises(CliError, match="not a valid int"):
        make_compressors("zstd:high", "0.5")


# -- errors ---------------------------------------------------------------------------------


def test_usage_errors_exit_2(capsys):
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "convert" in out and "validate" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["convert", "--sample", "nope", "out.zarr"], "invalid choice: 'nope'"),
        (["convert", "in.tif", "out.zarr", "--scale", "x=fast"], "not a valid float"),
        (["convert", "--sample", "blobs_2d", "a", "b"], "give only OUTPUT"),
        (["convert", "just-one.zarr"], "give INPUT and OUTPUT"),
        (["info", "missing.ome.zarr"], "does not exist"),
        (["convert", "x.tif", "y.zarr", "--storage-options", "[1]"], "JSON object"),
    ],
)
def test_errors_are_one_line(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    if not err.startswith("usage:"):  # our errors, not argparse's usage text
        assert err.startswith("xarray-ngff: error: ") and err.count("\n") == 1
        assert "Traceback" not in err


def test_library_field_errors_name_the_flag(capsys, tmp_path):
    # relabel names its parameter (field="scale"); the command line reports the flag
    code, _, err = run(
        capsys, "convert", "--sample", "cells_3d", tmp_path / "o.zarr", "--scale", "t=2"
    )
    assert code == 2
    assert err.startswith("xarray-ngff: error: --scale: scale names ['t']")


def test_debug_shows_the_exception(tmp_path):
    with pytest.raises(CliError, match="does not exist"):
        main(["info", str(tmp_path / "missing.zarr"), "--debug"])
    with pytest.raises(CliError):
        main(["--debug", "info", str(tmp_path / "missing.zarr")])


def test_python_dash_m_subprocess(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "xarray_ngff", "info", str(tmp_path / "nope.ome.zarr")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("xarray-ngff: error:")
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


# -- info on stores written by other tools ----------------------------------------------------


def _hand_image(group, name="img", channels=("DAPI", "GFP")):
    """A 0.4 image with two levels, omero channel labels and a label image, built with zarr."""
    data = np.arange(2 * 16 * 20, dtype="uint16").reshape(2, 16, 20)
    group.create_array("0", data=data, chunks=(1, 8, 8))
    group.create_array("1", data=data[:, ::2, ::2], chunks=(1, 8, 8))
    axes = [
        {"name": "c", "type": "channel"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    group.attrs.update(
        {
            "multiscales": [
                {
                    "version": "0.4",
                    "name": name,
                    "axes": axes,
                    "datasets": [
                        {
                            "path": "0",
                            "coordinateTransformations": [
                                {"type": "scale", "scale": [1.0, 0.25, 0.25]}
                            ],
                        },
                        {
                            "path": "1",
                            "coordinateTransformations": [
                                {"type": "scale", "scale": [1.0, 0.5, 0.5]},
                                {"type": "translation", "translation": [0.0, 0.125, 0.125]},
                            ],
                        },
                    ],
                }
            ],
            "omero": {"channels": [{"label": c} for c in channels]},
        }
    )


def test_info_json_of_a_hand_built_store_with_labels(capsys, tmp_path):
    path = tmp_path / "hand.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=2)
    _hand_image(root)
    labels = root.create_group("labels")
    labels.attrs["labels"] = ["cells"]
    cells = labels.create_group("cells")
    cells.create_array("0", shape=(16, 20), dtype="uint32", chunks=(16, 20))
    cells.attrs["multiscales"] = [
        {
            "version": "0.4",
            "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
            "datasets": [
                {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}
            ],
        }
    ]
    code, out, _ = run(capsys, "info", path, "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["layout"], info["version"]) == ("image", "0.4")
    image, label = info["images"]
    assert image["name"] == "img" and image["channels"] == ["DAPI", "GFP"]
    assert [a.get("unit") for a in image["axes"]] == [None, "micrometer", "micrometer"]
    assert [lv["shape"] for lv in image["levels"]] == [[2, 16, 20], [2, 8, 10]]
    assert image["levels"][1]["scale"] == [1.0, 0.5, 0.5]
    assert image["levels"][1]["translation"] == [0.0, 0.125, 0.125]
    assert image["levels"][0]["chunks"] == [1, 8, 8] and image["levels"][0]["shards"] is None
    assert image["labels"] == ["cells"]
    assert label["label"] is True and label["path"] == "labels/cells"
    assert label["levels"][0]["dtype"] == "uint32"
    assert info["bytes"] > 0
    code, out, _ = run(capsys, "info", path)
    assert code == 0
    assert "channels: DAPI, GFP" in out and "units micrometer" in out
    assert "scale y=0.5 x=0.5 · translation y=0.125 x=0.125" in out
    assert "labels: cells" in out and "label at labels/cells/" in out


def test_info_of_ngff_zarr_sharded_store(capsys, tmp_path):
    nz = pytest.importorskip("ngff_zarr")
    img = nz.to_ngff_image(
        np.zeros((8, 32, 32), "uint8"),
        dims=["z", "y", "x"],
        scale={"z": 2.0, "y": 0.5, "x": 0.5},
        axes_units={"z": "micrometer", "y": "micrometer", "x": "micrometer"},
    )
    path = tmp_path / "nz.ome.zarr"
    ms = nz.to_multiscales(img, scale_factors=[2], chunks=8)
    nz.to_ngff_zarr(path, ms, version="0.5", chunks_per_shard=2)
    info = describe_store(path)
    assert info["version"] == "0.5"
    level0 = info["images"][0]["levels"][0]
    assert level0["chunks"] == [8, 8, 8] and level0["shards"] == [8, 16, 16]
    assert level0["scale"] == [2.0, 0.5, 0.5]
    code, out, _ = run(capsys, "info", path)
    assert code == 0 and "shards 8×16×16" in out


def test_info_of_a_plate(capsys, tmp_path):
    path = tmp_path / "plate.ome.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=2)
    wells = ["A/1", "A/3", "B/2"]
    root.attrs["plate"] = {
        "version": "0.4",
        "name": "screen",
        "rows": [{"name": "A"}, {"name": "B"}],
        "columns": [{"name": "1"}, {"name": "2"}, {"name": "3"}],
        "wells": [
            {"path": w, "rowIndex": "AB".index(w[0]), "columnIndex": int(w[2]) - 1} for w in wells
        ],
        "field_count": 2,
    }
    for w in wells:
        well = root.create_group(w)
        well.attrs["well"] = {"version": "0.4", "images": [{"path": "0"}, {"path": "1"}]}
        for f in ("0", "1"):
            _hand_image(well.create_group(f), name=f"{w}/{f}")
    info = describe_store(path)
    assert info["layout"] == "plate"
    plate = info["plate"]
    assert plate["name"] == "screen" and plate["wells"] == wells
    assert plate["rows"] == ["A", "B"] and plate["fields_in_first_well"] == 2
    assert info["images"][0]["path"] == "A/1/0"
    code, out, _ = run(capsys, "info", path)
    assert code == 0
    assert "2 rows × 3 columns, 3 wells" in out
    assert "  A ■·■" in out and "  B ·■·" in out


def test_info_refuses_plain_zarr(capsys, tmp_path):
    zarr.open_group(tmp_path / "plain.zarr", mode="w")
    code, _, err = run(capsys, "info", tmp_path / "plain.zarr")
    assert code == 2 and "no OME-NGFF metadata" in err


def test_info_opens_stores_as_the_reader_does(capsys, tmp_path):
    # one opener for info and the reader: the same refusal, naming the store
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not a store")
    for name, reader_says in (("empty", "no Zarr group"), ("notes.txt", "not a zip archive")):
        with pytest.raises(NgffError, match=reader_says):
            xn.from_ngff_zarr(tmp_path / name)
        code, _, err = run(capsys, "info", tmp_path / name)
        assert code == 2 and reader_says in err and str(tmp_path / name) in err


def test_info_plain_text_without_rich(capsys, tmp_path, monkeypatch):
    path = tmp_path / "hand.ome.zarr"
    _hand_image(zarr.open_group(path, mode="w", zarr_format=2))
    monkeypatch.setitem(sys.modules, "rich.tree", None)  # import fails as if rich were absent
    code, out, _ = run(capsys, "info", path)
    assert code == 0
    assert out.splitlines()[1].startswith("  image 'img'") and "channels: DAPI, GFP" in out


# -- convert, info and validate together (need the writer, reader and validator) ---------------


@pytest.fixture
def writer():
    return importlib.import_module("xarray_ngff._writer")


def _ome_tiff(path):
    tifffile = pytest.importorskip("tifffile")
    rng = np.random.default_rng(0)
    data = rng.integers(0, 4000, size=(2, 6, 96, 128), dtype=np.uint16)
    tifffile.imwrite(
        path,
        data,
        photometric="minisblack",
        tile=(64, 64),
        metadata={
            "axes": "CZYX",
            "PhysicalSizeX": 0.325,
            "PhysicalSizeXUnit": "µm",
            "PhysicalSizeY": 0.325,
            "PhysicalSizeYUnit": "µm",
            "PhysicalSizeZ": 2.0,
            "PhysicalSizeZUnit": "µm",
            "Channel": {"Name": ["DAPI", "Alexa 488"]},
        },
    )
    return data


def test_done_when_ome_tiff_convert_info_validate(capsys, tmp_path, writer):
    importlib.import_module("xarray_ngff._validate")
    tif = tmp_path / "scan.ome.tif"
    data = _ome_tiff(tif)
    out_path = tmp_path / "scan.ome.zarr"
    code, out, err = run(capsys, "convert", tif, out_path, "--chunks", "32", "--quiet")
    assert (code, out) == (0, ""), err
    code, out, _ = run(capsys, "info", out_path, "--json")
    assert code == 0
    info = json.loads(out)
    image = info["images"][0]
    assert [a["name"] for a in image["axes"]] == ["c", "z", "y", "x"]
    assert [a.get("unit") for a in image["axes"]] == [None, *["micrometer"] * 3]
    assert image["channels"] == ["DAPI", "Alexa 488"]
    assert image["levels"][0]["shape"] == [2, 6, 96, 128]
    assert image["levels"][0]["scale"] == [1.0, 2.0, 0.325, 0.325]
    assert len(image["levels"]) >= 2
    assert image["levels"][1]["scale"][2:] == [0.65, 0.65]
    code, out, _ = run(capsys, "info", out_path)
    assert "channels: DAPI, Alexa 488" in out and "scale z=2 y=0.325 x=0.325" in out
    code, out, _ = run(capsys, "validate", out_path)
    assert (code, out.strip()) == (0, f"{out_path}: valid")
    reader = importlib.import_module("xarray_ngff._reader")
    back = reader.from_ngff_zarr(out_path).ngff.levels[0]
    np.testing.assert_array_equal(back.values, data)


def test_convert_sample_prints_what_was_written(capsys, tmp_path, writer):
    out_path = tmp_path / "cells.ome.zarr"
    code, out, err = run(capsys, "convert", "--sample", "cells_3d", out_path)
    assert code == 0, err
    # the progress bar may share stdout; the summary starts on its own line
    assert f"\nwrote {out_path} · OME-Zarr 0.5 · image" in "\n" + out
    # 32-pixel chunks for samples: y/x halve twice, anisotropic z waits
    assert "[0] 0: 32×128×128" in out
    assert "[1] 1: 32×64×64" in out
    assert "[2] 2: 32×32×32" in out
    assert "scale z=2 y=2 x=2" in out
    code, out, err = run(
        capsys, "convert", "--sample", "cells_3d", tmp_path / "g.zarr", "--layout", "scale-groups"
    )
    assert code == 0, err
    assert "[1] scale1/cells: 32×64×64" in out
    code, _, err = run(capsys, "convert", "--sample", "cells_3d", out_path)
    assert code == 2 and "pass --overwrite" in err


def test_convert_options_reach_the_store(capsys, tmp_path, writer):
    png = tmp_path / "grey.png"
    iio = pytest.importorskip("imageio.v3")
    iio.imwrite(png, (np.arange(64 * 80) % 251).astype("uint8").reshape(64, 80))
    out_path = tmp_path / "grey.ome.zarr"
    argv = [
        "convert",
        png,
        out_path,
        "--scale",
        "0.5",
        "--translation",
        "y=10,x=20",
        "--units",
        "nm",
        "--name",
        "grey",
        "--scale-factors",
        "2,4",
        "--method",
        "mean",
        "--chunks",
        "16",
        "--chunks-per-shard",
        "2",
        "--compressor",
        "gzip",
        "-q",
    ]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    image = describe_store(out_path)["images"][0]
    assert image["name"] == "grey" and image["method"] == "mean"
    assert [a["unit"] for a in image["axes"]] == ["nanometer", "nanometer"]
    assert [lv["shape"] for lv in image["levels"]] == [[64, 80], [32, 40], [16, 20]]
    assert image["levels"][0]["translation"] == [10.0, 20.0]
    assert image["levels"][2]["scale"] == [2.0, 2.0]
    assert image["levels"][2]["translation"] == [10.75, 20.75]
    assert image["levels"][0]["chunks"] == [16, 16] and image["levels"][0]["shards"] == [32, 32]
    assert image["levels"][0]["compressors"] == ["gzip"]


def test_convert_to_04_and_reuse_stored_pyramid(capsys, tmp_path, writer):
    importlib.import_module("xarray_ngff._reader")
    first = tmp_path / "a.ome.zarr"
    assert main(["convert", "--sample", "blobs_2d", str(first), "-q"]) == 0
    levels = describe_store(first)["images"][0]["levels"]
    second = tmp_path / "b.ome.zarr"
    code, _, err = run(capsys, "convert", first, second, "--version", "0.4", "-q")
    assert code == 0, err
    info = describe_store(second)
    assert info["version"] == "0.4"
    assert [lv["shape"] for lv in info["images"][0]["levels"]] == [lv["shape"] for lv in levels]
    assert (second / ".zattrs").exists()
    code, _, err = run(capsys, "convert", first, tmp_path / "c.zarr", "--version", "0.4",
                       "--chunks-per-shard", "2")  # fmt: skip
    assert code == 2 and "needs --version 0.5" in err


def test_convert_on_a_local_cluster(capsys, tmp_path, writer):
    pytest.importorskip("dask.distributed")
    tif = tmp_path / "scan.ome.tif"
    _ome_tiff(tif)
    out_path = tmp_path / "cluster.ome.zarr"
    code, _, err = run(
        capsys, "convert", tif, out_path, "--workers", "1", "--memory-limit", "1GB", "-q"
    )
    assert code == 0, err
    assert describe_store(out_path)["images"][0]["channels"] == ["DAPI", "Alexa 488"]
    code, _, err = run(capsys, "convert", tif, tmp_path / "x.zarr", "--memory-limit", "lots")
    assert code == 2 and "--memory-limit" in err


def test_validate_reports_problems_with_exit_1(capsys, tmp_path, writer):
    importlib.import_module("xarray_ngff._validate")
    path = tmp_path / "broken.ome.zarr"
    assert main(["convert", "--sample", "blobs_2d", str(path), "-q"]) == 0
    # break it: delete the array of the last level
    meta = json.loads((path / "zarr.json").read_text())
    last = meta["attributes"]["ome"]["multiscales"][0]["datasets"][-1]["path"]
    import shutil

    shutil.rmtree(path / last)
    code, out, _ = run(capsys, "validate", path)
    assert code == 1
    assert "problem(s)" in out.splitlines()[0]
    code, out, _ = run(capsys, "validate", path, "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False and report["problems"]


def test_cli_module_imports_without_extras():
    # rich, tifffile and imageio are imported lazily: the module itself needs none of them
    src = pathlib.Path(cli.__file__).read_text()
    top = src.split("def ", 1)[0]
    assert "import rich" not in top and "import tifffile" not in top and "imageio" not in top


def test_one_line_errors_keep_their_notes():
    from xarray_ngff._cli import _one_line

    err = NgffError("dims are wrong", field="dims")
    err.add_note("while writing (store='x.zarr', path='scale0')")
    assert _one_line(err) == (
        "dims are wrong (field='dims'); while writing (store='x.zarr', path='scale0')"
    )


def test_version_choices_and_default_come_from_the_table():
    import inspect

    from xarray_ngff._metadata.versions import DEFAULT_WRITE_VERSION, VERSIONS, WRITABLE

    assert DEFAULT_WRITE_VERSION in WRITABLE
    args = cli.build_parser().parse_args(["convert", "in.tif", "out.zarr"])
    assert args.ngff_version == DEFAULT_WRITE_VERSION
    assert inspect.signature(cli.convert).parameters["version"].default == DEFAULT_WRITE_VERSION
    action = next(
        a
        for a in cli.build_parser()._subparsers._group_actions[0].choices["convert"]._actions
        if a.dest == "ngff_version"
    )
    assert tuple(action.choices) == WRITABLE
    # sharding: every Zarr v3 version the table writes, named in the refusal
    v3 = [v for v in WRITABLE if VERSIONS[v].zarr_format == 3]
    with pytest.raises(CliError, match=" or ".join(v3)):
        cli.convert(None, "x.zarr", sample="blobs_2d", version="0.4", chunks_per_shard=2)
