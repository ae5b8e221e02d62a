"""HCS plates: reading plates from other writers, writing plates they read, the plate tree,
the plate array, incremental (multi-process) writing, validation and bad input."""

from __future__ import annotations

import json
import pathlib
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import xarray as xr
import zarr

import xarray_ngff as xn
from xarray_ngff import HcsPlateWriter
from xarray_ngff._plate_read import open_plate_tree
from xarray_ngff.datasets import synthetic_plate
from xarray_ngff.errors import NgffError, PlateError, StoreExistsError, ValidationError


def _pixels(r: int, c: int, f: int, shape=(2, 16, 16)) -> np.ndarray:
    """Distinct content per field: a ramp plus an offset encoding the position."""
    ramp = np.arange(np.prod(shape), dtype="uint16").reshape(shape) % 97
    return (ramp + 1000 * r + 100 * c + 10 * f).astype("uint16")


# -- plates from ome-zarr-py and ngff-zarr ----------------------------------------------------


def _ome_zarr_plate(path, version, wells, fields=2, acquisitions=None, well_acq=None):
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import write_image, write_plate_metadata, write_well_metadata

    fmt = FormatV04() if version == "0.4" else FormatV05()
    root = zarr.open_group(str(path), mode="w", zarr_format=2 if version == "0.4" else 3)
    rows, cols = ["A", "B"], ["1", "2", "3"]
    write_plate_metadata(
        root, rows, cols, wells, fmt=fmt, name="ozp", field_count=fields, acquisitions=acquisitions
    )
    expected = {}
    for wp in wells:
        r, c = wp.split("/")
        wg = root.require_group(r).require_group(c)
        images = []
        for f in range(fields):
            acq = well_acq(f) if well_acq else None
            images.append({"path": str(f)} | ({"acquisition": acq} if acq is not None else {}))
            data = _pixels(rows.index(r), cols.index(c), f)
            write_image(data, wg.require_group(str(f)), axes="cyx", fmt=fmt, scale_factors=[2])
            expected[f"{wp}/{f}"] = data
        write_well_metadata(wg, images, fmt=fmt)
    return expected


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_read_ome_zarr_py_dense(tmp_path, version):
    wells = [f"{r}/{c}" for r in "AB" for c in "123"]
    path = tmp_path / "p.ome.zarr"
    expected = _ome_zarr_plate(path, version, wells)
    plate = xn.from_hcs_zarr(path, validate=True)
    assert plate.metadata.version == version and plate.metadata.name == "ozp"
    assert [w.path for w in plate.metadata.wells] == wells
    assert plate.metadata.field_count == 2
    for key, data in expected.items():
        r, c, f = key.split("/")
        img = plate.get_well(r, c).get_image(int(f))
        np.testing.assert_array_equal(img["scale0"]["image"].values, data)
        assert img["scale1"]["image"].shape == (2, 8, 8)
    tree = xr.open_datatree(path, engine="ngff")
    np.testing.assert_array_equal(tree["B/3/1/scale0/image"].values, expected["B/3/1"])
    assert tree["B/3"].attrs == plate.get_well("B", "3").store.attrs("B/3")


def test_read_ome_zarr_py_sparse_two_acquisitions(tmp_path):
    path = tmp_path / "p.ome.zarr"
    acqs = [{"id": 1, "name": "first"}, {"id": 2, "name": "second"}]
    expected = _ome_zarr_plate(
        path, "0.5", ["A/2", "B/3"], fields=4, acquisitions=acqs, well_acq=lambda f: 1 + f // 2
    )
    plate = xn.from_hcs_zarr(path, validate=True)
    assert [a.id for a in plate.metadata.acquisitions] == [1, 2]
    assert plate.get_well("A", "1") is None and plate.get_well("B", "2") is None
    well = plate.get_well("B", "3")
    assert [i.acquisition for i in well.images] == [1, 1, 2, 2]
    img = well.get_image_by_acquisition(2, 1)  # second field of acquisition 2 = field 3
    np.testing.assert_array_equal(img["scale0"]["image"].values, expected["B/3/3"])
    assert well.get_image_by_acquisition(2, 2) is None and well.get_image(4) is None
    arr = xn.plate_to_dataarray(plate)
    assert arr.shape == (2, 3, 4, 2, 16, 16)
    assert arr.present.sum() == 8 and arr.acquisition.sel(row="B", column="3").values.tolist() == [
        1,
        1,
        2,
        2,
    ]
    np.testing.assert_array_equal(arr.sel(row="A", column="2", field=2).values, expected["A/2/2"])
    assert int(arr.sel(row="A", column="1").max()) == 0  # missing well filled with 0


