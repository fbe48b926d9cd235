"""Opening a library: the one start-up path shared by the window, the command line and the
worker (data folder, logging, settings, database and migrations, job engine with recovery).

This is the front doors' side of the engine: it registers the pipelines' job handlers and
asks the engine to watch the ``styles`` table as well as the jobs (the engine knows neither)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from desktop.config import (
    LIBRARY_VAR,
    Paths,
    Settings,
    check_library,
    ensure_writable,
    resolve_paths,
)
from desktop.db.engine import SCHEMA_REVISION, Database
from desktop.db.server import wait_for_server
from desktop.jobs.engine import JobEngine
from desktop.jobs.model import JobStatus
from desktop.jobs.work_folders import is_work_folder, job_of_work_folder
from desktop.logs import setup_logging
from desktop.pipelines import register_all

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    paths: Paths
    settings: Settings
    db: Database
    engine: JobEngine

    def close(self) -> None:
        from desktop.jobs.items import close_connections

        self.engine.close()
        close_connections(self.db)  # the batch items' connections of this process
        self.db.dispose()


def register_job_types() -> list[str]:
    """Register every job type the app has, as opening a library does (for a front door that
    checks a payload before it opens one); returns their names."""
    return register_all()


def open_runtime(
    home: str | os.PathLike[str] | None = None,
    *,
    verbose: bool = False,
    watch_external: bool = True,
    read_only: bool = False,
    server_wait: float = 0.0,
    on_waiting: Callable[[], None] | None = None,
    on_back: Callable[[], None] | None = None,
) -> Runtime:
    """Raises UserError (one sentence) when the data folder or database cannot be used; in that
    case nothing on disk has been changed.

    ``read_only`` is for commands that only look (``jobs list``, ``styles show``...): nothing
    is written to the library, so they work while another program holds its write lock. No
    recovery, purge or clean-up of stale temporary files; the schema is upgraded only if it is
    out of date (it could not be read otherwise).

    ``server_wait``: how long to wait for a PostgreSQL server that cannot be reached (stopped,
    restarting, the network down) before saying so (``desktop.db.server``); ``on_waiting`` is
    called once when that wait begins ("Reconnecting to the library…"), ``on_back`` when the
    server answers after it. The command line waits up to a minute; 0 fails at once."""
    paths = resolve_paths(home)
    check_library(paths)  # a set library folder that cannot be used: one sentence, nothing made
    # Database() refuses a file that is not a database before anything is created or written.
    db = Database(paths.database_url())
    ensure_writable(paths)
    setup_logging(paths.log_file, verbose=verbose)
    if not db.is_sqlite and paths.library_is_home:
        log.warning(
            "The library's files are kept in this machine's data folder %s: other machines using this "
            "database will not find them. Set %s (or the library_dir setting) to a shared folder.",
            paths.home,
            LIBRARY_VAR,
        )
    if not db.is_sqlite:
        wait_for_server(db.engine, db.url, server_wait, on_waiting=on_waiting, on_back=on_back)
    settings = Settings.load(paths)
    if not read_only or db.stored_revision() != SCHEMA_REVISION:
        db.migrate()
    register_all()
    engine = JobEngine(
        db,
        max_attempts=settings.max_attempts,
        retention_days=settings.retention_days,
        watch_external=watch_external,
    )
    engine.watch_table("styles", "id")  # styles made or deleted by another machine show
    engine.services.update(paths=paths, db=db, settings=settings)
    engine.open(read_only=read_only)
    if not read_only:
        _remove_stale_temporary_folders(paths, engine)
        _purge_deleted_styles(paths, db, settings)
    if paths.library_is_home:
        log.info("Opened the library in %s", paths.home)
    else:
        log.info("Opened the library in %s with its files in %s", paths.home, paths.library)
    return Runtime(paths, settings, db, engine)


def _purge_deleted_styles(paths: Paths, db: Database, settings: Settings) -> None:
    """Styles deleted longer ago than they stay restorable go for good (rows and files), and
    copies a duplicate left half-made are removed (``desktop.library.trash``, ``duplicating``)."""
    from desktop.library.duplicating import remove_stale_copies
    from desktop.library.reading import Library
    from desktop.library.trash import keep_days, purge_expired

    purge_expired(Library(db, paths), days=keep_days(settings.retention_days))
    remove_stale_copies(paths)


def _remove_stale_temporary_folders(paths: Paths, engine: JobEngine) -> None:
    """Half-made files of jobs that are no longer running (a crash, a kill) are removed."""
    import shutil

    try:
        entries = list(paths.tmp_dir.iterdir())
    except OSError:
        return
    for entry in entries:
        if not is_work_folder(entry.name):
            continue
        job_id = job_of_work_folder(entry.name)
        row = engine.get(job_id) if job_id is not None else None
        if row is None or row.status != JobStatus.RUNNING:
            shutil.rmtree(entry, ignore_errors=True)
            log.info("Removed the unfinished files of job %s", job_id)
