"""Synthetic samples are deterministic and well formed."""

import numpy as np
import pytest

from xarray_ngff import datasets
from xarray_ngff.errors import NgffError


@pytest.mark.parametrize("name", sorted(datasets.SAMPLES))
def test_samples_are_deterministic_ngff_images(name):
    a, b = datasets.sample(name), datasets.sample(name)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.name and set(a.dims) <= {"t", "c", "z", "y", "x"}
    assert all(v > 0 for v in a.ngff.scale.values())


def test_label_sample_is_integer_with_background():
    labels = datasets.nuclei_labels()
    assert labels.dtype.kind == "u"
    values = np.unique(labels.values)
    assert values[0] == 0 and len(values) > 10


def test_ramp_values_equal_x():
    ramp = datasets.ramp_2d()
    np.testing.assert_allclose(ramp.values, np.broadcast_to(ramp.x.values, ramp.shape))


def test_unknown_sample():
    with pytest.raises(NgffError, match="unknown sample"):
        datasets.sample("nope")