def test_read_ngff_zarr_plate(tmp_path):
    nz = pytest.importorskip("ngff_zarr")
    path = tmp_path / "nz.ome.zarr"
    meta = nz.Plate(
        columns=[nz.PlateColumn(name="1"), nz.PlateColumn(name="2")],
        rows=[nz.PlateRow(name="A"), nz.PlateRow(name="B")],
        wells=[
            nz.PlateWell(path="A/1", rowIndex=0, columnIndex=0),
            nz.PlateWell(path="B/2", rowIndex=1, columnIndex=1),
        ],
        acquisitions=[nz.PlateAcquisition(id=0, name="a")],
        field_count=2,
        name="nzplate",
        version="0.5",
    )
    expected = {}
    with nz.HCSPlateWriter(str(path), meta) as writer:
        for wp, (r, c) in (("A/1", (0, 0)), ("B/2", (1, 1))):
            for f in range(2):
                data = _pixels(r, c, f)
                img = nz.to_ngff_image(data, dims=["c", "y", "x"], scale={"y": 0.5, "x": 0.5})
                ms = nz.to_multiscales(img, scale_factors=[2])
                writer.write_well_image(ms, wp[0], wp[2], field_index=f, acquisition_id=0)
                expected[f"{wp}/{f}"] = data
    plate = xn.from_hcs_zarr(path)
    assert plate.metadata.name == "nzplate" and plate.well_paths == ["A/1", "B/2"]
    for key, data in expected.items():
        img = plate.image(key)
        np.testing.assert_array_equal(img["scale0"]["image"].values, data)
        assert img["scale0"]["image"].x.values[:2].tolist() == [0.0, 0.5]


# -- plates we write, read by the others ------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A 0.5 plate and a 0.4 plate written by us (sparse, two acquisitions)."""
    out = {}
    for version in ("0.4", "0.5"):
        path = tmp_path_factory.mktemp("w") / f"plate{version}.ome.zarr"
        tree = synthetic_plate(
            rows=2, columns=3, fields=2, missing=["B/1", "A/3/1"], acquisitions=2
        )
        xn.to_hcs_zarr(path, tree, version=version)
        out[version] = (path, tree)
    return out


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_written_plate_round_trip(written, version):
    path, tree = written[version]
    plate = xn.from_hcs_zarr(path, validate=True)
    assert plate.well_paths == ["A/1", "A/2", "A/3", "B/2", "B/3"]
    assert [i.acquisition for i in plate.get_well("A", "1").images] == [0, 1]
    assert [i.path for i in plate.get_well("A", "3").images] == ["0"]
    assert plate.metadata.field_count == 2 and plate.metadata.version == version
    for key in ("A/1/0", "B/3/1", "A/3/0"):
        got = plate.image(key)["scale0"]["image"]
        np.testing.assert_array_equal(got.values, tree[key]["scale0"]["image"].values)
        assert got.dims == ("c", "y", "x")


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_written_plate_read_by_ngff_zarr(written, version):
    nz = pytest.importorskip("ngff_zarr")
    path, tree = written[version]
    plate = nz.from_hcs_zarr(str(path), validate=True)
    assert plate.name == "synthetic" and len(plate.wells) == 5
    img = plate.get_well("B", "3").get_image(1)
    np.testing.assert_array_equal(np.asarray(img.images[0].data), tree["B/3/1/scale0/image"].values)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_written_plate_read_by_ome_zarr_py(written, version):
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Plate, Reader

    path, tree = written[version]
    nodes = list(Reader(parse_url(str(path)))())
    plate_node = nodes[0]
    assert any(isinstance(s, Plate) for s in plate_node.specs)
    spec = next(s for s in plate_node.specs if isinstance(s, Plate))
    assert spec.row_names == ["A", "B"] and spec.col_names == ["1", "2", "3"]
    assert sorted(spec.well_paths) == ["A/1", "A/2", "A/3", "B/2", "B/3"]
    # ome-zarr-py tiles the first field of every well into one plate image
    whole = np.asarray(plate_node.data[0])
    assert whole.shape[-2:] == (2 * 32, 3 * 32)
    np.testing.assert_array_equal(whole[..., 32:64, 64:96], tree["B/3/0/scale0/image"].values)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_written_plate_validates_with_ome_zarr_models(written, version):
    models = pytest.importorskip("ome_zarr_models")
    path, _ = written[version]
    if version == "0.4":
        from ome_zarr_models.v04.hcs import HCS
    else:
        from ome_zarr_models.v05.hcs import HCS
    assert models
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0.5: the version sits beside the plate, not in it
        hcs = HCS.from_zarr(zarr.open_group(str(path), mode="r"))
    attrs = hcs.attributes if version == "0.4" else hcs.attributes.ome
    assert [w.path for w in attrs.plate.wells] == ["A/1", "A/2", "A/3", "B/2", "B/3"]
    assert [a.id for a in attrs.plate.acquisitions] == [0, 1]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_written_plate_official_schemas(written, spec_dir, version):
    jsonschema = pytest.importorskip("jsonschema")
    import referencing
    import referencing.jsonschema

    path, _ = written[version]
    schemas = spec_dir / version / "schemas"
    resources = []
    for p in schemas.glob("*.schema"):
        doc = json.loads(p.read_text())
        resources.append((doc["$id"], referencing.jsonschema.DRAFT202012.create_resource(doc)))
    registry = referencing.Registry().with_resources(resources)

    def attrs(rel):
        if version == "0.4":
            return json.loads((path / rel / ".zattrs").read_text())
        return json.loads((path / rel / "zarr.json").read_text())["attributes"]

    for kind, rel in (("plate", "."), ("well", "A/1"), ("well", "B/3"), ("image", "A/1/0")):
        schema = json.loads((schemas / f"{kind}.schema").read_text())
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        assert [e.message for e in validator.iter_errors(attrs(rel))] == [], (kind, rel)


