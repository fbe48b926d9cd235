"""Database set-up: SQLite by default (WAL, busy timeout, foreign keys, BEGIN IMMEDIATE for
writers), PostgreSQL by URL. Start-up checks the file and runs the Alembic migrations."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from desktop.config import DATABASE_URL_VAR, disk_full_error, make_private
from desktop.db.revision import SCHEMA_REVISION
from desktop.errors import UserError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT = 10  # seconds a PostgreSQL connection attempt may take (unless the URL says)
VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"
# Tables a Style Studio library may hold besides the models' (tables that a migration dropped
# belong here, so that a library not yet upgraded past that migration is still recognised).
FORMER_TABLES: frozenset[str] = frozenset()
# The tables every Style Studio library has had since its first schema: a library with an
# unknown revision and these tables was made by a newer version of the app.
CORE_TABLES = frozenset({"jobs", "styles"})
URL_FORMS = "sqlite:///path/to/library.sqlite3 or postgresql://user@host/db"
# Released when the disk is nearly full, so that a full disk can still be opened to delete
# styles (SQLite needs a little room for its shared-memory and write-ahead files).
RESERVE_BYTES = 1 << 20


def configure_sqlite(conn: sqlite3.Connection) -> None:
    """Every SQLite connection of the app: autocommit driver mode (we issue BEGIN ourselves),
    WAL, synchronous=NORMAL, a busy timeout and foreign keys."""
    conn.isolation_level = None
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")


def check_sqlite_file(path: Path) -> None:
    """Refuse, without writing anything, a file that is not a SQLite database."""
    if not path.exists():
        return
    if path.is_dir():
        raise UserError(f"The library file {path} is a folder; move it away or set STYLESTUDIO_HOME to another folder.")
    try:
        with path.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise UserError(f"The library file {path} cannot be read ({exc.strerror}); check its permissions.") from exc
    if header and header != b"SQLite format 3\x00":
        raise UserError(
            f"The library file {path} is not a Style Studio database; "
            "move it away or set STYLESTUDIO_HOME to another folder."
        )


# --- URLs ------------------------------------------------------------------------------------


def mask_url(text: str) -> str:
    """A database URL fit for a sentence or a log line: its password replaced by ***."""
    if "://" in text:
        return re.sub(r"(://[^/@:]*:).*@", r"\1***@", text)
    return re.sub(r"([^\s:/@]*:)[^\s@]*@", r"\1***@", text)


def _bad_url(text: str, reason: str) -> UserError:
    return UserError(
        f"{DATABASE_URL_VAR} is set to '{mask_url(text)}', which Style Studio cannot use ({reason}); "
        f"set it to {URL_FORMS}, or unset it to use the library in the data folder."
    )


def parse_database_url(text: str) -> URL:
    """The URL, or one sentence naming the variable and the forms that work."""
    try:
        url = make_url(text)
    except Exception:  # ArgumentError, or ValueError for a port that is not a number
        raise _bad_url(text, "it is not a database URL") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise _bad_url(text, f"'{backend}' is not a database type it supports")
    if backend == "sqlite" and (not url.database or url.database == ":memory:"):
        raise _bad_url(text, "a library needs a database file, not an in-memory database")
    try:
        url.get_dialect()
    except Exception:
        raise _bad_url(text, f"the driver '{url.drivername}' is unknown") from None
    return url


# --- what a database holds -------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every schema revision this version ships (read from the migration files, without
    importing Alembic)."""
    pattern = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
    found = set()
    for path in VERSIONS_DIR.glob("*.py"):
        match = pattern.search(path.read_text(encoding="utf-8"))
        if match:
            found.add(match.group(1))
    return frozenset(found | {SCHEMA_REVISION})


def our_tables() -> frozenset[str]:
    from desktop.db.models import Base

    return frozenset(Base.metadata.tables) | FORMER_TABLES | {"alembic_version"}


