"""fal's text made safe (desktop/generators/fal_text.py): no key, nothing key-shaped, no
control character, whatever a server sends."""

from __future__ import annotations

import logging

import pytest

from desktop.generators.fal_text import MASK, FalText, KeyMaskFilter

KEY = "k3y-id-4f2a:s3cret-9b7c1d"
OTHER = "0b6d5a2e-1c3f-4e8a-9d7b-2f4c6e8a0b1d:9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"id {KEY} here", f"id {MASK} here"),
        ("half s3cret-9b7c1d only", f"half {MASK} only"),
        ("id k3y-id-4f2a only", f"id {MASK} only"),
        ("encoded k3y-id-4f2a%3As3cret-9b7c1d", f"encoded {MASK}"),
        (f"Authorization: Key {OTHER}", f"Authorization: {MASK}"),
        ('{"authorization": "Bearer abc.def.ghi"}', f'{{"authorization": "{MASK}"}}'),
        (f"sent Key {OTHER}.", f"sent Key {MASK}."),
        ("Bearer tok3n-abcdefgh", f"Bearer {MASK}"),
        (f"looks like one: {OTHER}", f"looks like one: {MASK}"),
        ("bell\x07 clear\x1b[2J osc\x1b]52;c;aGk=\x07", "bell\\x07 clear\\x1b[2J osc\\x1b]52;c;aGk=\\x07"),
        ("rtl \u202e override", "rtl \\u202e override"),
        # what a model says stays as it is
        ("Key frames 1 to 4 drawn", "Key frames 1 to 4 drawn"),
        ("Generating image 2 of 4 (seed 1234)", "Generating image 2 of 4 (seed 1234)"),
        ("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000001"),
        ("https://queue.fal.run/fal-ai/flux/requests/abc/status", "https://queue.fal.run/fal-ai/flux/requests/abc/status"),
    ],
)
def test_mask(text: str, shown: str) -> None:
    assert FalText(KEY).mask(text) == shown


def test_shown_is_one_bounded_line() -> None:
    text = FalText(KEY).shown("a\nb\tc  " + "x" * 400)
    assert text.startswith("a b c x") and len(text) == 300 and text.endswith("…")
    assert FalText(KEY).request_id("r" * 200) == "r" * 79 + "…"


def test_the_log_filter_masks_what_httpx_and_httpcore_log(caplog: pytest.LogCaptureFixture) -> None:
    for name in ("", "httpx", "httpcore"):  # (the app's log set-up quiets httpx and httpcore)
        caplog.set_level(logging.DEBUG, logger=name or None)
    mask = KeyMaskFilter(FalText(KEY))
    mask.attach()
    try:
        logging.getLogger("httpx").info("HTTP Request: GET %s", f"http://h/requests/{KEY}/status")
        logging.getLogger("httpcore.http11").debug("headers %r", [(b"x-fal-request-id", KEY.encode())])
    finally:
        mask.detach()
    logging.getLogger("httpx").info("after %s", KEY)  # detached: not this filter's business
    lines = caplog.text.splitlines()
    assert KEY not in "\n".join(lines[:2]) and MASK in lines[0] and MASK in lines[1]
    assert KEY in lines[2]