def test_written_plate_over_http(written, http_server):
    import shutil

    root, base = http_server
    path, tree = written["0.5"]
    shutil.copytree(path, root / "plate.ome.zarr")
    url = base + "/plate.ome.zarr"
    plate = xn.from_hcs_zarr(url)
    assert plate.well_paths[-1] == "B/3"
    got = plate.get_well("B", "2").get_image(1)["scale1"]["image"].values
    np.testing.assert_array_equal(got, tree["B/2/1/scale1/image"].values)
    remote = xr.open_datatree(url, engine="ngff")
    np.testing.assert_array_equal(
        remote["A/2/0/scale0/image"].values, tree["A/2/0/scale0/image"].values
    )


# -- the tree and the plate array -------------------------------------------------------------


def test_plate_tree_layout(written):
    path, _ = written["0.5"]
    tree = open_plate_tree(path, chunks={})
    assert sorted(tree.children) == ["A", "B"] and sorted(tree["B"].children) == ["2", "3"]
    assert sorted(tree["A/3"].children) == ["0"]
    assert tree.attrs["ome"]["plate"]["name"] == "synthetic"
    assert tree["A/1"].attrs["ome"]["well"]["images"][1] == {"path": "1", "acquisition": 1}
    assert list(tree["A/1/1"].children) == ["scale0", "scale1"]
    assert "multiscales" in tree["A/1/1"].attrs["ome"]
    assert tree["A/1/1/scale0/image"].chunks is not None  # dask, nothing read yet


def test_plate_array_sparse_and_reductions(written):
    path, tree = written["0.4"]
    arr = xn.plate_to_dataarray(path)
    assert arr.dims == ("row", "column", "field", "c", "y", "x")
    assert arr.shape == (2, 3, 2, 2, 32, 32) and arr.dtype == np.uint16
    assert arr.well.values.tolist() == [["A/1", "A/2", "A/3"], ["", "B/2", "B/3"]]
    assert arr.present.values.sum() == 9
    assert not bool(arr.present.sel(row="A", column="3", field=1))
    np.testing.assert_array_equal(
        arr.sel(row="B", column="3", field=1).values, tree["B/3/1/scale0/image"].values
    )
    # a reduction over wells, masking the fill of missing wells and fields
    mean = arr.where(arr.present).isel(c=0, y=0, x=0).mean(("row", "column", "field"))
    expected = np.mean(
        [
            1000 * r + 100 * c + 10 * f
            for r in range(2)
            for c in range(3)
            for f in range(2)
            if (r, c) != (1, 0) and (r, c, f) != (0, 2, 1)
        ]
    )
    assert float(mean) == pytest.approx(expected)
    level1 = xn.plate_to_dataarray(path, level=1, by="well")
    assert level1.dims[:2] == ("well", "field") and level1.shape[-2:] == (16, 16)
    assert level1.well.values.tolist() == ["A/1", "A/2", "A/3", "B/2", "B/3"]
    assert level1.row.values.tolist() == ["A", "A", "A", "B", "B"]
    with pytest.raises(PlateError, match="level 5 does not exist"):
        xn.plate_to_dataarray(path, level=5)


