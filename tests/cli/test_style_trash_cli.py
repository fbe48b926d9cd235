"""`styles delete | restore | duplicate` and `styles list --deleted` in real processes
(issue 21 §3), and a pack imported again after its style was deleted."""

from __future__ import annotations

import json

from desktop.runtime import open_runtime
from tests.exchange.support import make_styles
from tests.helpers import cli


def test_delete_restore_duplicate_by_name_and_a_pack_imported_again(home, tmp_path):
    rt = open_runtime(home)
    try:
        (style_id,) = make_styles(rt, ["warm faded film"])
    finally:
        rt.close()
    name = json.loads(cli("styles", "show", str(style_id), "--json", home=home).stdout)["name"]

    copied = cli("styles", "duplicate", name.upper(), "--json", home=home)
    assert copied.returncode == 0, copied.stderr
    copy = json.loads(copied.stdout)
    assert copy["name"] == f"{name} copy" and copy["folder"] != json.loads(cli("styles", "show", str(style_id), "--json", home=home).stdout)["folder"]

    deleted = cli("styles", "delete", name.lower(), home=home)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.startswith(f"Deleted style {style_id} '{name}'. Restore it with: stylestudio styles restore {style_id} (until ")
    assert str(style_id) not in cli("styles", "list", home=home).stdout.split()
    applied = cli("export", str(style_id), "--out", str(tmp_path / "x.cube"), "--format", "cube", home=home)
    assert applied.returncode == 2 and f"'stylestudio styles restore {style_id}' brings it back" in applied.stderr
    listed = json.loads(cli("styles", "list", "--deleted", "--json", home=home).stdout)
    assert [s["id"] for s in listed] == [style_id] and listed[0]["deleted_at"]
    refused = cli("styles", "restore", str(copy["id"]), home=home)
    assert refused.returncode == 2 and "There is no deleted style" in refused.stderr
    restored = cli("styles", "restore", name.upper(), home=home)
    assert restored.returncode == 0 and restored.stdout.strip() == f"Restored style {style_id} '{name}'."

    pack = tmp_path / "one.stylepack"
    assert cli("export", str(style_id), "--out", str(pack), home=home).returncode == 0
    other = tmp_path / "other"
    (imported,) = json.loads(cli("import", str(pack), "--json", home=other).stdout)["ids"]
    assert cli("styles", "delete", str(imported), home=other).returncode == 0
    again = json.loads(cli("import", str(pack), "--json", home=other).stdout)
    assert len(again["ids"]) == 1 and again["skipped"] == [], "a deleted style does not block its import"
    assert json.loads(cli("styles", "list", "--deleted", "--json", home=other).stdout) == []