def judge_contents(tables: set[str], revisions: list[str], where: str, advice: str) -> None:
    """Refuse (one sentence) a database that is not a Style Studio library this version can
    open. An empty database is a new library."""
    if not tables:
        return
    unknown = [r for r in revisions if r not in known_revisions()]
    if "alembic_version" in tables and unknown and CORE_TABLES <= tables:
        raise UserError(
            f"This library was made by a newer version of Style Studio (schema {unknown[0]}); "
            "update Style Studio to open it."
        )
    foreign = sorted(tables - our_tables())
    if "alembic_version" in tables and not unknown and not foreign:
        return
    shown = foreign or sorted(tables)
    listed = ", ".join(shown[:5]) + (", ..." if len(shown) > 5 else "")
    raise UserError(f"{where} is not a Style Studio library (it holds the tables {listed}); {advice}.")


def read_sqlite_contents(path: Path) -> tuple[set[str], list[str]]:
    """The tables and stored revisions of a SQLite file, read through a read-only connection
    that changes nothing (not even the journal mode). A file without -wal, -shm or -journal
    companions (no connection open, nothing to recover) is read as immutable, so that reading
    a WAL-mode file does not create them either."""
    uri = path.resolve().as_uri()
    if not any(path.with_name(path.name + s).exists() for s in ("-wal", "-shm", "-journal")):
        try:
            return _read_contents(f"{uri}?mode=ro&immutable=1")
        except sqlite3.DatabaseError:
            pass  # another process began writing meanwhile: read it the careful way
    return _read_contents(f"{uri}?mode=ro")


def _read_contents(uri: str) -> tuple[set[str], list[str]]:
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        tables = {
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }
        revisions: list[str] = []
        if "alembic_version" in tables:
            revisions = [str(r[0]) for r in conn.execute("SELECT version_num FROM alembic_version")]
        return tables, revisions
    finally:
        conn.close()


# --- a reserve of disk space -----------------------------------------------------------------


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _release_reserve(reserve: Path) -> bool:
    """Delete the space reserve when the disk is nearly full. True when it was released."""
    free = free_bytes(reserve.parent)
    if free is None or free >= RESERVE_BYTES or not reserve.exists():
        return False
    try:
        reserve.unlink()
    except OSError:
        return False
    return True


def _make_reserve(reserve: Path) -> None:
    """Set aside RESERVE_BYTES next to the library, only while the disk has plenty of room."""
    if reserve.exists():
        return
    free = free_bytes(reserve.parent)
    if free is None or free < 16 * RESERVE_BYTES:
        return
    try:
        fd = os.open(reserve, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, RESERVE_BYTES)
        else:  # pragma: no cover - macOS, Windows
            os.write(fd, bytes(RESERVE_BYTES))
        os.fsync(fd)
    except OSError:
        os.close(fd)
        reserve.unlink(missing_ok=True)
        return
    os.close(fd)


