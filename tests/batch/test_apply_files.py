"""Files that are not what they seem: pipes and devices named .jpg (one rule: skipped and
counted, never opened), names too long for a folder (generated ones shortened, given ones
refused), names that are not UTF-8 (stored, styled and named losslessly on both databases,
shown escaped), photos gone mid-batch and a style deleted mid-batch (sentences that say so)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from desktop.errors import UserError
from desktop.files import NAME_MAX
from desktop.jobs.item_names import from_stored, to_stored
from desktop.jobs.pool_thread import PoolThread
from desktop.library.reading import Library
from desktop.pipelines.apply.request import batch_items, enqueue_apply, plan_apply
from tests.batch.conftest import photo
from tests.helpers import cli, run_pool, wait_until

# --- pipes, sockets and devices -------------------------------------------------------------------


def _odd_folder(folder: Path) -> Path:
    photo(folder / "a.jpg")
    os.mkfifo(folder / "pipe.jpg")  # opening it for reading would block forever
    os.symlink("/dev/null", folder / "device.jpg")
    os.symlink(folder / "nowhere.jpg", folder / "gone.jpg")
    (folder / "notes.txt").write_text("not a photo")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "socket.png"))
    listener.close()
    return folder


def test_pipes_devices_and_dangling_links_are_skipped_and_counted_walked_or_named(tmp_path):
    folder = _odd_folder(tmp_path / "in")
    expected = "5 files skipped: 1 not images, 3 not regular files (pipes, sockets or devices), 1 links to files that are gone"
    for recursive in (False, True):
        plan = plan_apply([folder], recursive=recursive)
        assert plan.files == [folder / "a.jpg"]
        assert plan.skipped_sentence == expected
    named = plan_apply([folder / "pipe.jpg", folder / "device.jpg", folder / "a.jpg"])  # named: the same rule
    assert named.files == [folder / "a.jpg"]
    assert named.skipped_sentence == "2 files skipped: not regular files (pipes, sockets or devices)"
    with pytest.raises(UserError) as refused:
        plan_apply([folder / "pipe.jpg"])
    assert str(refused.value) == (
        "No photos were found in the files given (1 file skipped: not regular files (pipes, sockets or devices)); "
        "name JPEG, PNG, TIFF, WebP, HEIC, AVIF or camera RAW files."
    )


def test_the_command_line_styles_the_photo_and_says_what_it_skipped_with_or_without_recursive(rt, style, tmp_path):
    folder = _odd_folder(tmp_path / "in")
    for n, extra in enumerate(([], ["--recursive"])):
        out = tmp_path / f"out{n}"
        res = cli("apply", str(style), str(folder), "--out", str(out), *extra, home=rt.paths.home)
        assert res.returncode == 0, res.stderr
        assert "5 files skipped: 1 not images, 3 not regular files" in res.stderr
        assert [p.name for p in out.iterdir()] == ["a.jpg"]
    res = cli("apply", str(style), str(folder / "pipe.jpg"), str(folder / "a.jpg"), "--out", str(tmp_path / "out3"), home=rt.paths.home)
    assert res.returncode == 0, res.stderr
    assert "1 file skipped: not regular files (pipes, sockets or devices)." in res.stderr


# --- long names -----------------------------------------------------------------------------------


def test_generated_names_over_255_bytes_are_shortened_keeping_the_extension_and_the_number(rt, style, tmp_path):
    stem = "é" * 125 + "x"  # 251 bytes: with .jpg the name is 255 bytes, the most a folder holds
    a = photo(tmp_path / "a" / f"{stem}.jpg")
    b = photo(tmp_path / "b" / f"{stem}.jpg", colour=(200, 10, 10))
    out = tmp_path / "out"
    res = cli("apply", str(style), str(a.parent), str(b.parent), "--out", str(out), "--format", "webp", home=rt.paths.home)
    assert res.returncode == 0, res.stderr
    names = sorted(os.fsencode(p.name) for p in out.iterdir())
    assert len(names) == 2 and all(len(n) <= NAME_MAX for n in names)
    first, second = sorted((p.name for p in out.iterdir()), key=len)
    assert first.endswith(".webp") and second.endswith(" (2).webp")
    assert first.startswith("é" * 100) and second.startswith("é" * 100)
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_given_names_over_255_bytes_are_refused_in_one_sentence_and_nothing_is_made(rt, style, tmp_path):
    p = photo(tmp_path / "p.jpg")
    long = "n" * 300
    cases = [
        ["apply", str(style), str(p), "--out", str(tmp_path / long / "out")],
        ["apply", str(style), str(tmp_path / f"{long}.jpg"), "--out", str(tmp_path / "out")],
    ]
    for args in cases:
        res = cli(*args, home=rt.paths.home)
        assert res.returncode == 2, res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "longer than the 255 bytes a folder can hold" in lines[0], res.stderr
    assert [x.name for x in tmp_path.iterdir()] == ["p.jpg"]  # no folder made
    assert [r.type for r in rt.engine.list()] == ["style.generate"]


# --- names that are not UTF-8 ---------------------------------------------------------------------


def test_stored_names_round_trip_whatever_their_bytes():
    for name in ["/a/b.jpg", "rel/é.jpg", os.fsdecode(b"/x/bad\xff.jpg"), "\\fs:odd", "a\\b" + os.fsdecode(b"\xfe"), "\ud800x"]:
        stored = to_stored(name)
        assert from_stored(stored) == name
        stored.encode("utf-8")  # a text column can hold it
    assert to_stored("/plain/name.jpg") == "/plain/name.jpg"  # ordinary names are stored as they are


def test_a_file_name_that_is_not_utf8_is_styled_named_from_the_same_bytes_and_shown_escaped(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    good = Path(os.fsdecode(bytes(src) + b"/bad\xff.jpg"))
    photo(good)
    broken = Path(os.fsdecode(bytes(src) + b"/broken\xfe.jpg"))
    broken.write_text("not a photo")
    res = cli("apply", str(style), str(src), "--out", str(out), "--json", home=rt.paths.home)
    assert res.returncode == 1, res.stderr  # the broken one failed; the other is styled
    assert os.listdir(os.fsencode(out)) == [b"bad\xff.jpg"]
    doc = json.loads(res.stdout)
    assert [os.fsencode(p) for p in doc["outputs"]] == [bytes(out) + b"/bad\xff.jpg"]  # exact in JSON
    assert os.fsencode(doc["failed"][0]["input"]) == bytes(broken) and "broken\\xfe.jpg" in doc["failed"][0]["error"]
    assert "broken\\xfe.jpg: " in res.stderr
    items = {os.fsencode(Path(i.input).name): i for i in batch_items(rt.db, doc["job"])}
    assert items[b"bad\xff.jpg"].status == "done" and os.fsencode(items[b"bad\xff.jpg"].output) == bytes(out) + b"/bad\xff.jpg"
    assert items[b"broken\xfe.jpg"].status == "failed"
    named = cli("apply", str(style), str(good), "--out", str(tmp_path / "out2"), home=rt.paths.home)  # named on the command line
    assert named.returncode == 0, named.stderr
    assert os.listdir(os.fsencode(tmp_path / "out2")) == [b"bad\xff.jpg"]
    assert "styled into" in named.stdout


# --- photos gone, a style deleted -----------------------------------------------------------------


def test_a_photo_deleted_or_a_link_left_dangling_says_the_file_is_gone(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    keep = photo(src / "keep.jpg")
    deleted = photo(src / "deleted.jpg")
    target = photo(tmp_path / "elsewhere" / "target.jpg")
    os.symlink(target, src / "link.jpg")
    other = photo(tmp_path / "unmounted" / "far.jpg")
    job = enqueue_apply(rt, style, [src, other], out=out)
    deleted.unlink()
    target.unlink()
    os.unlink(other)
    os.rmdir(other.parent)  # its whole folder is gone: that one may be a mount that is missing
    run_pool(rt, timeout=60)
    items = {os.path.basename(i.input): i for i in batch_items(rt.db, job)}
    assert items["keep.jpg"].status == "done" and keep.exists()
    assert items["deleted.jpg"].error == f"The photo {deleted} is no longer there (it was moved or deleted); put it back, then retry the job."
    assert items["link.jpg"].error == f"The photo {src / 'link.jpg'} is a link to a file that is no longer there; put the file back, then retry the job."
    assert items["far.jpg"].error.startswith(f"The photo {other} cannot be reached from ") and "mounted" in items["far.jpg"].error


def hold_photos_from(monkeypatch, first: int) -> None:
    """Photos from position ``first`` on are never started: the batch stays unfinished whatever
    the machine's speed (its lead keeps checking on the style meanwhile)."""
    import asyncio

    from desktop.pipelines.apply.photos import Photos

    real = Photos.start

    def start(self, item):
        if item.position < first:
            return real(self, item)
        return asyncio.get_running_loop().create_future()  # never done: held

    monkeypatch.setattr(Photos, "start", start)


