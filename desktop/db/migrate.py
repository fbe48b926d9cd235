"""Run the Alembic migrations that ship inside the package, at start-up."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from desktop.config import disk_full_error, make_private
from desktop.errors import UserError

if TYPE_CHECKING:
    from desktop.db.engine import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["database"] = db
    return cfg


def head_revision() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def quiet_alembic() -> Iterator[None]:
    """Alembic says at INFO what it sets up and runs (seven lines for a new library); our own
    one line is enough. Its warnings stay; ``-v`` (DEBUG on the root logger) shows everything."""
    alembic_log = logging.getLogger("alembic")
    before = alembic_log.level
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        alembic_log.setLevel(max(before, logging.WARNING))
    try:
        yield
    finally:
        alembic_log.setLevel(before)


# pg_advisory_lock key held while a PostgreSQL library is created or upgraded ("SSmigrat")
MIGRATION_LOCK = 0x53536D6967726174


def _upgrade_postgres(db: Database, head: str | None) -> bool:
    """Upgrade under a server-wide lock: several machines (or workers) opening a new shared
    library at the same moment upgrade it once; the others wait, then find it done. False when
    another process had upgraded it by the time the lock was ours."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            conn.commit()
            if MigrationContext.configure(conn).get_current_revision() == head:
                conn.commit()
                return False
            conn.commit()
            cfg = alembic_config(db)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
            return True
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            conn.commit()


def upgrade_to_head(db: Database) -> None:
    """Refuses (one sentence, nothing written) a database that is not a Style Studio library
    or was made by a newer version; maps a full disk to one sentence."""
    try:
        if not db.is_sqlite:
            db.check_server_contents()  # SQLite files are checked before the engine exists
        with quiet_alembic():
            current = current_revision(db)
            head = head_revision()
            if current == head:
                return
            backup = None
            if db.is_sqlite and current is not None and db.sqlite_path and db.sqlite_path.exists():
                backup = backup_sqlite(db.sqlite_path, f"before-{head}")
            if db.is_sqlite:
                command.upgrade(alembic_config(db), "head")
            elif not _upgrade_postgres(db, head):
                return  # another process upgraded it meanwhile
        if current is None:
            log.info("Upgraded the library to schema %s", head)
        else:
            log.info("Upgraded the library from schema %s to schema %s (the old one is kept in %s)", current, head, backup)
    except UserError:
        raise
    except Exception as exc:
        full = disk_full_error(db.folder, exc)
        if full is not None:
            raise full from exc
        if isinstance(exc, CommandError) and "Can't locate revision" in str(exc):
            raise UserError(
                "This library was made by a newer version of Style Studio; update Style Studio to open it."
            ) from exc
        if isinstance(exc, sqlite3.DatabaseError):
            raise UserError(
                f"The library database could not be opened ({exc}); "
                "move it away or set STYLESTUDIO_HOME to another folder."
            ) from exc
        from sqlalchemy.exc import DatabaseError, OperationalError

        if isinstance(exc, (DatabaseError, OperationalError)):
            raise UserError(
                f"{db.display_name} could not be opened or upgraded; "
                "check STYLESTUDIO_DATABASE_URL or move the library file away."
            ) from exc
        raise


def backup_sqlite(path: Path, suffix: str) -> Path:
    """A copy of the library before a migration; a partial copy (a full disk) is removed."""
    target = path.with_name(f"{path.name}.{suffix}.bak")
    try:
        shutil.copy2(path, target)
        make_private(target, 0o600)
    except OSError:
        target.unlink(missing_ok=True)
        raise
    return target
