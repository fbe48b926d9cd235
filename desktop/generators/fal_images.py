"""Downloading the images fal made: ``data:`` URIs decoded, http(s) links streamed and capped
at ``max_bytes``, never with the key (fal's CDN is another host), returned as raw bytes for
the pipeline to validate as images."""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import unquote_to_bytes

import httpx

from desktop.errors import UserError
from desktop.generators.fal_http import RETRY_STATUSES, Transient
from desktop.generators.fal_text import FalText

log = logging.getLogger("desktop.generators.fal")
UNUSABLE_LINK = "fal.ai sent an image link this app cannot open. Try again later."


def size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(1, limit // 1024)} KB"


class ImageDownloads:
    def __init__(
        self, http: httpx.AsyncClient, timeout: httpx.Timeout, max_bytes: int, text: FalText
    ) -> None:
        self._http = http
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._text = text

    async def download(self, url: str) -> bytes:
        """One image, never with the key (fal's CDN is another host). Sent once, like every
        request; a connection that broke before the whole image arrived is tried once more."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return self.decode_data_uri(url)
        if scheme not in ("http", "https"):
            raise UserError(
                f"fal.ai sent an image link this app cannot open ({self._text.clean(scheme)}:). Try again later."
            )
        for number in (1, 2):
            try:
                # No Authorization header here: the key is for the queue, not for image hosts.
                async with self._http.stream(
                    "GET", url, timeout=self._timeout, follow_redirects=True
                ) as response:
                    return await self._read(response)
            except httpx.InvalidURL:  # its text quotes the address: never logged or shown
                raise UserError(UNUSABLE_LINK) from None
            except httpx.TransportError as exc:
                problem = Transient.from_transport(exc)
            except Transient as exc:
                problem = exc
            log.warning("fal.ai image download failed (%s)", self._text.shown(problem))
            if not (problem.kind == "broken" and number == 1):
                raise problem.retryable() from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _read(self, response: httpx.Response) -> bytes:
        code = response.status_code
        if code in RETRY_STATUSES or code >= 500:
            raise Transient.from_status(response)
        if not 200 <= code < 300:
            raise UserError(
                f"An image made by fal.ai could not be downloaded (HTTP {code}). Try again."
            )
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind.startswith("text/") or kind == "application/json":
            raise UserError(
                f"fal.ai sent a {self._text.clean(kind)} document instead of an image. Try again later."
            )
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_big()
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > self._max_bytes:
                raise self._too_big()
        return bytes(data)

    def decode_data_uri(self, uri: str) -> bytes:
        header, comma, payload = uri.partition(",")
        if not comma:
            raise UserError("fal.ai sent an image that could not be decoded. Try again.")
        if header.lower().endswith(";base64"):
            payload = "".join(payload.split())
            if len(payload) // 4 * 3 > self._max_bytes + 3:
                raise self._too_big()
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise UserError(
                    "fal.ai sent an image that could not be decoded. Try again."
                ) from None
        else:
            data = unquote_to_bytes(payload)
        if len(data) > self._max_bytes:
            raise self._too_big()
        return data

    def _too_big(self) -> UserError:
        return UserError(
            f"fal.ai sent an image larger than {size_text(self._max_bytes)}, so it was not "
            "downloaded. Try a smaller image size."
        )
