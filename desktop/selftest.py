"""``stylestudio self-test``: proof that an install works, end to end.

Starts the app offscreen through the real start-up path (``desktop.app.start``) with a
temporary data folder, runs a local style job through the real engine and window, checks that
the gallery shows the new style, and stops the app. One line per step::

    ok   start app (0.4 s)
    ok   run a style job (1.2 s): job 1 made style 1 with 2 previews and a .cube LUT

A failing step prints ``FAIL <step>: <reason>`` (plus the end of the log, which lives in the
temporary folder and is removed afterwards) and the command exits 1. Every wait has a timeout,
and a watchdog ends the process if the event loop itself stops turning, so it never hangs.

The widgets are looked up in ``desktop.ui.selftest_probe``: only the UI layer touches widgets.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from desktop.ui.polling import poll_until

log = logging.getLogger(__name__)

TOTAL_TIMEOUT = 150.0  # the watchdog: the whole self-test, whatever happens
START_TIMEOUT = 45.0
JOB_TIMEOUT = 90.0
GALLERY_TIMEOUT = 15.0
STOP_TIMEOUT = 20.0
KEYRING_TIMEOUT = 15.0
POLL = 0.05

DESCRIPTION = "warm film grain with a soft vignette"


class StepFailed(Exception):
    """A step's reason, in a sentence."""


