"""Contract: the official ``fal-client`` package runs against our fake fal server.

If fal's own client can submit, poll status with logs, fetch the result and cancel on the fake,
and sees the same errors our client expects, then the fake behaves like fal, and the behaviour
FalClient is tested against in test_fal.py is fal's behaviour, not our guess.

Pointing fal-client at the fake: fal-client builds the submit URL as
``fal_client.client.QUEUE_URL_FORMAT + application``. That constant comes from the
``FAL_QUEUE_RUN_HOST`` environment variable, but it is read at import time and the scheme is
hard-coded to ``https://``, so for a plain-http loopback server we patch the constant itself
(``monkeypatch.setattr(fal_client.client, "QUEUE_URL_FORMAT", "http://127.0.0.1:PORT/")``).
Everything after submit follows the ``status_url``/``response_url``/``cancel_url`` the fake
returns, exactly as with the real service.
"""

from __future__ import annotations

import asyncio

import fal_client
import httpx
import pytest
from fal_client.client import Completed, FalClientHTTPError, InProgress, Queued

from desktop.generators.fal import FalClient
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault, make_png

KEY = "contract-id:contract-secret"
LOGS = ["Loading model", "Generating image 1"]

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def fal(monkeypatch: pytest.MonkeyPatch):
    script = FalScript(
        key=KEY,
        queue_positions=[1, 0],
        progress_logs=list(LOGS),
        images=[make_png(4, 3), make_png(2, 2)],
    )
    with FakeFalServer(script) as server:
        monkeypatch.setattr(fal_client.client, "QUEUE_URL_FORMAT", f"{server.base_url}/")
        monkeypatch.delenv("FAL_KEY", raising=False)
        yield server


@pytest.fixture
def client():
    """``client(key=KEY)`` makes a fal_client.SyncClient; its httpx pool is closed afterwards."""
    made: list[fal_client.SyncClient] = []

    def make(key: str = KEY) -> fal_client.SyncClient:
        made.append(fal_client.SyncClient(key=key, default_timeout=5.0))
        return made[-1]

    yield make
    for sync_client in made:
        if "_client" in vars(sync_client):  # fal-client creates it lazily and never closes it
            sync_client._client.close()


def test_submit_status_with_logs_result_and_images(fal: FakeFalServer, client) -> None:
    handle = client().submit("fal-ai/flux/dev", arguments={"prompt": "teal harbour", "seed": 7})

    # fal's own client follows the URLs from submit: no "/dev" subpath in them.
    assert handle.status_url == f"{fal.base_url}/fal-ai/flux/requests/{handle.request_id}/status"
    statuses = list(handle.iter_events(with_logs=True, interval=0.01))

    assert statuses[:2] == [Queued(position=1), Queued(position=0)]
    assert [type(s) for s in statuses[2:]] == [InProgress, InProgress, Completed]
    assert [log["message"] for log in statuses[2].logs] == LOGS[:1]
    assert [log["message"] for log in statuses[3].logs] == LOGS
    done = statuses[-1]
    assert done.error is None and done.metrics

    result = handle.get()
    assert result["seed"] == 7
    downloaded = [httpx.get(image["url"]).content for image in result["images"]]
    assert downloaded == fal.script.images

    assert all(
        r.headers["authorization"] == f"Key {KEY}" for r in fal.requests if r.route != "image"
    )
    assert {r.query.get("logs") for r in fal.requests_to("status")} >= {
        "true"
    }  # fal-client's spelling


def test_handle_built_from_request_id_matches_the_fake_layout(fal: FakeFalServer, client) -> None:
    # fal-client can also build the URLs itself (owner/alias only); they must reach the same job.
    submitted = client().submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    rebuilt = client().get_handle("fal-ai/flux/dev", submitted.request_id)
    assert (rebuilt.status_url, rebuilt.response_url, rebuilt.cancel_url) == (
        submitted.status_url,
        submitted.response_url,
        submitted.cancel_url,
    )
    assert isinstance(rebuilt.status(with_logs=True), Queued)


def test_subscribe_reports_queue_updates(fal: FakeFalServer, client) -> None:
    updates: list[object] = []
    result = client().subscribe(
        "fal-ai/flux-pro/v1.1/redux",
        arguments={"prompt": "x", "image_url": "data:image/png;base64,AAAA"},
        with_logs=True,
        on_queue_update=updates.append,
        interval=0.01,
    )
    assert len(result["images"]) == 2
    assert any(isinstance(u, Queued) for u in updates)
    assert any(isinstance(u, InProgress) and u.logs for u in updates)


