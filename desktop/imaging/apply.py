"""Apply a style's whole look to one photo: its colour grade (3D LUT) at a strength, then the
look effects the previews show (grain, vignette, halftone...), which scale with the photo's
size, so a photo applied at 768 px looks like a preview of that photo.

Runs in a worker process (``desktop.jobs.processes``): ``apply_to_file`` takes only picklable
arguments, never raises, and returns what happened as a small dict.

Colour management: every photo is graded in sRGB, the space styles are made in. An 8-bit
photo is decoded to sRGB by ``load_image`` (LittleCMS converts from its embedded profile: Adobe
RGB, Display P3, CMYK...); a 16-bit one in a known space is converted in numpy at float
precision (``colour_spaces``). The output is written in ``colour_space`` (sRGB by default,
Display P3, Adobe RGB, or "same" as the input) with that profile embedded; colours beyond the
output's gamut are clipped.

Depth (``deep_render``): a 16-bit TIFF or PNG written as TIFF or PNG stays 16-bit, graded at
float precision; ``depth`` 8 or 16 forces it (16: a RAW developed at 16 bits, an 8-bit photo
graded in float). An 8-bit photo going to 8-bit sRGB keeps Pillow's 8-bit road.

Metadata (``keep_metadata``): EXIF is carried with its orientation reset to 1 (the rotation
is applied to the pixels), less its GPS directory with ``strip_location``, and the DPI; without
it, the output has no EXIF or DPI, and no profile unless it is not sRGB (untagged pixels are
sRGB by convention). A 16-bit TIFF carries the EXIF's make, model, date, artist and copyright
(tifffile writes no EXIF directory). Alpha is kept for PNG, WebP and TIFF outputs: the colours
are decoded as stored (never blended with white), graded, and the original alpha is put back.

The original is opened once, for reading only (``source_files.open_picture``: a regular file,
never a pipe or a device); its header, EXIF, alpha and pixels all come from that descriptor.
The output goes through ``desktop.files.OutputFile``: a short write on a full disk fails the
photo with the disk-full sentence, never leaves a cut-off file.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageFilter

from desktop.errors import UserError
from desktop.files import OutputFile
from desktop.imaging.decode_warnings import decoding
from desktop.imaging.effects import Look, apply_looks
from desktop.imaging.grade import DEFAULT_STRENGTH, GradeStats, build_lut, identity_lut
from desktop.imaging.intake import load_deep, load_image
from desktop.imaging.output_metadata import carried_exif, exif_bytes
from desktop.imaging.raw_photos import RAW_SUFFIXES

log = logging.getLogger(__name__)

FORMATS = ("same", "jpeg", "png", "tiff", "webp")
# output extension -> Pillow format
_PIL_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
_CHOSEN_EXT = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "webp": ".webp"}
_ALPHA_FORMATS = frozenset({"PNG", "WEBP", "TIFF"})
_DEEP_FORMATS = frozenset({"PNG", "TIFF"})  # what can be written with 16 bits a channel
_AS_JPEG = frozenset({".heic", ".heif", ".hif", ".avif"})  # "same" for these is JPEG
# files a folder walk takes as photos (what the decoder then reads is decided by content)
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".hif", ".avif"}) | RAW_SUFFIXES
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@dataclass(frozen=True)
class Recipe:
    """What to do to every photo of a batch (picklable: it travels to worker processes)."""

    lut_path: str  # the style's .cube file
    # 0..1. With ``grade`` the grade is built at this strength, exactly as the style's own .cube
    # was (so a photo styled at the style's strength matches its previews); without (a style
    # imported from a .cube), the .cube is mixed with the original colours at this strength.
    strength: float = 1.0
    looks: tuple[dict[str, Any], ...] = ()  # Look.to_dict() of each look effect
    seed: int = 1
    grade: str | None = None  # the style's grade (GradeStats.to_dict() as JSON text)
    # How ``lut_path`` is read when there is no ``grade``: a module-level function (it travels
    # to worker processes by name), ``desktop.exchange.cube.read_pillow_lut``. The .cube format
    # lives in desktop.exchange, a layer above imaging, so the caller names the reader.
    read_lut: Callable[[str], ImageFilter.Color3DLUT] | None = None


@dataclass(frozen=True)
class OutputOptions:
    format: str = "same"  # same | jpeg | png | tiff | webp
    quality: int = 92  # JPEG and WebP
    long_edge: int | None = None  # shrink to this long edge (never enlarges)
    keep_metadata: bool = True
    extras: dict[str, Any] = field(default_factory=dict)
    depth: int | None = None  # 8 | 16 | None: as the input (16 only for TIFF and PNG)
    colour_space: str = "srgb"  # srgb | display-p3 | adobe-rgb | same (as the input)
    strip_location: bool = False  # drop the EXIF's GPS directory (the rest is kept)


def output_suffix(input_path: str | os.PathLike[str], fmt: str, depth: int | None = None) -> str:
    """The output's extension: the chosen format's, or (``same``) the input's when Style Studio
    writes it (JPEG, PNG, TIFF, WebP); a camera RAW, HEIC or AVIF photo becomes a JPEG (what
    Lightroom and darktable export by default), GIF and BMP become PNG. With ``depth`` 16,
    "same" keeps a PNG a PNG and makes anything else a 16-bit TIFF."""
    if fmt != "same":
        return _CHOSEN_EXT[fmt]
    suffix = Path(input_path).suffix.lower()
    if depth == 16:
        return ".png" if suffix == ".png" else ".tif"
    if suffix in RAW_SUFFIXES or suffix in _AS_JPEG:
        return ".jpg"
    return suffix if suffix in _PIL_FORMAT else ".png"


# --- the pixels ---------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _graded_lut(
    lut_path: str, mtime_ns: int, strength: float, read_lut: Callable[[str], ImageFilter.Color3DLUT]
) -> ImageFilter.Color3DLUT:
    """The style's LUT mixed with the identity at ``strength`` (cached per worker process)."""
    del mtime_ns  # part of the cache key: an edited file is read again
    lut = read_lut(lut_path)
    if strength >= 1.0:
        return lut
    size = lut.size[0]
    ident = identity_lut(size)
    if tuple(ident.size) != tuple(lut.size):  # pragma: no cover - a cube with unequal sides
        raise UserError("The style's colour grade file has unequal sides; make the style again.")
    s = max(0.0, float(strength))
    table = [i + s * (c - i) for i, c in zip(ident.table, lut.table, strict=True)]
    return ImageFilter.Color3DLUT(lut.size, table, channels=3)


