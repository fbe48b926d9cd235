"""How long a passing failure waits before its next attempt."""

from __future__ import annotations

from desktop.jobs.backoff import MAX_DELAY, retry_delay


def test_a_servers_retry_after_is_a_floor():
    for _ in range(50):
        assert retry_delay(1, base=0.1, retry_after=30) >= 30


def test_no_server_can_park_a_job_for_hours():
    # fal (or any server) answering "Retry-After: 86400" must not leave the job queued a day
    for _ in range(50):
        assert retry_delay(1, base=0.1, retry_after=86_400) <= MAX_DELAY
        assert retry_delay(40, base=2.0) <= MAX_DELAY
