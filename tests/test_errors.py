"""One exception root, messages that say where."""

import inspect

import pytest

from xarray_ngff import errors


def test_every_error_derives_from_ngfferror_and_valueerror():
    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, Exception) and not issubclass(c, Warning)
    ]
    assert len(classes) > 10
    for cls in classes:
        assert issubclass(cls, errors.NgffError), cls
        assert issubclass(cls, ValueError), cls


def test_message_names_store_path_and_field():
    err = errors.MissingArrayError(
        "array missing",
        store="s3://b/x.ome.zarr",
        path="scale1",
        field="multiscales[0].datasets[1].path",
    )
    text = str(err)
    assert "s3://b/x.ome.zarr" in text and "scale1" in text and "datasets[1]" in text
    assert err.store == "s3://b/x.ome.zarr"


def test_validation_error_lists_every_problem():
    err = errors.ValidationError(["one", "two", "three"], store="a.zarr")
    assert err.problems == ["one", "two", "three"]
    assert "3 problem(s)" in str(err)
    for p in err.problems:
        assert f"- {p}" in str(err)


def test_warnings_are_user_warnings():
    assert issubclass(errors.UnitWarning, UserWarning)
    with pytest.warns(errors.NgffWarning):
        import warnings

        warnings.warn("x", errors.UnitWarning, stacklevel=1)
