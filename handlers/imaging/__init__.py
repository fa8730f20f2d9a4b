"""Pure image logic of the pipeline: validation at ingest, rendering at enhance. No AWS here.

Imports only the stdlib, the contract's names and Pillow (``PIL.Image`` at import; the JPEG/PNG
plugins and ImageCms when first needed), so a Lambda handler can import it cheaply.

- :func:`inspect_image` → :class:`ImageInfo`: identify by content, enforce :class:`Limits`,
  check integrity without decoding full-resolution pixels.
- :func:`render` → :class:`Rendition`: an optimized and a thumbnail :class:`Variant`, upright,
  mildly enhanced, metadata stripped but the copyright notice, sized by :class:`VariantSizes`, in
  the formats and widths :class:`Outputs` asks for.
- Both raise :class:`ImageRejected` (``.reason`` for people, ``.code`` for code, one of the
  contract's ``REJECTION_CODES``) and nothing else for bad input.
"""

from .encoding import Outputs, Variant
from .inspect import ImageInfo, Limits, inspect_image
from .rejection import ImageRejected
from .render import Rendition, VariantSizes, render

__all__ = [
    "ImageInfo",
    "ImageRejected",
    "Limits",
    "Outputs",
    "Rendition",
    "Variant",
    "VariantSizes",
    "inspect_image",
    "render",
]