def test_cancel_then_already_completed(fal: FakeFalServer, client) -> None:
    handle = client().submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    handle.cancel()  # 202 CANCELLATION_REQUESTED: no exception

    (cancel,) = fal.requests_to("cancel")
    assert cancel.method == "PUT" and cancel.path.endswith(f"/requests/{handle.request_id}/cancel")
    status = handle.status(with_logs=True)
    assert (
        isinstance(status, Completed) and status.error
    )  # canceled runs end COMPLETED with an error
    with pytest.raises(FalClientHTTPError) as info:
        handle.cancel()
    assert info.value.status_code == 400


def test_async_client_round_trip(fal: FakeFalServer) -> None:
    async def main() -> dict:
        aclient = fal_client.AsyncClient(key=KEY, default_timeout=5.0)
        handle = await aclient.submit("fal-ai/flux/dev", arguments={"prompt": "x"})
        async for _ in handle.iter_events(with_logs=True, interval=0.01):
            pass
        result = await handle.get()
        await (await aclient._client).aclose()
        return result

    assert len(asyncio.run(main())["images"]) == 2


# ----------------------------------------------------------------------------- errors agree
def test_wrong_key_is_401(fal: FakeFalServer, client) -> None:
    with pytest.raises(FalClientHTTPError) as info:
        client(key="nope:nope").submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    assert info.value.status_code == 401


def test_422_detail_has_loc_and_msg(fal: FakeFalServer, client) -> None:
    fal.script.validation_errors = [
        {"loc": ["body", "image_size"], "msg": "bad size", "type": "enum"}
    ]
    with pytest.raises(FalClientHTTPError) as info:
        client().submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    assert info.value.status_code == 422
    assert info.value.message == [
        {"loc": ["body", "image_size"], "msg": "bad size", "type": "enum"}
    ]


def test_429_and_ingress_5xx_are_retried_by_fal_client_too(fal: FakeFalServer, client) -> None:
    fal.add_fault(Fault("submit", 429, headers={"Retry-After": "0.1"}))
    fal.add_fault(Fault("submit", 502))  # nginx page, no x-fal-request-id: an ingress error
    handle = client().submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    assert handle.request_id
    assert len(fal.requests_to("submit")) == 3


def test_result_error_from_the_model_is_not_retried_by_fal_client(
    fal: FakeFalServer, client
) -> None:
    fal.script.queue_positions = []
    fal.script.progress_logs = []
    fal.script.result_error = (500, {"detail": "CUDA out of memory"})
    handle = client().submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    with pytest.raises(FalClientHTTPError) as info:
        handle.get(interval=0.01)
    assert info.value.message == "CUDA out of memory"
    assert len(fal.requests_to("result")) == 1


def test_completed_with_error_is_reported_by_fal_client(fal: FakeFalServer, client) -> None:
    fal.script.queue_positions = []
    fal.script.completion_error = "NSFW content detected"
    handle = client().submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    statuses = list(handle.iter_events(with_logs=True, interval=0.01))
    assert isinstance(statuses[-1], Completed)
    assert statuses[-1].error == "NSFW content detected"


def _calls(server: FakeFalServer) -> set[tuple[str, str, str]]:
    """(method, path with the request id replaced, authorization) of every call received."""
    out = set()
    for r in server.requests:
        rid = r.extra.get("request_id") or (r.path.split("/")[-2] if r.route == "image" else "")
        path = r.path.replace(rid, "{id}") if rid else r.path
        out.add((r.method, path, r.headers.get("authorization", "")))
    return out


def test_our_client_calls_the_same_endpoints_as_fal_client(fal: FakeFalServer, client) -> None:
    result = client().subscribe(
        "fal-ai/flux/dev",
        arguments={"prompt": "x"},
        with_logs=True,
        on_queue_update=lambda _: None,
        interval=0.01,
    )
    for image in result["images"]:
        httpx.get(image["url"])  # fal-client leaves downloads to the caller
    theirs = _calls(fal)

    async def no_wait(_: float) -> None:
        await asyncio.sleep(0)

    with FakeFalServer(
        FalScript(
            key=KEY, queue_positions=[1, 0], progress_logs=list(LOGS), images=fal.script.images
        )
    ) as other:

        async def ours() -> list[bytes]:
            async with FalClient(other.base_url, KEY, timeout=5.0) as our_client:
                return await our_client.run(
                    "fal-ai/flux/dev",
                    {"prompt": "x"},
                    on_message=lambda _: None,
                    check_canceled=lambda: None,
                    sleep=no_wait,
                )

        assert asyncio.run(ours()) == fal.script.images
        mine = _calls(other)

    assert mine == theirs
