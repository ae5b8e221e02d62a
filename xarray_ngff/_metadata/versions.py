"""The OME-NGFF version table: one frozen record per version, the one place that knows them.

Readers, writers and the validator ask this table what a version stores where (Zarr format,
the ``ome`` envelope, how axes and transforms are written) and whether it can be written.

Examples
--------
>>> VERSIONS["0.6"].zarr_format, VERSIONS["0.6"].axes, VERSIONS["0.6"].writable
(3, 'coordinateSystems', True)
>>> [v.version for v in VERSIONS.values() if v.writable]
['0.4', '0.5', '0.6']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UnsupportedVersionError

__all__ = [
    "VersionInfo",
    "VERSIONS",
    "READABLE",
    "WRITABLE",
    "version_info",
    "is_prerelease",
    "writable_version",
]


@dataclass(frozen=True)
class VersionInfo:
    """What one OME-NGFF version looks like on disk.

    Attributes
    ----------
    version
        The short version (``"0.6"``).
    zarr_format
        2 or 3.
    envelope
        Metadata lives under the ``ome`` key of the attributes (0.5 on).
    axes
        ``"fixed"`` (tczyx implied, 0.1/0.2), ``"names"`` (0.3), ``"objects"`` (0.4/0.5) or
        ``"coordinateSystems"`` (0.6 on, RFC-5).
    transforms
        ``"none"`` (0.1–0.3), ``"scale-translation"`` (0.4/0.5) or ``"rfc5"`` (every 0.6 type,
        named systems).
    writable
        Whether xarray-ngff writes it.
    written_as
        The version string written (``None``: not writable).
    released
        Released version strings this row accepts as conformant.
    models
        The ome-zarr-models subpackage that judges this version's documents (``"v04"``,
        ``"v05"``); ``None`` where the models have none.
    schemas
        The official schema set (a ``<set>/schemas`` folder, the one ngff-zarr ships) the
        runtime validator judges this version by; ``None``: ome-zarr-models or, for 0.1–0.3,
        the validator's own rules mirroring the schemas. 0.9.dev1 is judged as 0.6.
    implied
        A document without the ``ome`` envelope that declares no version is judged as this
        version when its shape allows it: axis objects, or a plate or well (0.1–0.3 had to
        declare theirs).
    omero_optional
        ``omero`` channels may omit ``window`` and ``color`` (typed when given).
    label_required
        A label image must carry ``image-label`` (the label schema requires it).
    document_well_paths
        Single plate documents are held to the well-path rule (``<row>/<column>`` of the
        plate's own names). The 0.4 suite marks plates with swapped paths valid, so 0.4 is not;
        a store's plates are held to it whatever their version.
    plate_grid
        HCS wells are ``<row>/<column>`` paths with ``rowIndex``/``columnIndex`` and
        alphanumeric row and column names (0.4 on). Before, a well path was any path to the
        well group, the plate's ``version`` was required and ``acquisitions`` non-empty.
    plate_integer_ids
        Plate acquisition ids are integers and ``field_count`` a positive integer (0.1: any
        JSON number, ``field_count`` untyped).
    """

    version: str
    zarr_format: int
    envelope: bool
    axes: str
    transforms: str
    writable: bool
    written_as: str | None = None
    released: tuple[str, ...] = ()
    models: str | None = None
    schemas: str | None = None
    implied: bool = False
    omero_optional: bool = False
    label_required: bool = False
    document_well_paths: bool = False
    plate_grid: bool = True
    plate_integer_ids: bool = True


VERSIONS: dict[str, VersionInfo] = {
    v.version: v
    for v in (
        VersionInfo(
            "0.1",
            2,
            False,
            "fixed",
            "none",
            False,
            released=("0.1",),
            plate_grid=False,
            plate_integer_ids=False,
        ),
        VersionInfo("0.2", 2, False, "fixed", "none", False, released=("0.2",), plate_grid=False),
        VersionInfo("0.3", 2, False, "names", "none", False, released=("0.3",), plate_grid=False),
        VersionInfo(
            "0.4",
            2,
            False,
            "objects",
            "scale-translation",
            True,
            "0.4",
            ("0.4",),
            models="v04",
            implied=True,
        ),
        VersionInfo(
            "0.5",
            3,
            True,
            "objects",
            "scale-translation",
            True,
            "0.5",
            ("0.5",),
            models="v05",
            omero_optional=True,
            label_required=True,
            document_well_paths=True,
        ),
        VersionInfo(
            "0.6",
            3,
            True,
            "coordinateSystems",
            "rfc5",
            True,
            "0.6",
            ("0.6", "0.6rc0"),
            schemas="0.6",
            omero_optional=True,
            label_required=True,
        ),
        # 0.9.dev1: 0.6 plus RFC-3 (free axes) and RFC-4 (orientation); read, not written
        VersionInfo(
            "0.9",
            3,
            True,
            "coordinateSystems",
            "rfc5",
            False,
            released=(),
            schemas="0.6",
            omero_optional=True,
            label_required=True,
        ),
    )
}
READABLE = tuple(VERSIONS)
WRITABLE = tuple(v.version for v in VERSIONS.values() if v.writable)

_SHORT = re.compile(r"^(\d+)\.(\d+)")


def version_info(version: str) -> VersionInfo:
    """The record of a version string (``"0.6.dev2"`` -> the 0.6 row); ``KeyError`` if none.

    Examples
    --------
    >>> version_info("0.6rc0").version, version_info("0.5-dev-spatialdata").version
    ('0.6', '0.5')
    """
    m = _SHORT.match(str(version))
    if m is None:
        raise KeyError(version)
    return VERSIONS[f"{m.group(1)}.{m.group(2)}"]


def is_prerelease(version: str) -> bool:
    """Whether a version string is a draft spelling of its row (``0.6.dev3``), not a release.

    Examples
    --------
    >>> is_prerelease("0.6.dev3"), is_prerelease("0.6rc0"), is_prerelease("0.6")
    (True, False, False)
    """
    info = version_info(version)
    return bool(info.released) and str(version) not in info.released and info.version >= "0.6"


def writable_version(version: object, store: str | None = None) -> VersionInfo:
    """The record of a version the writers write; the one place that refuses the others.

    Raises :class:`~xarray_ngff.errors.UnsupportedVersionError` (naming ``store`` and the
    field ``version``) for anything not in :data:`WRITABLE`, drafts and non-strings included.

    Examples
    --------
    >>> writable_version("0.4").zarr_format
    2
    >>> writable_version("0.3", store="old.zarr")
    Traceback (most recent call last):
    ...
    xarray_ngff.errors.UnsupportedVersionError: cannot write OME-NGFF version '0.3'; choose one of ('0.4', '0.5', '0.6') (store='old.zarr', field='version')
    """
    if not isinstance(version, str) or version not in WRITABLE:
        raise UnsupportedVersionError(
            f"cannot write OME-NGFF version {version!r}; choose one of {WRITABLE}",
            store=store,
            field="version",
        )
    return VERSIONS[version]


# -- asked by the command line (kept at the end, beside the other additions to the table) --

DEFAULT_WRITE_VERSION = "0.5"
"""The version written when none is asked for: the newest release readers widely support
(ngff-zarr's default too); ``convert --version`` and the writers start from it."""

WRITABLE_ZARR3 = tuple(v for v in WRITABLE if VERSIONS[v].zarr_format == 3)
"""Written versions stored as Zarr v3, the ones that can shard (``('0.5', '0.6')``)."""

ENVELOPE_VERSION = next(v.version for v in VERSIONS.values() if v.envelope)
"""The version an ``ome`` envelope that declares none is read as: the first version with the
envelope (``'0.5'``)."""

__all__ += ["DEFAULT_WRITE_VERSION", "WRITABLE_ZARR3", "ENVELOPE_VERSION"]
