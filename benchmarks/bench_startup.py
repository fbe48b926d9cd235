"""How fast Style Studio starts: the window, the command line, one ``generate``.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--styles 200] [--skip-window]

* **Window visible** on a real X server (``Xvfb``, started here on a free display): from
  starting the process to the X server mapping its top-level window (``MapNotify``, read from
  ``xev -root -event substructure``), for ``stylestudio`` on a library of ``--styles`` styles
  against a bare PySide6 ``QMainWindow`` started the same way; median of ``--runs``, the two
  alternated. Style Studio's first window is its start-up frame (the main window's size and
  place); the main window mapped in its place is reported on a line of its own. Needs the Debian packages ``xvfb`` and ``x11-utils``; skipped with a line without
  them.
* **Command line**: ``stylestudio styles list``, ``jobs list`` and ``--help`` against
  ``stylestudio --version`` (the interpreter and the entry point only), whole processes,
  median of ``--runs``.
* **One generate**, whole process (``stylestudio generate "warm film"``), median of ``--runs``.

Ratios are measured in this run (the machines are shared; absolute times drift). Not part of
the test suite; the README's performance section quotes its figures.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CLI = [sys.executable, "-m", "desktop.cli"]
BARE = (
    "import sys\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv)\n"
    "w = QMainWindow(); w.setWindowTitle('bare'); w.resize(1024, 640); w.show()\n"
    "app.exec()\n"
)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:])} failed: {done.stderr.strip()[-300:]}")
    return took


class XServer:
    def __init__(self) -> None:
        # -displayfd: the server picks a free display itself and writes its number when it is
        # ready for clients (no race with another X server starting at the same time)
        read, write = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write,))
        os.close(write)
        ready, _, _ = select.select([read], [], [], 30)
        number = os.read(read, 64).decode().strip() if ready else ""
        os.close(read)
        if not number.isdigit():
            self.proc.kill()
            raise SystemExit("Xvfb did not start")
        self.display = f":{number}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def time_to_map(self, cmd: list[str], env: dict[str, str]) -> float:
        """Seconds from starting ``cmd`` to the first top-level window mapped on the display."""
        return self.times_to_maps(cmd, env, 1)[0]

    def times_to_maps(self, cmd: list[str], env: dict[str, str], count: int) -> list[float]:
        """Seconds from starting ``cmd`` to each of the first ``count`` top-level windows mapped
        on the display (Style Studio: its start-up frame, then the main window in its place)."""
        # line-buffered (a piped xev would hold its lines); xev prints nothing until an event,
        # so give it a moment to select the root window's events before the clock starts
        # (a loaded X server may refuse a connection now and then: xev ends at once, try again)
        for _attempt in range(20):
            watch = subprocess.Popen(["stdbuf", "-oL", "xev", "-display", self.display, "-root", "-event", "substructure"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            if watch.poll() is None:
                break
        try:
            assert watch.stdout is not None
            t0 = time.perf_counter()
            app = subprocess.Popen(cmd, env={**env, "DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                deadline = time.monotonic() + 120
                seen = b""
                times: list[float] = []
                fd = watch.stdout.fileno()
                while time.monotonic() < deadline:
                    ready, _, _ = select.select([fd], [], [], 0.5)
                    if ready:
                        seen += os.read(fd, 65536)
                        while seen.count(b"MapNotify") > len(times):
                            times.append(time.perf_counter() - t0)
                        if len(times) >= count:
                            return times[:count]
                    elif app.poll() is not None:
                        raise SystemExit(f"{cmd[-1]} ended (exit {app.returncode}) before showing a window")
                raise SystemExit("the window did not appear within 120 s")
            finally:
                os.killpg(app.pid, signal.SIGTERM)
                try:
                    app.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(app.pid, signal.SIGKILL)
                    app.wait()
        finally:
            watch.kill()
            watch.wait()


def make_library(home: Path, styles: int) -> None:
    from desktop.resources import sample_photos

    ref = str(sample_photos()[1])
    made = 0
    while made < styles:
        batch = min(20, styles - made)
        for i in range(batch):
            subprocess.run([*CLI, "--home", str(home), "generate", f"warm film {made + i}", "--reference", ref, "--enqueue"],
                           capture_output=True, check=True, timeout=600)
        subprocess.run([*CLI, "--home", str(home), "worker", "--exit-when-idle"], capture_output=True, check=True, timeout=3600)
        made += batch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--styles", type=int, default=200)
    ap.add_argument("--skip-window", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        home = work / "home"
        print(f"making a library of {args.styles} styles…", flush=True)
        make_library(home, args.styles)
        # as an installed app runs: its modules' bytecode cached (kept out of the source tree)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(STYLESTUDIO_HOME=str(home), PYTHONPYCACHEPREFIX=str(work / "pycache"))

        if args.skip_window:
            print("window: skipped (--skip-window)")
        elif not (shutil.which("Xvfb") and shutil.which("xev") and shutil.which("xdpyinfo")):
            print("window: skipped (needs the Debian packages xvfb and x11-utils)")
        else:
            x = XServer()
            try:
                ours: list[float] = []
                whole: list[float] = []  # the main window, mapped in the frame's place
                bare: list[float] = []
                bare_file = work / "bare.py"
                bare_file.write_text(BARE)
                for r in range(args.runs):
                    pair = [("bare", [sys.executable, str(bare_file)]), ("ours", [*CLI, "--home", str(home)])]
                    for name, cmd in pair if r % 2 == 0 else pair[::-1]:
                        if name == "bare":
                            bare.append(x.time_to_map(cmd, env))
                        else:
                            frame, main_window = x.times_to_maps(cmd, env, 2)
                            ours.append(frame)
                            whole.append(main_window)
                mo, mw, mb = statistics.median(ours), statistics.median(whole), statistics.median(bare)
                print(f"window visible, {args.styles} styles: Style Studio {', '.join(f'{t * 1000:.0f}' for t in ours)} ms "
                      f"(median {mo * 1000:.0f}); bare QMainWindow {', '.join(f'{t * 1000:.0f}' for t in bare)} ms "
                      f"(median {mb * 1000:.0f}): {mo / mb:.2f}x the bare window")
                print(f"main window in its place: {', '.join(f'{t * 1000:.0f}' for t in whole)} ms "
                      f"(median {mw * 1000:.0f}): {mw / mb:.2f}x the bare window")
            finally:
                x.close()

        commands = {
            "--version": ["--version"],
            "styles list": ["styles", "list"],
            "jobs list": ["jobs", "list"],
            "--help": ["--help"],
        }
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed([*CLI, "--home", str(home), *argv], env))
        base = statistics.median(times["--version"])
        for name, values in times.items():
            med = statistics.median(values)
            print(f"stylestudio {name}: {', '.join(f'{t * 1000:.0f}' for t in values)} ms (median {med * 1000:.0f}), "
                  f"{med / base:.2f}x --version")

        gen = [timed([*CLI, "--home", str(work / f"gen{i}"), "generate", "warm film"], env) for i in range(args.runs)]
        print(f"stylestudio generate (one style, whole process, new library): {', '.join(f'{t:.2f}' for t in gen)} s "
              f"(median {statistics.median(gen):.2f})")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
