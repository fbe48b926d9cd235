"""FalClient canceled at each await: fal's cancel is sent for the request fal accepted (the
worker-path races are in test_fal_cancel_race.py)."""

from __future__ import annotations

import asyncio

import pytest

from desktop.errors import JobCanceled, UserError
from desktop.generators.fal import NOT_CANCELED, SUBMIT_UNANSWERED, FalClient, FalModels
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault
from tests.generators.fal_run import KEY, PROMPT_ARGS, run_client


@pytest.fixture
def fal():
    with FakeFalServer(FalScript(key=KEY)) as server:
        yield server


# ----------------------------------------------------------------------------- cancel
def test_cancel_calls_the_returned_cancel_url_and_reraises(fal: FakeFalServer) -> None:
    fal.script.queue_positions = [5, 4, 3, 2, 1, 0]

    # check #1 is before submit, #2.. before each poll: cancel during the third poll.
    out = run_client(fal, model="fal-ai/flux/dev", cancel_on_check=4)

    assert isinstance(out.error, JobCanceled)
    (submit,) = fal.requests_to("submit")
    request_id = submit.extra["request_id"]
    (cancel,) = fal.requests_to("cancel")
    assert cancel.method == "PUT"
    assert cancel.path == f"/fal-ai/flux/requests/{request_id}/cancel"
    assert cancel.headers.get("authorization") == f"Key {KEY}"
    assert fal.jobs[request_id].canceled
    assert fal.requests_to("result") == []
    assert "Downloading images" not in out.messages


def test_cancel_before_submit_sends_nothing(fal: FakeFalServer) -> None:
    out = run_client(fal, cancel_on_check=1)
    assert isinstance(out.error, JobCanceled)
    assert fal.requests == []


def test_cancel_still_reraises_when_the_cancel_call_fails(fal: FakeFalServer) -> None:
    fal.script.queue_positions = [3, 2, 1, 0]
    fal.add_fault(Fault("cancel", 500, times=None))
    out = run_client(fal, cancel_on_check=3)
    assert isinstance(out.error, JobCanceled)
    assert len(fal.requests_to("cancel")) == 1  # best effort: one try, no retries


def test_cancel_from_the_jobs_sleep_reaches_fal(fal: FakeFalServer) -> None:
    """``ctx.sleep`` raises JobCanceled when a cancel arrives during the wait between polls."""
    fal.script.queue_positions = [3, 2, 1, 0]

    async def canceled_sleep(_: float) -> None:
        raise JobCanceled()

    async def main() -> None:
        async with FalClient(fal.base_url, KEY, timeout=5.0) as client:
            await client.run(
                FalModels.TEXT_ONLY,
                dict(PROMPT_ARGS),
                on_message=lambda _: None,
                check_canceled=lambda: None,
                sleep=canceled_sleep,
            )

    with pytest.raises(JobCanceled):
        asyncio.run(main())
    (cancel,) = fal.requests_to("cancel")
    assert cancel.headers.get("authorization") == f"Key {KEY}"
    assert all(job.canceled for job in fal.jobs.values())


@pytest.mark.timeout(30)
def test_a_task_cancelled_during_a_hanging_poll_still_cancels_on_fal(fal: FakeFalServer) -> None:
    """The pool cancels the task (asyncio.CancelledError) when a handler does not stop in time,
    e.g. when a worker is told to stop while fal is not answering a poll."""
    fal.add_fault(Fault("status", hang=True, times=None))
    seen: dict[str, BaseException | None] = {"error": None}

    async def main() -> None:
        async with FalClient(fal.base_url, KEY, timeout=60.0) as client:
            task = asyncio.create_task(
                client.run(
                    FalModels.TEXT_ONLY,
                    dict(PROMPT_ARGS),
                    on_message=lambda _: None,
                    check_canceled=lambda: None,
                )
            )
            deadline = asyncio.get_running_loop().time() + 20
            while not fal.requests_to("status"):  # the poll is in flight and will never answer
                assert asyncio.get_running_loop().time() < deadline, "no poll arrived"
                await asyncio.sleep(0.02)
            task.cancel()
            try:
                await task
            except BaseException as exc:  # noqa: BLE001 - recording what the pool would see
                seen["error"] = exc

    asyncio.run(main())

    assert isinstance(seen["error"], asyncio.CancelledError)
    (submit,) = fal.requests_to("submit")
    (cancel,) = fal.requests_to("cancel")
    assert cancel.headers.get("authorization") == f"Key {KEY}"
    assert fal.jobs[submit.extra["request_id"]].canceled


# ----------------------------------------------------------------------------- held awaits
async def _started(client: FalClient, **kw) -> asyncio.Task[list[bytes]]:
    return asyncio.create_task(
        client.run(FalModels.TEXT_ONLY, dict(PROMPT_ARGS), on_message=lambda _: None, **kw)
    )


