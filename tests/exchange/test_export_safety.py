"""Exports written whole, only where a person asked (issue 18, points 1 and 2): a link planted at
a temporary name is never followed, a full disk leaves nothing, exports get the person's usual
permissions, and a payload written by hand (no grant from a front door) neither writes nor reads
a file, run by a real ``stylestudio worker``."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from desktop import files
from desktop.pipelines.export.request import enqueue_export_lut, enqueue_export_pack
from desktop.pipelines.import_.request import enqueue_import
from desktop.runtime import open_runtime
from tests.exchange.support import assert_nothing_added, make_styles
from tests.helpers import cli, run_pool

NOT_ASKED = "This export was not asked for in Style Studio's window or command line, so nothing was written"


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


@pytest.fixture
def style(rt) -> int:
    return make_styles(rt, ["warm faded film"])[0]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _run(rt, job: int):
    run_pool(rt, timeout=120)
    return rt.engine.require(job)


def _next_job_id(rt) -> int:
    return max((r.id for r in rt.engine.list(include_finished=True)), default=0) + 1


# --- 1. every export written whole --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pack", "cube", "hald"])
def test_a_link_planted_at_the_old_predictable_name_is_not_followed(rt, style, tmp_path, kind):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / {"pack": "team.stylepack", "cube": "team.cube", "hald": "team.png"}[kind]
    next_id = _next_job_id(rt)
    for job_id in range(next_id, next_id + 3):  # the name the export used to write through
        (tmp_path / f".{out.name}.stylestudio-{job_id}.part").symlink_to(victim)
    if kind == "pack":
        job = enqueue_export_pack(rt, [style], out)
    else:
        job = enqueue_export_lut(rt, style, kind, 17 if kind == "cube" else None, out)
    row = _run(rt, job)
    assert row.status == "succeeded", row.error
    assert victim.read_text() == "keep me"
    assert out.is_file() and not out.is_symlink() and out.stat().st_size > 100
    assert not [p for p in os.listdir(tmp_path) if files.is_temp_name(p) and not os.path.islink(tmp_path / p)]


@pytest.mark.parametrize("kind", ["pack", "cube", "hald"])
def test_a_link_planted_at_the_very_temporary_name_chosen_is_not_followed(rt, style, tmp_path, monkeypatch, kind):
    """Whoever guesses the random temporary name (here: the name generator hands out the
    planted one first) still cannot make the export write through a link."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / {"pack": "team.stylepack", "cube": "team.cube", "hald": "team.png"}[kind]
    planted = tmp_path / f".{out.name}.stylestudio-0123456789abcdef.part"
    planted.symlink_to(victim)
    real = files.temp_path
    handed: list[str] = []

    def guessed(folder, prefix=""):
        handed.append(prefix)
        return planted if len(handed) == 1 else real(folder, prefix)

    monkeypatch.setattr(files, "temp_path", guessed)
    if kind == "pack":
        job = enqueue_export_pack(rt, [style], out)
    else:
        job = enqueue_export_lut(rt, style, kind, 33 if kind == "cube" else None, out)
    row = _run(rt, job)
    assert row.status == "succeeded", row.error
    assert len(handed) >= 2  # the planted name was refused (O_EXCL|O_NOFOLLOW), another taken
    assert victim.read_text() == "keep me" and planted.is_symlink()
    assert out.stat().st_size > 100


@pytest.mark.parametrize("kind", ["pack", "cube", "hald"])
def test_exports_get_the_persons_usual_permissions(rt, style, tmp_path, kind):
    out = tmp_path / {"pack": "a.stylepack", "cube": "a.cube", "hald": "a.png"}[kind]
    job = enqueue_export_pack(rt, [style], out) if kind == "pack" else enqueue_export_lut(rt, style, kind, None, out)
    assert _run(rt, job).status == "succeeded"
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()
    # the library's own .cube stays private
    lut = next(rt.paths.styles_dir.rglob("style.cube"))
    assert lut.stat().st_mode & 0o777 == 0o600