def test_deleting_the_style_mid_batch_stops_the_batch_with_that_sentence(rt, style, tmp_path, monkeypatch):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(30):
        photo(src / f"p{i:02}.jpg", size=(1200, 900))
    name = Library(rt.db, rt.paths).require(style).name
    job = enqueue_apply(rt, style, [src], out=out)
    hold_photos_from(monkeypatch, 3)
    pool = PoolThread(rt.engine.pool(max_parallel=1))
    pool.start()
    try:
        wait_until(lambda: sum(i.status == "done" for i in batch_items(rt.db, job)) >= 2, timeout=120, interval=0.05)
        Library(rt.db, rt.paths).delete(style)
        row = wait_until(lambda: (r := rt.engine.require(job)).is_finished and r, timeout=120)
    finally:
        assert pool.stop(timeout=60)
    items = batch_items(rt.db, job)
    done = sum(i.status == "done" for i in items)
    assert row.status == "failed" and done < 30
    assert row.error == f"The style \u201c{name}\u201d was deleted while the batch was running, so it stopped; {done} photos are in {out}."
    assert not [i for i in items if i.status == "failed"]  # no photo blamed for it
    wait_until(lambda: not [p for p in out.iterdir() if p.name.endswith(".part")], timeout=30)
    assert len(list(out.iterdir())) == done


