"""What of a photo's metadata its styled copy carries: its EXIF less the tags that describe the
original's pixel layout (size, bits, strips, compression, profile), its orientation reset to 1
(the rotation is in the pixels now), and without GPS when the location is to be dropped."""

from __future__ import annotations

import logging

from PIL import Image

log = logging.getLogger(__name__)

# TIFF tags about how the original's pixels are stored: never carried into the output
LAYOUT_TAGS = (254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 320, 322, 323, 324, 325, 338, 339, 340, 341, 530, 531, 532, 34675)
GPS_IFD = 0x8825


def carried_exif(exif: Image.Exif | None, *, strip_location: bool = False) -> Image.Exif | None:
    """``exif`` (changed in place) as the output carries it; None when there is none."""
    if exif is None:
        return None
    exif[0x0112] = 1
    for tag in LAYOUT_TAGS:
        exif.pop(tag, None)
    if strip_location:
        exif.get_ifd(GPS_IFD).clear()
        exif.pop(GPS_IFD, None)
    return exif


def exif_bytes(exif: Image.Exif | None, *, strip_location: bool = False) -> bytes | None:
    """``carried_exif`` as bytes to embed; None when there is none or Pillow cannot write it."""
    kept = carried_exif(exif, strip_location=strip_location)
    if kept is None:
        return None
    try:
        return kept.tobytes()
    except Exception:  # noqa: BLE001 - EXIF Pillow cannot write back is left out
        log.debug("EXIF not carried", exc_info=True)
        return None
