"""Run the Alembic migrations that ship inside the package, at start-up."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

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


def upgrade_to_head(db: Database) -> None:
    try:
        current = current_revision(db)
        head = head_revision()
        if current == head:
            return
        if db.is_sqlite and current is not None and db.sqlite_path and db.sqlite_path.exists():
            from desktop.db.engine import backup_sqlite

            backup = backup_sqlite(db.sqlite_path, f"before-{head}")
            log.info("Backed up the library to %s before migrating", backup)
        log.info("Migrating the library from %s to %s", current, head)
        command.upgrade(alembic_config(db), "head")
    except sqlite3.DatabaseError as exc:
        raise UserError(
            f"The library database could not be opened ({exc}); "
            "move it away or set STYLESTUDIO_HOME to another folder."
        ) from exc
    except Exception as exc:
        from sqlalchemy.exc import DatabaseError, OperationalError

        if isinstance(exc, (DatabaseError, OperationalError)):
            raise UserError(
                "The library database could not be opened or upgraded; "
                "check STYLESTUDIO_DATABASE_URL or move the library file away."
            ) from exc
        raise
