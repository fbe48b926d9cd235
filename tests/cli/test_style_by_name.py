"""Every command that names a style takes its id or its name, in any case, and says which
styles match when a name is ambiguous (issue 21 §6): real command-line processes on a real
library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.resources import sample_photos
from tests.helpers import cli


@pytest.fixture(scope="module")
def named(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    home = tmp_path_factory.mktemp("named")
    ids = {}
    for name in ("Blue Night", "blue night", "Crème Brûlée"):
        made = cli("generate", "cool blue night", "--name", name, "--previews", "1", "--size", "64", home=home, timeout=180)
        assert made.returncode == 0, made.stderr
        ids[name] = int(made.stdout.strip())
    return home, ids


def _shown_id(home: Path, style: str) -> int:
    shown = cli("styles", "show", style, "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["id"]


def test_a_name_as_written_wins_and_any_case_finds_a_single_style(named):
    home, ids = named
    assert _shown_id(home, "Blue Night") == ids["Blue Night"]
    assert _shown_id(home, "blue night") == ids["blue night"]
    assert _shown_id(home, "crème BRÛLÉE") == ids["Crème Brûlée"], "case is folded in any script"
    assert _shown_id(home, str(ids["Crème Brûlée"])) == ids["Crème Brûlée"]


def test_an_ambiguous_or_unknown_name_is_refused_naming_the_matches(named):
    home, ids = named
    result = cli("styles", "show", "BLUE NIGHT", home=home)
    assert result.returncode == 2
    first, second = sorted((ids["Blue Night"], ids["blue night"]))
    assert result.stderr.strip() == (
        f"2 styles are named 'BLUE NIGHT' ({first} 'Blue Night', {second} 'blue night'); give the id of the one you mean."
        if first == ids["Blue Night"]
        else f"2 styles are named 'BLUE NIGHT' ({first} 'blue night', {second} 'Blue Night'); give the id of the one you mean."
    )
    for command in (("styles", "show"), ("styles", "delete"), ("styles", "strength")):
        extra = ("50",) if command[1] == "strength" else ()
        result = cli(*command, "Nothing Like It", *extra, home=home)
        assert result.returncode == 2, command
        assert result.stderr.strip() == "There is no style named 'Nothing Like It'; 'stylestudio styles list' shows the styles there are."


def test_strength_export_apply_and_delete_take_a_name(named, tmp_path):
    home, ids = named
    crème = ids["Crème Brûlée"]
    strength = cli("styles", "strength", "CRÈME brûlée", "40", "--wait", home=home, timeout=180)
    assert strength.returncode == 0, strength.stderr
    assert "# Strength: 40%" in Path(json.loads(cli("styles", "show", str(crème), "--json", home=home).stdout)["cube"]).read_text()

    cube = tmp_path / "look.cube"
    exported = cli("export", "crème brûlée", "--format", "cube", "--out", str(cube), home=home, timeout=180)
    assert exported.returncode == 0, exported.stderr and cube.is_file()

    photo = next(p for p in sample_photos() if p.suffix == ".png")
    out = tmp_path / "styled"
    applied = cli("apply", "crème brûlée", str(photo), "--out", str(out), home=home, timeout=180)
    assert applied.returncode == 0, applied.stderr
    assert [p.name for p in out.iterdir()] != []

    deleted = cli("styles", "delete", "CRÈME BRÛLÉE", home=home)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.startswith(f"Deleted style {crème} 'Crème Brûlée'. Restore it with: stylestudio styles restore {crème} (until ")
    assert cli("styles", "show", str(crème), home=home).returncode == 2


def test_rename_from_the_command_line_and_its_refusals(named):
    home, ids = named
    style_id = ids["Blue Night"]
    result = cli("styles", "rename", "Blue Night", "  Harbour \t dusk ", home=home)
    assert result.returncode == 0 and result.stdout.strip() == f"Renamed style {style_id} to 'Harbour dusk'.", result.stderr
    assert _shown_id(home, "harbour DUSK") == style_id
    for name, words in (("", "cannot be empty"), ("x" * 201, "keep it under 200")):
        refused = cli("styles", "rename", str(style_id), name, home=home)
        assert refused.returncode == 2 and words in refused.stderr and refused.stderr.count("\n") == 1
    assert json.loads(cli("styles", "show", str(style_id), "--json", home=home).stdout)["name"] == "Harbour dusk"
    cli("styles", "rename", str(style_id), "Blue Night", home=home)  # as the other tests of the module expect
