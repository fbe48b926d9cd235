"""Database set-up: SQLite by default (WAL, busy timeout, foreign keys, BEGIN IMMEDIATE for
writers), PostgreSQL by URL. Start-up checks the file and runs the Alembic migrations."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from desktop.errors import UserError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# The newest migration in desktop/db/migrations/versions (a test keeps the two in step).
SCHEMA_REVISION = "0001"


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


class Database:
    """One library database: the SQLAlchemy engine, sessions, and raw connections for the job
    engine's hot path."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.sqlite_path: Path | None = None
        if self.is_sqlite:
            if not self.url.database or self.url.database == ":memory:":
                raise UserError("Style Studio needs a database file, not an in-memory database.")
            self.sqlite_path = Path(self.url.database)
            check_sqlite_file(self.sqlite_path)
            self.engine: Engine = create_engine(
                self.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            )
            event.listen(self.engine, "connect", _on_sqlite_connect)
            event.listen(self.engine, "begin", _on_sqlite_begin)
        else:
            try:
                self.engine = create_engine(self.url, pool_pre_ping=True)
            except ModuleNotFoundError as exc:
                raise UserError(
                    f"The database URL needs the '{exc.name}' driver, which is not installed; "
                    "install it with: pip install 'style-studio[postgres]'."
                ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(stylestudio_readonly=True), expire_on_commit=False
        )

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
        if self.stored_revision() == SCHEMA_REVISION:
            return
        from desktop.db.migrate import upgrade_to_head

        upgrade_to_head(self)

    def stored_revision(self) -> str | None:
        try:
            with self.engine.execution_options(stylestudio_readonly=True).connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except Exception:  # no table yet, or anything odd: the full migration path decides
            return None


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    configure_sqlite(dbapi_connection)


def _on_sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("stylestudio_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def backup_sqlite(path: Path, suffix: str) -> Path:
    target = path.with_name(f"{path.name}.{suffix}.bak")
    shutil.copy2(path, target)
    return target