def test_plate_array_float_fill_and_per_field_origin(tmp_path):
    fields = {}
    for key, (ty, tx) in {"A/1/0": (0, 0), "A/1/1": (100, 50), "B/2/0": (7, 9)}.items():
        img = xn.to_ngff_image(
            np.full((8, 8), 1.5, "float32"),
            dims=("y", "x"),
            scale={"y": 0.5, "x": 0.5},
            translation={"y": ty, "x": tx},
        )
        fields[key] = xn.to_multiscales(img, scale_factors=[2])
    path = tmp_path / "f.ome.zarr"
    xn.to_hcs_zarr(path, fields, rows=["A", "B"], columns=["1", "2"])
    arr = xn.plate_to_dataarray(path)
    assert np.isnan(arr.sel(row="A", column="2").values).all()  # float plates fill with NaN
    assert arr.x.values[:2].tolist() == [0.0, 0.5]
    assert arr.x_origin.sel(row="A", column="1").values.tolist() == [0.0, 50.0]
    assert arr.y_origin.sel(row="B", column="2", field=0).item() == 7.0
    assert float(arr.sum(skipna=True)) == pytest.approx(3 * 64 * 1.5)


# -- incremental writing ----------------------------------------------------------------------


def _write_well(args):
    writer, row, column, nfields = args
    for f in range(nfields):
        img = xn.to_ngff_image(_pixels(ord(row) - 65, int(column), f), dims=("c", "y", "x"))
        writer.write_field(row, column, f, xn.to_multiscales(img, scale_factors=[2]))
    return f"{row}/{column}"


def test_process_pool_incremental_write(tmp_path):
    path = tmp_path / "pp.ome.zarr"
    writer = HcsPlateWriter(path, rows="ABC", columns=["1", "2"], name="pool", acquisitions=[0])
    jobs = [(writer, r, c, 2) for r in "ABC" for c in "12" if (r, c) != ("C", "2")]
    with ProcessPoolExecutor(2) as pool:
        done = list(pool.map(_write_well, jobs))
    # nothing claims the plate before publish: the root is a bare group
    with pytest.raises(PlateError, match="not an HCS plate"):
        xn.from_hcs_zarr(path)
    meta = writer.close()
    assert [w.path for w in meta.wells] == done
    plate = xn.from_hcs_zarr(path, validate=True)
    assert plate.well_paths == ["A/1", "A/2", "B/1", "B/2", "C/1"]
    for r, c in (("A", "2"), ("C", "1")):
        well = plate.get_well(r, c)
        assert [i.path for i in well.images] == ["0", "1"]
        assert [i.acquisition for i in well.images] == [0, 0]
        np.testing.assert_array_equal(
            well.get_image(1)["scale0"]["image"].values, _pixels(ord(r) - 65, int(c), 1)
        )


def test_same_well_from_processes_lists_every_field(tmp_path):
    path = tmp_path / "same.ome.zarr"
    writer = HcsPlateWriter(path, rows=["A"], columns=["1"], version="0.4")
    img = xn.to_multiscales(xn.to_ngff_image(np.ones((8, 8), "uint8"), dims=("y", "x")), [2])
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(writer.write_field, ["A"] * 6, ["1"] * 6, range(6), [img] * 6))
    writer.close()
    well = xn.from_hcs_zarr(path).get_well("A", "1")
    assert [i.path for i in well.images] == ["0", "1", "2", "3", "4", "5"]


