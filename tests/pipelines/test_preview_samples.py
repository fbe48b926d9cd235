"""A look is shown on a photo it can be judged on (issue 21 §5): a style's first preview, an
imported LUT's card and the strength preview never fall on the nearly black Hubble field."""

from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

from desktop.pipelines.generate.previews import first_sample, plan_previews
from desktop.pipelines.preview.request import sample_photo_for
from desktop.resources import DARK_SAMPLES, sample_photos
from tests.helpers import cli


def test_no_seed_starts_a_style_on_a_nearly_black_sample():
    samples = sample_photos()
    assert any(p.name in DARK_SAMPLES for p in samples), "the dark sample is still bundled: the test can fail"
    firsts = {samples[first_sample(seed)].name for seed in range(200)}
    assert not firsts & DARK_SAMPLES and len(firsts) == len(samples) - len(DARK_SAMPLES)
    for seed in range(20):
        assert plan_previews(None, 3, seed)[0] not in DARK_SAMPLES


def test_the_strength_preview_skips_a_dark_first_sample():
    def style(sources):
        return SimpleNamespace(params={"seed": 3, "preview_sources": sources}, images=[None] * len(sources))

    assert sample_photo_for(style(["hubble_deep_field.jpg", "rocket.jpg"])).endswith("rocket.jpg")
    chosen = sample_photo_for(style(["reference", "hubble_deep_field.jpg"]))
    assert chosen is not None and not chosen.endswith(tuple(DARK_SAMPLES))


def test_an_imported_lut_records_its_previews_and_none_is_first_on_the_dark_sample(home, tmp_path):
    lines = ["LUT_3D_SIZE 2"] + [f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)]
    for n in range(6):  # different files, different seeds
        cube = tmp_path / f"look{n}.cube"
        cube.write_text(f'TITLE "Look {n}"\n# {n}\n' + "\n".join(lines) + "\n")
        result = cli("import", str(cube), home=home, timeout=120)
        assert result.returncode == 0, result.stderr
    con = sqlite3.connect(home / "library.sqlite3")
    rows = [json.loads(p) for (p,) in con.execute("SELECT params FROM styles")]
    con.close()
    assert len(rows) == 6
    for params in rows:
        sources = params["preview_sources"]
        assert len(sources) == params["previews"] and sources[0] not in DARK_SAMPLES
