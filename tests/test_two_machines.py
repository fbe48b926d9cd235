"""Two machines, one library: one PostgreSQL database, and one library folder that machine A
reaches as ``L`` and machine B as ``L2`` (a symlink, as a NAS mounted at /mnt/studio here and
/Volumes/studio there). A real ``stylestudio worker`` of machine B (its own data folder) makes a
style and runs a batch; the window of machine A, which runs no job itself, follows both live and
shows the style with its previews, read from the shared folder."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QLabel, QProgressBar

from desktop import app as desktop_app
from desktop.config import LIBRARY_VAR
from desktop.pipelines.apply.request import enqueue_apply
from desktop.pipelines.generate.request import enqueue_style
from desktop.resources import sample_photos
from desktop.ui.async_utils import run_blocking
from desktop.ui.jobs_model import job_summary
from desktop.ui.style_images import ImageTile
from desktop.ui.styles_model import StyleIdRole, ThumbnailReadyRole
from tests.helpers import spawn_cli
from tests.pg import RawSQL
from tests.ui.conftest import aloop, arun, wait_until  # noqa: F401 - aloop is a fixture

WAIT = 240.0  # a loaded machine starts a worker process and renders slowly; never a bound on speed
PHOTOS = 10


def _photos(folder: Path) -> list[Path]:
    folder.mkdir()
    out = []
    for i in range(PHOTOS):
        img = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
        img = Image.blend(img, Image.effect_noise((1600, 1200), 40 + i).convert("RGB"), 0.4)
        path = folder / f"photo-{i:02d}.jpg"
        img.save(path, quality=90)
        out.append(path)
    return out


def _stop_worker(worker: subprocess.Popen[str]) -> str:
    """Stop the worker as Ctrl+C would (resumed first if it is frozen); returns its stderr."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGCONT)
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(30)
    return worker.stderr.read() if worker.stderr and not worker.stderr.closed else ""


