"""Names made from a description are short and cut at a word, and the files named after a style
read like its name (issue 21 §3): through the real command line, the export dialog's suggested
file and the Apply dialog's suggested folder."""

from __future__ import annotations

import json

import pytest

from desktop.pipelines.apply.request import default_output_folder
from desktop.text import NAME_FROM_WORDS, file_stem, name_from_words
from tests.helpers import cli

LONG = "Warm golden-hour film look with soft grain, faded blacks and a gentle vignette"


@pytest.mark.parametrize(
    ("description", "name"),
    [
        (LONG, "Warm golden-hour film look"),
        ("teal shadows and warm highlights like a summer blockbuster night scene", "Teal shadows and warm highlights"),
        ("Cool teal and orange cinematic, high contrast", "Cool teal and orange cinematic"),
        ("moody", "Moody"),
        ("x" * 90, "X" + "x" * (NAME_FROM_WORDS - 1)),
        ("  \t ", ""),
    ],
)
def test_a_name_from_words_is_short_cut_at_a_word_and_has_no_ellipsis(description, name):
    made = name_from_words(description)
    assert made == name
    assert len(made) <= NAME_FROM_WORDS and "..." not in made and "…" not in made


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Warm golden-hour film look", "Warm golden-hour film look"),
        ("Warm golden-hour film look with soft grain, f...", "Warm golden-hour film look with soft grain, f"),
        ('a/b\\c:d*e?"<>|', "a b c d e"),
        ("../../etc/passwd", "etc passwd"),
        ("CON", "style"),
        ("...", "style"),
        ("Crème brûlée", "Crème brûlée"),
    ],
)
def test_a_file_name_made_from_a_name_is_readable_and_safe(name, stem):
    assert file_stem(name, "style") == stem


def test_the_apply_dialogs_folder_is_named_like_the_style(tmp_path):
    photos = tmp_path / "trip"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"")
    assert default_output_folder("Warm: golden/hour", photos / "a.jpg") == tmp_path / "Warm golden hour"
    (tmp_path / "Warm golden hour").mkdir()
    assert default_output_folder("Warm: golden/hour", photos) == tmp_path / "Warm golden hour (2)"


def test_generate_names_a_style_from_its_description_and_the_cube_title_says_it(tmp_path):
    home = tmp_path / "home"
    made = cli("generate", LONG, "--previews", "1", "--size", "64", "--json", home=home, timeout=180)
    assert made.returncode == 0, made.stderr
    style = json.loads(made.stdout)
    assert style["name"] == "Warm golden-hour film look"
    cube = tmp_path / f"{file_stem(style['name'], 'style')}.cube"
    exported = cli("export", str(style["id"]), "--format", "cube", "--out", str(cube), home=home, timeout=180)
    assert exported.returncode == 0, exported.stderr
    assert cube.name == "Warm golden-hour film look.cube"
    assert 'TITLE "Warm golden-hour film look"' in cube.read_text().splitlines()[1]