async def _until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.01)


@pytest.mark.timeout(30)
def test_a_task_interrupted_during_the_submit_waits_for_its_answer_and_cancels_that_request(fal) -> None:
    """The pool interrupts the task (twice, even) while fal holds the submit: the client waits
    for fal's answer, which names the request, cancels it, then ends interrupted."""
    fal.script.queue_positions = [3, 2, 1, 0]
    hold = fal.hold("submit")

    async def main() -> tuple[BaseException | None, bool]:
        async with FalClient(fal.base_url, KEY, timeout=10.0) as client:
            task = await _started(client, check_canceled=lambda: None)
            await _until(hold.arrived.is_set)
            task.cancel()
            await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.sleep(0.05)
            waited = not task.done()  # still waiting for fal's answer
            hold.release()
            try:
                await task
            except BaseException as exc:  # noqa: BLE001 - what the pool would see
                return exc, waited
        return None, waited

    error, waited = asyncio.run(main())
    assert isinstance(error, asyncio.CancelledError) and waited
    (submit,) = fal.requests_to("submit")
    request_id = submit.extra["request_id"]
    assert len(fal.cancels_for(request_id)) == 1 and fal.jobs[request_id].canceled
    assert fal.requests_to("status") == []


@pytest.mark.timeout(30)
def test_a_cancel_during_a_held_poll_is_sent_at_once_without_waiting_for_the_poll(fal) -> None:
    fal.script.queue_positions = [3, 2, 1, 0]
    hold = fal.hold("status")
    canceled = {"now": False}

    def check() -> None:
        if canceled["now"]:
            raise JobCanceled()

    async def main() -> BaseException | None:
        async with FalClient(fal.base_url, KEY, timeout=10.0) as client:
            task = await _started(client, check_canceled=check)
            await _until(hold.arrived.is_set)
            canceled["now"] = True
            await _until(lambda: fal.requests_to("cancel"))  # while the poll is still held
            try:
                await task
            except BaseException as exc:  # noqa: BLE001
                return exc
            finally:
                hold.release()
        return None

    assert isinstance(asyncio.run(main()), JobCanceled)
    assert len(fal.requests_to("cancel")) == 1


@pytest.mark.timeout(30)
def test_interrupting_the_task_during_the_cancel_call_does_not_cut_it_short(fal) -> None:
    fal.script.queue_positions = [3, 2, 1, 0]
    hold = fal.hold("cancel")

    async def main() -> tuple[BaseException | None, bool]:
        async with FalClient(fal.base_url, KEY, timeout=10.0) as client:
            task = await _started(client, check_canceled=lambda: None)
            await _until(lambda: fal.requests_to("status"))
            task.cancel()  # the first interrupt: the client sends the cancel
            await _until(hold.arrived.is_set)
            task.cancel()  # the pool's second one, while fal holds the cancel call
            await asyncio.sleep(0.1)
            waited = not task.done()  # still waiting for fal's answer to the cancel
            hold.release()
            try:
                await task
            except BaseException as exc:  # noqa: BLE001
                return exc, waited
        return None, waited

    error, waited = asyncio.run(main())
    assert isinstance(error, asyncio.CancelledError) and waited
    (cancel,) = fal.requests_to("cancel")
    assert fal.jobs[cancel.extra["request_id"]].canceled  # fal answered it: 202


@pytest.mark.timeout(30)
def test_an_unanswered_submit_after_an_interrupt_says_the_request_may_still_run(fal) -> None:
    hold = fal.hold("submit")

    async def main() -> BaseException | None:
        async with FalClient(fal.base_url, KEY, timeout=10.0) as client:
            task = await _started(client, check_canceled=lambda: None)
            await _until(hold.arrived.is_set)
            task.cancel()
            await asyncio.sleep(0.05)
            hold.drop()
            try:
                await task
            except BaseException as exc:  # noqa: BLE001
                return exc
        return None

    error = asyncio.run(main())
    assert isinstance(error, UserError) and str(error) == SUBMIT_UNANSWERED
    assert fal.requests_to("cancel") == []  # no id: nothing could be canceled


def test_a_cancel_fal_never_answers_says_the_request_may_still_run(fal) -> None:
    fal.script.queue_positions = [3, 2, 1, 0]
    fal.add_fault(Fault("cancel", drop=True, times=None))
    out = run_client(fal, cancel_on_check=3)
    (submit,) = fal.requests_to("submit")
    assert isinstance(out.error, UserError)
    assert str(out.error) == NOT_CANCELED.format(request=submit.extra["request_id"])
    assert len(fal.requests_to("cancel")) == 2  # a broken connection: once more, on a new one
