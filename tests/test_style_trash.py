"""Delete that can be undone, restore, purge, and duplicate (issue 21 §3), on SQLite and on
PostgreSQL: real styles made by the generator, real files, a real library."""

from __future__ import annotations

import filecmp
import os
import time
from pathlib import Path

import pytest

from desktop.errors import UserError
from desktop.library.duplicating import copy_name, duplicate_style
from desktop.library.reading import Library
from desktop.library.trash import DAY, delete_style, purge_expired, restore_style
from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import open_runtime
from tests.helpers import run_pool


@pytest.fixture
def lib(home, database_url):
    rt = open_runtime(home)
    try:
        ids = [enqueue_style(rt, text, previews=2, size=64, seed=3) for text in ("harbour dusk, teal", "rose print grain")]
        run_pool(rt)
        for job_id in ids:
            assert rt.engine.get(job_id).status == "succeeded", rt.engine.get(job_id).error
        yield Library(rt.db, rt.paths)
    finally:
        rt.close()


def _ids(lib: Library) -> list[int]:
    return [s.id for s in lib.list()]


def test_a_deleted_style_leaves_every_list_keeps_its_files_and_comes_back_exactly(lib):
    old, new = sorted(_ids(lib))
    before = lib.get(old)
    card = lib.card(old)
    signature = lib.signature()
    files = sorted(p.name for p in before.folder.iterdir())

    gone = delete_style(lib.db, old, days=7, now=1000.0)
    assert (gone.name, gone.until) == (before.name, 1000.0 + 7 * DAY)
    assert _ids(lib) == [new] and lib.count() == 1 and lib.card(old) is None and lib.get(old) is None
    assert [c.id for c in lib.cards(limit=10)] == [new]
    assert lib.signature() != signature, "other windows re-read the gallery when the signature moves"
    with pytest.raises(UserError, match=f"There is no style named '{before.name.upper()}'"):
        lib.find_id(before.name.upper())
    assert lib.find_id(before.name.upper(), deleted=True) == old
    assert [s.id for s in lib.list(deleted=True)] == [old]
    assert sorted(p.name for p in before.folder.iterdir()) == files, "the files stay until the undo expires"
    with pytest.raises(UserError):
        delete_style(lib.db, old, days=7)

    assert restore_style(lib.db, old) == before.name
    after = lib.get(old)
    assert (after.name, after.params, after.created_at, after.images, after.lut_path) == (
        before.name, before.params, before.created_at, before.images, before.lut_path)
    assert lib.card(old) == card and _ids(lib) == [new, old], "back in its place"
    assert lib.signature() == signature
    with pytest.raises(UserError, match="is not deleted"):
        restore_style(lib.db, old)


def test_purge_removes_only_styles_deleted_longer_ago_than_they_are_kept(lib):
    old, new = sorted(_ids(lib))
    folders = {i: lib.get(i).folder for i in (old, new)}
    now = time.time()
    delete_style(lib.db, old, days=7, now=now - 8 * DAY)
    delete_style(lib.db, new, days=7, now=now - 6 * DAY)

    assert purge_expired(lib, days=7, now=now) == [old]
    assert not folders[old].exists() and folders[new].is_dir()
    assert [s.id for s in lib.list(deleted=True)] == [new]
    with pytest.raises(UserError, match="deleted for good"):
        restore_style(lib.db, old)
    restore_style(lib.db, new)
    assert purge_expired(lib, days=0, now=now + DAY) == [], "a restored style is never purged"
    assert folders[new].is_dir()


def test_a_duplicate_has_its_own_files_a_unique_name_and_is_the_newest(lib):
    source = lib.get(min(_ids(lib)))
    (source.folder / "notes.txt").symlink_to("/etc/hostname")  # a link out: never copied

    first_id, first = duplicate_style(lib, source.id)
    second_id, second = duplicate_style(lib, first_id)
    assert (first, second) == (f"{source.name} copy", f"{source.name} copy 2")
    assert _ids(lib)[:2] == [second_id, first_id], "the copies are the newest"

    copy = lib.require(first_id)
    assert copy.folder != source.folder and copy.folder.parent == source.folder.parent
    assert (copy.params, copy.description, copy.strength) == (source.params, source.description, source.strength)
    assert [(i.position, i.path.name, i.width) for i in copy.images] == [(i.position, i.path.name, i.width) for i in source.images]
    assert filecmp.cmp(copy.lut_path, source.lut_path, shallow=False)
    assert not os.path.samefile(copy.lut_path, source.lut_path)
    assert not (copy.folder / "notes.txt").exists()

    delete_style(lib.db, source.id, days=7)  # the copy lives on its own
    assert purge_expired(lib, days=0, now=time.time() + 1) == [source.id]
    assert lib.require(first_id).images[0].path.is_file()


def test_a_refused_duplicate_leaves_nothing_behind(lib):
    source_id = min(_ids(lib))
    name = lib.get(max(_ids(lib))).name
    count, styles = lib.count(), sorted(p.name for p in lib.paths.styles_dir.iterdir())

    with pytest.raises(UserError, match="already; choose another name"):
        duplicate_style(lib, source_id, name.upper())
    with pytest.raises(UserError, match="cannot be empty"):
        duplicate_style(lib, source_id, "  \t ")

    assert lib.count() == count
    assert sorted(p.name for p in lib.paths.styles_dir.iterdir()) == styles
    assert [p.name for p in lib.paths.tmp_dir.iterdir() if p.name.startswith("duplicate-")] == []
    new_id, stored = duplicate_style(lib, source_id, "  Harbour\u200b dusk,   warmer ")
    assert stored == "Harbour dusk, warmer" and lib.find_id("HARBOUR DUSK, WARMER") == new_id


def test_copy_names_count_on_and_fit():
    taken = {"dusk copy", "dusk copy 2"}
    assert copy_name("Dusk", taken) == "Dusk copy 3"
    assert copy_name("Dusk copy 2", taken) == "Dusk copy 3"
    assert copy_name("Dawn", taken) == "Dawn copy"
    long = copy_name("x" * 200, set())
    assert len(long) == 200 and long.endswith(" copy")


def test_a_style_whose_folder_leads_outside_is_not_copied(lib, tmp_path: Path):
    style = lib.get(min(_ids(lib)))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    moved = lib.paths.styles_dir / "moved"
    os.replace(style.folder, outside / "real")
    moved.symlink_to(outside / "real")
    with lib.db.write_session() as s:
        from desktop.db.models import Style

        s.get(Style, style.id).folder = "styles/moved"
    with pytest.raises(UserError, match="outside the library"):
        duplicate_style(lib, style.id)
    assert lib.count() == 2


def test_opening_the_library_purges_the_styles_whose_undo_expired(lib, home):
    old, new = sorted(_ids(lib))
    folder = lib.get(old).folder
    delete_style(lib.db, old, days=7, now=time.time() - 30 * DAY)
    delete_style(lib.db, new, days=7)
    open_runtime(home).close()
    assert not folder.exists()
    assert [s.id for s in lib.list(deleted=True)] == [new]
