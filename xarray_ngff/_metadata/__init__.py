"""Version-neutral NGFF metadata: one internal model, parsers for 0.1–0.5, emitters for 0.4/0.5."""

from .emit import image_attrs, multiscale_to_dict
from .model import SUPPORTED_READ, SUPPORTED_WRITE, Axis, Dataset, Multiscale
from .parse import normalize_version, ome_attrs, parse_image, parse_multiscales

__all__ = [
    "Axis",
    "Dataset",
    "Multiscale",
    "SUPPORTED_READ",
    "SUPPORTED_WRITE",
    "image_attrs",
    "multiscale_to_dict",
    "normalize_version",
    "ome_attrs",
    "parse_image",
    "parse_multiscales",
]
