"""The work of each photo of a batch (``style.apply``), the same for its lead and its assistants
(``Photos``, an ``ItemWork`` of ``desktop.jobs.items``).

A worker process decodes, grades and encodes the photo into a hidden temporary file in the
output folder (``names.temp_name``); then the photo gets its final name (reserved in the
table first, never overwriting: " (2)", " (3)"..., fitted to 255 bytes) and the item is
recorded, fenced by the item's holder. A photo whose output an earlier run (or an earlier batch
with the same key, ``resume``) left in the folder is recorded with that file, not styled
again.

**Time limit.** Each photo has ``time_limit()`` seconds (``STYLESTUDIO_PHOTO_TIME_LIMIT``,
default 10 minutes) from the moment a worker process takes it: a photo that blocks (a pipe
swapped in for it) or takes too long has its worker process killed and fails with a sentence;
the photos that were in flight in the same pool of processes are styled again, their deaths not
counted against them.

**Sentences.** A photo that is gone says so (the mounting sentence only when its folder cannot
be reached); a style deleted while its batch runs stops the batch (``StyleGone``) instead of
failing each photo with a file error.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.config import from_library
from desktop.errors import LeaseLost, UserError
from desktop.files import TargetExists, place
from desktop.grants import NotGranted
from desktop.jobs.items import DONE, FAILED, Fence, Item, ItemStore
from desktop.pipelines.apply.grant import REFUSED
from desktop.pipelines.apply.names import output_name, temp_name
from desktop.pipelines.apply.template import render
from desktop.text import printable, shown_path

HOST = socket.gethostname()
WORKER_DEATHS = 2  # an item in flight when the worker pool broke this often fails
TIME_LIMIT_VAR = "STYLESTUDIO_PHOTO_TIME_LIMIT"
DEFAULT_TIME_LIMIT = 600.0  # seconds


class StyleGone(UserError):
    """The batch's style (or its grade file) was deleted while the batch ran; the message says
    which, without the end of the sentence (the lead adds where the finished photos are)."""


def time_limit() -> float:
    """Seconds a photo may take once a worker process has it (``STYLESTUDIO_PHOTO_TIME_LIMIT``;
    default 600, ten minutes)."""
    text = os.environ.get(TIME_LIMIT_VAR, "").strip()
    try:
        value = float(text) if text else DEFAULT_TIME_LIMIT
    except ValueError:
        return DEFAULT_TIME_LIMIT
    return value if math.isfinite(value) and value > 0 else DEFAULT_TIME_LIMIT


def span(seconds: float) -> str:
    """'10 minutes', '1.5 minutes', '2 seconds'."""
    if seconds >= 60:
        minutes = round(seconds / 60, 1)
        return f"{minutes:g} minute{'s' if minutes != 1 else ''}"
    value = round(seconds, 1)
    return f"{value:g} second{'s' if value != 1 else ''}"


def time_sentence(input_path: str, limit: float) -> str:
    return (
        f'"{shown_path(Path(input_path).name)}" took longer than {span(limit)} to style, so it was stopped; '
        f"try a smaller copy, or allow more time with {TIME_LIMIT_VAR} (in seconds)."
    )


def missing_input(path: str, host: str = HOST) -> str | None:
    """None when the photo ``path`` is there for this process; else the item's sentence: the
    file is gone, or (only when its folder cannot be reached) the folder is not mounted here."""
    if os.path.exists(path):
        return None
    shown = shown_path(path)
    if os.path.islink(path):
        return f"The photo {shown} is a link to a file that is no longer there; put the file back, then retry the job."
    if os.path.isdir(os.path.dirname(path) or "."):
        return f"The photo {shown} is no longer there (it was moved or deleted); put it back, then retry the job."
    return f"The photo {shown} cannot be reached from {host}; check that its folder is mounted there."


def local_path(stored: str | None, library: Path, what: str = "The file") -> str | None:
    """A path an item or payload stores, on this machine (see ``from_library``); None when
    there is none or it leads outside the library folder."""
    if not stored:
        return None
    try:
        return str(from_library(stored, library, what))
    except UserError:
        return None


@dataclass
class Prepared:
    """What every photo of the batch needs, on this machine."""

    style_id: int
    style_name: str
    out: Path  # on this machine
    recipe: Any
    options: Any
    format: str
    out_stored: str = ""  # as the payload stores it (relative to the library folder, or in full)
    library: Path = Path("/")  # this machine's library folder
    tag: str = ""  # the batch's temporary names: library id and job id (names.batch_tag)
    name_template: str | None = None  # the batch's output name template (``template``)
    date: str = ""  # its {date}: the day the batch was queued
    name_style: str = ""  # its {style}: the style's name when the batch was queued

    def stem_of(self, item: Item) -> str | None:
        """What the name template makes of the photo's name (None: the photo's own name)."""
        if not self.name_template:
            return None
        return render(self.name_template, item.input, self.name_style or self.style_name, item.position, self.date)


def _resolved(value: Any) -> asyncio.Future[Any]:
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    fut.set_result(value)
    return fut


class Photos:
    """The work of each item (see the module's text)."""

    def __init__(
        self,
        store: ItemStore,
        fence: Fence,
        prepared: Prepared,
        lease_seconds: float,
        log: Any,
        *,
        expected: dict[int, str],
        earlier: dict[str, list[str]] | None = None,
        style_gone: Any = None,
    ) -> None:
        self.store = store
        self.fence = fence
        self.p = prepared
        self.out = prepared.out
        self.lease_seconds = lease_seconds
        self.log = log
        self.expected = expected  # position -> input, as the grant covered them
        self.earlier = earlier or {}
        self.style_gone = style_gone or (lambda: None)  # blocking: a StyleGone sentence, or None
        self.limit = time_limit()
        self.inflight: dict[int, tuple[Path, Any, Any]] = {}  # position -> (temp, pool, future)
        self.timed_out: set[int] = set()
        self.deaths: dict[int, int] = {}
        self.redo: set[int] = set()  # a recorded name that turned out to be another item's
        self.taken: set[str] = set()  # names this process saw taken
        self.done_here = 0
        self.last_output: str | None = None

    def stored(self, path: Path) -> str:
        """How an output in the output folder is recorded: in the same form as the payload's
        folder (relative to the library folder, or in full), so names compare as they are."""
        if os.path.isabs(self.p.out_stored) or not self.p.out_stored:
            return str(path)
        return f"{self.p.out_stored}/{path.name}"

    def wanted(self, item: Item, n: int = 1) -> Path:
        return self.out / output_name(item.input, self.p.format, n, stem=self.p.stem_of(item), depth=getattr(self.p.options, "depth", None))

    def _already_there(self, item: Item) -> str | None:
        """A recorded output of this photo whose file is there: this item's own (an earlier run
        finished it), or one an earlier batch with the same key made."""
        if item.position in self.redo:
            return None
        for stored in ([item.output] if item.output else []) + list(reversed(self.earlier.get(item.input, []))):
            there = local_path(stored, self.p.library)
            if there is not None and os.path.lexists(there):
                return stored
        return None

    def start(self, item: Item) -> Any:
        from desktop.imaging.apply import apply_to_file, pil_format_for
        from desktop.jobs import processes

        if self.expected.get(item.position) != item.input:  # changed in the table since the grant
            raise NotGranted(REFUSED)
        placed = self._already_there(item)
        if placed is not None:
            return _resolved({"ok": True, "placed": placed})
        try:
            source = str(from_library(item.input, self.p.library, "The photo"))
        except UserError as exc:
            return _resolved({"ok": False, "error": str(exc)})
        missing = missing_input(source)
        if missing is not None:
            return _resolved({"ok": False, "error": missing})
        temp = temp_name(self.out, self.p.tag, item.position)
        pool, future, token = processes.submit_watched(
            apply_to_file, self.p.recipe, source, str(temp), self.p.options, pil_format_for(self.wanted(item))
        )
        self.inflight[item.position] = (temp, pool, future)
        return self._watch(item, pool, future, token)

    async def _watch(self, item: Item, pool: Any, future: Any, token: str) -> Any:
        """The photo's result; its worker process is killed once it has had it longer than the
        time limit (the result is then the pool's breakage)."""
        from desktop.jobs import processes

        outcome = asyncio.wrap_future(future)
        every = min(0.5, max(0.02, self.limit / 5))
        try:
            while True:
                done, _ = await asyncio.wait([outcome], timeout=every)
                if done:
                    return outcome.result()
                if item.position in self.timed_out:
                    continue
                began = processes.started(pool, token)
                if began is not None and time.monotonic() - began[1] > self.limit:
                    self.timed_out.add(item.position)
                    self.log.warning("styling %s took longer than %s: its worker process is stopped", printable(item.input), span(self.limit))
                    processes.kill_task(pool, token)
        finally:
            processes.forget(token)

    async def finish(self, item: Item, outcome: asyncio.Future[Any]) -> bool:
        from desktop.jobs import processes

        temp, pool, _future = self.inflight.pop(item.position, (None, None, None))
        timed_out = item.position in self.timed_out
        self.timed_out.discard(item.position)
        if outcome.cancelled():  # dropped by a pool that was shut down: not this photo's doing
            return True
        try:
            result = outcome.result()
        except Exception as exc:  # noqa: BLE001 - the worker process died (BrokenProcessPool)
            processes.discard_pool(pool)
            if temp is not None:
                temp.unlink(missing_ok=True)  # what the dead worker left half-written
            if timed_out:
                await self._record(item, FAILED, error=time_sentence(item.input, self.limit))
                return False
            if processes.killed_on_purpose(pool):
                return True  # another photo's worker was stopped: this one did nothing wrong
            deaths = self.deaths.get(item.position, 0) + 1
            self.deaths[item.position] = deaths
            self.log.warning("a worker process ended while styling %s: %s", printable(item.input), exc)
            if deaths < WORKER_DEATHS:
                return True
            result = {
                "ok": False,
                "error": f'The worker process stopped while styling "{shown_path(Path(item.input).name)}" (it may be too big for the memory); try it alone, or a smaller copy.',
            }
        for warning in result.get("warnings") or ():  # what Pillow said about the photo
            self.log.info("%s: %s", printable(item.input), printable(warning))
        placed = result.get("placed")
        if placed is not None:
            if await asyncio.to_thread(self.store.output_taken, self.fence.job_id, item.position, placed):
                self.redo.add(item.position)  # that file is another photo's: style this one
                return True
            await self._record(item, DONE, output=placed)
            return False
        if not result.get("ok"):
            if result.get("detail"):
                self.log.error("styling %s failed:\n%s", printable(item.input), result["detail"])
            gone = await asyncio.to_thread(self.style_gone)
            if gone:
                raise StyleGone(gone)  # not the photo's fault: the batch stops, the item stays pending
            await self._record(item, FAILED, error=printable(result.get("error") or "This photo could not be styled."))
            return False
        assert temp is not None
        try:
            final = await asyncio.to_thread(self._place_and_record, item, temp)
        except LeaseLost:
            temp.unlink(missing_ok=True)
            raise
        except OSError as exc:
            temp.unlink(missing_ok=True)
            error = f'"{shown_path(Path(item.input).name)}" was styled but could not be given its name in {shown_path(self.out)} ({exc.strerror or exc}); retry the job.'
            await self._record(item, FAILED, error=error)
            return False
        self.done_here += 1
        self.last_output = str(final)
        return False

    def abandon(self, item: Item, outcome: asyncio.Future[Any]) -> None:
        outcome.cancel()
        entry = self.inflight.pop(item.position, None)
        if entry is not None:
            _discard_when_done(entry[2], entry[0])

    async def _record(self, item: Item, status: str, *, output: str | None = None, error: str | None = None) -> None:
        await asyncio.to_thread(
            self.store.set, self.fence, item.position, status=status, output=output, error=error, lease_seconds=self.lease_seconds
        )

    def _place_and_record(self, item: Item, temp: Path) -> Path:
        # The name is reserved (recorded) before the file gets it: a crash in between finds
        # the file under that name and counts the item done instead of making a second copy,
        # and no other worker gives that name to another photo.
        for n in range(1, 100_000):
            candidate = self.wanted(item, n)
            name = self.stored(candidate)
            mine = name == item.output and item.position not in self.redo
            if (name in self.taken and not mine) or os.path.lexists(candidate):
                continue
            if not self.store.reserve(self.fence, item.position, name, self.lease_seconds):
                self.taken.add(name)  # another photo of the batch has it
                continue
            try:
                place(temp, candidate)
            except TargetExists:
                continue  # made meanwhile by something else
            self.taken.add(name)
            self.store.set(self.fence, item.position, status=DONE, output=name, lease_seconds=self.lease_seconds)
            return candidate
        raise UserError(f"No free name was found for {shown_path(self.wanted(item).name)} in {shown_path(self.out)}; choose an emptier output folder.")


def _discard_when_done(cfuture: Any, temp: Path) -> None:
    """A photo still being styled when the batch stopped: not started, it is dropped; started,
    its temporary file goes when the worker is done with it."""

    def remove(_f: Any) -> None:
        try:
            os.unlink(temp)
        except OSError:
            pass

    cfuture.cancel()
    cfuture.add_done_callback(remove)  # at once when it is done or was canceled