@lru_cache(maxsize=8)
def _lut_from_grade(grade: str, strength: float) -> ImageFilter.Color3DLUT:
    """The style's grade built at ``strength`` (cached per worker process)."""
    try:
        stats = GradeStats.from_dict(json.loads(grade))
    except (ValueError, TypeError, KeyError) as exc:
        raise UserError("The style's stored colour grade is damaged; make the style again.") from exc
    return build_lut(stats, strength=strength)


def style_lut(recipe: Recipe) -> ImageFilter.Color3DLUT:
    if recipe.grade:
        return _lut_from_grade(recipe.grade, round(recipe.strength, 4))
    if recipe.read_lut is None:
        raise TypeError("a Recipe without a grade needs read_lut to read its .cube file")
    mtime_ns = os.stat(recipe.lut_path).st_mtime_ns
    return _graded_lut(recipe.lut_path, mtime_ns, round(recipe.strength, 4), recipe.read_lut)


def apply_look(img: Image.Image, recipe: Recipe) -> Image.Image:
    """An RGB image with the style's grade (at the recipe's strength) and look effects applied:
    what the previews show, at this image's size."""
    img = img.convert("RGB") if img.mode != "RGB" else img
    graded = img.filter(style_lut(recipe)) if recipe.strength > 0 else img
    looks = [Look.from_dict(d) for d in recipe.looks]
    return apply_looks(graded, looks, recipe.seed) if looks else graded


def render_look(
    img: Image.Image,
    params: dict[str, Any],
    *,
    strength: float | None = None,
    seed: int | None = None,
    effects: bool = True,
) -> Image.Image:
    """A style's whole look on ``img``: its grade (the LUT, rebuilt at ``strength``) and then
    its effects. ``params`` is the style's stored ``params`` (``grade``, ``strength`` 0..100,
    ``effect_looks``, ``seed``); ``strength`` is 0..100 (default: the style's own). A style saved
    before grades were stored renders with its looks only."""
    out = img.convert("RGB") if img.mode != "RGB" else img
    if strength is None:
        strength = params.get("strength", round(DEFAULT_STRENGTH * 100))
    s = min(100.0, max(0.0, float(strength))) / 100
    grade = params.get("grade")
    if grade:
        out = out.filter(build_lut(GradeStats.from_dict(grade), strength=s))
    if effects:
        looks = [Look.from_dict(d) for d in params.get("effect_looks", []) if isinstance(d, dict)]
        out = apply_looks(out, looks, int(params.get("seed", 0) if seed is None else seed))
    return out


