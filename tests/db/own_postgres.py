"""A throw-away PostgreSQL server of one test module, which the test may stop and start again
(never the shared test server: stopping it would fail every other test running beside).

It is made and removed by ``.ci/postgres start`` / ``stop`` (like tests/jobs/test_server_restart.py);
in between, ``stop()`` shuts it down (fast: sessions cut) keeping its data, and ``start()``
starts it again on the same port. Without PostgreSQL's server binaries the tests skip, or fail
under ``STYLESTUDIO_REQUIRE_POSTGRES=1``, like tests/pg.py.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.helpers import REPO
from tests.pg import NO_DRIVER, _skip_or_fail

CI_POSTGRES = REPO / ".ci" / "postgres"


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(folder, "pg_ctl"), os.X_OK):
            return Path(folder)
    return None


class OwnServer:
    def __init__(self, url: str, folder: str, bin_dir: Path) -> None:
        self.url = url  # the server's own database (postgresql+psycopg://stylestudio:...)
        self.folder = Path(folder)
        self.bin_dir = bin_dir
        self.port = make_url(url).port
        self.running = True

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.bin_dir / "pg_ctl"), *args]
        if os.geteuid() == 0:  # the server refuses to run as root: .ci/postgres made it the 'postgres' user's
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (done.stdout, done.stderr, self._log_tail())

    def _log_tail(self) -> str:
        log = self.folder / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def stop(self) -> None:
        """Shut the server down (sessions cut), keeping its data; returns once it is down."""
        self._pg_ctl("stop", "-D", str(self.folder / "data"), "-m", "fast", "-w", "-t", "60")
        self.running = False

    def start(self) -> None:
        """Start it again on the same port; returns once it accepts connections."""
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=300"
        )
        self._pg_ctl("start", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"), "-w", "-t", "60", "-o", options)
        self.running = True

    def new_database(self, password: str | None = None) -> str:
        """A new empty database on this server (which must be running); its SQLAlchemy URL,
        with ``password`` in it (the server trusts local connections: any password works)."""
        import psycopg

        server = make_url(self.url)
        name = f"stylestudio_down_{uuid.uuid4().hex[:10]}"
        admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = server.set(database=name)
        if password is not None:
            url = url.set(password=password)
        return url.render_as_string(hide_password=False)


def own_server() -> Iterator[OwnServer]:
    """The body of a module-scoped fixture: start a server, yield it, always remove it."""
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        _skip_or_fail("Stopping PostgreSQL needs its server binaries (initdb, pg_ctl); install them with: apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _skip_or_fail(NO_DRIVER)
    started = subprocess.run([str(CI_POSTGRES), "start"], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    found = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if line.startswith("export "))
    server = OwnServer(found["STYLESTUDIO_TEST_POSTGRES_URL"], found["STYLESTUDIO_TEST_POSTGRES_DIR"], bin_dir)
    try:
        yield server
    finally:
        subprocess.run([str(CI_POSTGRES), "stop", str(server.folder)], capture_output=True, timeout=120)
