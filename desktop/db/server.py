"""Reaching a library's database server (PostgreSQL) when a library is opened.

A server that is stopped, restarting or out of reach (the network down) is waited for: a
connection is tried again with backoff (0.1 s doubling to 2 s, as the job store does for a
server lost later) for up to ``DEFAULT_WAIT`` seconds (``STYLESTUDIO_DATABASE_WAIT_SECONDS``
changes it; 0 gives up at once), then ``ServerUnreachable`` says in one sentence which host and
port could not be reached, never the password. A server that answers but refuses (a wrong
password, no such database or role) is not waited for: waiting would not change its answer.

The driver reports a failed connection without an SQLSTATE, so whether the server answered is
read from libpq's text: a server's refusal carries its severity (``FATAL:``), except the
passing states (starting up, shutting down, in recovery, too many clients), which are waited
for like a server out of reach. Any other failure is judged by a plain connection to the
server's address: nothing answering there is waited for; something answering (a server that
wants SSL, say) is left to the opening path's own sentence.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from desktop.config import DATABASE_URL_VAR
from desktop.errors import UserError

log = logging.getLogger(__name__)

WAIT_VAR = "STYLESTUDIO_DATABASE_WAIT_SECONDS"
DEFAULT_WAIT = 60.0  # what docs/several-machines.md promises a command: up to a minute
FIRST_DELAY = 0.1
MAX_DELAY = 2.0
DEFAULT_PORT = 5432

# a server that answered, but is not taking connections right now (its words, lower case)
_PASSING = (
    ("starting up", "the server is starting up"),
    ("shutting down", "the server is shutting down"),
    ("recovery mode", "the server is recovering"),
    ("not yet accepting connections", "the server is starting up"),
    ("too many clients", "the server has too many connections"),
    ("connection slots are reserved", "the server has too many connections"),
)
_ANSWERED = re.compile(r"\b(?:FATAL|PANIC|ERROR)\b:?")
_SERVER_SAID = re.compile(r"\b(?:FATAL|PANIC|ERROR):\s*(.*)")
PROBE_TIMEOUT = 5.0  # seconds a plain TCP connection to the server may take


class ServerUnreachable(UserError):
    """The library's database server could not be reached for as long as the caller waits."""


class ServerRefused(UserError):
    """The library's database server answered, and refused the connection."""


def database_wait() -> float:
    """How long opening a library waits for its server: ``STYLESTUDIO_DATABASE_WAIT_SECONDS``
    or a minute."""
    text = os.environ.get(WAIT_VAR, "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise UserError(
            f"{WAIT_VAR} is set to '{text[:40]}', which is not a number of seconds from 0 to 86400; "
            f"set it to how long to wait for the database server (like 60), or unset it."
        )
    return value


def server_address(url: URL) -> str:
    """``host:port`` of a PostgreSQL URL (never its user or password); a local socket folder
    given as ``?host=/run/postgresql`` is shown as it is."""
    host = url.host or _query_value(url, "host") or os.environ.get("PGHOST") or "localhost"
    port = url.port or _query_value(url, "port") or os.environ.get("PGPORT") or DEFAULT_PORT
    return f"{host}:{port}"


def _query_value(url: URL, key: str) -> str | None:
    value = url.query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return str(value) if value else None


def _driver_error(exc: BaseException) -> BaseException:
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def _target(url: URL, err: BaseException) -> tuple[str, int]:
    """The host (or socket folder) and port the driver tried: libpq's own answer when the
    error carries it (``PGHOST``, defaults), else the URL's."""
    pgconn = getattr(err, "pgconn", None)
    host = port = None
    if pgconn is not None:
        try:
            host = (pgconn.host or b"").decode(errors="replace") or None
            port = int(pgconn.port or 0) or None
        except Exception:  # noqa: BLE001 - a finished connection may not say
            host = port = None
    url_host, _, url_port = server_address(url).rpartition(":")
    if port is None:
        port = int(url_port) if url_port.isdigit() else DEFAULT_PORT
    return host or url_host, port


