"""Any decoded picture -> upright sRGB, a band of rows at a time.

Peak memory of a decode is the decoded image plus the output, never a chain of full-size
copies: every per-pixel step (16-bit scaling, alpha, ICC, reduction, EXIF rotation) runs on a
band of about ``BAND_BYTES`` and is pasted into one preallocated output. Grey pictures stay one
byte a pixel ("L") until the decoded image has been freed; only then is the RGB copy made.
Measured (tests/imaging/test_intake_memory.py): a 100-megapixel 16-bit grey PNG peaks near
0.5 GB (was 1.1 GB), an RGBA one near 0.8 GB (was 1.7 GB), and either decoded with
``draft_size=(1024, 1024)`` about the size of the decoded image alone.

Alpha: by default a transparent picture is composited over white (what references, previews
and analysis want). With ``keep_alpha`` the colours are left as stored (not blended with
anything) and the alpha channel comes back beside them, as its own one-byte-a-pixel image, so
a graded photo can have its original alpha put back byte for byte. Reduction then works on
colour and alpha together, weighted by alpha (Pillow premultiplies ``RGBA`` and ``LA`` when
it reduces), so transparent pixels do not bleed their colour into the edges.
"""

from __future__ import annotations

import io

from PIL import Image, ImageCms

BAND_BYTES = 8 * 1024 * 1024

# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
SIDEWAYS = (5, 6, 7, 8)
_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def has_alpha(im: Image.Image) -> bool:
    """Whether ``im`` carries transparency Style Studio keeps (an alpha channel, or a palette
    with a transparent entry)."""
    return im.mode in _ALPHA_MODES or (im.mode == "P" and "transparency" in im.info)


class _Plan:
    """What every band of one image needs, worked out once for the whole image."""

    def __init__(self, im: Image.Image) -> None:
        self.scale = 1.0
        if im.mode == "F":
            hi = im.getextrema()[1]
            self.scale = 255.0 if hi <= 1.0 else 1.0
        elif im.mode.startswith("I"):
            hi = im.getextrema()[1]
            # 16-bit data is scaled, not clipped; 8-bit values stored in I stay as they are.
            self.scale = 1 / 257 if hi > 255 else 1.0
        self._icc = im.info.get("icc_profile")
        self._transforms: dict[str, ImageCms.ImageCmsTransform | None] = {}

    def transform_for(self, mode: str) -> ImageCms.ImageCmsTransform | None:
        """The ICC transform to sRGB for bands in ``mode``, or None to convert plainly."""
        if mode not in self._transforms:
            self._transforms[mode] = self._build(mode)
        return self._transforms[mode]

    def _build(self, mode: str) -> ImageCms.ImageCmsTransform | None:
        if not self._icc or mode not in ("RGB", "CMYK", "L"):
            return None
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(self._icc))
            space = profile.profile.xcolor_space.strip()
            if {"RGB": "RGB", "CMYK": "CMYK", "L": "GRAY"}[mode] != space:
                return None
            if "srgb" in ImageCms.getProfileDescription(profile).lower():
                return None
            return ImageCms.buildTransform(profile, _SRGB, mode, "RGB")
        except Exception:  # noqa: BLE001 - a broken profile: fall back to a plain conversion
            return None


