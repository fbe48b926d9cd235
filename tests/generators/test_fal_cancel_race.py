"""A canceled fal job never leaves its request running on fal, whatever await it was at.

The tests run a real ``stylestudio worker`` process (one for all the await points, a new one
per stop) against a fake fal server on 127.0.0.1 that holds one endpoint
(``FakeFalServer.hold``) until the test releases it. The job is
canceled while the worker waits at that await (the submit, the first poll, a later poll, the
sleep between polls, the result fetch, an image download, the cancel call itself); the hold
lasts until the job has ended or the pool has interrupted its task (its 2 s grace), so both
ways a job is stopped are met there. Then:

* the row ends ``canceled`` only once the server has received ``PUT …/cancel`` for that
  request id (it had arrived when the row was seen ended, no later than its ``finished_at``),
  and the cancel was sent exactly once (counted again once every repetition has ended);
* or, at the result fetch and the downloads, fal had already said the request was over
  (COMPLETED): nothing is left to cancel, and no cancel is sent.

Every point is run ``REPEATS`` times in a row (``STYLESTUDIO_RACE_REPEATS`` raises it) to
show the outcome is the same each time, not a lucky timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

import pytest

from desktop.generators.fal import NOT_CANCELED, SUBMIT_UNANSWERED
from desktop.logs import job_log_lines
from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import open_runtime
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault
from tests.helpers import spawn_cli, wait_until

KEY = "race-key-id-5e1b:race-secret-8d2f0a9c7b6e4d3c"
REPEATS = int(os.environ.get("STYLESTUDIO_RACE_REPEATS", "3"))
STOP_REPEATS = max(1, REPEATS - 1)  # each one starts a worker again
FORCED = "did not stop within"  # the pool's line when it interrupts a task after its grace
ENGINE_LOG = "desktop.jobs.engine:"  # this process's lines (it logs a cancel request too)

pytestmark = pytest.mark.timeout(300)


@dataclass(frozen=True)
class Point:
    route: str | None  # the endpoint held (None: nothing held, cancel between two polls)
    skip: int = 0  # requests to that route let through first
    long: bool = True  # fal keeps the request queued (else it completes after one poll)
    cancel_expected: bool = True  # False: fal said COMPLETED before, nothing to cancel
    # the job's message once the worker waits there: seen in the row, no progress write is
    # pending, so the cancel reaches the job through the pool (which logs it and, after its
    # grace, interrupts the task), not through a progress write
    message: str | None = None


SENDING = "Sending the request to fal.ai"
POINTS = {
    "submit": Point("submit", message=SENDING),
    "first poll": Point("status", message="In queue (position 401)"),
    "a later poll": Point("status", skip=2, message="In queue (position 400)"),
    "between polls": Point(None),
    "the cancel call": Point("cancel"),
    "result fetch": Point("result", long=False, cancel_expected=False, message="fal: drawing"),
    "image download": Point("image", long=False, cancel_expected=False, message="Downloading images"),
}


class Worker:
    """A real ``stylestudio worker`` on a library, and this test's view of that library."""

    def __init__(self, home, fal: FakeFalServer, *extra: str) -> None:
        env = {"FAL_KEY": KEY, "STYLESTUDIO_FAL_QUEUE_URL": fal.base_url}
        self.rt = open_runtime(home)
        self.rt.settings.fal_queue_url = fal.base_url
        self._start = lambda: spawn_cli("worker", "--max-parallel", "1", *extra, home=home, env=env)
        self.proc = self._start()

    def restart(self) -> None:
        """A new worker process once this one has exited (after a stop)."""
        self.proc.communicate(timeout=60)
        self.rt.paths.log_file.unlink(missing_ok=True)
        self.proc = self._start()

    def whole_log(self) -> str:
        try:
            return self.rt.paths.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def enqueue(self) -> int:
        return enqueue_style(self.rt, "neon harbour", backend="fal", previews=1, size=64)

    def log(self, job_id: int) -> str:
        """The worker's log lines of the job (not this process's)."""
        return "\n".join(line for line in job_log_lines(self.rt.paths.log_file, job_id) if ENGINE_LOG not in line)

    def row(self, job_id: int):
        return self.rt.engine.get(job_id)

    def wait_ended(self, job_id: int, timeout: float = 60.0):
        wait_until(lambda: self.row(job_id).is_finished, timeout=timeout, interval=0.05)
        return self.row(job_id)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
        self.rt.close()