# --- one file -------------------------------------------------------------------------------------


def _fit(img: Image.Image, alpha: Image.Image | None, long_edge: int | None) -> tuple[Image.Image, Image.Image | None]:
    """``img`` (and its alpha) shrunk to ``long_edge``; colour and alpha are resized together,
    weighted by alpha, so transparent pixels do not bleed their colour into the edges."""
    if not long_edge or max(img.size) <= long_edge:
        return img, alpha
    scale = long_edge / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if alpha is None:
        return img.resize(size, Image.Resampling.LANCZOS), None
    both = img.convert("RGB")
    both.putalpha(alpha)
    both = both.resize(size, Image.Resampling.LANCZOS)  # Pillow premultiplies RGBA to resize
    return both.convert("RGB"), both.getchannel("A")


def _save_params(pil_format: str, options: OutputOptions, exif: Image.Exif | None, dpi: Any, space_out: str = "srgb") -> dict[str, Any]:
    params: dict[str, Any] = {}
    if pil_format == "JPEG":
        params.update(quality=options.quality)
    elif pil_format == "WEBP":
        params.update(quality=options.quality, method=4)
    elif pil_format == "TIFF":
        params.update(compression="tiff_deflate")
    elif pil_format == "PNG":
        params.update(compress_level=6)
    if space_out != "srgb":  # wide-gamut pixels always say so, metadata or not
        from desktop.imaging.colour_spaces import icc_profile

        params["icc_profile"] = icc_profile(space_out)
    if options.keep_metadata:
        params.setdefault("icc_profile", SRGB_ICC)
        carried = exif_bytes(exif, strip_location=options.strip_location)
        if carried is not None:
            params["exif"] = carried
        if dpi:
            params["dpi"] = tuple(float(d) for d in dpi)
    return params


def _space_out(options: OutputOptions, space_in: str | None) -> str:
    """The output's colour space: the chosen one, or (``same``) the input's (sRGB for a photo
    without a profile or with one that is not a known RGB space)."""
    if options.colour_space != "same":
        return options.colour_space
    return space_in or "srgb"


