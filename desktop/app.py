"""The window's start-up and shut-down: one path for the app, the tests, the screenshots and
the benchmarks.

``await start(home)`` on a running qasync loop shows the main window at once, opens the library
on a worker thread (data folder, logging, migrations, job engine with crash recovery), starts
the in-process work pool on its own thread, and returns the window. ``await stop(window)``
hides the window at once, does what the person chose when quitting (``window.quit_choice``,
asked by ``ui/quit_dialog.py`` when work was running): the jobs the pool runs are handed back
to the queue (never canceled: the window may not have started them), the jobs started here are
canceled for *Cancel my work and quit*, and a headless worker is started for *Finish in the
background*; then it closes the library. No row is left ``running``. ``main()`` is what ``stylestudio`` runs without arguments.

Shutdown order (what keeps a closing library from being used): first nothing new starts (no
blocking call, no thumbnail decode, no engine event reaches the window), then every blocking
call and decode still running on a thread is awaited (canceling the task that awaits a call
does not stop its thread), then the pool stops, and only then does the library close.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.config import resolve_paths
from desktop.errors import LibraryBusy, UserError

if TYPE_CHECKING:  # the library's modules (SQLAlchemy, the engine) are imported after the first paint
    from desktop.jobs.pool_thread import PoolThread
    from desktop.runtime import Runtime
    from desktop.ui.application import StartupFrame
    from desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

STOP_GRACE = 1.0  # seconds a job being canceled gets to end when the window closes
STOP_TIMEOUT = STOP_GRACE + 6.0  # the pool's own shutdown is bounded by about grace + 3 s
# in-flight reads and writes end in well under a second; this bound is only for a call stuck
# behind another process's lock (SQLite's busy timeout is 10 s)
DRAIN_TIMEOUT = 15.0
WINDOW_STATE_FILE = "window.ini"  # QSettings for geometry and splitter, inside the data folder


async def start(home: str | os.PathLike[str] | None = None, *, verbose: bool = False, frame: StartupFrame | None = None) -> MainWindow:
    """Show the main window and open the library behind it. Raises UserError (one sentence)
    when the library cannot be opened; nothing is left running in that case. ``frame``: the
    start-up frame ``main`` showed, closed the moment the main window is shown in its place."""
    import asyncio

    from desktop.jobs.pool_thread import PoolThread
    from desktop.runtime import open_runtime
    from desktop.ui.application import close_startup_frame, has_application
    from desktop.ui.async_utils import run_blocking
    from desktop.ui.main_window import MainWindow
    from desktop.ui.responsiveness import job_cpu_threads

    if not has_application():
        raise RuntimeError("desktop.app.start() needs a QApplication and a running qasync loop")
    from desktop.ui import gui_gc

    paths = resolve_paths(home)
    window = MainWindow(settings_file=str(paths.home / WINDOW_STATE_FILE))
    gui_gc.window_opened()  # from now on cycles holding Qt objects are freed on this thread
    window.show()
    close_startup_frame(frame)  # the main window stands in its place now
    await asyncio.sleep(0)  # let the first paint happen before the library opens
    try:
        runtime = await run_blocking(open_runtime, home, verbose=verbose)
    except BaseException:
        _discard(window)
        raise
    try:
        pool = runtime.engine.pool(
            max_parallel=max(1, runtime.settings.max_parallel), cpu_threads=job_cpu_threads()
        )
        pool_thread = PoolThread(pool, grace=STOP_GRACE)
        pool_thread.start()
    except BaseException:
        await run_blocking(runtime.close)
        _discard(window)
        raise
    window.attach(runtime, pool_thread)
    log.info("Window ready (pool of %d)", pool.max_parallel)
    return window


def _discard(window: MainWindow) -> None:
    from desktop.ui import gui_gc

    window.stopped = True
    window.shutdown()
    window.close()
    window.deleteLater()
    gui_gc.window_closed()


def _end_own_running(runtime: Runtime) -> int:
    """Blocking: any row this process still holds as running is handed back to the queue, or
    ends as interrupted when a cancel was asked for (only when the pool did not stop in time;
    the updates are fenced on owner and attempt)."""
    from desktop.jobs.hand_back import HANDED_BACK
    from desktop.jobs.model import INTERRUPTED_ERROR

    engine = runtime.engine
    count = 0
    try:
        for row in engine.store.running():
            if row.owner != engine.owner:
                continue
            if engine.store.hand_back(row, HANDED_BACK) is not None:
                log.info("[job %d] handed back to the queue as the window closed", row.id)
                count += 1
            elif engine.store.recover_fail(row, INTERRUPTED_ERROR) is not None:
                log.warning("[job %d] failed: Style Studio closed while it was running", row.id)
                count += 1
    except LibraryBusy:  # locked by another program: the next start recovers the row
        log.warning("The library is locked; a job left running is recovered at the next start")
    return count


# --- *Finish in the background*: a `stylestudio worker --exit-when-idle` started detached, so
# the work handed back goes on headless until the queue is empty (the window shows the outcome
# when it is opened again: the rows are the truth)
def worker_command(home: str | os.PathLike[str]) -> list[str]:
    """The command line of a headless worker for the library in ``home`` (the frozen app is its
    own command line; a source or pip install runs the package)."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "desktop.cli"]
    return [*program, "--home", str(home), "worker", "--exit-when-idle"]


