"""The systemd unit of a worker machine (packaging/linux/stylestudio-worker.service): it runs
``stylestudio worker`` as its own user, takes the database URL from a private file (never from
the unit, which anyone may read), restarts on failure, and stops gracefully: SIGTERM, then the
worker's grace period plus a margin before systemd kills it. The worker it starts is run for
real here, and stopped with the unit's signal while a job runs."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli.parser import build_parser
from desktop.runtime import open_runtime
from tests.helpers import REPO, wait_until

UNIT = REPO / "packaging" / "linux" / "stylestudio-worker.service"
# What the worker needs after its grace period: about 1 s for running jobs to see their cancel,
# 2 s more before their tasks are interrupted, and closing the library.
SHUTDOWN_AFTER_GRACE = 3.0

pytestmark = pytest.mark.timeout(120)


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections of a systemd unit file as (key, value) lists: keys may repeat (Environment=)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        assert not line.endswith("\\"), f"line {number}: keep each setting on one line"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"line {number} is not 'Key=value' in a section: {raw!r}"
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def one(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"[{section}] needs exactly one {key}= (found {found})"
    return found[0]


def environment(unit: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for value in values(unit, "Service", "Environment"):
        for pair in shlex.split(value):
            name, _, setting = pair.partition("=")
            env[name] = setting
    return env


def seconds(text: str) -> float:
    """A systemd time span ("45", "45s", "1min 30s") in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text):
        assert unit in units, f"unknown time unit in {text!r}"
        total += float(number) * units[unit]
    return total


@pytest.fixture(scope="module")
def unit() -> dict[str, list[tuple[str, str]]]:
    return parse_unit(UNIT)


def worker_args(unit) -> tuple[list[str], object]:
    """ExecStart's arguments after the program, and what the CLI's parser makes of them."""
    argv = shlex.split(one(unit, "Service", "ExecStart"))
    assert Path(argv[0]).is_absolute() and Path(argv[0]).name == "stylestudio", argv
    return argv[1:], build_parser().parse_args(argv[1:])


def test_the_unit_runs_the_worker_as_its_own_user(unit):
    assert set(unit) == {"Unit", "Service", "Install"}
    args, parsed = worker_args(unit)
    assert parsed.command == "worker" and not parsed.exit_when_idle
    user = one(unit, "Service", "User")
    assert user and user not in ("root", "0")
    assert one(unit, "Install", "WantedBy") == "multi-user.target"
    assert "network-online.target" in values(unit, "Unit", "After")[0].split()


def test_the_database_url_comes_from_a_file_and_never_from_the_unit(unit):
    env = environment(unit)
    assert "STYLESTUDIO_DATABASE_URL" not in env  # anyone can read a unit ('systemctl cat')
    settings = [v for section in unit.values() for _, v in section]
    assert not [v for v in settings if re.search(r"://[^\s/@]*:[^\s@]*@", v)], "a password in the unit"
    env_file = one(unit, "Service", "EnvironmentFile")
    # no '-' prefix: a missing file stops the start instead of running on an empty local library
    assert not env_file.startswith("-") and Path(env_file).is_absolute()
    # the library folder and the worker's own data folder are set, as absolute paths
    assert Path(env["STYLESTUDIO_LIBRARY_DIR"]).is_absolute()
    assert Path(env["STYLESTUDIO_HOME"]).is_absolute()
    assert env["STYLESTUDIO_HOME"] == f"/var/lib/{one(unit, 'Service', 'StateDirectory')}"


def test_the_unit_restarts_on_failure_and_stops_after_the_workers_grace_period(unit):
    _, parsed = worker_args(unit)
    assert one(unit, "Service", "Restart") == "on-failure"
    assert one(unit, "Service", "KillSignal") == "SIGTERM"
    assert one(unit, "Service", "KillMode") == "mixed"  # the worker stops its own helpers
    stop = seconds(one(unit, "Service", "TimeoutStopSec"))
    assert parsed.grace + SHUTDOWN_AFTER_GRACE + 5 <= stop <= parsed.grace + 120, (parsed.grace, stop)
    assert seconds(one(unit, "Service", "RestartSec")) >= 1


def test_systemd_analyze_verifies_the_unit(tmp_path):
    """systemd's own checker: every key known and every value parsed (it only warns, with exit
    0, about a value it ignores, so any output is a failure). The copy runs this checkout's
    CLI instead of /usr/bin/stylestudio, which only the installed package has."""
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing on CI; install systemd (apt-get install systemd)")
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/usr/bin/stylestudio " in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace("ExecStart=/usr/bin/stylestudio ", f"ExecStart={sys.executable} -m desktop.cli "))
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--generators=no", str(copy)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0 and not (out.stdout + out.stderr).strip(), out.stdout + out.stderr


def test_the_units_worker_stops_on_its_kill_signal_and_lets_a_running_job_finish(unit, database_url, home, tmp_path):
    """The unit's ExecStart, environment file and KillSignal for real: a job running when the
    signal comes ends 'succeeded' (within the grace period), and the worker exits 0 before
    TimeoutStopSec, which Restart=on-failure does not count as a failure."""
    args, parsed = worker_args(unit)
    env_file = tmp_path / "worker.env"  # what the administrator writes (mode 600)
    env_file.write_text(f"STYLESTUDIO_DATABASE_URL={database_url}\n")
    env = dict(os.environ)
    for line in env_file.read_text().splitlines():
        name, _, setting = line.partition("=")
        env[name] = setting
    env.update(environment(unit))
    env.update(STYLESTUDIO_HOME=str(home), STYLESTUDIO_LIBRARY_DIR=str(tmp_path / "library"))
    (tmp_path / "library").mkdir()

    rt = open_runtime(home)  # the same database, as another machine's window
    try:
        job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": min(8.0, parsed.grace / 2), "steps": 8})
        worker = subprocess.Popen(
            [sys.executable, "-m", "desktop.cli", *args],
            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            wait_until(lambda: rt.engine.get(job_id).status == "running", timeout=60, interval=0.05)
            assert rt.engine.get(job_id).status == "running"  # the signal comes while it runs
            worker.send_signal(getattr(signal, one(unit, "Service", "KillSignal")))
            out, err = worker.communicate(timeout=seconds(one(unit, "Service", "TimeoutStopSec")))
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        final = rt.engine.get(job_id)
    finally:
        rt.close()
    assert worker.returncode == 0, err
    assert "Stopping: no new jobs" in err and "Worker stopped." in err
    assert final.status == "succeeded", json.dumps(final.to_json())
    assert f"job {job_id} diagnostics.sleep succeeded" in out