class Database:
    """One library database: the SQLAlchemy engine, sessions, and raw connections for the job
    engine's hot path.

    Constructing it writes nothing: a SQLite file that is not a Style Studio library this
    version can open (another app's database, a library of a newer schema) is refused with one
    sentence before any connection that could change it is made."""

    def __init__(self, url: str) -> None:
        self.url = parse_database_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.sqlite_path: Path | None = None
        self.released_reserve = False
        from_env = os.environ.get(DATABASE_URL_VAR) == url
        self.advice = (
            f"set {DATABASE_URL_VAR} to another database" if from_env else "move it away or set STYLESTUDIO_HOME to another folder"
        )
        if self.is_sqlite:
            assert self.url.database
            self.sqlite_path = Path(self.url.database)
            check_sqlite_file(self.sqlite_path)
            if self.sqlite_path.exists():
                self.released_reserve = _release_reserve(self.reserve_path)
                self._check_sqlite_contents()
            self.engine: Engine = create_engine(
                self.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            )
            event.listen(self.engine, "connect", self._on_sqlite_connect)
            event.listen(self.engine, "begin", _on_sqlite_begin)
        else:
            try:
                # pool_pre_ping: a pooled connection that a server restart closed is replaced
                # before a session uses it; connect_timeout: a server out of reach (the network
                # down) fails a connection attempt in seconds, so callers retry, instead of hanging
                connect_args = {} if "connect_timeout" in self.url.query else {"connect_timeout": CONNECT_TIMEOUT}
                self.engine = create_engine(self.url, pool_pre_ping=True, connect_args=connect_args)
            except ModuleNotFoundError as exc:
                raise UserError(
                    f"{DATABASE_URL_VAR} needs the '{exc.name}' driver, which is not installed; "
                    "install it with: pip install 'style-studio[postgres]'."
                ) from exc
            except Exception as exc:  # options the driver does not take
                raise _bad_url(url, f"{exc.__class__.__name__}") from None
        event.listen(self.engine, "handle_error", self._on_error)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(stylestudio_readonly=True), expire_on_commit=False
        )

    @property
    def display_name(self) -> str:
        """The library for a sentence: its file, or its URL without the password."""
        if self.sqlite_path is not None:
            return f"The database {self.sqlite_path}"
        return f"The database {self.url.render_as_string(hide_password=True)}"

    @property
    def folder(self) -> Path | None:
        """The folder holding the library file (SQLite only)."""
        return self.sqlite_path.resolve().parent if self.sqlite_path is not None else None

    @property
    def reserve_path(self) -> Path:
        assert self.sqlite_path is not None
        return self.sqlite_path.with_name(self.sqlite_path.name + "-reserve")

    def _check_sqlite_contents(self) -> None:
        assert self.sqlite_path is not None
        try:
            tables, revisions = read_sqlite_contents(self.sqlite_path)
        except sqlite3.Error as exc:
            full = disk_full_error(self.folder, exc)
            if full is not None:
                raise full from exc
            raise UserError(
                f"The library file {self.sqlite_path} cannot be read as a database ({exc}); {self.advice}."
            ) from exc
        judge_contents(tables, revisions, f"The database {self.sqlite_path}", self.advice)

    def check_server_contents(self) -> None:
        """The same check for a database server, through SQLAlchemy's inspection."""
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            revisions: list[str] = []
            if "alembic_version" in tables:
                revisions = [str(r[0]) for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
        judge_contents(tables, revisions, self.display_name, self.advice)

    def make_files_private(self) -> None:
        """The library file and its -wal/-shm companions: readable by their owner only."""
        if self.sqlite_path is None:
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            make_private(self.sqlite_path.with_name(self.sqlite_path.name + suffix), 0o600)

    def _on_sqlite_connect(self, dbapi_connection: sqlite3.Connection, _record: object) -> None:
        self.make_files_private()
        configure_sqlite(dbapi_connection)
        self.make_files_private()  # the -wal and -shm files WAL mode just made

    def _on_error(self, context: Any) -> None:
        """A full disk, on any statement of the engine, is one sentence, not a traceback."""
        full = disk_full_error(self.folder, context.original_exception)
        if full is not None:
            raise full from context.original_exception

    # --- sessions ---------------------------------------------------------------------------
    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A transaction that takes the write lock up front (BEGIN IMMEDIATE on SQLite)."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    # --- raw connections for the job store --------------------------------------------------
    def raw_connect(self) -> Any:
        """A new DBAPI connection, configured like the engine's, owned by the caller."""
        if self.is_sqlite:
            assert self.sqlite_path is not None
            conn = sqlite3.connect(
                str(self.sqlite_path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            self.make_files_private()
            configure_sqlite(conn)
            return conn
        proxy = self.engine.raw_connection()
        conn = proxy.driver_connection
        proxy.detach()  # owned by the caller from now on, not returned to the pool
        conn.autocommit = True
        return conn

    def dispose(self) -> None:
        self.engine.dispose()

    # --- migrations -------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest revision. A library that is already there (every
        start but the first after an update) is recognised with one query, without importing
        Alembic, which alone costs about 200 ms of start-up."""
        if self.released_reserve:
            log.warning("The disk holding %s is nearly full: released the space reserve so the library opens", self.folder)
        if self.stored_revision() != SCHEMA_REVISION:
            from desktop.db.migrate import upgrade_to_head

            upgrade_to_head(self)
        if self.sqlite_path is not None and not self.released_reserve:
            _make_reserve(self.reserve_path)

    def stored_revision(self) -> str | None:
        try:
            with self.engine.execution_options(stylestudio_readonly=True).connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except Exception:  # no table yet, or anything odd: the full migration path decides
            return None


def _on_sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("stylestudio_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

