"""Bounded work on hostile files (issue 18, point 5): each is built for real and read by a real
process whose peak memory (``ru_maxrss``) is measured against the same process reading a
harmless file of the same kind."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from desktop.exchange.hald import identity_image
from desktop.runtime import open_runtime
from tests.exchange.hostile import cli_peak, rewrite_pack, run_measured, zip_listing
from tests.exchange.support import assert_nothing_added, make_styles
from tests.helpers import run_pool

READ_CUBE = """
from desktop.errors import UserError
from desktop.exchange.cube import read_cube
try:
    lut = read_cube({path!r})
    print("read", lut.size)
except UserError as exc:
    print(exc)
"""

OPEN_PACK = """
from desktop.errors import UserError
from desktop.exchange.pack import open_pack
try:
    open_pack({path!r}).close()
    print("opened")
except UserError as exc:
    print(exc)
"""

READ_HALD = """
from desktop.errors import UserError
from desktop.exchange.hald import read_hald
try:
    lut = read_hald({path!r})
    unit = lut.to_unit()
    print("read", lut.size, unit.size)
except UserError as exc:
    print(exc)
"""


def _small_cube(path):
    path.write_text("LUT_3D_SIZE 2\n" + "\n".join(f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)) + "\n")
    return path


def test_a_cube_of_one_30_mb_line_is_refused_in_bounded_memory(tmp_path):
    base, base_peak = run_measured(READ_CUBE.format(path=str(_small_cube(tmp_path / "ok.cube"))))
    assert base == "read 2"
    hostile = tmp_path / "line.cube"
    with open(hostile, "w") as fh:
        fh.write("LUT_3D_SIZE 2\n")
        for _ in range(30):
            fh.write("0.5 " * 262_144)  # 1 MB, no line end: one 30 MB line
        fh.write("\n")
    said, peak = run_measured(READ_CUBE.format(path=str(hostile)))
    assert said == 'The LUT "line.cube" can\'t be used: line 2 is over 1,024 characters long, and a .cube line is a keyword or three numbers; export it again from the tool that made it as a .cube file.'
    assert peak - base_peak < 40, (peak, base_peak)  # was 1.6 GB


@pytest.mark.parametrize("zip64", [False, True])
def test_a_pack_listing_too_many_entries_is_refused_before_its_directory_is_read(tmp_path, zip64):
    ok = tmp_path / "few.zip"
    zip_listing(ok, 10)
    base, base_peak = run_measured(OPEN_PACK.format(path=str(ok)))
    assert base.startswith('The pack "few.zip" can\'t be imported')
    entries = 1_000_000 if zip64 else 60_000
    hostile = zip_listing(tmp_path / "many.stylepack", entries, zip64=zip64)
    said, peak = run_measured(OPEN_PACK.format(path=str(hostile)))
    assert f"it lists {entries:,} entries, over the 20,000 a pack may have" in said, said
    assert peak - base_peak < 30, (peak, base_peak)  # zipfile took about 500 MB for a million


def test_a_directory_that_lies_about_its_count_is_counted(tmp_path):
    hostile = zip_listing(tmp_path / "liar.stylepack", 100_000, declared=5)
    said, _peak = run_measured(OPEN_PACK.format(path=str(hostile)))
    assert "it holds over 20,000 entries, the most a pack may have" in said, said


def test_a_level_16_haldclut_is_refused_from_its_header(tmp_path):
    small = tmp_path / "level4.png"
    identity_image(4).save(small)
    base, base_peak = run_measured(READ_HALD.format(path=str(small)))
    assert base == "read 16 16"
    hostile = tmp_path / "level16.png"
    identity_image(16).save(hostile, compress_level=9)
    assert hostile.stat().st_size < 2 * 1024**2
    said, peak = run_measured(READ_HALD.format(path=str(hostile)))
    assert "it is a level-16 HaldCLUT (4096x4096 pixels), finer than the levels 2 to 12" in said, said
    assert peak - base_peak < 30, (peak, base_peak)  # was 2.36 GB


def test_a_level_12_haldclut_is_read_and_fits_what_a_style_applies(tmp_path):
    """RawTherapee's film simulations are level 12 (1728 x 1728): read, resampled to 65."""
    small = tmp_path / "level4.png"
    identity_image(4).save(small)
    _base, base_peak = run_measured(READ_HALD.format(path=str(small)))
    path = tmp_path / "level12.png"
    identity_image(12).save(path)
    said, peak = run_measured(READ_HALD.format(path=str(path)))
    assert said == "read 144 65"
    assert peak - base_peak < 250, (peak, base_peak)


# --- pictures in a pack -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from desktop.pipelines.export.request import enqueue_export_pack

    home = tmp_path_factory.mktemp("source")
    out = tmp_path_factory.mktemp("pack") / "two.stylepack"
    rt = open_runtime(home)
    try:
        ids = make_styles(rt, ["warm film grain", "cool moody noir"])
        job = enqueue_export_pack(rt, ids, out)
        run_pool(rt)
        assert rt.engine.require(job).status == "succeeded"
    finally:
        rt.close()
    return out


def _png(size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("1", size).save(buf, "PNG")  # 9999 x 9999 in a few kilobytes
    return buf.getvalue()


@pytest.mark.parametrize(
    "entry, size, words",
    [
        ("styles/1/preview-1.jpg", (9999, 9999), "the preview styles/1/preview-1.jpg is 9999x9999 pixels, larger than the 4,096 pixels a side"),
        ("styles/2/thumb-2.webp", (9999, 9999), "the thumbnail styles/2/thumb-2.webp is 9999x9999 pixels, larger than the 256 pixels a side"),
        ("styles/1/thumb-1.webp", (300, 200), "the thumbnail styles/1/thumb-1.webp is 300x200 pixels"),
    ],
)
def test_oversized_pictures_in_a_pack_are_refused_before_they_are_decoded(home, pack, tmp_path, entry, size, words):
    rc, _out, err, base_peak = cli_peak("import", str(pack), home=tmp_path / "fine", workdir=tmp_path)
    assert rc == 0, err
    hostile = rewrite_pack(pack, tmp_path / "big.stylepack", replace={entry: _png(size)})
    rc, _out, err, peak = cli_peak("import", str(hostile), home=home, workdir=tmp_path)
    assert rc == 1 and words in err, err
    assert "Traceback" not in err
    assert peak - base_peak < 60, (peak, base_peak)  # one 9999 x 9999 picture decodes to 300 MB
    rt = open_runtime(home)
    try:
        assert_nothing_added(rt)
    finally:
        rt.close()


def test_a_pack_with_more_previews_than_a_style_has_is_refused(home, pack, tmp_path):
    def many(doc):
        previews = doc["styles"][0]["files"]["previews"]
        doc["styles"][0]["files"]["previews"] = (previews * 5)[:9]

    hostile = rewrite_pack(pack, tmp_path / "many.stylepack", manifest=many)
    rt = open_runtime(home)
    try:
        from desktop.pipelines.import_.request import enqueue_import

        [job] = enqueue_import(rt, [hostile])
        run_pool(rt)
        row = rt.engine.require(job)
        assert row.status == "failed"
        assert "lists 9 previews for style 1, more than the 8 a style has" in row.error, row.error
        assert_nothing_added(rt)
    finally:
        rt.close()