def _owner_pid(owner: str | None) -> int | None:
    parts = (owner or "").split(":")
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def test_a_window_of_machine_a_follows_what_a_worker_of_machine_b_makes_in_the_shared_library(
    qtbot, aloop, postgres_url, tmp_path, monkeypatch  # noqa: F811
):
    home_a, home_b = tmp_path / "machine-a", tmp_path / "machine-b"
    library = tmp_path / "nas" / "studio"
    library.mkdir(parents=True)
    mount_b = tmp_path / "Volumes" / "studio"  # machine B reaches the same folder elsewhere
    mount_b.parent.mkdir()
    mount_b.symlink_to(library, target_is_directory=True)
    photos = _photos(tmp_path / "photos")
    out = tmp_path / "styled"  # a batch folder outside the library: kept as a full path

    monkeypatch.setenv("STYLESTUDIO_HOME", str(home_a))
    monkeypatch.setenv(LIBRARY_VAR, str(library))
    window = arun(qtbot, desktop_app.start(home_a), timeout=WAIT)
    worker = None
    try:
        # Machine A only watches: the window's own pool is stopped before any job is queued (the
        # app has no "run no jobs here" setting yet), so every job below can only be B's.
        arun(qtbot, run_blocking(window.pool_thread.stop, 60.0), timeout=90)
        window.pool_thread = None
        engine = window.runtime.engine
        assert window.runtime.paths.library == library

        worker = spawn_cli("worker", "--max-parallel", "1", home=home_b, env={LIBRARY_VAR: str(mount_b)})

        # --- a style, made by B, shown by A ------------------------------------------------------
        coffee = next(p for p in sample_photos() if p.name == "coffee.png")
        job = arun(qtbot, run_blocking(enqueue_style, window.runtime, "warm film grain", reference=coffee, previews=2, size=192, seed=5))
        dialog = window.following.follow_job(job, "style.generate")
        ended: dict[int, str] = {}  # what A's progress dialogs saw each job end as
        dialog.ended.connect(lambda job_id, status: ended.setdefault(job_id, status))
        jobs = window.jobs_model
        wait_until(lambda: engine.get(job).is_finished, WAIT)
        row = engine.get(job)
        assert row.status == "succeeded", f"{row.error}\n{_stop_worker(worker)}"
        wait_until(lambda: jobs.find(job) is not None and jobs.find(job).status == "succeeded", WAIT)
        wait_until(lambda: job in ended, WAIT)
        assert ended[job] == "succeeded"
        style_id = int(row.result_dict()["id"])

        # the files are in the shared folder, none in either machine's data folder
        assert (library / "styles" / str(style_id) / "style.cube").is_file()
        assert not (home_a / "styles").exists() and not (home_b / "styles").exists()
        assert (home_b / "logs").is_dir() and not (home_b / "library.sqlite3").exists()

        # A's gallery shows the card with its thumbnail, read through A's path to the folder
        model = window.styles_model

        def card_ready() -> bool:
            for r in range(model.rowCount()):
                index = model.index(r, 0)
                if index.data(StyleIdRole) == style_id:
                    return bool(index.data(ThumbnailReadyRole))
            return False

        wait_until(card_ready, WAIT)
        [card] = [c for c in window.library.cards(limit=10) if c.id == style_id]
        assert card.thumbnail is not None and Path(card.thumbnail).is_relative_to(library)

        # and its previews in the detail pane
        window.detail.show_style(style_id)
        tiles = lambda: [window.detail.findChild(ImageTile, f"stylePreview{i}") for i in (1, 2)]  # noqa: E731
        wait_until(lambda: all(t is not None and t.pixmap() is not None and not t.pixmap().isNull() for t in tiles()), WAIT)
        reference = window.detail.findChild(ImageTile, "styleReferenceImage")
        assert reference is not None and Path(reference.path).is_relative_to(library)

        # --- a batch, run by B, followed by A's progress dialog and jobs panel --------------------
        # The batch is held mid-way whatever the machine's speed: this test holds a lock on the
        # row of its last photo's item, so no worker can take that photo (a claim skips a locked
        # row) and the batch cannot end; B styles the other photos meanwhile. (Queued while its
        # type is paused, so that the lock is taken before B could reach that photo.)
        engine.pause("style.apply")
        batch = arun(qtbot, run_blocking(enqueue_apply, window.runtime, style_id, photos, out=out))
        last = RawSQL(engine.db)
        last.execute("BEGIN")
        assert last.execute(
            "SELECT position FROM job_items WHERE job_id = ? ORDER BY position DESC LIMIT 1 FOR UPDATE", (batch,)
        ).fetchone() == (PHOTOS - 1,)
        engine.resume("style.apply")
        dialog = window.following.follow_job(batch, "style.apply")
        dialog.ended.connect(lambda job_id, status: ended.setdefault(job_id, status))
        bar = dialog.findChild(QProgressBar, "jobProgressBar")
        message = dialog.findChild(QLabel, "jobMessageLabel")

        # Freeze B in the middle of the batch (SIGSTOP: a real pause, the row stays as it is) and
        # check that A's dialog shows exactly that state: progress came from B, through the
        # database, while the batch was still running.
        def halfway() -> bool:
            row = engine.get(batch)
            return row.status == "running" and row.progress is not None and row.progress > 0

        wait_until(halfway, WAIT)
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            def shows_the_row() -> bool:  # re-read each time: a commit in flight may still land
                row = engine.get(batch)
                assert not row.is_finished, "the batch ended before it could be frozen halfway"
                return message.text() == row.message and bar.value() == round(row.progress * 1000)

            wait_until(shows_the_row, WAIT)
            assert f"of {PHOTOS}" in message.text() and 0 < bar.value() < bar.maximum()
            # the jobs panel's row: running, on machine B's worker
            wait_until(lambda: jobs.find(batch) is not None and jobs.find(batch).status == "running", WAIT)
            assert _owner_pid(jobs.find(batch).owner) == worker.pid
        finally:
            os.kill(worker.pid, signal.SIGCONT)
            last.execute("ROLLBACK")  # the last photo can be taken now
            last.close()

        wait_until(lambda: engine.get(batch).is_finished, WAIT)
        row = engine.get(batch)
        assert row.status == "succeeded", f"{row.error}\n{_stop_worker(worker)}"
        wait_until(lambda: batch in ended, WAIT)
        assert ended[batch] == "succeeded"
        assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in photos)

        # the jobs panel lists both jobs as done
        wait_until(lambda: jobs.find(batch) is not None and jobs.find(batch).status == "succeeded", WAIT)
        assert jobs.find(job).status == "succeeded"
        assert "Done" in job_summary(jobs.find(batch)) and "Done" in job_summary(jobs.find(job))
        printed = _stop_worker(worker)
        ran = worker.stdout.read()
        assert f"job {job} style.generate succeeded" in ran and f"job {batch} style.apply succeeded" in ran, printed
    finally:
        log = _stop_worker(worker) if worker is not None else ""
        if worker is not None and worker.returncode not in (0, -signal.SIGTERM, 130):
            print(log)  # shown when the test fails
        arun(qtbot, desktop_app.stop(window), timeout=120)
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
