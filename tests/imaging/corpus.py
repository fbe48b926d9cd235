"""Builders for the test corpus: every file is made with Pillow (or crafted bytes) in tmp_path."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

from PIL import Image


def noisy_rgb(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A photo-like image (noise over a gradient) so JPEGs have real entropy."""
    rng = random.Random(seed)
    w, h = size
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.frombytes("RGB", size, rng.randbytes(w * h * 3))
    return Image.blend(base, noise, 0.5)


def jpeg_bytes(img: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **params)
    return buf.getvalue()


def png_bytes(img: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **params)
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose (valid, CRC-correct) IHDR claims width x height, with a tiny IDAT.

    Decoding it would need width*height*3 bytes; a safe loader refuses from the header alone.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def broken_crc_png(img: Image.Image) -> bytes:
    """A real PNG with one bit of the IHDR checksum flipped."""
    data = bytearray(png_bytes(img))
    crc_at = 8 + 4 + 4 + 13  # signature, length, type, IHDR data
    data[crc_at] ^= 0x01
    return bytes(data)


def corrupt_idat_png(img: Image.Image) -> bytes:
    """A PNG whose compressed pixel data is garbage (its chunk CRC recomputed to match)."""
    data = png_bytes(img)
    pos = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[pos : pos + 4])[0]
    garbage = bytes((b * 7 + 13) & 0xFF for b in data[pos + 8 : pos + 8 + length])
    return data[:pos] + png_chunk(b"IDAT", garbage) + data[pos + 12 + length :]


def write_big_png(path: Path, width: int, height: int, *, channels: int, depth: int) -> Path:
    """A large PNG written row by row (a vertical gradient, alpha half-way down in its last
    channel when there is one), so making a 100-megapixel file takes a few MB, not gigabytes.

    ``channels``: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA; ``depth``: 8 or 16 bits a sample.
    """
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    top = (1 << depth) - 1
    pack = ">H" if depth == 16 else ">B"
    squeeze = zlib.compressobj(1)
    with open(path, "wb") as fh:
        ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
        fh.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr))
        pending = bytearray()
        for y in range(height):
            value = struct.pack(pack, y * top // max(1, height - 1))
            if channels in (2, 4):
                alpha = struct.pack(pack, top // 2)
                pixel = value * (channels - 1) + alpha
            else:
                pixel = value * channels
            pending += squeeze.compress(b"\x00" + pixel * width)
            if len(pending) > 1 << 20:
                fh.write(png_chunk(b"IDAT", bytes(pending)))
                pending.clear()
        pending += squeeze.flush()
        fh.write(png_chunk(b"IDAT", bytes(pending)) + png_chunk(b"IEND", b""))
    return path


def lab_tiff(
    width: int, height: int, *, bits: int = 16, photometric: int = 8, sample_format: int | None = None
) -> bytes:
    """A valid, uncompressed CIELab TIFF (photometric 8; 9 ICC Lab, 10 ITU Lab; 2 for RGB),
    built byte by byte as the TIFF 6.0 spec lays it out: the header, the pixels (the first
    channel ramps across the picture, the others zero), the BitsPerSample array, then one
    directory of tags."""
    order = "<"
    step = bits // 8
    top = (1 << bits) - 1 if sample_format != 3 else 1
    code = {1: "B", 2: "H", 4: "f" if sample_format == 3 else "I"}[step]
    pixels = bytearray()
    for _y in range(height):
        for x in range(width):
            first = x * top / max(1, width - 1) if sample_format == 3 else x * top // max(1, width - 1)
            pixels += struct.pack(order + code * 3, first, 0, 0)
    assert len(pixels) == width * height * 3 * step
    pix_at = 8
    bps_at = pix_at + len(pixels)
    ifd_at = bps_at + 6 + (bps_at + 6) % 2
    tags = [  # (tag, type 3 SHORT / 4 LONG, count, value or offset)
        (256, 3, 1, width),
        (257, 3, 1, height),
        (258, 3, 3, bps_at),
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, photometric),
        (273, 4, 1, pix_at),
        (277, 3, 1, 3),
        (278, 3, 1, height),
        (279, 4, 1, len(pixels)),
        (284, 3, 1, 1),  # chunky
    ] + ([(339, 3, 1, sample_format)] if sample_format else [])
    out = b"II*\x00" + struct.pack(order + "I", ifd_at) + bytes(pixels) + struct.pack(order + "3H", bits, bits, bits)
    out += b"\x00" * (ifd_at - len(out))
    out += struct.pack(order + "H", len(tags))
    for tag, kind, count, value in tags:
        if kind == 3 and count == 1:
            out += struct.pack(order + "HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack(order + "HHII", tag, kind, count, value)
    return out + struct.pack(order + "I", 0)


def corrupt_exif_jpeg(img: Image.Image) -> bytes:
    """A JPEG whose EXIF block says its first directory holds 10 tags but stops after one:
    Pillow warns "Corrupt EXIF data" when it reads it; the pixels are fine."""
    exif = b"Exif\x00\x00II*\x00" + struct.pack("<IH", 8, 10) + struct.pack("<HHII", 0x010F, 2, 4, 0)
    return jpeg_bytes(img, exif=exif)


def noisy_rgba(height: int = 16, seed: int = 0) -> Image.Image:
    """256 columns of noisy colours, column x at alpha x (every alpha from 0 to 255), and the
    issue's pixel, red at 50 % alpha (255, 0, 0, 128), at (128, 0)."""
    img = noisy_rgb((256, height), seed).convert("RGBA")
    img.putalpha(Image.frombytes("L", (256, 1), bytes(range(256))).resize((256, height), Image.Resampling.NEAREST))
    img.putpixel((128, 0), (255, 0, 0, 128))
    return img
