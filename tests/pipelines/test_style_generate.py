"""The style.generate job end to end on a real library: files, rows, messages, failures."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import sqlite3

import pytest
from PIL import Image, ImageChops, ImageStat

from desktop.config import Settings
from desktop.errors import UserError
from desktop.exchange.cube import read_pillow_lut
from desktop.library.reading import Library
from desktop.pipelines.generate.request import enqueue_style
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from tests.fakes.chat_server import ChatScript, FakeChatServer
from tests.fakes.fal_server import FakeFalServer, FalScript, make_png
from tests.helpers import run_pool

SAMPLES = sample_photos()


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def _messages(rt, job_id):
    seen: list[tuple[float | None, str]] = []
    rt.engine.watch(lambda e: seen.append((e.row.progress, e.row.message)) if e.row is not None and e.row.id == job_id else None)
    return seen


def _nothing_left_behind(rt):
    assert list(rt.paths.styles_dir.iterdir()) == []
    assert list(rt.paths.tmp_dir.iterdir()) == []
    con = sqlite3.connect(rt.paths.db_file)
    assert con.execute("SELECT count(*) FROM styles").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM style_images").fetchone()[0] == 0
    con.close()


def test_a_style_from_a_reference_is_saved_whole(rt, tmp_path):
    original = tmp_path / "my photo.png"
    shutil.copy(SAMPLES[2], original)
    job_id = enqueue_style(rt, "warm film grain with a soft vignette", reference=original, seed=7)
    seen = _messages(rt, job_id)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    result = row.result_dict()
    assert result["table"] == "styles"
    style = Library(rt.db, rt.paths).require(result["id"])
    assert style.name == "Warm film grain with a soft vignette"
    assert len(style.images) == 4
    for image in style.images:
        with Image.open(image.path) as im:
            assert max(im.size) == 768 and im.size == (image.width, image.height)
        with Image.open(image.thumb_path) as th:
            assert th.format == "WEBP" and max(th.size) == 256
    assert style.lut_path.read_text().splitlines()[2] == "LUT_3D_SIZE 33"
    assert style.analysis and len(style.analysis["palette"]) == 6
    assert "grain" in style.params["looks"] and "vignette" in style.params["looks"]
    assert list(rt.paths.tmp_dir.iterdir()) == []
    # the reference was copied into the library: the original can go
    original.unlink()
    assert style.reference_path.is_file() and style.reference_path.parent == rt.paths.uploads_dir
    progresses = [p for p, _ in seen if p is not None]
    assert progresses == sorted(progresses), "progress only goes up"


def test_every_stage_is_reported_in_order_with_progress_going_up(rt, monkeypatch):
    from desktop.jobs.context import JobContext

    reported: list[tuple[float | None, str | None]] = []
    real = JobContext.progress

    def spy(self, fraction=None, message=None):
        reported.append((fraction, message))
        return real(self, fraction, message)

    monkeypatch.setattr(JobContext, "progress", spy)
    job_id = enqueue_style(rt, "warm", reference=SAMPLES[0], previews=4, size=128)
    run_pool(rt)
    assert rt.engine.get(job_id).status == "succeeded"
    messages = [m for _, m in reported]
    stages = ["Checking reference image", "Analysing colours", "Writing prompt", "Rendering preview 1 of 4", "Rendering preview 2 of 4", "Rendering preview 4 of 4", "Saving style"]
    assert [m for m in messages if m in stages] == stages
    fractions = [f for f, _ in reported]
    assert fractions == sorted(fractions)


def test_each_preview_stage_is_written_to_the_row_as_the_previews_arrive(rt):
    """Progress is coalesced, but each preview's arrival is written at once, so a watcher (the
    progress dialog, another process) sees every "Rendering preview k of n"."""
    job_id = enqueue_style(rt, "cool blue", reference=SAMPLES[0], previews=3, size=128)
    seen = _messages(rt, job_id)
    run_pool(rt, timeout=120)
    assert rt.engine.get(job_id).status == "succeeded"
    messages = [m for _, m in seen]
    stages = [f"Rendering preview {k} of 3" for k in (1, 2, 3)]
    assert list(dict.fromkeys(m for m in messages if m in stages)) == stages  # (a row may be written twice with one message)


def _worker_pids_logged(rt, job_id):
    from desktop.logs import flush_logs, job_log_lines

    flush_logs()
    lines = [line for line in job_log_lines(rt.paths.log_file, job_id) if "made by worker process" in line]
    assert len(lines) == 1, lines
    return {int(pid) for pid in re.findall(r"\d+", lines[0].split("worker process(es)")[1])}


def test_the_rendering_runs_in_worker_processes_not_in_the_jobs_process(rt):
    from desktop.jobs import processes

    job_id = enqueue_style(rt, "warm film grain", reference=SAMPLES[1], previews=4, size=256)
    run_pool(rt, timeout=120)
    assert rt.engine.get(job_id).status == "succeeded"
    pids = _worker_pids_logged(rt, job_id)
    assert pids and os.getpid() not in pids
    assert pids <= set(processes.worker_pids()), "the pool's own workers did the work"


def test_a_worker_process_killed_while_rendering_costs_nothing_but_time(rt):
    from desktop.jobs import processes

    job_id = enqueue_style(rt, "film grain halftone vignette", previews=5, size=2048, seed=5)
    killed: list[int] = []

    def kill_a_worker(e):
        if killed or e.row is None or e.row.id != job_id or not e.row.message.startswith("Rendering preview"):
            return
        for pid in processes.worker_pids():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return

    rt.engine.watch(kill_a_worker)
    run_pool(rt, timeout=180)
    row = rt.engine.get(job_id)
    assert killed, "a worker was killed mid-job"
    assert row.status == "succeeded", row.error
    style = Library(rt.db, rt.paths).require(row.result_dict()["id"])
    assert len(style.images) == 5 and all(i.path.is_file() and i.thumb_path.is_file() for i in style.images)
    assert list(rt.paths.tmp_dir.iterdir()) == []


def test_styles_start_on_different_sample_photos(rt):
    first = [enqueue_style(rt, "warm", previews=1, size=64, seed=seed) for seed in (5, 6)]
    run_pool(rt)
    lib = Library(rt.db, rt.paths)
    a, b = (lib.require(rt.engine.get(j).result_dict()["id"]).images[0] for j in first)
    with Image.open(a.path) as im_a, Image.open(b.path) as im_b:
        assert im_a.size != im_b.size or ImageChops.difference(im_a, im_b).getbbox() is not None


def test_the_same_photo_is_stored_once(rt, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    shutil.copy(SAMPLES[1], a)
    shutil.copy(SAMPLES[1], b)
    enqueue_style(rt, "one", reference=a, previews=1, size=64)
    enqueue_style(rt, "two", reference=b, previews=1, size=64)
    assert len(list(rt.paths.uploads_dir.iterdir())) == 1


def test_without_a_reference_the_grade_comes_from_the_description(rt):
    job_id = enqueue_style(rt, "deep teal and cold blue night", previews=1, size=256, seed=3)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    style = Library(rt.db, rt.paths).require(row.result_dict()["id"])
    assert style.reference_path is None and style.analysis is None
    lut = read_pillow_lut(style.lut_path)
    grey = Image.new("RGB", (8, 8), (128, 128, 128)).filter(lut).getpixel((0, 0))
    assert grey[2] > grey[0], f"a cold grade should push grey towards blue: {grey}"


def test_the_cube_file_reproduces_the_previews_grade(rt):
    job_id = enqueue_style(rt, "golden warm tones", reference=SAMPLES[2], previews=2, size=384, seed=1)
    run_pool(rt)
    style = Library(rt.db, rt.paths).require(rt.engine.get(job_id).result_dict()["id"])
    assert style.params["looks"] == [], "this description names no looks, so a preview is the grade alone"
    lut = read_pillow_lut(style.lut_path)
    from desktop.generators.local import fit_long_edge
    from desktop.imaging.intake import load_image
    # preview 1 is the reference styled, preview 2 a sample photo: the .cube reproduces both
    sources = style.params["preview_sources"]
    assert sources[0] == "reference"
    photos = [SAMPLES[2], next(p for p in SAMPLES if p.name == sources[1])]
    for image, photo in zip(style.images, photos, strict=True):
        sample = fit_long_edge(load_image(photo).image, 384)
        regraded = sample.filter(lut)
        buffer = io.BytesIO()
        regraded.save(buffer, "JPEG", quality=90, subsampling=0)  # the preview's own encoding: like with like
        with Image.open(image.path) as preview, Image.open(buffer) as encoded:
            diff = ImageStat.Stat(ImageChops.difference(encoded.convert("RGB"), preview.convert("RGB"))).mean
        assert max(diff) < 1.0, diff
        assert max(ImageStat.Stat(ImageChops.difference(sample, regraded)).mean) > 3, "the grade must change the photo"


def test_a_refused_reference_makes_no_job_and_no_file(rt, tmp_path):
    bad = tmp_path / "holiday.png"
    bad.write_text("this is not a picture")
    with pytest.raises(UserError) as err:
        enqueue_style(rt, "warm", reference=bad)
    assert "holiday.png" in str(err.value)
    assert rt.engine.list() == []
    assert list(rt.paths.uploads_dir.iterdir()) == []


def test_a_reference_that_breaks_inside_the_job_fails_it_with_a_sentence_and_leaves_nothing(rt, tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.open(SAMPLES[1]).convert("RGB").save(photo, "JPEG")
    job_id = enqueue_style(rt, "warm", reference=photo)
    reference = rt.engine.get(job_id).payload_dict()["reference"]
    assert reference.startswith("uploads/"), "the payload names the library's copy, relative to the data folder"
    stored = rt.paths.home / reference
    data = open(stored, "rb").read()
    with open(stored, "wb") as fh:
        fh.write(data[: len(data) // 3])  # the library's copy got truncated on disk
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed"
    assert "truncated" in row.error.lower() or "damaged" in row.error.lower() or "corrupt" in row.error.lower(), row.error
    assert "Traceback" not in row.error
    _nothing_left_behind(rt)


def test_cancel_in_the_middle_leaves_nothing_behind(rt):
    job_id = enqueue_style(rt, "film grain halftone", previews=5, size=2048)

    def cancel_while_rendering(e):
        if e.row is not None and e.row.id == job_id and e.row.message.startswith("Rendering preview"):
            if not e.row.cancel_requested and e.row.status == "running":
                rt.engine.cancel(job_id)

    rt.engine.watch(cancel_while_rendering)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "canceled"
    _nothing_left_behind(rt)


def test_a_failed_commit_removes_the_moved_folder(rt, monkeypatch):
    import desktop.db.models as models

    job_id = enqueue_style(rt, "warm", previews=1, size=64)
    original = models.StyleImage.__init__

    def explode(self, *a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(models.StyleImage, "__init__", explode)
    run_pool(rt)
    monkeypatch.setattr(models.StyleImage, "__init__", original)
    row = rt.engine.get(job_id)
    assert row.status == "failed" and "disk is full" in row.error
    _nothing_left_behind(rt)


def test_the_prompt_service_being_down_does_not_fail_the_job(rt):
    with FakeChatServer(ChatScript(status=500)) as chat:
        rt.settings.prompt_base_url = chat.api_base
        job_id = enqueue_style(rt, "warm", previews=1, size=64)
        seen = _messages(rt, job_id)
        run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded"
    assert any("built-in template was used" in m for _, m in seen), seen


def test_the_prompt_service_writes_the_prompt_when_it_answers(rt):
    with FakeChatServer(ChatScript(answer="A golden-hour film still.")) as chat:
        rt.settings.prompt_base_url = chat.api_base
        job_id = enqueue_style(rt, "warm", previews=1, size=64)
        run_pool(rt)
    style = Library(rt.db, rt.paths).require(rt.engine.get(job_id).result_dict()["id"])
    assert style.prompt == "A golden-hour film still."


# --- fal.ai ---------------------------------------------------------------------------------

KEY = "fal-test-key-1234:secretpart"


@pytest.fixture
def fal_rt(rt, monkeypatch):
    monkeypatch.setenv("FAL_KEY", KEY)
    return rt


def _use(rt, server):
    rt.settings.fal_queue_url = server.base_url


def _png(color):
    im = Image.new("RGB", (96, 64), color)
    import io

    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_fal_generation_downloads_checks_and_saves_the_images(fal_rt):
    rt = fal_rt
    script = FalScript(key=KEY, queue_positions=[2, 1, 0], progress_logs=["Generating 1", "Generating 2"], images=[_png((200, 30, 30)), _png((30, 200, 30))])
    with FakeFalServer(script) as fal:
        _use(rt, fal)
        job_id = enqueue_style(rt, "neon", reference=SAMPLES[0], backend="fal", previews=2, size=128)
        seen = _messages(rt, job_id)
        run_pool(rt)
        submitted = fal.requests_to("submit")
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    style = Library(rt.db, rt.paths).require(row.result_dict()["id"])
    assert style.generator == "fal" and len(style.images) == 2
    with Image.open(style.images[0].path) as im:
        assert im.getpixel((5, 5))[0] > 150 and max(im.size) == 128
    assert submitted[0].path.endswith("fal-ai/flux-pro/v1.1/redux")
    assert submitted[0].json()["image_url"].startswith("data:image/png;base64,")
    assert any(m.startswith("In queue (position") for _, m in seen), seen
    _assert_key_nowhere(rt)


def test_fal_refusing_the_key_fails_the_job_with_a_sentence(fal_rt):
    rt = fal_rt
    with FakeFalServer(FalScript(key="another-key")) as fal:
        _use(rt, fal)
        job_id = enqueue_style(rt, "neon", backend="fal", previews=1)
        run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed" and row.attempts == 1
    assert "fal key was refused" in row.error
    _nothing_left_behind(rt)
    _assert_key_nowhere(rt)


def test_fal_returning_something_that_is_not_an_image_fails_the_job(fal_rt):
    rt = fal_rt
    with FakeFalServer(FalScript(key=KEY, images=[b"GIF89a-but-not-really" * 10])) as fal:
        _use(rt, fal)
        job_id = enqueue_style(rt, "neon", backend="fal", previews=1)
        run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed"
    assert "fal image 1" in row.error
    _nothing_left_behind(rt)


def test_fal_without_a_key_is_refused_before_any_job(rt):
    with pytest.raises(UserError, match="No fal key is set"):
        enqueue_style(rt, "neon", backend="fal")
    assert rt.engine.list() == []


def _assert_key_nowhere(rt):
    from desktop.logs import flush_logs

    flush_logs()
    secret_bits = (KEY, "secretpart")
    for path in rt.paths.home.rglob("*"):
        if path.is_file() and path.suffix not in (".jpg", ".webp", ".png"):
            data = path.read_bytes()
            for bit in secret_bits:
                assert bit.encode() not in data, f"the key leaked into {path}"


def test_settings_never_hold_the_key(rt, monkeypatch):
    monkeypatch.setenv("FAL_KEY", KEY)
    Settings().save(rt.paths)
    assert KEY not in rt.paths.settings_file.read_text()


def test_make_png_helper_is_an_image():
    from desktop.imaging.intake import load_image

    assert load_image(make_png()).image.size == (4, 3)


def test_a_long_description_with_accents_makes_a_style_with_an_ascii_cube_title(rt):
    description = "Crème brûlée warmth, faded café film with soft golden highlights and deep shadows"
    job_id = enqueue_style(rt, description, previews=1, size=64)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    style = Library(rt.db, rt.paths).require(row.result_dict()["id"])
    assert style.name == "Crème brûlée warmth", "the name is the description's first clause"
    title = style.lut_path.read_bytes().splitlines()[1]
    assert title.startswith(b'TITLE "Creme brulee warmth')
    title.decode("ascii")


def test_a_plan_crosses_to_the_worker_processes_exactly():
    """The workers rebuild the plan from its dict (``StylePlan.from_dict``): the LUT, the looks
    and the previews must come out the same as the plan made from the reference."""
    from desktop.generators import local
    from desktop.imaging.intake import load_image
    from desktop.pipelines.generate.work import REFERENCE_DRAFT

    reference = load_image(SAMPLES[2], draft_size=REFERENCE_DRAFT).image
    plan = local.plan_style("sepia film grain with a vignette", reference, seed=4, strength=0.7)
    again = local.StylePlan.from_dict(plan.to_dict())
    assert again.lut.table == plan.lut.table
    assert again.style_params() == plan.style_params()
    assert local.render_preview(again, 1, size=96).tobytes() == local.render_preview(plan, 1, size=96).tobytes()


def test_the_reference_styled_comes_first_and_no_sample_photo_appears_twice(rt):
    """Asked for 8 previews with a bundled sample as the reference: the reference styled first,
    then each other sample once (the sample that is the reference is not shown again)."""
    from desktop.pipelines.generate.previews import plan_previews

    rocket = next(p for p in SAMPLES if p.name == "rocket.jpg")
    job_id = enqueue_style(rt, "warm film grain", reference=rocket, previews=8, size=96, seed=3)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    style = Library(rt.db, rt.paths).require(row.result_dict()["id"])
    sources = style.params["preview_sources"]
    assert sources[0] == "reference" and len(sources) == len(set(sources)) == len(SAMPLES)
    assert "rocket.jpg" not in sources and len(style.images) == len(SAMPLES)
    # the first preview is the reference, graded: the rocket's shape, not another sample's
    first = Image.open(style.images[0].path).convert("L").resize((32, 32))
    rocket_small = Image.open(rocket).convert("L").resize((32, 32))
    other = Image.open(SAMPLES[0]).convert("L").resize((32, 32))

    def diff(a, b):
        return sum(abs(x - y) for x, y in zip(a.tobytes(), b.tobytes(), strict=True)) / 1024

    assert diff(first, rocket_small) < diff(first, other)
    # without a reference: the samples, each once
    assert plan_previews(None, 8, seed=2) == [SAMPLES[(2 + i) % len(SAMPLES)].name for i in range(len(SAMPLES))]
    assert plan_previews(None, 2, seed=2) == [SAMPLES[2 % len(SAMPLES)].name, SAMPLES[3 % len(SAMPLES)].name]