class _Report:
    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.current = "start"
        self.failed = False
        self.log_file: Path | None = None
        self.lock = threading.Lock()

    def line(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def ok(self, name: str, seconds: float, detail: str | None) -> None:
        self.line(f"ok   {name} ({seconds:.1f} s)" + (f": {detail}" if detail else ""))

    def fail(self, name: str, reason: str) -> None:
        self.failed = True
        self.line(f"FAIL {name}: {reason}")
        self.show_log_tail()

    def show_log_tail(self, lines: int = 20) -> None:
        if self.log_file is None or not self.log_file.exists():
            return
        try:
            tail = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            return
        if tail:
            print("---- end of the log " + "-" * 50, file=sys.stderr)
            print("\n".join(tail), file=sys.stderr, flush=True)

    def watchdog(self) -> None:
        """Runs on a timer thread when the whole self-test took too long: report and exit."""
        self.line(f"FAIL {self.current}: the self-test did not finish within {TOTAL_TIMEOUT:.0f} s")
        self.show_log_tail()
        sys.stdout.flush()
        os._exit(1)

    async def step(self, name: str, fn: Callable[[], Awaitable[str | None]], timeout: float) -> None:
        """Run one step; print its line; raise StepFailed (already reported) if it failed."""
        self.current = name
        started = time.monotonic()
        try:
            detail = await asyncio.wait_for(fn(), timeout)
        except TimeoutError:
            reason = f"did not finish within {timeout:.0f} s"
        except StepFailed as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - any error is the step's failure
            log.exception("Self-test step %r failed", name)
            reason = _sentence(exc)
        else:
            self.ok(name, time.monotonic() - started, detail)
            return
        self.fail(name, reason)
        raise StepFailed(reason)


def _sentence(exc: BaseException) -> str:
    from desktop.errors import UserError

    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _until(check: Callable[[], Any], what: str, timeout: float) -> Any:
    """Poll ``check`` (on the GUI thread, cheap) until it returns something truthy."""
    return await poll_until(check, timeout=timeout, interval=POLL, failure=lambda: StepFailed(f"{what} within {timeout:.0f} s"))


async def _session(report: _Report, home: Path, verbose: bool) -> None:
    from desktop import app
    from desktop.ui import selftest_probe as probe

    state: dict[str, Any] = {}

    async def start_app() -> str:
        window = await app.start(home, verbose=verbose)
        state["window"] = window
        runtime = getattr(window, "runtime", None)
        if runtime is None:
            raise StepFailed("the window has no open library")
        report.log_file = runtime.paths.log_file
        if not probe.window_shown(window):
            raise StepFailed("the main window is not shown")
        return f"{probe.platform_name()} platform, data folder {home}"

    async def check_resources() -> str:
        from desktop.resources import resources_dir, sample_photos

        folder = resources_dir()
        photos = await asyncio.to_thread(sample_photos)
        if not photos:
            raise StepFailed(f"no sample photos in {folder / 'samples'}")
        if not (folder / "samples" / "LICENSES.md").is_file():
            raise StepFailed(f"{folder / 'samples' / 'LICENSES.md'} is missing")
        return f"{len(photos)} sample photos in {folder}"

    async def check_photo_decoders() -> str:
        from desktop.imaging.probe_photos import check_probe_photos

        try:
            return await asyncio.to_thread(check_probe_photos, home / "self-test-photos")
        except Exception as exc:  # noqa: BLE001 - a missing or broken decoder, in one sentence
            raise StepFailed(_sentence(exc)) from exc

    async def check_migrations() -> str:
        from desktop.db.migrate import current_revision, head_revision

        runtime = state["window"].runtime
        current = await asyncio.to_thread(current_revision, runtime.db)
        head = await asyncio.to_thread(head_revision)
        if head is None:
            raise StepFailed("no Alembic migrations were found")
        if current != head:
            raise StepFailed(f"the library is at revision {current}, not {head}")
        return f"revision {head}"

    async def check_job_types() -> str:
        from desktop.jobs import registry

        # registered by the window's start-up (the engine has no job type of its own)
        missing = [n for n in ("style.generate", "diagnostics.sleep") if registry.get(n) is None]
        if missing:
            raise StepFailed(f"job type(s) not registered: {', '.join(missing)}")
        return ", ".join(registry.names())

    async def check_keyring() -> str:
        # Only looks: the key is never read or written. No keyring is fine (the app says so).
        from desktop import config

        def probe_keyring() -> str:
            from importlib.metadata import entry_points

            # keyring finds its backends through entry points: no metadata, no backends
            known = sorted(ep.name for ep in entry_points(group="keyring.backends"))
            if not known:
                raise StepFailed("keyring's backends are not installed (its package metadata is missing)")
            kr = config.usable_keyring()
            if kr is None:
                return f"none usable here, of {', '.join(known)} (the fal key can come from FAL_KEY)"
            return f"{type(kr.get_keyring()).__name__}, of {', '.join(known)}"

        return await asyncio.to_thread(probe_keyring)

    async def run_style_job() -> str:
        from desktop.jobs.model import JobStatus
        from desktop.library.reading import Library
        from desktop.pipelines.generate.request import enqueue_style
        from desktop.resources import sample_photos

        runtime = state["window"].runtime
        reference = sample_photos()[0]
        job_id = await asyncio.to_thread(
            enqueue_style, runtime, DESCRIPTION, reference=reference, backend="local", previews=2, size=256, seed=7
        )
        row = await asyncio.to_thread(runtime.engine.wait_for_job, job_id, JOB_TIMEOUT - 1.0)
        if not row.is_finished:
            raise StepFailed(f"job {job_id} did not finish in time (it is {row.status}, {row.message!r})")
        if row.status != JobStatus.SUCCEEDED:
            raise StepFailed(f"job {job_id} ended {row.status}: {row.error or 'no reason given'}")
        result = row.result_dict() or {}
        if result.get("table") != "styles" or result.get("id") is None:
            raise StepFailed(f"job {job_id} succeeded but made no style (result {result})")
        style_id = int(result["id"])
        info = await asyncio.to_thread(Library(runtime.db, runtime.paths).require, style_id)
        doc = info.to_json()
        files = [Path(p) for p in doc["previews"] + doc["thumbnails"]]
        if doc["cube"]:
            files.append(Path(doc["cube"]))
        absent = [str(p) for p in files if not p.is_file()]
        if len(doc["previews"]) != 2 or not doc["cube"] or absent:
            raise StepFailed(f"style {style_id} is incomplete: {len(doc['previews'])} previews, cube {doc['cube']}, missing {absent}")
        state["style_id"] = style_id
        return f"job {job_id} made style {style_id} with 2 previews and a .cube LUT"

    async def check_gallery() -> str:
        window, style_id = state["window"], state["style_id"]
        if probe.gallery_view(window) is None:
            raise StepFailed("there is no galleryView in the window")
        await _until(lambda: style_id in probe.gallery_style_ids(window), f"style {style_id} did not appear in the gallery", GALLERY_TIMEOUT)
        return f"{probe.gallery_row_count(window)} style(s) in galleryView"

    try:
        await report.step("start app", start_app, START_TIMEOUT)
        await report.step("find bundled resources", check_resources, 10.0)
        await report.step("read a RAW and a HEIC", check_photo_decoders, 30.0)
        await report.step("library migrated", check_migrations, 20.0)
        await report.step("job types registered", check_job_types, 10.0)
        await report.step("check the keyring", check_keyring, KEYRING_TIMEOUT)
        await report.step("run a style job", run_style_job, JOB_TIMEOUT)
        await report.step("gallery shows the style", check_gallery, GALLERY_TIMEOUT + 1.0)
    except StepFailed:
        pass
    finally:
        window = state.get("window")
        if window is not None:

            async def stop_app() -> None:
                await app.stop(window)
                return None

            try:
                await report.step("stop app", stop_app, STOP_TIMEOUT)
            except StepFailed:
                pass


def run_self_test(verbose: bool = False) -> int:
    """Returns the exit code: 0 when every step passed, 1 otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # The self-test never touches the user's library: a temporary SQLite one, always.
    os.environ.pop("STYLESTUDIO_DATABASE_URL", None)
    report = _Report()
    watchdog = threading.Timer(TOTAL_TIMEOUT, report.watchdog)
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="stylestudio-selftest-", ignore_cleanup_errors=True) as tmp:
            report.current = "start Qt"
            try:
                import qasync

                from desktop.ui import selftest_probe

                selftest_probe.application()
            except Exception as exc:  # noqa: BLE001
                report.fail("start Qt", _sentence(exc))
                return 1
            try:
                qasync.run(_session(report, Path(tmp) / "home", verbose))
            except Exception as exc:  # noqa: BLE001 - the loop itself broke
                log.exception("The self-test's event loop failed")
                report.fail(report.current, _sentence(exc))
    finally:
        watchdog.cancel()
    if report.failed:
        report.line(f"self-test FAILED ({time.monotonic() - started:.1f} s)")
        return 1
    report.line(f"self-test passed ({time.monotonic() - started:.1f} s)")
    return 0
