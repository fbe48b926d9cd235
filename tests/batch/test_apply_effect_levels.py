"""`stylestudio apply --grain PERCENT --grain-size SIZE --vignette PERCENT`: a batch sets a
style's grain and vignette on their own (0 removes them, more adds them), refusals are one
sentence, and a batch queued before these options existed reads back as it was signed."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from desktop.errors import UserError
from desktop.exchange.cube import read_pillow_lut
from desktop.library.reading import Library
from desktop.pipelines.apply.request import ApplyPayload, start_apply
from tests.batch.conftest import photo
from tests.helpers import cli, run_pool

GREY = (128, 128, 128)


def styled(rt, style: int, tmp_path, name: str, *options: str) -> np.ndarray:
    """A flat grey photo styled by `stylestudio apply` with ``options``, as an array."""
    src = photo(tmp_path / "in" / f"{name}.png", size=(240, 160), colour=GREY)
    out = tmp_path / f"out-{name}"
    res = cli("apply", str(style), str(src), "--out", str(out), "--format", "png", *options, home=rt.paths.home, timeout=120)
    assert res.returncode == 0, res.stderr
    return np.asarray(Image.open(out / f"{name}.png").convert("RGB"), dtype=np.float64)


def graded_only(rt, style: int) -> np.ndarray:
    info = Library(rt.db, rt.paths).require(style)
    flat = Image.new("RGB", (240, 160), GREY).filter(read_pillow_lut(str(info.lut_path)))
    return np.asarray(flat, dtype=np.float64)


def corners(a: np.ndarray) -> float:
    """How much darker the corners are than the centre (0..1)."""
    luma = a.mean(axis=2)
    return 1 - float(np.mean([luma[:8, :8].mean(), luma[-8:, -8:].mean()])) / float(luma[70:90, 110:130].mean())


def grain(a: np.ndarray) -> float:
    """The grain's spread in the centre, where the vignette is flat."""
    luma = a.mean(axis=2)[60:100, 90:150]
    return float(np.std(luma - luma.mean()))


def test_grain_and_vignette_are_set_on_their_own(rt, style, tmp_path):
    own = styled(rt, style, tmp_path, "own")
    assert grain(own) > 2 and corners(own) > 0.3  # "warm film grain with a vignette"

    none = styled(rt, style, tmp_path, "none", "--grain", "0", "--vignette", "0")
    assert np.abs(none - graded_only(rt, style)).max() <= 2  # the grade alone
    assert grain(none) < 0.5 and abs(corners(none)) < 0.02

    more = styled(rt, style, tmp_path, "more", "--grain", "100", "--vignette", "90", "--grain-size", "coarse")
    assert grain(more) > 1.6 * grain(own)
    assert corners(more) > corners(own) + 0.2
    light = styled(rt, style, tmp_path, "light", "--vignette", "20")
    assert 0.1 < corners(light) < corners(own)


def test_grain_can_be_added_to_a_style_without_it(rt, tmp_path):
    from desktop.pipelines.generate.request import enqueue_style

    job = enqueue_style(rt, "warm golden light", previews=1, size=64, seed=3)
    run_pool(rt, timeout=120)
    plain = int(rt.engine.require(job).result_dict()["id"])
    assert grain(styled(rt, plain, tmp_path, "plain")) < 0.5
    assert grain(styled(rt, plain, tmp_path, "grained", "--grain", "50")) > 2


def test_refusals_are_one_sentence_and_queue_nothing(rt, style, tmp_path):
    p = photo(tmp_path / "p.jpg")
    out = tmp_path / "out"
    for args, words in (
        (["--grain", "150"], "--grain: '150' is not a number from 0 to 100"),
        (["--vignette", "-1"], "--vignette"),
        (["--grain-size", "huge"], "'huge' is not one of"),
    ):
        res = cli("apply", str(style), str(p), "--out", str(out), *args, home=rt.paths.home)
        assert res.returncode == 2, (args, res.stderr)
        assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert [r.type for r in rt.engine.list()] == ["style.generate"]
    with pytest.raises(UserError, match="The grain must be a number from 0 to 100"):
        start_apply(rt, style, [p], out=out, grain=101)


def test_a_batch_with_other_levels_is_another_batch(rt, style, tmp_path):
    p = photo(tmp_path / "p.jpg")
    first = start_apply(rt, style, [p], out=tmp_path / "out", grain=10)
    again = start_apply(rt, style, [p], out=tmp_path / "out", grain=10)
    other = start_apply(rt, style, [p], out=tmp_path / "out", grain=80)
    assert again.resumed and again.job_id == first.job_id
    assert not other.resumed and other.job_id != first.job_id
    stored = rt.engine.require(other.job_id).payload_dict()
    assert stored["grain"] == 80 and "vignette" not in stored


def test_a_payload_from_before_the_levels_reads_back_unchanged():
    old = {
        "style": 3, "out": "/tmp/x", "format": "same", "quality": 92, "long_edge": None, "strength": None,
        "keep_metadata": True, "count": 1, "key": "a" * 64, "grant": "0" * 64,
    }
    assert ApplyPayload.parse(old).to_dict() == old  # its grant still matches
    given = ApplyPayload.parse({**old, "grain": 30, "grain_size": "medium", "vignette": 0})
    assert given.levels() == {"grain": 30, "grain_size": "medium", "vignette": 0}
