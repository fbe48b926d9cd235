"""The foundation every writer and every front door leans on: files written whole or not at all
(``desktop.files``), names made safe (``desktop.text``) and signed file access
(``desktop.grants``). Real files, a real full disk (tmpfs), real symbolic links."""

from __future__ import annotations

import os
import stat

import pytest
from PIL import Image

from desktop import grants
from desktop.config import DiskFullError
from desktop.files import (
    OutputFile,
    TargetExists,
    create_exclusive,
    fit_name,
    is_temp_name,
    save_image,
    write_output,
)
from desktop.text import clean_name, printable, shown_path


def _noise(size: int) -> Image.Image:
    return Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))


def test_a_short_write_on_a_nearly_full_disk_is_the_disk_full_sentence_and_leaves_nothing(small_disk):
    folder = small_disk.root / "out"
    folder.mkdir()
    small_disk.fill()
    small_disk.filler.unlink()  # about 24 MB free now: fill again, leaving ~200 KB
    fd = os.open(small_disk.filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        free = os.statvfs(small_disk.root).f_bavail * os.statvfs(small_disk.root).f_frsize
        os.write(fd, b"\0" * (free - 200 * 1024))
    finally:
        os.close(fd)
    with pytest.raises(DiskFullError, match=r"^The disk holding .*out is full; free some space and try again\.$"):
        save_image(_noise(800), folder / "photo.jpg", "JPEG", quality=95)
    assert os.listdir(folder) == []  # no cut-off photo under its name, no temporary file


def test_nothing_planted_at_a_name_is_followed_or_overwritten(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "planted.part"
    link.symlink_to(victim)
    with pytest.raises(FileExistsError):
        create_exclusive(link)
    assert victim.read_text() == "keep me"
    # the final name taken meanwhile: refused, not overwritten, and no temporary file left
    final = tmp_path / "out.cube"
    final.symlink_to(victim)
    with pytest.raises(TargetExists):
        write_output(final, b"new")
    assert victim.read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == ["out.cube", "planted.part", "victim.txt"]


def test_overwrite_replaces_a_link_itself_never_its_target(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    final = tmp_path / "out.cube"
    final.symlink_to(victim)
    write_output(final, b"new", overwrite=True)
    assert victim.read_text() == "keep me"
    assert not final.is_symlink() and final.read_bytes() == b"new"


def test_temporary_names_are_hidden_unpredictable_and_fit(tmp_path):
    names = set()
    for _ in range(20):
        out = OutputFile(tmp_path / ("x" * 250 + ".jpg")).open()
        names.add(out.temp.name)
        assert out.temp.name.startswith(".") and is_temp_name(out.temp.name)
        assert len(os.fsencode(out.temp.name)) <= 255
        out.discard()
    assert len(names) == 20
    assert os.listdir(tmp_path) == []


def test_a_failure_while_writing_removes_the_temporary_file(tmp_path):
    def boom(fh):
        fh.write(b"half")
        raise RuntimeError("encoder broke")

    with pytest.raises(RuntimeError):
        write_output(tmp_path / "a.bin", boom)
    assert os.listdir(tmp_path) == []


def test_files_get_the_mode_asked_for(tmp_path):
    old = os.umask(0o022)
    try:
        shared = write_output(tmp_path / "shared.cube", b"x", mode=0o666)
        private = write_output(tmp_path / "private.cube", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_fit_name_cuts_at_a_character_to_255_bytes():
    name = fit_name("é" * 200, " (2).webp")
    assert len(os.fsencode(name)) <= 255 and name.endswith(" (2).webp")
    assert fit_name("short", ".jpg") == "short.jpg"


def test_names_lose_control_and_direction_characters_and_printing_escapes_them():
    hostile = "Nice\x1b]52;c;ZXZpbA==\x07 look\u202e\x9b2J\r\nnext"
    assert clean_name(hostile) == "Nice]52;c;ZXZpbA== look2J next"
    shown = printable(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown and "\x9b" not in shown
    assert "\\x1b" in shown and "\\u202e" in shown
    assert clean_name("  \x00\x1b ") == ""
    assert shown_path(os.fsdecode(b"/photos/bad\xff.jpg")) == "/photos/bad\\xff.jpg"
    assert clean_name("Café 🎞️ look") == "Café 🎞️ look"


def test_grants_hold_for_exactly_what_was_signed(tmp_path):
    lib_a, lib_b = tmp_path / "a", tmp_path / "b"
    lib_a.mkdir()
    lib_b.mkdir()
    token = grants.sign(lib_a, "export", out="/home/me/a.cube")
    assert grants.is_granted(lib_a, token, "export", out="/home/me/a.cube")
    assert not grants.is_granted(lib_a, token, "export", out="/home/me/.bashrc")
    assert not grants.is_granted(lib_a, token, "import", out="/home/me/a.cube")
    assert not grants.is_granted(lib_b, token, "export", out="/home/me/a.cube")
    assert not grants.is_granted(lib_a, "0" * 64, "export", out="/home/me/a.cube")
    assert stat.S_IMODE((lib_a / grants.KEY_FILE).stat().st_mode) == 0o600
    assert grants.library_id(lib_a) != grants.library_id(lib_b)
    assert grants.well_formed(token) and not grants.well_formed("x" * 64)


def test_a_sealed_file_stays_under_the_temporary_name_the_caller_chose(tmp_path):
    temp = tmp_path / ".mine.stylestudio-abc.part"
    with OutputFile(tmp_path / "final.jpg", temp=temp) as out:
        out.file.write(b"data")
        assert out.seal() == temp
    assert temp.read_bytes() == b"data" and not (tmp_path / "final.jpg").exists()
    with pytest.raises(FileExistsError):  # the caller's name is created exclusively too
        OutputFile(tmp_path / "final.jpg", temp=temp).open()
