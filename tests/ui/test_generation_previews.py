"""A style job's progress dialog shows its previews arriving, as a batch shows its photos: the
latest finished preview as the thumbnail, read from the job's work folder."""

from __future__ import annotations

import threading

from PIL import Image

from desktop.pipelines.generate.request import enqueue_style
from desktop.resources import sample_photos
from desktop.ui.job_previews import generation_previews
from tests.ui.conftest import wait_until

WAIT = 60.0


def test_a_preview_counts_once_its_thumbnail_exists(tmp_path):
    work = tmp_path / "job-7-1-abcd"
    work.mkdir()
    other = tmp_path / "job-77-1-ef01"  # another job whose id starts the same
    other.mkdir()
    Image.new("RGB", (8, 8)).save(other / "preview-1.jpg")
    Image.new("RGB", (8, 8)).save(other / "thumb-1.webp")
    assert generation_previews(tmp_path, 7) == []
    Image.new("RGB", (8, 8)).save(work / "preview-1.jpg")
    assert generation_previews(tmp_path, 7) == [], "a preview without its thumbnail may still be being written"
    Image.new("RGB", (8, 8)).save(work / "thumb-1.webp")
    assert [r.output for r in generation_previews(tmp_path, 7)] == [str(work / "preview-1.jpg")]
    assert generation_previews(tmp_path / "gone", 7) == []


def test_the_progress_dialog_of_a_style_job_shows_its_previews_arriving(qtbot, window, monkeypatch):
    import desktop.pipelines.generate.handler as generate

    # hold the job just before its commit: every preview is rendered, none is in the library yet
    release = threading.Event()
    real = generate.commit_new_style

    def held(*args, **kwargs):
        release.wait(WAIT)
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "commit_new_style", held)
    coffee = next(p for p in sample_photos() if p.name == "coffee.png")
    job_id = enqueue_style(window.runtime, "warm film grain", reference=coffee, previews=2, size=192, seed=5)
    dialog = window.following.follow_job(job_id, "style.generate")
    shown: list[str] = []
    dialog.previewShown.connect(shown.append)
    try:
        wait_until(lambda: shown, WAIT)
        assert "preview-" in shown[-1] and f"job-{job_id}-" in shown[-1]
        assert dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull()
        assert dialog.preview_caption.text().startswith("Preview "), "a sentence, not the file's name"
        assert "preview-" not in dialog.preview_caption.text() + dialog.preview.toolTip()
    finally:
        release.set()
    engine = window.runtime.engine
    wait_until(lambda: engine.get(job_id).is_finished, WAIT)
    assert engine.get(job_id).status == "succeeded"
