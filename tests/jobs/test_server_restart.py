"""A PostgreSQL server that goes away: restarted, or a connection cut just after a commit.

These tests restart the server, so they start a throw-away one of their own (``.ci/postgres
start``; never the shared test server) and stop it at the end, always. Without PostgreSQL's
server binaries they skip, or fail under ``STYLESTUDIO_REQUIRE_POSTGRES=1``, like tests/pg.py.
"""

from __future__ import annotations

import glob
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.jobs import events, registry
from desktop.jobs.events import JobEvent
from desktop.jobs.model import Ending, JobStatus
from desktop.runtime import open_runtime
from tests.helpers import REPO, run_pool, wait_until
from tests.pg import NO_DRIVER, RawSQL, _skip_or_fail
from tests.ui.conftest import aloop, window  # noqa: F401 - the window fixtures

pytestmark = pytest.mark.postgres
CI_POSTGRES = REPO / ".ci" / "postgres"
NOOP = "test.restart_noop"


@registry.register(NOOP, title="Test: a job the test claims by hand")
async def _noop(ctx, payload):  # pragma: no cover - never run by a pool here
    return None


def _have_server_binaries() -> bool:
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return True
    return any(os.access(os.path.join(d, "pg_ctl"), os.X_OK) for d in glob.glob("/usr/lib/postgresql/*/bin"))


