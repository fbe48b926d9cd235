"""The library folder: where the rows' files live (styles, uploads, half-made files), set by
STYLESTUDIO_LIBRARY_DIR or the library_dir setting, stored relative to it so a folder reached at
another place (another mount point, a symlink) is the same library; bad settings refused in one
sentence; rows' paths still untrusted; the settings dialog's field."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit

from desktop.config import LIBRARY_VAR, relative_to_library, resolve_paths
from desktop.errors import UserError
from desktop.jobs.items import Item
from desktop.library.reading import Library
from desktop.pipelines.apply.request import batch_items, enqueue_apply, local_items
from desktop.pipelines.generate.request import enqueue_style
from desktop.pipelines.import_.request import IMPORT, enqueue_import, imported_ids
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from desktop.ui.settings_dialog import SettingsDialog
from tests.helpers import cli, run_pool
from tests.ui.conftest import aloop, shown, wait_until, window  # noqa: F401 - fixtures

CUBE = "TITLE \"Teal\"\nLUT_3D_SIZE 2\n" + "".join(
    f"{r * 0.8:.1f} {g * 0.9 + 0.1:.1f} {b:.1f}\n" for b in (0, 1) for g in (0, 1) for r in (0, 1)
)


@pytest.fixture(autouse=True)
def no_library_from_outside(monkeypatch):
    monkeypatch.delenv(LIBRARY_VAR, raising=False)


@pytest.fixture
def library(tmp_path) -> Path:
    folder = tmp_path / "studio"
    folder.mkdir()
    return folder


def _make_style(rt) -> int:
    job = enqueue_style(rt, "warm film grain", reference=sample_photos()[0], previews=2, size=160, seed=3)
    run_pool(rt, timeout=180)
    row = rt.engine.require(job)
    assert row.status == "succeeded", row.error
    return int(row.result_dict()["id"])


def test_the_library_folder_is_the_environment_then_the_setting_then_the_data_folder(home, tmp_path, monkeypatch):
    paths = resolve_paths(home)
    assert paths.library == home and paths.library_is_home and paths.styles_dir == home / "styles"
    (home / "settings.json").write_text(json.dumps({"library_dir": str(tmp_path / "from-setting")}))
    paths = resolve_paths(home)
    assert paths.library == tmp_path / "from-setting" and "library_dir setting" in paths.library_source
    monkeypatch.setenv(LIBRARY_VAR, str(tmp_path / "from-env"))
    paths = resolve_paths(home)
    assert paths.library == tmp_path / "from-env" and paths.library_source == LIBRARY_VAR
    # what stays on this machine, and what goes with the library
    assert paths.db_file.parent == home and paths.log_file.is_relative_to(home) and paths.settings_file.parent == home
    assert {paths.styles_dir, paths.uploads_dir, paths.tmp_dir} == {tmp_path / "from-env" / n for n in ("styles", "uploads", "tmp")}


@pytest.mark.parametrize("how", ["env", "setting"])
@pytest.mark.parametrize("value", ["relative/studio", "MISSING", "FILE"])
def test_a_relative_or_missing_library_folder_is_refused_in_one_sentence_and_nothing_is_made(tmp_path, how, value):
    home = tmp_path / "data"
    target = {"MISSING": str(tmp_path / "nas" / "studio"), "FILE": str(tmp_path / "a-file")}.get(value, value)
    (tmp_path / "a-file").write_text("not a folder")
    env = {}
    if how == "env":
        env[LIBRARY_VAR] = target
    else:
        home.mkdir()
        (home / "settings.json").write_text(json.dumps({"library_dir": target}))
    before = sorted(p.name for p in tmp_path.iterdir())
    res = cli("worker", "--exit-when-idle", home=home, env=env)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert "library folder" in lines[0] and target in lines[0]
    assert (LIBRARY_VAR if how == "env" else "library_dir setting") in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing was created"
    if how == "setting":
        assert sorted(p.name for p in home.iterdir()) == ["settings.json"]


def test_a_style_keeps_its_files_in_the_library_folder_and_its_rows_relative_to_it(home, library, tmp_path, monkeypatch):
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    rt = open_runtime(home)
    try:
        style_id = _make_style(rt)
    finally:
        rt.close()
    assert sorted(p.name for p in library.iterdir()) == ["styles", "tmp", "uploads"]
    assert list((library / "styles" / str(style_id)).glob("preview-*")) and (library / "styles" / str(style_id) / "style.cube").is_file()
    assert list((library / "tmp").iterdir()) == []
    assert not (home / "styles").exists() and not (home / "uploads").exists() and not (home / "tmp").exists()
    assert (home / "library.sqlite3").is_file() and (home / "logs").is_dir()
    con = sqlite3.connect(home / "library.sqlite3")
    folder, lut, reference = con.execute("SELECT folder, lut_path, reference_path FROM styles").fetchone()
    images = [r[0] for r in con.execute("SELECT path FROM style_images")]
    con.close()
    assert folder == f"styles/{style_id}" and lut == f"styles/{style_id}/style.cube" and reference.startswith("uploads/")
    assert all(p.startswith(f"styles/{style_id}/") for p in images)

    # the shared drive, now mounted somewhere else: the same library, every file found there
    moved = tmp_path / "Volumes" / "studio"
    moved.parent.mkdir()
    library.rename(moved)
    monkeypatch.setenv(LIBRARY_VAR, str(moved))
    rt = open_runtime(home)
    try:
        info = Library(rt.db, rt.paths).require(style_id)
    finally:
        rt.close()
    assert info.problem is None and len(info.images) == 2
    assert info.folder == moved / "styles" / str(style_id) and info.lut_path.is_file()
    assert info.reference_path.is_file() and info.reference_path.parent == moved / "uploads"
    assert all(i.path.is_file() and i.thumb_path.is_file() and i.path.is_relative_to(moved) for i in info.images)


def test_a_row_pointing_outside_the_library_folder_is_refused_even_into_the_data_folder(home, library, monkeypatch):
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    rt = open_runtime(home)
    try:
        style_id = _make_style(rt)
        victim = home / "styles" / "precious"  # the data folder is outside a library folder of its own
        victim.mkdir(parents=True)
        (victim / "keep.txt").write_text("mine")
        with rt.db.write_session() as s:
            s.execute(
                __import__("sqlalchemy").text("UPDATE styles SET folder = :f, lut_path = :l WHERE id = :id"),
                {"f": os.path.relpath(victim, library), "l": str(victim / "keep.txt"), "id": style_id},
            )
        lib = Library(rt.db, rt.paths)
        info = lib.get(style_id)
        assert info.folder is None and info.lut_path is None and "outside the library" in info.problem
        with pytest.raises(UserError, match="outside the library"):
            lib.delete(style_id)
        assert (victim / "keep.txt").read_text() == "mine"
        assert lib.get(style_id) is None
    finally:
        rt.close()


def test_an_import_from_inside_the_library_folder_is_queued_relative_and_found_through_another_mapping(home, library, tmp_path, monkeypatch):
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    (library / "incoming").mkdir()
    (library / "incoming" / "teal.cube").write_text(CUBE)
    mount = tmp_path / "mnt-studio"
    mount.symlink_to(library, target_is_directory=True)
    rt = open_runtime(home)
    try:
        [job] = enqueue_import(rt, [mount / "incoming" / "teal.cube"])  # picked through another path
        assert rt.engine.require(job).payload_dict()["path"] == "incoming/teal.cube"
    finally:
        rt.close()
    monkeypatch.setenv(LIBRARY_VAR, str(mount))  # the machine that runs it reaches the folder as mnt-studio
    rt = open_runtime(home)
    try:
        run_pool(rt, timeout=120)
        row = rt.engine.require(job)
        assert row.status == "succeeded", row.error
        [style_id] = imported_ids(row.result_dict())
        info = Library(rt.db, rt.paths).require(style_id)
        assert info.name == "Teal" and info.lut_path.is_file() and info.images
    finally:
        rt.close()


def test_an_import_path_that_leads_outside_the_library_folder_is_refused(home, library, tmp_path, monkeypatch):
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    outside = tmp_path / "outside.cube"
    outside.write_text(CUBE)
    (library / "incoming").mkdir()
    (library / "incoming" / "sneaky.cube").symlink_to(outside)
    rt = open_runtime(home)
    try:
        with pytest.raises(UserError, match="full path"):
            rt.engine.enqueue(IMPORT, {"path": "../outside.cube", "kind": "cube"})
        # as a row a front door signed on a machine where the link still led inside the folder
        from desktop import grants

        grant = grants.sign(rt.paths.library, "import", path="incoming/sneaky.cube", kind="cube")
        job = rt.engine.enqueue(IMPORT, {"path": "incoming/sneaky.cube", "kind": "cube", "grant": grant})
        run_pool(rt, timeout=60)
        row = rt.engine.require(job)
        assert row.status == "failed" and "leads outside the library folder" in row.error
        assert Library(rt.db, rt.paths).count() == 0
    finally:
        rt.close()


def test_an_import_from_outside_the_library_stays_a_full_path_and_a_machine_without_the_file_says_so(home, library, tmp_path, monkeypatch):
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    local = tmp_path / "Downloads" / "teal.cube"
    local.parent.mkdir()
    local.write_text(CUBE)
    rt = open_runtime(home)
    try:
        [job] = enqueue_import(rt, [local])
        assert rt.engine.require(job).payload_dict()["path"] == str(local)
        local.unlink()  # as seen from a machine that does not have it
        run_pool(rt, timeout=60)
        row = rt.engine.require(job)
        assert row.status == "failed"
        assert str(local) in row.error and socket.gethostname() in row.error and "library folder" in row.error
    finally:
        rt.close()


def test_relative_to_library_keeps_outside_paths_whole(library, tmp_path):
    assert relative_to_library(library / "a" / "b.cube", library) == "a/b.cube"
    assert relative_to_library(tmp_path / "b.cube", library) == str(tmp_path / "b.cube")
    assert relative_to_library(library, library) == str(library)


def test_sub_folders_of_a_shared_library_folder_follow_its_owner_not_the_private_data_folder(home, library, monkeypatch):
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    old = os.umask(0o022)
    try:
        open_runtime(home).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((library / "styles").stat().st_mode) == 0o755  # other users of the share can read
    assert stat.S_IMODE((home / "logs").stat().st_mode) == 0o700  # this machine's files stay private


@pytest.mark.postgres
def test_on_postgresql_a_library_in_the_data_folder_is_warned_about(home, postgres_url, library, monkeypatch, caplog):
    open_runtime(home).close()
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "will not find them" in r.getMessage()]
    assert len(warned) == 1 and LIBRARY_VAR in warned[0] and str(home) in warned[0]
    assert "other machines using this database will not find them" in resolve_paths(home).log_file.read_text()
    caplog.clear()
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    open_runtime(home).close()
    assert not any("will not find them" in r.getMessage() for r in caplog.records)
    assert any(str(library) in r.getMessage() for r in caplog.records if r.name == "desktop.runtime")


def test_the_settings_dialog_saves_a_library_folder_for_the_next_start_and_refuses_a_bad_one(qtbot, window, home, library):  # noqa: F811
    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    edit = dialog.findChild(QLineEdit, "libraryFolderEdit")
    note = dialog.findChild(QLabel, "libraryFolderNoteLabel").text()
    assert edit.text() == "" and "the data folder" in note and "next time" in note
    edit.setText("studio")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    error = dialog.findChild(QLabel, "settingsErrorLabel")
    wait_until(lambda: error.isVisible())
    assert "not a full path" in error.text() and shown(dialog)
    assert not (home / "settings.json").exists() or "library_dir" not in (home / "settings.json").read_text()
    edit.setText(str(library))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    wait_until(lambda: not shown(dialog))
    assert json.loads((home / "settings.json").read_text())["library_dir"] == str(library)
    assert window.runtime.paths.library == home, "applied at the next start, not now"
    assert resolve_paths(home).library == library


def _import_cube(rt, folder: Path) -> int:
    (folder / "teal.cube").write_text(CUBE)
    [job] = enqueue_import(rt, [folder / "teal.cube"])
    run_pool(rt, timeout=120)
    row = rt.engine.require(job)
    assert row.status == "succeeded", row.error
    [style_id] = imported_ids(row.result_dict())
    return style_id


def test_a_batch_inside_the_library_folder_is_stored_relative_and_run_by_a_machine_that_mounts_it_elsewhere(home, library, tmp_path, monkeypatch):
    photos = library / "in"
    photos.mkdir()
    for sample in sample_photos()[3:5]:  # the two small JPEGs
        (photos / sample.name).write_bytes(sample.read_bytes())
    monkeypatch.setenv(LIBRARY_VAR, str(library))  # machine A reaches the library as studio/
    rt = open_runtime(home)
    try:
        style_id = _import_cube(rt, tmp_path)
        job = enqueue_apply(rt, style_id, [photos], out=library / "out")
        assert rt.engine.require(job).payload_dict()["out"] == "out"
        assert sorted(i.input for i in batch_items(rt.db, job)) == ["in/hubble_deep_field.jpg", "in/rocket.jpg"]
    finally:
        rt.close()
    # Machine B: the same folder mounted elsewhere; A's path does not exist there.
    nas = tmp_path / "nas"
    nas.mkdir()
    library.rename(nas / "studio")
    mount = tmp_path / "mnt-studio"
    mount.symlink_to(nas / "studio", target_is_directory=True)
    monkeypatch.setenv(LIBRARY_VAR, str(mount))
    rt = open_runtime(home)
    try:
        run_pool(rt, timeout=180)
        row = rt.engine.require(job)
        assert row.status == "succeeded", row.error
        stored = sorted(i.output or "" for i in batch_items(rt.db, job))
        assert stored == ["out/hubble_deep_field.jpg", "out/rocket.jpg"]
        assert row.result_dict()["out"] == "out"  # each machine's window offers its own path to it
        assert sorted(p.name for p in (mount / "out").iterdir()) == ["hubble_deep_field.jpg", "rocket.jpg"]
    finally:
        rt.close()
    # Machine A again (the folder back where A mounts it): it reads the outputs as its own paths.
    (nas / "studio").rename(library)
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    rt = open_runtime(home)
    try:
        items = batch_items(rt.db, job, rt.paths.library)
        outputs = [Path(i.output) for i in items if i.output]
        assert len(outputs) == 2 and all(p.is_file() and p.parent == (library / "out").resolve() for p in outputs)
        assert all(Path(i.input).is_file() for i in items)
        # A row written elsewhere whose output leads outside the library shows no output.
        [odd] = local_items([Item(0, "in/x.jpg", "../../etc/passwd", "done", None)], rt.paths.library)
        assert odd.output is None
    finally:
        rt.close()


def test_a_batch_output_folder_that_leads_outside_the_library_is_refused_in_one_sentence(home, library, monkeypatch):
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    rt = open_runtime(home)
    try:
        for out in ("../x", "out/../../x", ""):
            with pytest.raises(UserError) as refused:
                rt.engine.enqueue("style.apply", {"style": 1, "out": out})
            message = str(refused.value)
            assert "output folder must be a full path" in message and message.count(". ") == 0 and message.endswith(".")
        assert rt.engine.count() == 0
    finally:
        rt.close()
