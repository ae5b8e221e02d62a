"""PNG, JPEG, BMP, GIF... read eagerly with imageio (single 2D images)."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

import numpy as np

from ..errors import InputError, InvalidDimsError
from ._common import InputImage, build_image, stem

__all__ = ["read_imageio"]


def read_imageio(path: str | pathlib.Path, dims: Sequence[str] | None = None) -> InputImage:
    """Read a PNG, JPEG, BMP, GIF… with imageio (eagerly: these are single 2D images).

    RGB(A) pixels become a ``c`` dim named ``R, G, B(, A)``; several frames become ``t``.

    Examples
    --------
    >>> import numpy as np, imageio.v3 as iio, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "photo.png"
    >>> iio.imwrite(path, np.zeros((12, 16, 3), "uint8"))
    >>> src = read_imageio(path)
    >>> src.image.dims, src.image.shape, src.image.ngff.channel_names
    (('c', 'y', 'x'), (3, 12, 16), ['R', 'G', 'B'])
    """
    import imageio.v3 as iio

    path = str(path)
    try:
        data = np.asarray(iio.imread(path))
    except Exception as err:  # imageio raises many types; all mean "cannot read this file"
        raise InputError(f"cannot read {path!r} as an image: {err}", field="input") from err
    channel_names = None
    if dims is None:
        if data.ndim == 2:
            dims = ("y", "x")
        elif data.ndim == 3 and data.shape[-1] in (3, 4):
            dims = ("y", "x", "c")
            channel_names = list("RGBA"[: data.shape[-1]])
        elif data.ndim == 3:
            dims = ("t", "y", "x")
        elif data.ndim == 4 and data.shape[-1] in (3, 4):
            dims = ("t", "y", "x", "c")
            channel_names = list("RGBA"[: data.shape[-1]])
        else:
            raise InvalidDimsError(
                f"{path!r}: cannot guess dims for shape {data.shape}; pass dims=",
                field="dims",
            )
    image = build_image(data, list(dims), channel_names=channel_names, name=stem(path))
    return InputImage([image], "imageio", path)