def test_failed_field_is_not_listed(tmp_path):
    import dask.array as da

    path = tmp_path / "fail.ome.zarr"
    good = xn.to_ngff_image(np.ones((8, 8), "uint8"), dims=("y", "x"))

    def boom(block):
        raise RuntimeError("instrument stopped")

    bad = xn.to_ngff_image(
        da.ones((8, 8), dtype="uint8", chunks=4).map_blocks(boom, dtype="uint8"), dims=("y", "x")
    )
    with pytest.raises(RuntimeError, match="instrument stopped"):
        with HcsPlateWriter(path, rows=["A"], columns=["1", "2"]) as writer:
            writer.write_field("A", "1", 0, good)
            writer.write_field("A", "2", 0, bad)
    plate = xn.from_hcs_zarr(path, validate=True)
    assert plate.well_paths == ["A/1"]  # the failed well is not claimed
    assert plate.get_well("A", "2") is None


def test_writer_refuses_bad_requests(tmp_path):
    path = tmp_path / "w.ome.zarr"
    writer = HcsPlateWriter(path, rows=["A"], columns=["1"], acquisitions=[0, 1])
    img = xn.to_ngff_image(np.ones((4, 4), "uint8"), dims=("y", "x"))
    with pytest.raises(PlateError, match=r"no row 'B'; rows: \['A'\]"):
        writer.write_field("B", "1", 0, img, acquisition=0)
    with pytest.raises(PlateError, match="say which one"):
        writer.write_field("A", "1", 0, img)
    with pytest.raises(PlateError, match="acquisition 7"):
        writer.write_field("A", "1", 0, img, acquisition=7)
    with pytest.raises(PlateError, match="non-negative integer"):
        writer.write_field("A", "1", -1, img, acquisition=0)
    assert writer.publish() is None  # nothing written, nothing claimed
    other = tmp_path / "notzarr"
    other.mkdir()
    (other / "keep.txt").write_text("data")
    with pytest.raises(StoreExistsError):
        HcsPlateWriter(other, rows=["A"], columns=["1"])
    assert (other / "keep.txt").exists()
    xn.to_hcs_zarr(path, {"A/1/0": img}, version="0.5")
    with pytest.raises(PlateError, match="Zarr v3 plate"):
        HcsPlateWriter(path, rows=["A"], columns=["1"], version="0.4", overwrite=False)
    with pytest.raises(NgffError, match="field paths"):
        xn.to_hcs_zarr(tmp_path / "x.ome.zarr", {"A/1": img})


def test_resume_adds_wells(tmp_path):
    path = tmp_path / "r.ome.zarr"
    img = xn.to_ngff_image(np.ones((4, 4), "uint8"), dims=("y", "x"))
    with HcsPlateWriter(path, rows=["A"], columns=["1", "2"]) as w:
        w.write_field("A", "1", 0, img)
    with HcsPlateWriter(path, rows=["A"], columns=["1", "2"], overwrite=False) as w:
        w.write_field("A", "2", 0, img)
    assert xn.from_hcs_zarr(path).well_paths == ["A/1", "A/2"]


def test_to_hcs_zarr_from_a_read_plate_tree(written, tmp_path):
    path, tree = written["0.5"]
    out = tmp_path / "copy.ome.zarr"
    xn.to_hcs_zarr(out, xr.open_datatree(path, engine="ngff", chunks={}), version="0.4")
    plate = xn.from_hcs_zarr(out, validate=True)
    assert plate.metadata.name == "synthetic" and len(plate.metadata.acquisitions) == 2
    assert [i.acquisition for i in plate.get_well("B", "2").images] == [0, 1]
    np.testing.assert_array_equal(
        plate.image("B/3/1")["scale0"]["image"].values, tree["B/3/1/scale0/image"].values
    )


# -- older layouts, validation and bad input --------------------------------------------------


def _v01_plate(path: pathlib.Path) -> None:
    """An early (0.1) plate whose well paths carry an acquisition folder."""
    root = zarr.open_group(str(path), mode="w", zarr_format=2)
    root.attrs["plate"] = {
        "version": "0.1",
        "name": "old",
        "rows": [{"name": "A"}],
        "columns": [{"name": "1"}, {"name": "2"}],
        "wells": [{"path": "run1/A/2"}],
        "field_count": 1,
    }
    well = root.require_group("run1/A/2")
    well.attrs["well"] = {"version": "0.1", "images": [{"path": "0"}]}
    img = well.require_group("0")
    img.attrs["multiscales"] = [{"version": "0.1", "datasets": [{"path": "0"}]}]
    img.create_array(
        "0", data=np.arange(16, dtype="u1").reshape(1, 1, 1, 4, 4), chunks=(1, 1, 1, 4, 4)
    )