def to_srgb(
    im: Image.Image, orientation: int, factor: int, *, keep_alpha: bool = False
) -> tuple[Image.Image, Image.Image | None]:
    """Any Pillow mode (CMYK, 16-bit, float, palette, with alpha) -> upright sRGB, reduced by
    ``factor``: RGB, or L for a grey picture (the caller makes it RGB), and the alpha channel
    ("L") when ``keep_alpha`` and the picture has one (else None: alpha composited over white).

    Returns ``im`` itself when it already is all that."""
    transpose = ORIENTATION.get(orientation)
    plan = _Plan(im)
    if im.mode == "RGB" and transpose is None and factor == 1 and not plan.transform_for("RGB"):
        return im, None
    keep_alpha = keep_alpha and has_alpha(im)
    w, h = im.size
    bpp = max(1, len(im.getbands())) * (4 if im.mode in ("I", "F", "RGB", "RGBA") else 2)
    rows = max(factor, BAND_BYTES // (w * bpp) // factor * factor)
    rw, rh = -(-w // factor), -(-h // factor)
    out: Image.Image | None = None
    out_alpha: Image.Image | None = None
    for top in range(0, h, rows):
        band, alpha = _band_to_srgb(im.crop((0, top, w, min(h, top + rows))), plan, keep_alpha)
        if factor > 1:
            band, alpha = _reduce(band, alpha, factor)
        r0, r1 = top // factor, top // factor + band.height
        if transpose is not None:
            band = band.transpose(transpose)
            alpha = alpha.transpose(transpose) if alpha is not None else None
        if out is None:
            size = (rh, rw) if orientation in SIDEWAYS else (rw, rh)
            out = Image.new(band.mode, size)
            out_alpha = Image.new("L", size) if keep_alpha else None
        at = _band_origin(orientation, r0, r1, rw, rh)
        out.paste(band, at)
        if out_alpha is not None and alpha is not None:
            out_alpha.paste(alpha, at)
    assert out is not None  # an image has at least one row
    return out, out_alpha


def _reduce(band: Image.Image, alpha: Image.Image | None, factor: int) -> tuple[Image.Image, Image.Image | None]:
    if alpha is None:
        return band.reduce(factor), None
    both = band.copy()
    both.putalpha(alpha)  # RGBA or LA: reduce() weighs each pixel's colour by its alpha
    both = both.reduce(factor)
    return both.convert(band.mode), both.getchannel("A")


def _band_origin(orientation: int, r0: int, r1: int, rw: int, rh: int) -> tuple[int, int]:
    """Where rows ``r0..r1`` of a ``rw`` x ``rh`` image land once turned upright."""
    del rw  # every band spans the full width, which lands at 0 on the other axis
    if orientation in (3, 4):  # ROTATE_180, FLIP_TOP_BOTTOM
        return 0, rh - r1
    if orientation in (5, 8):  # TRANSPOSE, ROTATE_90
        return r0, 0
    if orientation in (6, 7):  # ROTATE_270, TRANSVERSE
        return rh - r1, 0
    return 0, r0  # upright, FLIP_LEFT_RIGHT


def _band_to_srgb(
    band: Image.Image, plan: _Plan, keep_alpha: bool
) -> tuple[Image.Image, Image.Image | None]:
    """One band, any mode -> sRGB as "RGB" or "L", and its alpha: composited over white
    (and None), or, with ``keep_alpha``, returned beside the untouched colours."""
    alpha = None
    mode = band.mode
    if (mode == "P" and "transparency" in band.info) or mode == "PA":
        band = band.convert("RGBA")
        mode = "RGBA"
    elif mode == "P":
        band = band.convert("RGB")
        mode = "RGB"
    if mode in ("RGBA", "RGBa", "LA", "La"):
        if mode in ("RGBa", "La"):  # premultiplied: back to straight colours
            band = band.convert("RGBA" if mode == "RGBa" else "LA")
        alpha = band.getchannel("A")
        band = band.convert("RGB" if band.mode == "RGBA" else "L")
        if not keep_alpha and alpha.getextrema() == (255, 255):
            alpha = None
    elif mode == "F":
        band = band.point(lambda v: v * plan.scale).convert("L")
    elif mode.startswith("I"):
        if mode != "I":
            band = band.convert("I")
        band = band.point(lambda v: v * plan.scale).convert("L")
    elif mode == "1":
        band = band.convert("L")
    transform = plan.transform_for(band.mode)
    if transform is not None:
        band = ImageCms.applyTransform(band, transform)
    elif band.mode not in ("RGB", "L"):
        band = band.convert("RGB")
    if alpha is not None and not keep_alpha:
        white = Image.new(band.mode, band.size, 255 if band.mode == "L" else (255, 255, 255))
        band = Image.composite(band, white, alpha)
        alpha = None
    return band, alpha