def render_file(recipe: Recipe, src: str, temp: str, options: OutputOptions, pil_format: str) -> tuple[int, int]:
    """Decode ``src``, apply the look, encode into ``temp``: created exclusively (never over
    anything, never through a link), written through Python (a short write is an error, never
    a cut-off file), flushed, synced and checked to be whole on disk, and left under that
    name for the caller to place. Raises UserError (``ImageRefused``) for a photo it cannot
    use and ``DiskFullError`` when the output folder's disk is full (``temp`` removed).

    Depth: a 16-bit TIFF or PNG (``load_deep``) is graded at float precision and, written as
    TIFF or PNG, stays 16-bit unless ``options.depth`` is 8; ``depth`` 16 makes any photo (a
    RAW developed at 16 bits) a 16-bit TIFF or PNG. An 8-bit photo to an 8-bit sRGB output
    keeps Pillow's 8-bit road; any other goes through ``deep_render`` (float)."""
    from desktop.imaging.colour_spaces import icc_profile, identify  # numpy: loaded only here

    le = options.long_edge
    draft = (le, le) if le else None
    deep_out = pil_format in _DEEP_FORMATS
    picture = load_deep(src, draft_size=draft, raw=options.depth == 16) if deep_out and options.depth != 8 else None
    space_in = identify(picture.icc) if picture is not None else None
    if picture is not None and space_in is not None:
        pixels, exif, dpi = picture.pixels, picture.exif, picture.dpi
        if pixels.shape[2] == 4 and pil_format not in _ALPHA_FORMATS:
            pixels = pixels[..., :3]
        bits = 8 if options.depth == 8 else 16
        space_out = _space_out(options, space_in)
    else:  # the 8-bit road's decoder (an unknown profile is converted to sRGB by LittleCMS)
        loaded = load_image(src, draft_size=draft, keep_alpha=pil_format in _ALPHA_FORMATS)
        space_in = (identify(loaded.profile) if loaded.profile else "srgb") if options.colour_space == "same" else "srgb"
        exif, dpi = loaded.exif, loaded.dpi
        bits = 16 if options.depth == 16 and deep_out else 8
        space_out = _space_out(options, space_in)
        if bits == 8 and space_out == "srgb":
            img, alpha = _fit(loaded.image, loaded.alpha, le)
            img = apply_look(img, recipe)  # the colours only: alpha is put back untouched
            if alpha is not None:
                img.putalpha(alpha)
            return _write_8(img, temp, pil_format, _save_params(pil_format, options, exif, dpi))
        import numpy as np

        pixels = np.asarray(loaded.image)
        if loaded.alpha is not None:
            pixels = np.dstack([pixels, np.asarray(loaded.alpha)])
        space_in = "srgb"  # load_image gave sRGB pixels
    from desktop.imaging.deep_files import write_png, write_tiff
    from desktop.imaging.deep_render import render_deep

    lut = style_lut(recipe) if recipe.strength > 0 else None
    looks = [Look.from_dict(d) for d in recipe.looks]
    styled = render_deep(pixels, space_in=space_in, space_out=space_out, bits=bits, lut=lut, looks=looks, seed=recipe.seed, long_edge=le)
    del pixels, picture  # the decoded original goes before the encoder makes its buffers
    if bits == 8:
        img = Image.fromarray(styled, "RGBA" if styled.shape[2] == 4 else "RGB")
        return _write_8(img, temp, pil_format, _save_params(pil_format, options, exif, dpi, space_out))
    keep = options.keep_metadata
    icc = icc_profile(space_out) if space_out != "srgb" else (SRGB_ICC if keep else None)
    with OutputFile(temp, temp=temp, mode=0o666) as out:
        if pil_format == "PNG":
            write_png(out.file, styled, icc=icc, exif=exif_bytes(exif, strip_location=options.strip_location) if keep else None, dpi=dpi if keep else None)
        else:
            write_tiff(out.file, styled, icc=icc, exif=carried_exif(exif, strip_location=options.strip_location) if keep else None, dpi=dpi if keep else None)
        out.seal()
    return styled.shape[1], styled.shape[0]


def _write_8(img: Image.Image, temp: str, pil_format: str, params: dict[str, Any]) -> tuple[int, int]:
    with OutputFile(temp, temp=temp, mode=0o666) as out:
        img.save(out.file, format=pil_format, **params)
        out.seal()
    return img.size


def apply_to_file(recipe: Recipe, src: str, temp: str, options: OutputOptions, pil_format: str) -> dict[str, Any]:
    """The worker-process entry: never raises. Returns ``{"ok": True, "size": [w, h]}`` or
    ``{"ok": False, "error": sentence, "detail": traceback or None}``; either may carry
    ``"warnings"``: what Pillow said about the photo (broken EXIF...), for the caller's log (a
    worker process has no log file of its own)."""
    name = Path(src).name
    with decoding(f'"{name}"') as seen:
        result = _apply(recipe, src, temp, options, pil_format)
    if seen:
        result["warnings"] = list(seen)
    return result


def _apply(recipe: Recipe, src: str, temp: str, options: OutputOptions, pil_format: str) -> dict[str, Any]:
    try:
        size = render_file(recipe, src, temp, options, pil_format)
        return {"ok": True, "size": list(size)}
    except UserError as exc:
        return {"ok": False, "error": str(exc), "detail": None}
    except MemoryError:
        return {"ok": False, "error": f'There was not enough memory to style "{Path(src).name}"; close other apps or use a smaller copy.', "detail": None}
    except OSError as exc:
        return {"ok": False, "error": f'"{Path(src).name}" could not be styled: {exc.strerror or exc}; check the output folder has room and can be written to.', "detail": traceback.format_exc()}
    except Exception:  # noqa: BLE001 - a bug: its traceback goes to the coordinator's log
        return {"ok": False, "error": f'Style Studio could not style "{Path(src).name}"; the details are in the log file.', "detail": traceback.format_exc()}


def pil_format_for(output: str | os.PathLike[str]) -> str:
    return _PIL_FORMAT.get(Path(output).suffix.lower(), "PNG")