def test_a_pack_export_onto_a_full_disk_fails_with_the_sentence_and_leaves_nothing(rt, small_disk, tmp_path):
    ids = make_styles(rt, ["warm faded film", "cool moody noir", "vivid teal and orange"])
    probe = tmp_path / "probe.stylepack"
    assert _run(rt, enqueue_export_pack(rt, ids, probe)).status == "succeeded"
    needed = probe.stat().st_size
    folder = small_disk.root / "out"
    folder.mkdir()
    small_disk.fill()
    small_disk.filler.unlink()
    fd = os.open(small_disk.filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:  # leave room for half of the pack
        st = os.statvfs(small_disk.root)
        os.write(fd, b"\0" * (st.f_bavail * st.f_frsize - needed // 2))
    finally:
        os.close(fd)
    row = _run(rt, enqueue_export_pack(rt, ids, folder / "full.stylepack"))
    assert row.status == "failed"
    assert row.error == f"The disk holding {folder} is full; free some space and try again."
    assert os.listdir(folder) == []  # no cut-off pack under its name, no temporary file


def test_the_windows_overwrite_replaces_the_chosen_file_and_only_through_its_grant(rt, style, tmp_path):
    out = tmp_path / "chosen.cube"
    out.write_text("old")
    job = enqueue_export_lut(rt, style, "cube", 17, out, overwrite=True)  # the save dialog asked
    assert _run(rt, job).status == "succeeded"
    assert "LUT_3D_SIZE 17" in out.read_text()
    # a grant to write a new file does not become a grant to replace one
    out2 = tmp_path / "other.cube"
    job = enqueue_export_lut(rt, style, "cube", 17, out2)
    out2.write_text("made meanwhile")
    row = _run(rt, job)
    assert row.status == "failed" and "already exists" in row.error
    assert out2.read_text() == "made meanwhile"


# --- 2. raw payloads reach no file --------------------------------------------------------------


def _jobs_row(home, job_id: int) -> dict:
    con = sqlite3.connect(home / "library.sqlite3")
    try:
        con.row_factory = sqlite3.Row
        return dict(con.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())
    finally:
        con.close()


def test_a_hand_written_export_payload_writes_nothing_even_for_a_real_worker(home, style, tmp_path):
    victim = tmp_path / "bashrc"
    victim.write_text("alias ls='ls --color'\n")
    base = {"kind": "lut", "style": style, "format": "cube", "size": 17, "out": str(victim)}
    # the old way: overwrite as a payload field is no longer a thing
    done = cli("jobs", "enqueue", "style.export", "--payload", json.dumps({**base, "overwrite": True}), home=home)
    assert done.returncode == 2 and "no field 'overwrite'" in done.stderr, done.stderr
    # no grant at all: refused at the door
    done = cli("jobs", "enqueue", "style.export", "--payload", json.dumps(base), home=home)
    assert done.returncode == 2 and "grant" in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
    # a made-up grant, and a real grant taken from another export: queued, then refused by the worker
    rt = open_runtime(home)
    try:
        real = enqueue_export_lut(rt, style, "cube", 17, tmp_path / "mine.cube", overwrite=True)
        stolen = rt.engine.require(real).payload_dict()["grant"]
        rt.engine.cancel(real)
    finally:
        rt.close()
    jobs = []
    for grant in ("0" * 64, stolen):
        done = cli("jobs", "enqueue", "style.export", "--payload", json.dumps({**base, "grant": grant}), "--json", home=home)
        assert done.returncode == 0, done.stderr
        jobs.append(json.loads(done.stdout)["id"])
    worker = cli("worker", "--exit-when-idle", home=home, timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert victim.read_text() == "alias ls='ls --color'\n"
    assert sorted(os.listdir(tmp_path)) == ["bashrc"]
    for job_id in jobs:
        row = _jobs_row(home, job_id)
        assert row["status"] == "failed", row
        assert row["error"].startswith(NOT_ASKED) and row["error"].count(". ") == 0


def test_a_hand_written_import_payload_reads_nothing_and_quotes_nothing(home, tmp_path):
    secret = tmp_path / "secrets.cube"
    secret.write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\nLUT_3D_SIZE 2\n")
    rt = open_runtime(home)
    try:  # a grant the front door signed for another file does not open this one
        other = tmp_path / "fine.cube"
        other.write_text("LUT_3D_SIZE 2\n" + "\n".join(f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)) + "\n")
        [real] = enqueue_import(rt, [other])
        stolen = rt.engine.require(real).payload_dict()["grant"]
        rt.engine.cancel(real)
    finally:
        rt.close()
    jobs = []
    for grant in ("f" * 64, stolen):
        payload = {"path": str(secret), "kind": "cube", "grant": grant}
        done = cli("jobs", "enqueue", "style.import", "--payload", json.dumps(payload), "--json", home=home)
        assert done.returncode == 0, done.stderr
        jobs.append(json.loads(done.stdout)["id"])
    assert cli("worker", "--exit-when-idle", home=home, timeout=120).returncode == 0
    for job_id in jobs:
        row = _jobs_row(home, job_id)
        assert row["status"] == "failed"
        assert row["error"].startswith("This import was not asked for"), row["error"]
        assert "wJalrXUtnFEMI" not in json.dumps(row) and "AWS_SECRET" not in json.dumps(row)
    log = (home / "logs" / "stylestudio.log").read_text()
    assert "wJalrXUtnFEMI" not in log and "AWS_SECRET" not in log
    rt = open_runtime(home)
    try:
        assert_nothing_added(rt)
    finally:
        rt.close()


def test_a_lut_refusal_names_the_line_but_never_quotes_it(home, tmp_path):
    """Even a file the person chose: the sentence says which line, not what it holds."""
    bad = tmp_path / "notes.cube"
    bad.write_text("LUT_3D_SIZE 2\n0 0 0\n0.5 password=hunter2-swordfish\n" + "1 1 1\n" * 6)
    done = cli("import", str(bad), home=home)
    assert done.returncode == 2  # refused for what it holds, before any job exists
    assert "line 3 is not three numbers" in done.stderr
    assert "hunter2" not in done.stderr
    rt = open_runtime(home)
    try:  # the window's door queues it; the job refuses it the same way
        from desktop.pipelines.import_.request import enqueue_import

        enqueue_import(rt, [bad])
    finally:
        rt.close()
    assert cli("worker", "--exit-when-idle", home=home, timeout=120).returncode == 0
    rt = open_runtime(home)
    try:
        [row] = [r for r in rt.engine.list(include_finished=True) if r.type == "style.import"]
        assert row.status == "failed" and "line 3 is not three numbers" in (row.error or "")
        assert "hunter2" not in (row.error or "") and "hunter2" not in (row.message or "")
    finally:
        rt.close()
    from desktop.logs import flush_logs

    flush_logs()
    assert "hunter2" not in (home / "logs" / "stylestudio.log").read_text()
