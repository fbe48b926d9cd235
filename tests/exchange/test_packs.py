"""Style packs as jobs on real libraries: the round trip, content-hash de-duplication, every
kind of hostile pack refused with one sentence and nothing added, and a canceled export."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest

from desktop.exchange.cube import read_cube
from desktop.library.reading import Library
from desktop.pipelines.export.request import enqueue_export_pack
from desktop.pipelines.import_.request import enqueue_import, imported_ids
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from tests.exchange.support import assert_nothing_added, counts, make_styles
from tests.helpers import run_pool, wait_until


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    """A real pack of 3 styles (the first with its reference photo), made once."""
    home = tmp_path_factory.mktemp("source-library")
    out = tmp_path_factory.mktemp("packs") / "three.stylepack"
    ref = tmp_path_factory.mktemp("ref") / "ref.png"
    shutil.copy(sample_photos()[2], ref)
    src = open_runtime(home)
    try:
        ids = make_styles(src, ["warm film grain", "cool moody noir", "vivid teal and orange"], reference=ref)
        job = enqueue_export_pack(src, ids, out, with_reference=True)
        run_pool(src)
        row = src.engine.require(job)
        assert row.status == "succeeded", row.error
    finally:
        src.close()
    return out


def _import(rt, path) -> object:
    [job] = enqueue_import(rt, [path])
    run_pool(rt, timeout=120)
    return rt.engine.require(job)


def test_round_trip_into_a_fresh_library(tmp_path_factory, pack, monkeypatch):
    from desktop.jobs.context import JobContext

    home = tmp_path_factory.mktemp("from")
    src = open_runtime(home)
    try:
        ids = make_styles(src, ["warm film grain", "cool moody noir", "vivid teal and orange"])
        out = tmp_path_factory.mktemp("x") / "my styles.stylepack"
        # what the job reports (the row shows it at most 5 times a second, so a quick export
        # may end before a watcher sees any of it)
        reported: list[str] = []
        real_progress = JobContext.progress

        def progress(self, fraction=None, message=None):
            if message is not None:
                reported.append(message)
            return real_progress(self, fraction, message)

        monkeypatch.setattr(JobContext, "progress", progress)
        job = enqueue_export_pack(src, ids, out)
        run_pool(src)
        assert src.engine.require(job).status == "succeeded"
        assert [m for m in reported if m.startswith("Packing ")] == [f"Packing {i} of 3 styles" for i in (1, 2, 3)]
        before = [Library(src.db, src.paths).require(i) for i in ids]
    finally:
        src.close()
    dst = open_runtime(tmp_path_factory.mktemp("to"))
    try:
        row = _import(dst, out)
        assert row.status == "succeeded", row.error
        new = imported_ids(row.result_dict())
        assert len(new) == 3
        library = Library(dst.db, dst.paths)
        for old, new_id in zip(before, new, strict=True):
            got = library.require(new_id)
            assert (got.name, got.description, got.prompt, got.generator) == (old.name, old.description, old.prompt, old.generator)
            assert got.params["strength"] == old.params["strength"]
            assert (got.analysis or {}).get("palette") == (old.analysis or {}).get("palette")
            assert read_cube(got.lut_path).table == read_cube(old.lut_path).table
            assert got.lut_path.read_bytes() == old.lut_path.read_bytes()
            assert [i.path.read_bytes() for i in got.images] == [i.path.read_bytes() for i in old.images]
            assert [i.thumb_path.read_bytes() for i in got.images] == [i.thumb_path.read_bytes() for i in old.images]
        # the same pack again: every style is recognised by its content and skipped
        again = _import(dst, out)
        assert again.status == "succeeded"
        assert imported_ids(again.result_dict()) == []
        assert [s["id"] for s in again.result_dict()["skipped"]] == new
        assert counts(dst)[0] == 3
    finally:
        dst.close()


def test_a_pack_with_references_brings_them(rt, pack):
    row = _import(rt, pack)
    assert row.status == "succeeded", row.error
    first = Library(rt.db, rt.paths).require(imported_ids(row.result_dict())[0])
    assert first.reference_path is not None and first.reference_path.read_bytes() == sample_photos()[2].read_bytes()


# --- hostile packs ------------------------------------------------------------------------------


def _rewrite(pack: Path, out: Path, *, manifest=None, drop=(), replace=None, extra=()) -> Path:
    """A copy of ``pack`` with its manifest changed, entries dropped or replaced, or extra
    entries (ZipInfo, bytes) added."""
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            data = src.read(info)
            if info.filename == "manifest.json" and manifest is not None:
                doc = json.loads(data)
                manifest(doc)
                data = json.dumps(doc).encode()
            if replace and info.filename in replace:
                data = replace[info.filename]
            dst.writestr(info.filename, data)
        for info, data in extra:
            dst.writestr(info, data)
    return out


def _symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("styles/1/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _set(path: str, value):
    def change(doc):
        target = doc
        keys = path.split(".")
        for k in keys[:-1]:
            target = target[int(k)] if isinstance(target, list) else target[k]
        target[keys[-1]] = value
    return change


def _cube_of(pack: Path, index: int = 3) -> str:
    return f"styles/{index}/style.cube"


HOSTILE = {
    "dotdot": (dict(extra=[(zipfile.ZipInfo("../../evil.txt"), b"x")]), "'..' or an empty folder name"),
    "absolute": (dict(extra=[(zipfile.ZipInfo("/etc/evil"), b"x")]), "an absolute path"),
    "drive": (dict(extra=[(zipfile.ZipInfo("C:/evil.txt"), b"x")]), "an absolute path"),
    "backslash": (dict(extra=[(zipfile.ZipInfo("styles\\..\\evil"), b"x")]), "a backslash"),
    "symlink": (dict(extra=[(_symlink_entry(), b"/etc/passwd")]), "is a symbolic link"),
    "bomb": (dict(extra=[(zipfile.ZipInfo("styles/1/zeros.bin", date_time=(2000, 1, 1, 0, 0, 0)), b"\0" * (8 * 1024 * 1024))]), "a zip bomb"),
    "schema": (dict(manifest=_set("schema", "one")), "no usable schema version"),
    "newer": (dict(manifest=_set("schema", 99)), "made by a newer Style Studio"),
    "no styles": (dict(manifest=_set("styles", [])), "lists no styles"),
    "bad strength": (dict(manifest=_set("styles.1.strength", 400)), "a strength for style 2 outside 0..100"),
    "unsafe path": (dict(manifest=_set("styles.2.files.cube.path", "styles/../../x.cube")), "an unsafe or misplaced file for the .cube of style 3"),
    "missing file": (dict(drop=("styles/3/preview-2.jpg",)), "the file styles/3/preview-2.jpg its manifest names is missing"),
    "hash mismatch": (dict(replace={"styles/3/thumb-1.webp": b"RIFF0000WEBPVP8 not really"}), "differs from its manifest"),
    "no manifest": (dict(drop=("manifest.json",)), "no manifest.json"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_pack_is_refused_and_nothing_is_added(rt, pack, tmp_path, case):
    changes, words = HOSTILE[case]
    if case == "bomb":
        # the compressed zeros must be in a zip that compresses them (ZipInfo defaults to stored)
        changes["extra"][0][0].compress_type = zipfile.ZIP_DEFLATED
    bad = _rewrite(pack, tmp_path / f"{case}.stylepack", **changes)
    row = _import(rt, bad)
    assert row.status == "failed"
    assert words in row.error, row.error
    assert row.error.count(". ") == 0 and row.error.endswith(".") and "\n" not in row.error
    assert_nothing_added(rt, uploads=set())


def test_a_damaged_cube_in_the_third_style_adds_nothing(rt, pack, tmp_path):
    """Styles 1 and 2 are fine; style 3's .cube has NaN (with a matching hash, so only the
    LUT check can catch it): the import fails half-way and leaves nothing behind."""
    import hashlib

    from desktop.exchange.pack import content_hash

    with zipfile.ZipFile(pack) as z:
        text = z.read("styles/3/style.cube").decode()
        doc = json.loads(z.read("manifest.json"))
    lines = text.splitlines()
    lines[-1] = "0.5 nan 0.5"
    bad_cube = ("\n".join(lines) + "\n").encode()
    sha = hashlib.sha256(bad_cube).hexdigest()

    def fix(d):
        s = d["styles"][2]
        s["files"]["cube"].update(sha256=sha, bytes=len(bad_cube))
        s["content_hash"] = content_hash(sha, [p["image"]["sha256"] for p in s["files"]["previews"]])

    bad = _rewrite(pack, tmp_path / "nan.stylepack", manifest=fix, replace={"styles/3/style.cube": bad_cube})
    del doc
    row = _import(rt, bad)
    assert row.status == "failed"
    assert "not a finite number" in row.error and "styles/3/style.cube" in row.error
    assert_nothing_added(rt, uploads=set())


def test_canceling_an_export_leaves_no_file(rt, tmp_path, monkeypatch):
    from desktop.jobs.context import JobContext

    [style_id] = make_styles(rt, ["warm film grain"])
    _copies(rt, style_id, 60)
    ids = [r[0] for r in sqlite3.connect(rt.paths.db_file).execute("SELECT id FROM styles ORDER BY id")]
    out = tmp_path / "big.stylepack"
    job = enqueue_export_pack(rt, ids, out)
    # the person presses Cancel while the third style is being packed (the row shows progress
    # at most 5 times a second, so a watcher of the row could miss that moment)
    real_progress = JobContext.progress

    def progress(self, fraction=None, message=None):
        if message is not None and message.startswith("Packing 3 of"):
            rt.engine.cancel(job)
        return real_progress(self, fraction, message)

    monkeypatch.setattr(JobContext, "progress", progress)
    run_pool(rt, timeout=120)
    row = wait_until(lambda: (r := rt.engine.require(job)).status in ("canceled", "succeeded", "failed") and r, timeout=60)
    assert row.status == "canceled", (row.status, row.message)
    assert list(tmp_path.iterdir()) == []  # no pack, no .part


def _copies(rt, style_id: int, n: int) -> None:
    """``n`` more styles sharing the files of ``style_id`` (fast set-up for a long export)."""
    con = sqlite3.connect(rt.paths.db_file)
    with con:
        cols = "name, description, prompt, generator, folder, reference_path, lut_path, analysis, params, created_at"
        for _ in range(n):
            cur = con.execute(f"INSERT INTO styles ({cols}) SELECT {cols} FROM styles WHERE id = ?", (style_id,))
            con.execute(
                "INSERT INTO style_images (style_id, position, path, thumb_path, width, height)"
                " SELECT ?, position, path, thumb_path, width, height FROM style_images WHERE style_id = ?",
                (cur.lastrowid, style_id),
            )
    con.close()