def probe(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Whether anything answers at ``host:port`` (a TCP connection, or a local socket when
    ``host`` is a folder): None when it does, else why not, in a few words."""
    import errno
    import socket

    try:
        if host.startswith("/"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(os.path.join(host, f".s.PGSQL.{port}"))
        else:
            socket.create_connection((host, port), timeout=timeout).close()
    except socket.gaierror:
        return "its host name could not be resolved"
    except TimeoutError:
        return "no answer in time"
    except OSError as exc:
        reasons = {
            errno.ECONNREFUSED: "connection refused",
            errno.ENOENT: "no server at its socket",
            errno.EHOSTUNREACH: "no route to its host",
            errno.ENETUNREACH: "the network is unreachable",
            errno.ETIMEDOUT: "no answer in time",
        }
        return reasons.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
    return None


def unreachable_reason(exc: BaseException, url: URL, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why a connection attempt failed, in a few words, when waiting may help (the server is
    down, restarting or out of reach); None when the server answered with a refusal, or the
    failure is not about reaching it (SSL required but not offered, say).

    A failure the server did not explain is judged by a plain connection to its address
    (whatever language libpq speaks): nothing there is worth waiting for; something there
    that refused us is not."""
    err = _driver_error(exc)
    if type(err).__name__ not in ("OperationalError", "InterfaceError"):  # psycopg and psycopg2 alike
        return None
    state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
    if state:  # a server that spoke: only its "not now" states are worth waiting for
        passing = state in ("57P01", "57P02", "57P03", "53300") or state.startswith("08")
        return "the server is not accepting connections" if passing else None
    text = str(err)
    lower = text.lower()
    for needle, reason in _PASSING:
        if needle in lower:
            return reason
    if _ANSWERED.search(text):
        return None
    return probe(*_target(url, err), timeout=timeout)


def refused_sentence(url: URL, exc: BaseException) -> str | None:
    """For a server that answered and refused (a wrong password, no such database or role):
    one sentence with the server's own words, or None when it was not a refusal."""
    err = _driver_error(exc)
    if type(err).__name__ not in ("OperationalError", "InterfaceError"):
        return None
    found = _SERVER_SAID.search(str(err))
    if found is None:
        return None
    said = " ".join(found.group(1).split()).rstrip(".")
    return (
        f"The PostgreSQL server at {server_address(url)} refused the connection ({said}); check the user, "
        f"password and database name in {DATABASE_URL_VAR}."
    )


def unreachable_sentence(url: URL, reason: str | None = None, waited: float | None = None) -> str:
    """The one sentence for a server that stayed out of reach: its host and port, no password."""
    why = [reason] if reason else []
    if waited:
        why.append(f"waited {waited:.0f} s")
    detail = f" ({'; '.join(why)})" if why else ""
    return (
        f"The PostgreSQL server at {server_address(url)} could not be reached{detail}; check that it is "
        f"running and that {DATABASE_URL_VAR} names the right host and port, then try again."
    )


def wait_for_server(
    engine: Any,
    url: URL,
    wait: float,
    *,
    on_waiting: Callable[[], None] | None = None,
    on_back: Callable[[], None] | None = None,
) -> None:
    """Connect once to the server behind ``engine`` (a SQLAlchemy engine); while it cannot be
    reached, try again with backoff for up to ``wait`` seconds. ``on_waiting`` is called once
    when the waiting begins, ``on_back`` when the server answers after it.

    Raises ``ServerUnreachable`` when the wait runs out, ``ServerRefused`` when the server
    answered with a refusal. Any other failure is left to the caller's next step."""
    began: float | None = None
    delay = FIRST_DELAY
    where = server_address(url)
    while True:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - sorted below; anything else is the caller's
            remaining = wait - (time.monotonic() - began) if began is not None else wait
            reason = unreachable_reason(exc, url, timeout=max(0.5, min(PROBE_TIMEOUT, remaining)))
            if reason is None:
                refused = refused_sentence(url, exc)
                if refused is not None:
                    raise ServerRefused(refused) from exc
                return
            now = time.monotonic()
            if began is None:
                began = now
                log.warning("The library's database server at %s cannot be reached (%s); waiting up to %.0f s for it", where, reason, wait)
                if on_waiting is not None and wait > 0:
                    on_waiting()
            waited = now - began
            if waited >= wait:
                log.warning("Gave up on the library's database server at %s after %.0f s (%s)", where, waited, reason)
                raise ServerUnreachable(unreachable_sentence(url, reason, waited if wait > 0 else None)) from None
            time.sleep(min(delay, wait - waited))
            delay = min(delay * 2, MAX_DELAY)
        else:
            if began is not None:
                log.info("Reached the library's database server at %s after %.0f s", where, time.monotonic() - began)
                if on_back is not None and wait > 0:
                    on_back()
            return
