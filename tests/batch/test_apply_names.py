"""A batch's output name template (``--name "{stem}-{style}"``): the names it makes, never
overwriting; templates that cannot name every photo refused at the door in one sentence, with
nothing created; a payload written by hand with a bad template refused by the model too."""

from __future__ import annotations

import time

import pytest

from desktop.errors import UserError
from desktop.library.reading import Library
from desktop.pipelines.apply.request import (
    ApplyPayload,
    batch_items,
    enqueue_apply,
    example_output_name,
    name_template_refusal,
)
from tests.batch.conftest import photo
from tests.helpers import cli, run_pool


def test_the_template_names_every_photo_and_a_taken_name_gets_a_number(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "beach.jpg")
    photo(src / "dunes.png")
    out.mkdir()
    (out / "002-dunes.webp").write_bytes(b"already here")  # a person's file: never overwritten
    job = enqueue_apply(rt, style, [src], out=out, format="webp", name="{n:03}-{stem} {date}")
    run_pool(rt, timeout=120)
    assert rt.engine.require(job).status == "succeeded"
    day = time.strftime("%Y-%m-%d")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["001-beach " + day + ".webp", "002-dunes " + day + ".webp", "002-dunes.webp"]
    assert (out / "002-dunes.webp").read_bytes() == b"already here"
    named = Library(rt.db, rt.paths).require(style).name
    job2 = enqueue_apply(rt, style, [src / "beach.jpg"], out=out, format="webp", name="{n:03}-{stem} {date}")
    job3 = enqueue_apply(rt, style, [src / "beach.jpg"], out=out, name="{stem}-{style}")
    run_pool(rt, timeout=120)
    assert [i.output for i in batch_items(rt.db, job2)] == [str(out / f"001-beach {day}.webp")], "the same batch: not styled twice"
    assert [i.output for i in batch_items(rt.db, job3)] == [str(out / f"beach-{named}.jpg")]
    assert example_output_name("{stem}-{style}", src / "beach.jpg", named, "same") == f"beach-{named}.jpg"
    assert example_output_name(None, src / "beach.jpg", named, "png") == "beach.png"


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("{style}-{date}", "gives every photo the same name"),
        ("{stem}-{camera}", "unknown field {camera}"),
        ("sub/{stem}", "cannot hold / or \\"),
        ("{stem}..{n}", "cannot hold '..'"),
        ("{stem", "unmatched { or }"),
        ("{stem!r}", "takes no options"),
        (".{stem}", "hidden files"),
        ("", "is empty"),
    ],
)
def test_a_template_that_cannot_name_every_photo_is_refused_in_one_sentence(template, words):
    why = name_template_refusal(template)
    assert why is not None and words in why and why.endswith(".") and why.count(". ") == 0, why


def test_the_front_door_refuses_a_bad_template_and_queues_nothing(rt, style, tmp_path):
    with pytest.raises(UserError, match="unknown field"):
        enqueue_apply(rt, style, [photo(tmp_path / "a.jpg")], out=tmp_path / "out", name="{stem}-{lens}")
    assert [r.type for r in rt.engine.list()] == ["style.generate"], "nothing queued"
    assert name_template_refusal("{n:03}") is None and name_template_refusal("{stem} ({style}, {date})") is None


def test_a_hand_written_payload_with_a_bad_template_is_refused_by_the_model():
    fields = {"style": 1, "out": "/tmp/x", "grant": "0" * 64}
    assert ApplyPayload.parse({**fields, "name": "{stem}"}).name == "{stem}"
    assert "name" not in ApplyPayload.parse(fields).to_dict(), "a batch without a template is stored as before"
    for bad in ("{nope}", "../{stem}", 7):
        with pytest.raises(UserError, match="name template"):
            ApplyPayload.parse({**fields, "name": bad})


def test_the_cli_takes_a_template_and_refuses_a_bad_one_with_exit_2(rt, style, tmp_path):
    p = photo(tmp_path / "in" / "pier.jpg")
    out = tmp_path / "out"
    bad = cli("apply", str(style), str(p), "--out", str(out), "--name", "{stem}/x", home=rt.paths.home)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "/ or \\" in bad.stderr, bad.stderr
    assert not out.exists()
    good = cli("apply", str(style), str(p), "--out", str(out), "--name", "{n}-{stem}", home=rt.paths.home)
    assert good.returncode == 0, good.stderr
    assert [f.name for f in out.iterdir()] == ["1-pier.jpg"]
