"""A style row's stored paths are resolved and must stay inside the library: a hostile row
(``..``, an absolute path, a symlink out of ``styles/``) never leads Style Studio to open or
delete anything outside. Also: ``--search`` takes % and _ as plain characters."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from pathlib import Path

import pytest

from desktop.library.reading import Library
from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import open_runtime
from tests.helpers import cli, run_pool


def _make_style(home: Path, description: str = "warm film grain", name: str | None = None) -> int:
    rt = open_runtime(home)
    try:
        job_id = enqueue_style(rt, description, name=name, previews=1, size=64, seed=3)
        run_pool(rt)
        row = rt.engine.get(job_id)
        assert row.status == "succeeded", row.error
        return int(row.result_dict()["id"])
    finally:
        rt.close()


def _victim(home: Path) -> Path:
    """A folder next to the data folder, full of someone's files."""
    victim = home.parent / f"victim-{uuid.uuid4().hex[:8]}"
    (victim / "inner").mkdir(parents=True)
    (victim / "precious.txt").write_text("do not delete")
    (victim / "inner" / "more.txt").write_text("nor this")
    return victim


def _intact(victim: Path) -> bool:
    return (victim / "precious.txt").read_text() == "do not delete" and (victim / "inner" / "more.txt").is_file()


def _sql(home: Path, statement: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(home / "library.sqlite3")
    try:
        rows = con.execute(statement, params).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def _delete(home: Path, style_id: int):
    return cli("--home", str(home), "styles", "delete", str(style_id), "--now", home=home)


def _one_sentence(text: str) -> str:
    text = text.strip()
    assert "Traceback" not in text and "\n" not in text, text
    return text


@pytest.mark.parametrize("how", ["dotdot", "absolute"])
def test_deleting_a_style_whose_folder_points_outside_leaves_the_outside_untouched(home, how):
    style_id = _make_style(home)
    own_folder = home / "styles" / str(style_id)
    assert own_folder.is_dir()
    victim = _victim(home)
    stored = f"styles/../../{victim.name}" if how == "dotdot" else str(victim)
    _sql(home, "UPDATE styles SET folder = ? WHERE id = ?", stored, style_id)

    result = _delete(home, style_id)

    assert result.returncode == 2, result.stdout + result.stderr
    message = _one_sentence(result.stderr)
    assert message.startswith(f"Style {style_id}'s files point outside the library (")
    assert str(victim) in message and "did not touch them" in message
    assert _intact(victim)
    assert _sql(home, "SELECT count(*) FROM styles WHERE id = ?", style_id) == [(0,)], "the row itself is removed"
    assert _sql(home, "SELECT count(*) FROM style_images WHERE style_id = ?", style_id) == [(0,)]
    listed = cli("--home", str(home), "styles", "list", "--json", home=home)
    assert json.loads(listed.stdout) == []


def test_a_symlink_inside_styles_that_leads_outside_is_not_followed(home):
    style_id = _make_style(home)
    victim = _victim(home)
    link = home / "styles" / "evil"
    os.symlink(victim, link)
    _sql(home, "UPDATE styles SET folder = 'styles/evil' WHERE id = ?", style_id)

    result = _delete(home, style_id)

    assert result.returncode == 2
    message = _one_sentence(result.stderr)
    assert f"styles/evil leads to {os.path.realpath(victim)}" in message
    assert _intact(victim)


def test_a_folder_that_is_the_styles_folder_itself_is_refused(home):
    keep = _make_style(home, "keep me")
    style_id = _make_style(home, "hostile")
    _sql(home, "UPDATE styles SET folder = ? WHERE id = ?", f"styles/{style_id}/..", style_id)

    result = _delete(home, style_id)

    assert result.returncode == 2 and "point outside the library" in result.stderr
    assert (home / "styles" / str(keep)).is_dir(), "another style's files were deleted"


def test_deleting_an_ordinary_style_removes_its_folder_and_row(home):
    style_id = _make_style(home)
    result = _delete(home, style_id)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Deleted style {style_id} 'Warm film grain' and its files for good."
    assert not (home / "styles" / str(style_id)).exists()
    assert _sql(home, "SELECT count(*) FROM styles") == [(0,)]


def test_show_refuses_a_row_whose_paths_lead_outside(home):
    style_id = _make_style(home)
    victim = _victim(home)
    _sql(home, "UPDATE styles SET lut_path = ? WHERE id = ?", f"styles/{style_id}/../../../{victim.name}/precious.txt", style_id)

    shown = cli("--home", str(home), "styles", "show", str(style_id), home=home)

    assert shown.returncode == 2
    assert _one_sentence(shown.stderr).startswith(f"Style {style_id}'s files point outside the library (")
    assert "do not delete" not in shown.stdout + shown.stderr


def test_a_front_door_never_gets_a_path_outside_the_library(home):
    style_id = _make_style(home)
    victim = _victim(home)
    outside_file = victim / "precious.txt"
    _sql(home, "UPDATE style_images SET thumb_path = ? WHERE style_id = ?", str(outside_file), style_id)
    _sql(home, "UPDATE styles SET reference_path = ? WHERE id = ?", f"uploads/../../{victim.name}/precious.txt", style_id)
    rt = open_runtime(home)
    try:
        lib = Library(rt.db, rt.paths)
        for info in (lib.get(style_id), lib.list()[0]):
            assert info is not None
            assert info.images == () and info.thumbnail is None, "the outside thumbnail is left out"
            assert info.reference_path is None
            assert info.lut_path is not None and info.lut_path.is_file(), "paths inside the library stay"
            assert info.problem and "point outside the library" in info.problem
            doc = info.to_json()
            assert str(outside_file) not in doc["thumbnails"] + doc["previews"] + [doc["reference"], doc["cube"], doc["folder"]]
    finally:
        rt.close()
    listed = cli("--home", str(home), "styles", "list", "--json", home=home)
    assert listed.returncode == 0
    (doc,) = json.loads(listed.stdout)
    assert doc["thumbnails"] == [] and doc["reference"] is None and "outside" in doc["problem"]


def test_paths_given_to_front_doors_are_real_paths_inside_the_library(home):
    style_id = _make_style(home)
    rt = open_runtime(home)
    try:
        info = Library(rt.db, rt.paths).require(style_id)
    finally:
        rt.close()
    styles = Path(os.path.realpath(home / "styles"))
    assert info.problem is None
    assert info.folder == styles / str(style_id)
    for path in [info.lut_path] + [i.path for i in info.images] + [i.thumb_path for i in info.images]:
        assert path is not None and path.is_file() and styles in path.parents


# --- search ---------------------------------------------------------------------------------


SEARCHES = {
    "%": ["100% grain"],
    "_": ["snake_case look"],
    "0%": ["100% grain"],
    "\\": ["back\\slash tone"],
    "/": ["half/half"],
    "GRAIN": ["100% grain"],
    "look": ["plain cool blue", "half/half", "back\\slash tone", "snake_case look", "100% grain"],
}


def test_search_takes_wildcards_as_plain_characters(home):
    rt = open_runtime(home)
    try:
        for name in ("100% grain", "snake_case look", "back\\slash tone", "half/half", "plain cool blue"):
            enqueue_style(rt, "a look", name=name, previews=1, size=64)
        run_pool(rt)
        lib = Library(rt.db, rt.paths)
        for search, expected in SEARCHES.items():
            assert sorted(s.name for s in lib.list(search)) == sorted(expected), search
            assert lib.count(search) == len(expected), search
    finally:
        rt.close()
    for search in ("%", "_"):
        listed = cli("--home", str(home), "styles", "list", "--search", search, "--json", home=home)
        assert sorted(d["name"] for d in json.loads(listed.stdout)) == SEARCHES[search]


def test_remembered_real_paths_agree_with_os_realpath(tmp_path):
    from desktop.library.reading import RealPaths

    root = tmp_path / "lib"
    (root / "styles" / "1").mkdir(parents=True)
    (root / "styles" / "1" / "a.jpg").write_text("x")
    (tmp_path / "out" / "deep").mkdir(parents=True)
    os.symlink(tmp_path / "out", root / "styles" / "abs-link")
    os.symlink("../../out/deep", root / "styles" / "1" / "rel-link")
    os.symlink("abs-link", root / "styles" / "chain")
    os.symlink("loop-b", root / "styles" / "loop-a")
    os.symlink("loop-a", root / "styles" / "loop-b")
    names = [
        "styles/1/a.jpg", "styles/1/missing/x.jpg", "styles/abs-link/deep", "styles/1/rel-link/..",
        "styles/1/rel-link/../deep/x", "styles/chain/deep/../..", "styles/loop-a/x", "styles/../../out",
        "styles/1/./a.jpg", "styles//1/a.jpg", "styles/1/a.jpg/..", "/" + "/".join(["d"] * 80),
    ]
    real = RealPaths()
    for name in names + names[::-1]:
        full = os.path.join(root, name)
        assert real(full) == os.path.realpath(full), name
