"""A pack whose stored grade is malformed is refused at import (issue 18, point 4): it used to
import fine and then fail every photo ("could not style…") and ``styles strength``
("Something went wrong (ValueError)")."""

from __future__ import annotations

import pytest

from desktop.library.reading import Library
from desktop.pipelines.export.request import enqueue_export_pack
from desktop.pipelines.import_.request import enqueue_import, imported_ids
from desktop.pipelines.strength.request import enqueue_strength
from desktop.runtime import open_runtime
from tests.exchange.hostile import rewrite_pack
from tests.exchange.support import assert_nothing_added, make_styles
from tests.helpers import run_pool


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    home = tmp_path_factory.mktemp("source")
    out = tmp_path_factory.mktemp("pack") / "two.stylepack"
    rt = open_runtime(home)
    try:
        ids = make_styles(rt, ["warm film grain", "cool moody noir"])
        assert all(Library(rt.db, rt.paths).require(i).params.get("grade") for i in ids)
        job = enqueue_export_pack(rt, ids, out)
        run_pool(rt)
        assert rt.engine.require(job).status == "succeeded"
    finally:
        rt.close()
    return out


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def _import(rt, path):
    [job] = enqueue_import(rt, [path])
    run_pool(rt, timeout=120)
    return rt.engine.require(job)


def _grade(change):
    def edit(doc):
        change(doc["styles"][1]["params"]["grade"])

    return edit


def _replace_grade(value):
    def edit(doc):
        doc["styles"][1]["params"]["grade"] = value

    return edit


@pytest.mark.parametrize(
    "edit",
    [
        _grade(lambda g: g.update(mean=[48.0, 2.0])),  # two numbers where a Lab colour has three
        _grade(lambda g: g.update(tones=["dark", "mid", "light"])),
        _grade(lambda g: g.update(tints=[[1, 2], [3]])),
        _grade(lambda g: g.pop("std")),
        _replace_grade("warm"),
        _replace_grade([1, 2, 3]),
    ],
    ids=["short mean", "words for tones", "short tints", "no std", "a word", "a list"],
)
def test_a_pack_whose_grade_is_malformed_is_refused_and_adds_nothing(rt, pack, tmp_path, edit):
    bad = rewrite_pack(pack, tmp_path / "bad.stylepack", manifest=edit)
    row = _import(rt, bad)
    assert row.status == "failed"
    assert row.error == (
        'The pack "bad.stylepack" can\'t be imported: in style 2, its colour grade data (params.grade) is damaged '
        "and does not build a grade; export it again from Style Studio (nothing was added to the library)."
    )
    assert_nothing_added(rt, uploads=set())


def test_a_sound_grade_imports_and_its_strength_can_change(rt, pack, tmp_path):
    row = _import(rt, rewrite_pack(pack, tmp_path / "fine.stylepack"))
    assert row.status == "succeeded", row.error
    second = imported_ids(row.result_dict())[1]
    job = enqueue_strength(rt, second, 40)
    run_pool(rt, timeout=120)
    assert rt.engine.require(job).status == "succeeded", rt.engine.require(job).error