def _script(long: bool) -> FalScript:
    if long:  # stays in the queue for the whole test
        return FalScript(key=KEY, queue_positions=list(range(400, 0, -1)))
    return FalScript(key=KEY, queue_positions=[0], progress_logs=["drawing"])


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One fake fal and one worker for every await point (a worker takes seconds to start),
    in an environment like tests/conftest.py's ``isolated_env`` (which is per test)."""
    home = tmp_path_factory.mktemp("race-home")
    with pytest.MonkeyPatch.context() as env, FakeFalServer(_script(long=True)) as fal:
        env.setenv("STYLESTUDIO_HOME", str(home))
        env.setenv("STYLESTUDIO_RETRY_BASE_SECONDS", "0.05")
        env.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        for name in ("STYLESTUDIO_DATABASE_URL", "STYLESTUDIO_LIBRARY_DIR", "STYLESTUDIO_RESOURCES"):
            env.delenv(name, raising=False)
        worker = Worker(home, fal)
        try:
            yield fal, worker
        finally:
            worker.stop()


def _polls_of(fal: FakeFalServer, request_id: str) -> int:
    return sum(1 for r in fal.requests_to("status") if r.extra.get("request_id") == request_id)


def _cancel_at(worker: Worker, fal: FakeFalServer, point: Point) -> tuple[int, str]:
    """Queue a job, cancel it while the worker waits at ``point``, hold that await until the
    job has ended or the pool has interrupted it, then release: the job's id and its fal
    request id."""
    hold = fal.hold(point.route, skip=point.skip) if point.route else None
    submits_before = len(fal.requests_to("submit"))
    job_id = worker.enqueue()
    try:
        wait_until(lambda: len(fal.requests_to("submit")) > submits_before, timeout=60)
        submit = fal.requests_to("submit")[submits_before]
        request_id = str(wait_until(lambda: submit.extra.get("request_id"), timeout=30))
        if point.route == "cancel":  # the cancel call is what is held: cancel during the polls
            wait_until(lambda: _polls_of(fal, request_id) >= 1, timeout=60)
        elif hold is not None:
            hold.wait_arrived(60)
        else:  # between polls: the worker sleeps or polls again
            wait_until(lambda: _polls_of(fal, request_id) >= 2, timeout=60)
        if point.message is not None:
            wait_until(lambda: worker.row(job_id).message == point.message, timeout=30)
        worker.rt.engine.cancel(job_id)
        if point.route == "cancel":
            hold.wait_arrived(30)
        elif hold is not None:
            wait_until(lambda: "cancel requested" in worker.log(job_id), timeout=30, interval=0.05)
        if hold is not None:
            wait_until(lambda: worker.row(job_id).is_finished or FORCED in worker.log(job_id), timeout=30, interval=0.05)
    finally:
        if hold is not None:
            hold.release()
    return job_id, request_id


@pytest.mark.parametrize("name", list(POINTS))
def test_a_job_canceled_at_each_await_ends_canceled_only_after_fal_has_the_cancel(shared, monkeypatch, name) -> None:
    fal, worker = shared
    monkeypatch.setenv("FAL_KEY", KEY)
    point = POINTS[name]
    fal.script = _script(point.long)
    submits_before = len(fal.requests_to("submit"))
    ended = []
    for _ in range(REPEATS):
        job_id, request_id = _cancel_at(worker, fal, point)
        row = worker.wait_ended(job_id)
        # what the server had received at the moment the row was seen ended
        ended.append((job_id, request_id, row, fal.cancels_for(request_id), fal.jobs[request_id].completed))

    assert len(fal.requests_to("submit")) - submits_before == REPEATS  # nothing was retried
    for job_id, request_id, row, cancels_then, completed in ended:
        where = f"{name}, job {job_id}"
        assert row.status == "canceled", (where, row.status, row.error)
        assert row.error is None, where
        if point.cancel_expected:
            assert len(cancels_then) == 1, (where, "the row ended canceled before fal had the cancel")
            assert cancels_then[0].extra["received_at"] <= row.finished_at, where
            assert cancels_then[0].headers["authorization"] == f"Key {KEY}"
            assert len(fal.cancels_for(request_id)) == 1, (where, "the cancel was sent more than once")
        else:
            assert completed, where  # fal had said COMPLETED: nothing left to cancel
            assert fal.cancels_for(request_id) == [], where


