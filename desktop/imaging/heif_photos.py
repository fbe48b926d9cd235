"""HEIC/HEIF photos (what a phone takes) through libheif (``pi-heif``: pillow-heif's build
that only decodes, so the GPL x265 encoder is not in the installer), and AVIF through Pillow's
own plugin (Pillow 11.3 and later read AVIF themselves; libheif here is only asked for
HEIF). Importing this module registers the HEIF opener with Pillow, once per process, so the
intake opens a HEIC like any other picture: the header first (its size checked against the
limit before anything is decoded), then the pixels.

libheif keeps its own security limits on (a HEIC whose item table or tile grid asks for absurd
sizes is refused by libheif before it allocates); thumbnails, depth and auxiliary images are not
read. The transforms a HEIC stores (rotation, mirroring) are applied by libheif, and its EXIF
orientation then says "upright", so the picture is never turned twice.
"""

from __future__ import annotations

import pi_heif

pi_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False, decode_threads=1)

HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})


def heif_kind(head: bytes) -> str | None:
    """"HEIC" or "AVIF" when ``head`` (a file's first bytes) is an ISO media file of that kind
    (its major brand, or for a plain "mif1" file its compatible brands), else None."""
    if head[4:8] != b"ftyp":
        return None
    major = head[8:12]
    size = int.from_bytes(head[:4], "big")
    compatible = {head[i : i + 4] for i in range(16, min(size, len(head), 64), 4)}
    if major in AVIF_BRANDS or (major in (b"mif1", b"msf1") and compatible & AVIF_BRANDS):
        return "AVIF"
    if major in HEIF_BRANDS:
        return "HEIC"
    return None


HEADER_BYTES = 256 * 1024  # where a HEIC or AVIF keeps its item properties (the "meta" box)


def declared_size(head: bytes) -> tuple[int, int] | None:
    """The largest image size (width, height) the image spatial extents ("ispe") in ``head``
    (a HEIC's or AVIF's first ``HEADER_BYTES``) declare: the primary image, its tiles, its
    thumbnails. None when there is none. Read from the bytes alone: nothing is decoded, and
    libheif is not asked (it reports a grid's size only once it has parsed every tile)."""
    best: tuple[int, int] | None = None
    at = head.find(b"ispe")
    while 0 <= at and at + 16 <= len(head):
        w = int.from_bytes(head[at + 8 : at + 12], "big")
        h = int.from_bytes(head[at + 12 : at + 16], "big")
        if best is None or w * h > best[0] * best[1]:
            best = (w, h)
        at = head.find(b"ispe", at + 4)
    return best
