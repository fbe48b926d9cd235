"""Two libraries (two data folders, each with its own key) style photos into one output folder
at the same time, with jobs that have the same number in both: each cleans up only its own
temporary files, and both finish every photo."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from PIL import Image

from desktop import grants
from desktop.pipelines.apply.names import batch_tag, temp_name
from desktop.pipelines.generate.request import enqueue_style
from tests.batch.conftest import photo
from tests.helpers import cli, run_pool, runtime, wait_until


def _library_with_a_style(home: Path) -> int:
    rt = runtime(home)
    try:
        job = enqueue_style(rt, "cool faded film", previews=1, size=64, seed=3)
        run_pool(rt, timeout=60)
        row = rt.engine.require(job)
        assert row.status == "succeeded", row.error
        return int(row.result_dict()["id"])
    finally:
        rt.close()


def test_two_libraries_with_the_same_job_ids_share_an_output_folder(home, tmp_path):
    homes = {"x": tmp_path / "library-x", "y": tmp_path / "library-y"}
    styles = {k: _library_with_a_style(h) for k, h in homes.items()}
    # the two batches are job 2 in both libraries
    out = tmp_path / "shared-out"
    (tmp_path / "x").mkdir()
    for i in range(4):
        photo(tmp_path / "x" / f"x{i:02}.jpg", colour=(i * 20, 50, 90))
    (tmp_path / "y").mkdir()
    noisy = tmp_path / "y" / "y00.jpg"  # seconds to encode as WebP: y's temporary files are there most of the time
    Image.effect_noise((3000, 2400), 70).convert("RGB").save(noisy, quality=90)
    for i in range(1, 6):
        shutil.copyfile(noisy, tmp_path / "y" / f"y{i:02}.jpg")
    results: dict[str, object] = {}
    options = {"x": ["--format", "jpeg"], "y": ["--format", "webp"]}

    def run(key: str) -> None:
        results[key] = cli(
            "apply", str(styles[key]), str(tmp_path / key), "--out", str(out), "--json", *options[key],
            home=homes[key], timeout=600, env={"STYLESTUDIO_WORKER_PROCESSES": "2" if key == "y" else "1"},
        )

    y = threading.Thread(target=run, args=("y",))
    y.start()
    try:  # x starts (and cleans up, and ends) while y is writing its photos
        wait_until(lambda: out.is_dir() and any(p.name.endswith(".part") for p in out.iterdir()), timeout=180, interval=0.05)
        run("x")
    finally:
        y.join()
    for key, count in (("x", 4), ("y", 6)):
        res = results[key]
        assert res.returncode == 0, (key, res.stderr)  # type: ignore[attr-defined]
        assert '"job": 2' in res.stdout and f'"done": {count}' in res.stdout  # type: ignore[attr-defined]
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"x{i:02}.jpg" for i in range(4)] + [f"y{i:02}.webp" for i in range(6)])  # no temporary file left


def test_a_batch_cleans_only_its_own_temporary_files_never_another_library_s(home, tmp_path):
    homes = {"x": tmp_path / "library-x", "y": tmp_path / "library-y"}
    style = _library_with_a_style(homes["x"])
    ids = {}
    for key, h in homes.items():
        rt = runtime(h)
        ids[key] = grants.library_id(rt.paths.library)
        rt.close()
    assert ids["x"] != ids["y"]
    out = tmp_path / "out"
    out.mkdir()
    theirs = temp_name(out, batch_tag(ids["y"], 2), 0)  # library y's job 2, writing its first photo now
    theirs.write_bytes(b"half a photo")
    ours = temp_name(out, batch_tag(ids["x"], 2), 5)  # left by a run of our job 2 that was killed
    ours.write_bytes(b"left over")
    assert theirs.name != temp_name(out, batch_tag(ids["y"], 2), 0).name  # unpredictable
    photo(tmp_path / "in" / "a.jpg")
    res = cli("apply", str(style), str(tmp_path / "in"), "--out", str(out), "--json", home=homes["x"])
    assert res.returncode == 0 and '"job": 2' in res.stdout, res.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(["a.jpg", theirs.name])
