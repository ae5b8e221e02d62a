"""Write dask blocks with tensorstore into arrays whose metadata zarr-python already wrote.

The writer creates every array with zarr-python (one code path for layout and metadata) and
then, with ``use_tensorstore=True``, opens each array with tensorstore in ``open`` mode, so
tensorstore adopts the existing ``zarr.json``/``.zarray`` (codecs, shards, fill value) and only
encodes and writes the chunks.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

__all__ = ["TensorStoreTarget"]

_LOCAL = threading.local()


def _context() -> Any:
    import tensorstore as ts

    ctx = getattr(_LOCAL, "context", None)
    if ctx is None:
        # dask already runs one task per core; one copy thread per task avoids oversubscription
        ctx = ts.Context({"data_copy_concurrency": {"limit": 1}})
        _LOCAL.context = ctx
    return ctx


class TensorStoreTarget:
    """A picklable ``__setitem__`` target for :func:`dask.array.store`.

    Parameters
    ----------
    root
        Local directory of the Zarr hierarchy.
    path
        Array path inside it (``scale0/image``).
    zarr_format
        2 or 3 (chooses the ``zarr`` or ``zarr3`` driver).
    shape, dtype
        Of the array, so dask can check the target without opening it.
    """

    def __init__(self, root: str, path: str, zarr_format: int, shape, dtype) -> None:
        self.root = str(root)
        self.path = path
        self.zarr_format = zarr_format
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.ndim = len(self.shape)
        self._store = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_store"] = None  # reopened where the task runs
        return state

    def _open(self):
        if self._store is None:
            import tensorstore as ts

            spec = {
                "driver": "zarr3" if self.zarr_format == 3 else "zarr",
                "kvstore": {"driver": "file", "path": f"{self.root.rstrip('/')}/{self.path}/"},
            }
            self._store = ts.open(spec, open=True, context=_context()).result()
        return self._store

    def __setitem__(self, key, value) -> None:
        self._open()[key].write(np.asarray(value)).result()
