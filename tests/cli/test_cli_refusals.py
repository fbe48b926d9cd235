"""Bad options, ids and payloads: one sentence on stderr, exit 2, and nothing created."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import REPO, cli


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


def _one_sentence(result, *needles):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "usage:" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args, needles",
    [
        (("generate", "warm", "--previews", "x"), ("--previews: 'x' is not a whole number", "'stylestudio generate --help'")),
        (("generate", "warm", "--size", "1.5"), ("--size",)),
        (("generate", "warm", "--seed", "abc"), ("--seed",)),
        (("generate", "warm", "--backend", "paint"), ("--backend", "'paint'", "'local'")),
        (("generate",), ("description", "stylestudio generate --help")),
        (("worker", "--grace", "inf"), ("--grace", "0 to 3600")),
        (("worker", "--grace", "nan"), ("--grace",)),
        (("worker", "--grace", "-1"), ("--grace",)),
        (("worker", "--grace", "3601"), ("--grace",)),
        (("worker", "--max-parallel", "zero"), ("--max-parallel",)),
        (("jobs", "list", "--limit", "0"), ("--limit",)),
        (("jobs", "list", "--bogus"), ("--bogus",)),
        (("jobs", "show", "one"), ("'one' is not a whole number",)),
        (("jobs",), ("list", "enqueue")),
        (("frob",), ("'frob'", "jobs", "worker")),
        (("--home", "", "jobs", "list"), ("--home",)),
        (("--home", "", "jobs", "enqueue", "diagnostics.sleep"), ("--home",)),
    ],
)
def test_a_bad_option_is_one_sentence_with_exit_2(home, args, needles):
    _one_sentence(cli(*args, home=home), *needles)
    assert _tree(home) == []


def test_an_id_outside_the_range_of_rows_is_no_such_job_or_style(home):
    assert cli("jobs", "enqueue", "diagnostics.sleep", home=home).returncode == 0  # a library exists
    for job_id in ("1180591620717411303424", str(2**63), "0", "-5"):
        for action in ("show", "cancel", "retry", "dismiss"):
            _one_sentence(cli("jobs", action, job_id, home=home), f"There is no job {job_id}")
    for style_id in (str(2**70), "0"):
        for action in ("show", "delete"):
            _one_sentence(cli("styles", action, style_id, home=home), f"There is no style {style_id}")


def test_a_huge_id_on_a_missing_library_creates_nothing(home):
    _one_sentence(cli("jobs", "show", str(2**64), home=home), "There is no job")
    _one_sentence(cli("styles", "show", str(2**64), home=home), "There is no style")
    assert _tree(home) == []


def test_the_largest_row_id_is_looked_up(home):
    assert cli("jobs", "enqueue", "diagnostics.sleep", home=home).returncode == 0
    _one_sentence(cli("jobs", "show", str(2**63 - 1), home=home), f"There is no job {2**63 - 1}")


def test_fal_without_a_key_is_refused_before_a_library_is_made(home):
    _one_sentence(cli("generate", "neon", "--backend", "fal", home=home), "fal key", "FAL_KEY")
    _one_sentence(cli("generate", "neon", "--backend", "fal", "--enqueue", home=home), "fal key")
    assert _tree(home) == []


def test_fal_as_the_saved_generator_without_a_key_is_refused_too(home):
    (home / "settings.json").write_text(json.dumps({"generator": "fal"}))
    _one_sentence(cli("generate", "neon", home=home), "fal key")
    assert _tree(home) == ["settings.json"]


@pytest.mark.parametrize(
    "payload",
    [
        '{"a":' + "[" * 60_000 + "]" * 60_000 + "}",  # as deep as one argument can carry
        '{"seconds": Infinity}',
        '{"seconds": NaN}',
        '{"seconds": -Infinity}',
        '{"seconds": 1e400}',
        "{seconds: 1",
        "[1, 2]",
    ],
    ids=["60000-deep", "Infinity", "NaN", "-Infinity", "1e400", "not-json", "a-list"],
)
def test_a_bad_payload_is_one_sentence_and_queues_nothing(home, payload):
    _one_sentence(cli("jobs", "enqueue", "diagnostics.sleep", "--payload", payload, home=home), "payload")
    assert _tree(home) == []


def _no_display_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path / "runtime")  # no Wayland socket there
    env.update(extra)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")
@pytest.mark.parametrize("platform", [None, "xcb"])
def test_the_window_without_a_display_says_so_in_one_sentence(home, tmp_path, platform):
    extra = {"QT_QPA_PLATFORM": platform} if platform else {}
    result = subprocess.run(
        [sys.executable, "-m", "desktop.cli"], capture_output=True, text=True, timeout=60, cwd=REPO,
        env=_no_display_env(tmp_path, STYLESTUDIO_HOME=str(home), **extra),
    )
    _one_sentence(result, "There is no display", "desktop session", "QT_QPA_PLATFORM=offscreen")
    assert "xcb" not in result.stderr.lower().replace("qt_qpa_platform", "")
    assert _tree(home) == []


def test_which_environments_count_as_having_a_display():
    from desktop.cli.display import needs_display_but_has_none as none

    assert none({}, "linux")
    assert none({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert none({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux")
    assert not none({"DISPLAY": ":0"}, "linux")
    assert not none({"WAYLAND_DISPLAY": "wayland-1"}, "linux")
    for platform in ("offscreen", "minimal", "vnc", "linuxfb", "eglfs", "offscreen:size=800x600"):
        assert not none({"QT_QPA_PLATFORM": platform}, "linux"), platform
    assert not none({}, "darwin") and not none({}, "win32")