@pytest.fixture(scope="module")
def own_server() -> Iterator[dict[str, str]]:
    """A PostgreSQL server of this module alone: {"url": ..., "dir": ...}."""
    if not _have_server_binaries():
        _skip_or_fail("Restarting PostgreSQL needs its server binaries (initdb, pg_ctl); install them with: apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _skip_or_fail(NO_DRIVER)
    started = subprocess.run([str(CI_POSTGRES), "start"], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    found = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if line.startswith("export "))
    server = {"url": found["STYLESTUDIO_TEST_POSTGRES_URL"], "dir": found["STYLESTUDIO_TEST_POSTGRES_DIR"]}
    try:
        yield server
    finally:
        subprocess.run([str(CI_POSTGRES), "stop", server["dir"]], capture_output=True, timeout=120)


def restart(server: dict[str, str]) -> None:
    done = subprocess.run([str(CI_POSTGRES), "restart", server["dir"]], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def url(own_server, home, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on this module's server, named by STYLESTUDIO_DATABASE_URL (made and
    dropped on connections of their own: the server restarts in between)."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(own_server["url"])
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"stylestudio_restart_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = server.set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", database_url)
    try:
        yield database_url
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Recorder:
    def __init__(self) -> None:
        self.states: list[str] = []

    def __call__(self, event: JobEvent) -> None:
        if event.kind == events.LIBRARY_STATE:
            self.states.append(str(event.message))


# --- the store -------------------------------------------------------------------------------


def test_a_store_whose_server_restarted_between_two_calls_answers_the_second(url, own_server, home):
    rt = open_runtime(home, watch_external=False)
    try:
        seen = Recorder()
        rt.engine.watch(seen)
        first = rt.engine.enqueue(NOOP)
        assert rt.engine.get(first).status == JobStatus.QUEUED
        restart(own_server)  # the store's connection is now closed by the server
        second = rt.engine.enqueue(NOOP)  # a write, on a new connection
        rows = rt.engine.list()
        assert sorted(r.id for r in rows) == [first, second]  # answered, and made once
        assert seen.states == [events.RECONNECTING_MESSAGE, events.RECONNECTED_MESSAGE]
        restart(own_server)
        assert rt.engine.get(first).status == JobStatus.QUEUED  # a read too
        assert seen.states[2:] == [events.RECONNECTING_MESSAGE, events.RECONNECTED_MESSAGE]
    finally:
        rt.close()


class CuttingProxy:
    """A TCP proxy on loopback in front of the server. ``cut_after_next_answer()``: the next
    statement reaches the server and is answered (so it committed), but the answer is thrown
    away and the connection cut, as a network failure at the worst moment would."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.cuts = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after_next_answer(self) -> None:
        self.armed.set()

    def close(self) -> None:
        self._stop = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        cutting = False  # the client's statement went through: swallow the answer, then cut
        answer = b""
        try:
            while True:
                ready, _, _ = select.select([client, server], [], [], 30)
                if not ready:
                    continue
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    if not cutting and self.armed.is_set():
                        self.armed.clear()
                        cutting = True
                    server.sendall(data)
                if server in ready:
                    data = server.recv(65536)
                    if not data:
                        return
                    if not cutting:
                        client.sendall(data)
                        continue
                    answer += data
                    if _ready_for_query(answer):  # the server committed and is done with it
                        self.cuts += 1
                        return
        except OSError:
            return
        finally:
            client.close()
            server.close()


def _ready_for_query(stream: bytes) -> bool:
    """True when ``stream`` (server messages: a type byte, then a 4-byte length) holds a
    ReadyForQuery ('Z') message."""
    at = 0
    while at + 5 <= len(stream):
        kind = stream[at : at + 1]
        (length,) = struct.unpack("!I", stream[at + 1 : at + 5])
        if kind == b"Z":
            return True
        at += 1 + length
    return False


@pytest.fixture
def proxied(url, home, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, CuttingProxy]]:
    """The library opened through a ``CuttingProxy``."""
    from sqlalchemy.engine import make_url

    real = make_url(url)
    proxy = CuttingProxy(real.port)
    open_runtime(home, watch_external=False).close()  # migrate through the real port
    monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", real.set(port=proxy.port).render_as_string(hide_password=False))
    rt = open_runtime(home, watch_external=False)
    try:
        yield rt, proxy
    finally:
        rt.close()
        proxy.close()


def test_a_claim_whose_answer_was_lost_is_not_made_twice(proxied):
    rt, proxy = proxied
    first, second = rt.engine.enqueue(NOOP), rt.engine.enqueue(NOOP)
    proxy.cut_after_next_answer()
    row = rt.engine.store.claim(rt.engine.owner, 30.0)
    assert proxy.cuts == 1
    # the claim committed before its answer was lost: it is that job, claimed once, and the
    # second job was not claimed in its place (it would have been left running for nobody)
    assert row is not None and row.id == first and row.attempts == 1
    assert rt.engine.get(second).status == JobStatus.QUEUED
    finished = rt.engine.store.finish(row, Ending(JobStatus.SUCCEEDED, "Done"))
    assert finished is not None and finished.status == JobStatus.SUCCEEDED


def test_a_finish_and_an_enqueue_whose_answers_were_lost_are_reported_done_once(proxied):
    rt, proxy = proxied
    job = rt.engine.enqueue(NOOP)
    row = rt.engine.store.claim(rt.engine.owner, 30.0)
    assert row is not None and row.id == job
    proxy.cut_after_next_answer()
    finished = rt.engine.store.finish(row, Ending(JobStatus.SUCCEEDED, "Done"))
    assert proxy.cuts == 1
    assert finished is not None and finished.status == JobStatus.SUCCEEDED  # not "no longer ours"
    proxy.cut_after_next_answer()
    again = rt.engine.enqueue(NOOP)
    assert proxy.cuts == 2
    assert sorted(r.id for r in rt.engine.list()) == [job, again]  # one new job, not two


# --- the window -------------------------------------------------------------------------------


@pytest.fixture
def pg_window(url, window):  # noqa: F811 - the window, opened on ``url`` (set up first)
    return window


def test_the_window_says_it_is_reconnecting_in_its_status_bar(own_server, pg_window):
    """The window's own work pool loses its connection; the status bar says so, then that the
    library is back."""
    from tests.ui.conftest import wait_until as process_events_until

    win = pg_window
    shown: list[str] = []
    win.statusBar().messageChanged.connect(shown.append)
    job = win.runtime.engine.enqueue(NOOP)
    restart(own_server)
    process_events_until(lambda: events.RECONNECTED_MESSAGE in shown, timeout=120)
    assert shown.index(events.RECONNECTING_MESSAGE) < shown.index(events.RECONNECTED_MESSAGE)
    assert win.runtime.engine.get(job) is not None


# --- two workers and a batch ---------------------------------------------------------------------

COUNT = 20  # photos per batch; two batches, one per worker
SIZE = (1600, 1200)  # big enough that a batch takes a while on a loaded machine


def _worker(home: Path, log_dir: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    output = log_dir / f"{name}.txt"
    env = dict(os.environ, STYLESTUDIO_HOME=str(home))
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktop.cli", "worker", "--max-parallel", "1"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
    return proc, output


def test_a_batch_run_by_two_workers_survives_a_server_restart(url, own_server, home, tmp_path):
    from desktop.pipelines.apply.request import batch_items, enqueue_apply
    from desktop.pipelines.generate.request import enqueue_style
    from tests.batch.conftest import photo

    rt = open_runtime(home)
    workers: list[tuple[subprocess.Popen[bytes], Path]] = []
    holds: list[RawSQL] = []
    try:
        made = enqueue_style(rt, "warm film grain with a vignette", previews=1, size=64, seed=7)
        run_pool(rt, timeout=120)
        style = int(rt.engine.require(made).result_dict()["id"])
        for b in range(2):
            for i in range(COUNT):
                photo(tmp_path / f"in{b}" / f"p{i:02}.jpg", size=SIZE, colour=(i * 15, 100 + b * 50, 200))

        def enqueue(b: int) -> tuple[int, Path]:
            out = tmp_path / f"out{b}"
            return enqueue_apply(rt, style, [tmp_path / f"in{b}"], out=out), out

        def done(job: int) -> int:
            return sum(i.status == "done" for i in batch_items(rt.db, job))

        def running(job: int) -> str | None:
            row = rt.engine.require(job)
            return row.owner if row.status == JobStatus.RUNNING else None

        def hold_last_item(job: int) -> RawSQL:
            """Lock the row of the batch's last photo: no worker can take that photo (a claim
            skips a locked row), so the batch is still running at the restart whatever the
            machine's speed; the restart cuts this session, which frees it."""
            conn = RawSQL(rt.db)
            conn.execute("BEGIN")
            conn.execute("SELECT position FROM job_items WHERE job_id = ? ORDER BY position DESC LIMIT 1 FOR UPDATE", (job,))
            return conn

        # one batch per worker: the second is queued once the first worker is busy with the
        # first (one job at a time) and the second worker is up
        batches = [enqueue(0)]
        holds.append(hold_last_item(batches[0][0]))  # (no worker runs yet)
        workers.append(_worker(home, tmp_path, "worker0"))
        wait_until(lambda: running(batches[0][0]), timeout=240, interval=0.05)
        workers.append(_worker(home, tmp_path, "worker1"))
        wait_until(lambda: "Worker running" in workers[1][1].read_text(), timeout=240, interval=0.05)
        rt.engine.pause("style.apply")  # queued, held, and only then taken
        batches.append(enqueue(1))
        holds.append(hold_last_item(batches[1][0]))
        rt.engine.resume("style.apply")
        # both batches running, on two workers, some photos done, neither finished
        wait_until(lambda: done(batches[1][0]) > 0, timeout=240, interval=0.05)
        assert all(0 < done(job) < COUNT for job, _ in batches), [done(job) for job, _ in batches]
        assert len({running(job) for job, _ in batches} - {None}) == 2
        restart(own_server)

        def ended() -> bool:
            return all(rt.engine.require(job).is_finished for job, _ in batches)

        wait_until(ended, timeout=300, interval=0.2)
        for (proc, output) in workers:
            assert proc.poll() is None, output.read_text()  # still running: they reconnected
        texts = [output.read_text() for _, output in workers]
        for job, out in batches:
            row = rt.engine.require(job)
            assert row.status == JobStatus.SUCCEEDED, (row.error, texts)
            items = batch_items(rt.db, job)
            assert [i.status for i in items] == ["done"] * COUNT, [(i.input, i.status, i.error) for i in items]
            names = sorted(p.name for p in out.iterdir())
            assert names == [f"p{i:02}.jpg" for i in range(COUNT)]  # once each, no " (2)", no temp files
            assert sorted(os.path.basename(i.output or "") for i in items) == names
        for text in texts:
            assert events.RECONNECTING_MESSAGE in text, text
            assert events.RECONNECTED_MESSAGE in text, text
        assert not [r for r in rt.engine.list() if r.status == JobStatus.FAILED]
    finally:
        for hold in holds:
            try:
                hold.close()  # (its session was cut by the restart)
            except Exception:  # noqa: BLE001 - a closed connection is all we want
                pass
        for proc, _ in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc, _ in workers:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        rt.close()


def test_a_bulk_enqueue_whose_answer_was_lost_queues_each_job_once(proxied):
    rt, proxy = proxied
    proxy.cut_after_next_answer()
    ids = rt.engine.enqueue_many(NOOP, [{"n": i} for i in range(50)])
    assert proxy.cuts == 1
    # the statement had committed: its rows were found and returned, not inserted again
    assert len(ids) == 50 and ids == sorted(ids)
    rows = sorted(rt.engine.list(limit=200), key=lambda r: r.id)
    assert [r.id for r in rows] == ids
    assert [r.payload_dict() for r in rows] == [{"n": i} for i in range(50)]