BACKGROUND_WORKERS: list[subprocess.Popen[bytes]] = []  # kept, so no "still running" warning is given for them


def start_background_worker(home: str | os.PathLike[str]) -> subprocess.Popen[bytes] | None:
    """Start the worker detached (it outlives this process; its lines go to the log file);
    returns its process, or None when it could not be started (said in the log: the work
    stays queued for the next start or any worker)."""
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        options["start_new_session"] = True  # not stopped with the terminal or session of the window
    try:
        proc = subprocess.Popen(  # noqa: S603 - our own program, no shell
            worker_command(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=str(Path(home)),
            close_fds=True,
            **options,  # type: ignore[arg-type]
        )
    except OSError:
        log.warning("Could not start a worker to finish the work in the background; it stays queued", exc_info=True)
        return None
    BACKGROUND_WORKERS.append(proc)
    log.info("A worker (process %d) finishes the queued work in the background", proc.pid)
    return proc


def _cancel_mine(runtime: Runtime, job_ids: set[int]) -> int:
    """Blocking: *Cancel my work and quit*: the active jobs started in this window are canceled
    (a queued one at once, a running one by its worker); returns how many were asked."""
    count = 0
    for job_id in sorted(job_ids):
        row = runtime.engine.get(job_id)
        if row is not None and row.is_active and runtime.engine.store.request_cancel(job_id) is not None:
            count += 1
    return count


def _finish_in_background(runtime: Runtime) -> bool:
    """Blocking: *Finish in the background*: a detached headless worker when work is queued."""
    if runtime.engine.store.next_due() is None:
        return False
    return start_background_worker(runtime.paths.home) is not None


async def stop(window: MainWindow) -> None:
    """Shut the window's world down in bounded time: no row is left ``running``, and no thread
    of the window's still uses the library when it closes. The window is hidden first: what
    follows (handing work back, ending the pool) goes on unseen."""
    from desktop.ui import gui_gc
    from desktop.ui.async_utils import (
        end_window_generation,
        refuse_blocking,
        run_shutdown_step,
        wait_in_flight,
    )
    from desktop.ui.quit_dialog import QuitChoice

    if window.stopped:
        return
    window.stopped = True
    refuse_blocking()  # before anything else: a task woken below starts no new read
    choice = window.quitting.choice
    started_here = window.following.started_ids()
    window.hide()  # the window closes at once, whatever was chosen
    window.shutdown()
    pool_thread: PoolThread | None = window.pool_thread
    runtime: Runtime | None = window.runtime
    try:
        await _cancel_window_tasks()  # refreshes, fetches... nothing of theirs matters any more
        if not await wait_in_flight(DRAIN_TIMEOUT):
            log.warning("Blocking calls were still running %.0f s after the window closed", DRAIN_TIMEOUT)
        if not await run_shutdown_step(window.join_threads, DRAIN_TIMEOUT):
            log.warning("A thumbnail was still being decoded %.0f s after the window closed", DRAIN_TIMEOUT)
        if runtime is not None and choice == QuitChoice.CANCEL_MINE and started_here:
            await run_shutdown_step(_cancel_mine, runtime, started_here)
        if pool_thread is not None:  # what it runs goes back to the queue, unless being canceled
            ended = await run_shutdown_step(pool_thread.stop, STOP_TIMEOUT, hand_back=True)
            if not ended:
                log.warning("The work pool did not stop within %.0f s", STOP_TIMEOUT)
        if runtime is not None:
            await run_shutdown_step(_end_own_running, runtime)
            if choice == QuitChoice.BACKGROUND:
                await run_shutdown_step(_finish_in_background, runtime)
            await run_shutdown_step(runtime.close)
    finally:
        # tasks started while closing (a queued signal, a timer) could do nothing, but one
        # left pending would wake up after a next start() allows blocking calls again
        await _cancel_window_tasks()
        end_window_generation()  # its tasks stay refused; a next window's may run
        window.close()
        window.deleteLater()  # (no await after this: nothing may touch the deleted window)
        gui_gc.window_closed()
    log.info("Window closed")


async def _cancel_window_tasks() -> None:
    """Cancel the window's tasks and await their end (a few rounds, for ones started meanwhile;
    a task started later still cannot reach a library: it belongs to a closed window)."""
    import asyncio

    from desktop.ui.async_utils import pending_tasks

    current = asyncio.current_task()
    for _round in range(3):
        tasks = [t for t in pending_tasks() if t is not current]
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        _done, stuck = await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT)
        if stuck:
            log.warning("%d window tasks did not end when canceled", len(stuck))
            return


