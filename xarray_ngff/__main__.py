"""``python -m xarray_ngff``: the command line (see :mod:`xarray_ngff._cli`)."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
