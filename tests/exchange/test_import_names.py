"""Names made safe at the door (issue 18, point 8): a .cube TITLE, a file name or a pack's style
name, description and prompt lose their control, format and bidi characters (OSC 52 clipboard
writes, clear screen, BEL, right-to-left override) before they are stored."""

from __future__ import annotations

import pytest

from desktop.library.reading import Library
from desktop.pipelines.export.request import enqueue_export_pack
from desktop.pipelines.import_.request import enqueue_import, imported_ids
from desktop.runtime import open_runtime
from tests.exchange.hostile import rewrite_pack
from tests.exchange.support import make_styles
from tests.helpers import cli, run_pool

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
CLEAR = "\x1b[2J\x1b[H"
RLO = "\u202e"
NASTY = f"{OSC52}Warm{CLEAR} film\a{RLO}gpj.exe"


def _grid() -> str:
    return "LUT_3D_SIZE 2\n" + "\n".join(f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)) + "\n"


def _stored_names(home) -> list[tuple[str, str]]:
    rt = open_runtime(home)
    try:
        library = Library(rt.db, rt.paths)
        return [(s.name, s.description) for s in (library.require(i) for i in sorted(_ids(rt)))]
    finally:
        rt.close()


def _ids(rt) -> list[int]:
    from sqlalchemy import select

    from desktop.db.models import Style

    with rt.db.read_session() as s:
        return list(s.scalars(select(Style.id)))


def _clean(text: str) -> bool:
    return not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == RLO for c in text)


@pytest.mark.parametrize(
    "title, file_name, expected",
    [
        (NASTY, "plain.cube", "]52;c;cm0gLXJmIH4=Warm[2J[H filmgpj.exe"),
        ("", f"{CLEAR}Teal\a{RLO}.cube", "[2J[HTeal"),
        ("\x1b\a\u202e", "\x07\x1b.cube", "Imported LUT"),
    ],
    ids=["title", "file name", "nothing left"],
)
def test_a_cube_title_or_file_name_becomes_a_clean_name(home, tmp_path, title, file_name, expected):
    path = tmp_path / file_name
    path.write_text((f'TITLE "{title}"\n' if title else "") + _grid())
    done = cli("import", str(path), home=home, timeout=120)
    assert done.returncode == 0, done.stderr
    [(name, description)] = _stored_names(home)
    assert name == expected
    assert _clean(name) and _clean(description)
    assert "\x1b" not in done.stdout + done.stderr


def test_a_packs_names_and_texts_are_cleaned(home, tmp_path):
    src_home = tmp_path / "source"
    src = open_runtime(src_home)
    try:
        ids = make_styles(src, ["warm film grain"])
        pack = tmp_path / "one.stylepack"
        job = enqueue_export_pack(src, ids, pack)
        run_pool(src)
        assert src.engine.require(job).status == "succeeded"
    finally:
        src.close()

    def nasty(doc):
        style = doc["styles"][0]
        style["name"] = NASTY
        style["description"] = f"first line{OSC52}\nsecond{RLO} line\a"
        style["prompt"] = f"{CLEAR}a prompt"
        style["generator"] = f"local{CLEAR}"

    bad = rewrite_pack(pack, tmp_path / "nasty.stylepack", manifest=nasty)
    rt = open_runtime(home)
    try:
        [job] = enqueue_import(rt, [bad])
        run_pool(rt, timeout=120)
        row = rt.engine.require(job)
        assert row.status == "succeeded", row.error
        style = Library(rt.db, rt.paths).require(imported_ids(row.result_dict())[0])
        assert style.name == "]52;c;cm0gLXJmIH4=Warm[2J[H filmgpj.exe"
        assert style.description == "first line]52;c;cm0gLXJmIH4=\nsecond line"
        assert style.prompt == "[2J[Ha prompt"
        assert style.generator == "local[2J[H"
    finally:
        rt.close()
    # a name cleaned to nothing falls back to one of ours
    empty = rewrite_pack(pack, tmp_path / "empty.stylepack", manifest=lambda d: d["styles"][0].update(name="\x1b\x07 \u202e"))
    other = tmp_path / "other-home"
    done = cli("import", str(empty), home=other, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [n for n, _d in _stored_names(other)] == ["Imported style 1"]