def stop_blocking(window: MainWindow) -> None:
    """The same as ``stop`` without an event loop, for when Qt is quitting under us (session
    end): blocks the GUI thread for at most about ``2 * DRAIN_TIMEOUT + STOP_TIMEOUT``."""
    from desktop.ui.async_utils import (
        end_window_generation,
        pending_tasks,
        refuse_blocking,
        wait_in_flight_blocking,
    )

    if window.stopped:
        return
    window.stopped = True
    refuse_blocking()
    window.shutdown()
    for task in pending_tasks():  # (no loop turn to await them in: their calls are awaited below)
        task.cancel()
    if not wait_in_flight_blocking(DRAIN_TIMEOUT):
        log.warning("Blocking calls were still running %.0f s after Qt quit", DRAIN_TIMEOUT)
    if not window.join_threads(DRAIN_TIMEOUT):
        log.warning("A thumbnail was still being decoded %.0f s after Qt quit", DRAIN_TIMEOUT)
    if window.pool_thread is not None:  # (as when the window closes: work goes back to the queue)
        window.pool_thread.stop(STOP_TIMEOUT, hand_back=True)
    if window.runtime is not None:
        _end_own_running(window.runtime)
        window.runtime.close()
    end_window_generation()
    log.info("Window closed (Qt quit)")


def _log_startup_failure(home: str | os.PathLike[str] | None) -> None:
    """The traceback goes to the log file (set up here if start-up failed before it was)."""
    from desktop.logs import setup_logging

    try:
        setup_logging(resolve_paths(home).log_file)
        log.exception("Start-up failed")
    except Exception:  # nowhere to write it: stay quiet rather than print a traceback
        pass


def main(home: str | os.PathLike[str] | None = None, verbose: bool = False) -> int:
    """``stylestudio`` with no arguments: the window. Returns the exit code.

    The window's frame is shown the moment Qt is up (``show_startup_frame``: the main window's
    size and place, painted); everything else (the event loop, the window's modules and
    SQLAlchemy, the library, the work pool, the gallery) comes after that first paint."""
    from desktop.ui.application import close_startup_frame, ensure_application, show_startup_frame

    app = ensure_application(version=False)
    try:
        state_file: str | None = str(resolve_paths(home).home / WINDOW_STATE_FILE)
    except UserError:  # an empty --home: start() says so in its message box
        state_file = None
    frame = show_startup_frame(state_file)

    import qasync

    from desktop.ui.application import on_interrupt, set_version, show_startup_error
    from desktop.ui.async_utils import signal_future

    set_version(app)
    logging.getLogger().addHandler(logging.NullHandler())  # no traceback ever reaches stderr
    state: dict[str, MainWindow] = {}

    def quit_requested() -> None:  # Ctrl+C in the terminal: close like the window's button
        window = state.get("window")
        if window is not None:
            window.closeRequested.emit()
        else:
            app.quit()

    def qt_quitting() -> None:  # the session ends: no loop left to await stop() on
        window = state.get("window")
        if window is not None:
            stop_blocking(window)

    app.aboutToQuit.connect(qt_quitting)
    on_interrupt(quit_requested)

    async def run() -> int:
        try:
            try:
                window = await start(home, verbose=verbose, frame=frame)
            finally:
                close_startup_frame(frame)  # (when start failed before the main window showed)
        except UserError as exc:
            await show_startup_error(str(exc))
            return 2
        except Exception:
            _log_startup_failure(home)
            await show_startup_error("Something went wrong while opening the library; the details are in the log.")
            return 1
        state["window"] = window
        await signal_future(window.closeRequested)
        await stop(window)
        return 0

    try:
        return int(qasync.run(run()))
    except RuntimeError:  # Qt quit before run() finished (qt_quitting has stopped everything)
        window = state.get("window")
        return 0 if window is None or window.stopped else 1