def test_deleting_an_imported_style_mid_batch_is_no_photo_s_fault(rt, tmp_path, monkeypatch):
    from desktop.pipelines.import_.request import enqueue_import, imported_ids

    cube = tmp_path / "teal.cube"
    cube.write_text('TITLE "Teal"\nLUT_3D_SIZE 2\n' + "".join(f"{r * 0.8} {g} {b * 0.9}\n" for b in (0, 1) for g in (0, 1) for r in (0, 1)))
    [imp] = enqueue_import(rt, [cube])
    run_pool(rt, timeout=60)
    [style] = imported_ids(rt.engine.require(imp).result_dict())
    lut = Library(rt.db, rt.paths).require(style).lut_path
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(30):
        photo(src / f"p{i:02}.jpg", size=(1200, 900))
    job = enqueue_apply(rt, style, [src], out=out)
    hold_photos_from(monkeypatch, 3)
    pool = PoolThread(rt.engine.pool(max_parallel=1))
    pool.start()
    try:
        wait_until(lambda: sum(i.status == "done" for i in batch_items(rt.db, job)) >= 2, timeout=120, interval=0.05)
        lut.unlink()  # the grade file first (the photos in flight fail on it), then the style
        Library(rt.db, rt.paths).delete(style)
        row = wait_until(lambda: (r := rt.engine.require(job)).is_finished and r, timeout=120)
    finally:
        assert pool.stop(timeout=60)
    items = batch_items(rt.db, job)
    assert row.status == "failed" and "was deleted while the batch was running, so it stopped" in row.error, row.error
    assert not [i.error for i in items if i.status == "failed"], [(i.status, i.error) for i in items]