@pytest.mark.parametrize("held", ["submit", "status"])
def test_a_worker_stopped_while_fal_holds_a_request_cancels_it_before_it_exits(home, monkeypatch, held) -> None:
    """SIGTERM while fal holds the submit or a poll: once its grace is over the pool asks the
    job to stop (then interrupts it); the request is canceled on fal before the row ends."""
    monkeypatch.setenv("FAL_KEY", KEY)
    with FakeFalServer(_script(long=True)) as fal:
        worker = Worker(home, fal, "--grace", "2")
        outcomes = []
        try:
            for number in range(STOP_REPEATS):
                if number:
                    worker.restart()
                hold = fal.hold(held)
                job_id = worker.enqueue()
                try:
                    hold.wait_arrived(60)
                    worker.proc.send_signal(signal.SIGTERM)
                    wait_until(lambda: "Stopping: waiting" in worker.whole_log(), timeout=30, interval=0.05)
                finally:
                    hold.release()
                row = worker.wait_ended(job_id)
                (submit,) = fal.requests_to("submit")[-1:]
                request_id = submit.extra["request_id"]
                outcomes.append((row, request_id, fal.cancels_for(request_id)))
        finally:
            worker.stop()
        every_cancel = fal.requests_to("cancel")

    for row, request_id, cancels_then in outcomes:
        assert row.status == "canceled", (row.status, row.error)
        assert row.message == "Canceled because the worker stopped"
        assert len(cancels_then) == 1 and cancels_then[0].extra["received_at"] <= row.finished_at
        assert [r.extra["request_id"] for r in every_cancel].count(request_id) == 1


def test_a_cancel_fal_never_gets_leaves_the_job_failed_with_a_sentence(home, monkeypatch) -> None:
    """The connection drops at every cancel call: fal may still run the request, so the row
    does not say ``canceled`` but why, with the request id to look for on fal."""
    monkeypatch.setenv("FAL_KEY", KEY)
    script = _script(long=True)
    script.faults.append(Fault("cancel", drop=True, times=None))
    with FakeFalServer(script) as fal:
        worker = Worker(home, fal)
        try:
            job_id = worker.enqueue()
            wait_until(lambda: fal.requests_to("status"), timeout=60)
            worker.rt.engine.cancel(job_id)
            row = worker.wait_ended(job_id)
            (submit,) = fal.requests_to("submit")
        finally:
            worker.stop()
        tries = fal.cancels_for(submit.extra["request_id"])

    assert row.status == "failed" and row.attempts == 1  # not retried either
    assert row.error == NOT_CANCELED.format(request=submit.extra["request_id"])
    assert len(tries) == 2  # a broken connection: sent once more, on a new one


def test_a_submit_fal_never_answers_after_a_cancel_leaves_the_job_failed_with_a_sentence(home, monkeypatch) -> None:
    """Canceled while the submit is on its way, and fal never answers it (the connection
    drops): fal may have queued it, and nobody knows its id, so the row says so."""
    monkeypatch.setenv("FAL_KEY", KEY)
    with FakeFalServer(_script(long=True)) as fal:
        hold = fal.hold("submit")
        worker = Worker(home, fal)
        try:
            job_id = worker.enqueue()
            hold.wait_arrived(60)
            wait_until(lambda: worker.row(job_id).message == SENDING, timeout=30)
            worker.rt.engine.cancel(job_id)
            wait_until(lambda: FORCED in worker.log(job_id), timeout=30)
            hold.drop()  # the connection closes without an answer
            row = worker.wait_ended(job_id)
        finally:
            worker.stop()

    assert row.status == "failed" and row.attempts == 1
    assert row.error == SUBMIT_UNANSWERED
