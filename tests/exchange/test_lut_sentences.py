"""LUT files that crashed or were misread (issue 18, points 6 and 7): .cube sizes 66..256 import
(resampled to the 65 points a side Pillow applies), a too-long name is one sentence and exit 2,
UTF-16 .cube files are read, an absurd domain is refused, and a picture of a HaldCLUT's size
that is no LUT (noise, a photo) is refused."""

from __future__ import annotations

import codecs

import pytest
from PIL import Image

from desktop.errors import UserError
from desktop.exchange.cube import CubeError, read_cube
from desktop.exchange.hald import read_hald
from desktop.library.reading import Library
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from tests.exchange.support import assert_nothing_added
from tests.helpers import cli


def _cube_text(n: int, title: str = "Grid") -> str:
    step = 1 / (n - 1)
    rows = [f"{min(1.0, r * step * 1.1):.6f} {g * step:.6f} {b * step * 0.9:.6f}" for b in range(n) for g in range(n) for r in range(n)]
    return f'TITLE "{title}"\nLUT_3D_SIZE {n}\n' + "\n".join(rows) + "\n"


@pytest.mark.parametrize("n", [66, 100])
def test_a_cube_of_66_points_or_more_imports_as_a_style(home, tmp_path, n):
    path = tmp_path / f"big{n}.cube"
    path.write_text(_cube_text(n, f"Big {n}"))
    done = cli("import", str(path), home=home, timeout=300)
    assert done.returncode == 0, done.stderr
    [style_id] = [int(x) for x in done.stdout.split()]
    rt = open_runtime(home)
    try:
        style = Library(rt.db, rt.paths).require(style_id)
        assert style.name == f"Big {n}"
        kept = read_cube(style.lut_path)
        assert kept.size == 65  # what Pillow applies
        assert kept.table[-3:].tolist() == pytest.approx([1.0, 1.0, 0.9], abs=1e-5)
    finally:
        rt.close()


@pytest.mark.parametrize("command", ["import", "export"])
def test_a_name_over_255_bytes_is_one_sentence_and_exit_2(home, tmp_path, command):
    long = tmp_path / ("é" * 130 + ".cube")  # 265 bytes
    args = ["import", str(long)] if command == "import" else ["export", "1", "--format", "cube", "--out", str(long)]
    done = cli(*args, home=home)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "bytes long, over the 255 a file or folder name may have; choose a shorter name." in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Something went wrong" not in done.stderr


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-8-sig"])
def test_a_cube_in_utf16_with_its_byte_order_mark_is_read(tmp_path, codec):
    text = _cube_text(3, "Wide Café").replace("\n", "\r\n")
    plain = tmp_path / "plain.cube"
    plain.write_text(text)
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-8-sig": b""}[codec]
    wide = tmp_path / "wide.cube"
    wide.write_bytes(bom + text.encode(codec))
    got, want = read_cube(wide), read_cube(plain)
    assert (got.size, got.title, got.table.tolist()) == (want.size, "Wide Café", want.table.tolist())


def test_a_cube_in_utf16_without_a_byte_order_mark_says_so(tmp_path):
    path = tmp_path / "nobom.cube"
    path.write_bytes(_cube_text(2).encode("utf-16-le"))
    with pytest.raises(CubeError, match="it is UTF-16 text without a byte order mark; save it as UTF-8"):
        read_cube(path)


def test_a_utf16_cube_imports_through_the_command_line(home, tmp_path):
    path = tmp_path / "wide"  # no .cube suffix: recognised by its content
    path.write_bytes(codecs.BOM_UTF16_LE + _cube_text(5, "Wide").encode("utf-16-le"))
    done = cli("import", str(path), home=home, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "domain, words",
    [
        ("DOMAIN_MIN -1e308 -1e308 -1e308\nDOMAIN_MAX 1e308 1e308 1e308\n", "reaches beyond -10,000..10,000"),
        ("LUT_3D_INPUT_RANGE 0 1e5\n", "reaches beyond -10,000..10,000"),
        ("DOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 0.0000001\n", "is narrower than 0.001"),
        ("DOMAIN_MIN 2 2 2\nDOMAIN_MAX 3 3 3\n", "does not meet the 0 to 1 range of photo colours"),
    ],
)
def test_an_absurd_domain_is_refused(tmp_path, domain, words):
    path = tmp_path / "domain.cube"
    path.write_text(domain + "LUT_3D_SIZE 2\n" + "\n".join(f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)) + "\n")
    with pytest.raises(CubeError) as err:
        read_cube(path)
    assert words in str(err.value) and str(err.value).endswith("(0 to 1 for most LUTs).")


def test_a_wide_but_real_domain_is_still_read(tmp_path):
    path = tmp_path / "log.cube"
    path.write_text("DOMAIN_MIN -0.36 -0.36 -0.36\nDOMAIN_MAX 1.47 1.47 1.47\nLUT_3D_SIZE 2\n" + "\n".join(f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)) + "\n")
    assert read_cube(path).domain_max == (1.47, 1.47, 1.47)


def test_noise_of_a_haldcluts_size_is_not_a_haldclut(tmp_path):
    import random

    rng = random.Random(7)
    noise = tmp_path / "noise.png"
    Image.frombytes("RGB", (512, 512), bytes(rng.randrange(256) for _ in range(512 * 512 * 3))).save(noise)
    with pytest.raises(UserError, match="neighbouring entries of its table jump around like noise"):
        read_hald(noise)
    photo = tmp_path / "photo.png"
    Image.open(sample_photos()[1]).convert("RGB").resize((512, 512)).save(photo)
    with pytest.raises(UserError, match="jump around like noise"):
        read_hald(photo)


def test_a_noise_png_import_is_refused_with_the_sentence_and_adds_nothing(home, tmp_path):
    import os

    noise = tmp_path / "noise.png"
    Image.frombytes("RGB", (729, 729), os.urandom(729 * 729 * 3)).save(noise)  # level 9
    done = cli("import", str(noise), home=home, timeout=120)
    assert done.returncode == 2  # refused for what it is, before any job exists
    assert "jump around like noise, and a real LUT changes slowly" in done.stderr
    rt = open_runtime(home)
    try:
        assert_nothing_added(rt)
    finally:
        rt.close()