def test_old_layout_with_acquisition_folder(tmp_path):
    path = tmp_path / "old.zarr"
    _v01_plate(path)
    plate = xn.from_hcs_zarr(path, validate=True)
    well = plate.get_well("A", "2")
    assert well.path == "run1/A/2" and (well.row_index, well.column_index) == (0, 1)
    assert well.get_image(0)["scale0"]["image"].dims == ("t", "c", "z", "y", "x")
    arr = xn.plate_to_dataarray(plate)
    assert arr.shape == (1, 2, 1, 1, 1, 1, 4, 4)
    assert int(arr.sel(row="A", column="2").sum()) == sum(range(16))
    tree = xr.open_datatree(path, engine="ngff")
    assert tree["run1/A/2/0/scale0/image"].shape == (1, 1, 1, 4, 4)


def test_validate_reports_every_problem(written, tmp_path):
    import shutil

    path = tmp_path / "broken.ome.zarr"
    shutil.copytree(written["0.5"][0], path)
    doc = json.loads((path / "zarr.json").read_text())
    doc["attributes"]["ome"]["plate"]["wells"][0]["columnIndex"] = 9
    (path / "zarr.json").write_text(json.dumps(doc))
    wdoc = json.loads((path / "A/2/zarr.json").read_text())
    wdoc["attributes"]["ome"]["well"]["images"][0]["acquisition"] = 42
    (path / "A/2/zarr.json").write_text(json.dumps(wdoc))
    shutil.rmtree(path / "B/3/1")
    with pytest.raises(ValidationError) as err:
        xn.from_hcs_zarr(path, validate=True)
    text = "\n".join(err.value.problems)
    assert "plate.wells[0].columnIndex: 9 is out of range" in text
    assert "A/2: well.images[0].acquisition: 42 is not a plate acquisition id [0, 1]" in text
    assert "B/3: well.images[1].path: field '1' is not in the store" in text
    # without validation the plate opens; the broken field says what the well holds
    plate = xn.from_hcs_zarr(path)
    with pytest.raises(PlateError, match=r"lists field '1'.*holds groups \['0'\]"):
        plate.get_well("B", "3").get_image(1)
    with pytest.raises(PlateError, match="B/3/1"):
        xr.open_datatree(path, engine="ngff")


def test_bad_input_lists_what_exists(written, tmp_path):
    path, _ = written["0.5"]
    plate = xn.from_hcs_zarr(path)
    with pytest.raises(PlateError, match=r"no well B/1; wells present: \['A/1', 'A/2'") as err:
        plate.well("B", "1")
    assert err.value.path == "B/1" and err.value.store == str(path)
    with pytest.raises(PlateError, match=r"no field '1'; its fields: \['0'\]"):
        plate.image("A/3/1")
    with pytest.raises(PlateError, match="has 2 field"):
        plate.get_well("A", "1").image(3)
    with pytest.raises(NgffError, match="A/1/0"):  # a plate is not one image
        xr.open_dataset(path, engine="ngff")
    with pytest.raises(PlateError, match="'multiscales' group"):
        xn.from_hcs_zarr(str(path) + "/A/1/0")
    ds = xr.open_dataset(path, engine="ngff", image="A/2/1", level=1)
    assert ds["image"].shape == (2, 16, 16)


def test_mismatched_well_version(tmp_path):
    path = tmp_path / "mix.ome.zarr"
    img = xn.to_ngff_image(np.ones((4, 4), "uint8"), dims=("y", "x"))
    xn.to_hcs_zarr(path, {"A/1/0": img}, version="0.4")
    attrs = json.loads((path / "A/1/.zattrs").read_text())
    attrs["well"]["version"] = "0.3"
    (path / "A/1/.zattrs").write_text(json.dumps(attrs))
    plate = xn.from_hcs_zarr(path)
    with pytest.raises(PlateError, match="well is version 0.3 but its plate is version 0.4"):
        plate.get_well("A", "1")
    with pytest.raises(ValidationError, match="version '0.3' where '0.4'"):
        xn.from_hcs_zarr(path, validate=True)


def test_plate_objects_hold_no_xarray(written):
    import dataclasses

    plate = xn.from_hcs_zarr(written["0.5"][0])
    well = plate.get_well("A", "1")
    for obj in (plate, well):
        assert dataclasses.is_dataclass(obj)
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            assert not isinstance(value, xr.DataArray | xr.Dataset | xr.DataTree), f.name
