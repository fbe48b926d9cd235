"""`stylestudio export` and `stylestudio import` in real processes: outputs, printed ids, exit
codes (0 done, 1 job failed, 2 refused, for its name or its content, with nothing created), and LUT imports as styles."""

from __future__ import annotations

import json
import zipfile

import pytest

from desktop.exchange.cube import read_cube
from desktop.library.reading import Library
from desktop.runtime import open_runtime
from tests.exchange.support import assert_nothing_added, counts, make_styles
from tests.helpers import cli


@pytest.fixture
def one_style(home) -> int:
    rt = open_runtime(home)
    try:
        return make_styles(rt, ["warm faded film"])[0]
    finally:
        rt.close()


def test_export_a_lut_and_import_it_back_as_a_style(home, one_style, tmp_path):
    cube = tmp_path / "warm.cube"
    done = cli("export", str(one_style), "--format", "cube", "--size", "17", "--out", str(cube), home=home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(cube)
    assert "LUT_3D_SIZE 17" in cube.read_text()
    hald = tmp_path / "warm.png"
    done = cli("export", str(one_style), "--format", "hald", "--out", str(hald), "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["out"] == str(hald)

    done = cli("import", str(cube), str(hald), home=home)
    assert done.returncode == 0, done.stderr
    new = [int(x) for x in done.stdout.split()]
    assert len(new) == 2
    rt = open_runtime(home)
    try:
        library = Library(rt.db, rt.paths)
        from_cube, from_hald = (library.require(i) for i in new)
        assert from_cube.name == "Warm faded film"  # the TITLE
        assert from_hald.name == "warm"  # the file name
        assert from_cube.generator == "imported" and len(from_cube.images) == rt.settings.preview_count
        original = read_cube(library.require(one_style).lut_path)
        back = read_cube(from_cube.lut_path)
        assert back.size == 17
        # the imported grade, resampled, agrees with the original at shared grid points
        assert back.to_unit(17).table[-3:].tolist() == pytest.approx(original.to_unit(17).table[-3:].tolist(), abs=1e-5)
    finally:
        rt.close()


def test_export_and_import_a_pack(home, one_style, tmp_path):
    out = tmp_path / "one.stylepack"
    done = cli("export", str(one_style), "--out", str(out), home=home)
    assert done.returncode == 0, done.stderr
    other = tmp_path / "other-home"
    done = cli("import", str(out), "--json", home=other)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert len(doc["ids"]) == 1 and doc["skipped"] == [] and doc["failed"] == []
    again = cli("import", str(out), home=other)
    assert again.returncode == 0 and again.stdout.strip() == ""
    assert "is already in the library as style" in again.stderr


def test_enqueue_prints_job_ids(home, one_style, tmp_path):
    done = cli("export", str(one_style), "--out", str(tmp_path / "q.stylepack"), "--enqueue", home=home)
    assert done.returncode == 0 and done.stdout.strip().isdigit()
    assert not (tmp_path / "q.stylepack").exists()  # only queued


@pytest.mark.parametrize(
    "args, words",
    [
        (["export", "1", "--out", "{tmp}/exists.cube", "--format", "cube"], "already exists"),
        (["export", "1", "2", "--format", "cube", "--out", "{tmp}/a.cube"], "name one style"),
        (["export", "1", "--format", "hald", "--size", "33", "--out", "{tmp}/a.png"], "always level 8"),
        (["export", "1", "--size", "33", "--out", "{tmp}/a.stylepack"], "--size is for a LUT export"),
        (["export", "99", "--out", "{tmp}/a.stylepack"], "There is no style 99"),
        (["export", "1", "--out", "{tmp}/no/such/folder/a.stylepack"], "does not exist"),
        (["import", "{tmp}/missing.cube"], "does not exist"),
        (["import", "{tmp}/photo.jpg"], "is not a style pack, a .cube LUT or a HaldCLUT PNG"),
    ],
)
def test_refusals_exit_2_with_one_sentence_and_create_nothing(home, one_style, tmp_path, args, words):
    (tmp_path / "exists.cube").write_text("x")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    done = cli(*[a.format(tmp=tmp_path) for a in args], home=home)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert words in done.stderr
    assert done.stderr.strip().count("\n") == 0
    rt = open_runtime(home)
    try:
        assert rt.engine.list(include_finished=True)[0].type == "style.generate"  # no job was queued
        assert counts(rt)[0] == 1
    finally:
        rt.close()


def test_a_lut_refused_for_what_it_holds_exits_2_and_queues_nothing(home, tmp_path):
    """A file refused for its content exits 2, as a refused reference does (issue 21 §6): a
    short table, NaN, a pack with a zip-slip entry; nothing is queued, with or without --enqueue."""
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 2\n0 0 0\n1 0 0\n")
    done = cli("import", str(bad), home=home)
    assert done.returncode == 2, done.stderr
    assert "has 2 rows of numbers where 2x2x2 needs 8" in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    nan = tmp_path / "nan.cube"
    nan.write_text("LUT_3D_SIZE 2\n" + "0 0 0\n" * 3 + "nan 0 0\n" + "1 1 1\n" * 4)
    queued = cli("import", str(nan), "--enqueue", home=home)
    assert queued.returncode == 2 and queued.stdout == "", queued.stderr
    slip = tmp_path / "slip.stylepack"
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr("../../outside.txt", "x")
    refused = cli("import", str(slip), home=home)
    assert refused.returncode == 2 and "could write outside the library" in refused.stderr, refused.stderr
    rt = open_runtime(home)
    try:
        assert [r for r in rt.engine.list(include_finished=True) if r.type == "style.import"] == []
        assert_nothing_added(rt)
    finally:
        rt.close()


def test_an_export_without_its_extension_gets_the_one_its_format_needs(home, one_style, tmp_path):
    """``export 5 --out one`` writes ``one.stylepack`` (issue 21 §6); a name that already ends
    with the format's extension, in any case, is kept."""
    for args, name in (((), "one.stylepack"), (("--format", "cube"), "two.cube"), (("--format", "hald"), "three.PNG")):
        target = tmp_path / name.split(".")[0] if name != "three.PNG" else tmp_path / name
        result = cli("export", str(one_style), *args, "--out", str(target), home=home, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(tmp_path / name)
        assert (tmp_path / name).is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["one.stylepack", "three.PNG", "two.cube"]
