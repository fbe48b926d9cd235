"""``style.export`` and ``style.import``: style packs and LUT files, as jobs.

Front doors (the window, the command line) call ``enqueue_export_pack``,
``enqueue_export_lut`` and ``enqueue_import`` (blocking but quick: they check the styles and
files, sign what the person chose with the library's key, then queue; nothing is created when
they refuse). A finished import's new style ids are ``imported_ids(row.result_dict())``; the
styles it skipped (already in the library, by content hash) are ``result["skipped"]``.

The parts, each in its own module:

* ``exchange_request``: payload checks, grants and the front doors;
* ``export``: the ``style.export`` job (every file written whole through
  ``desktop.files.OutputFile``, never through a planted link, never over a file the person did
  not agree to replace);
* ``import_job``: the ``style.import`` job, which reads only a file a front door accepted, and
  ``import_lut``, ``import_pack`` and ``import_commit`` for what it imports.
"""

from __future__ import annotations

from desktop.pipelines import export, import_job  # noqa: F401  (registers the job types)
from desktop.pipelines.exchange_request import (
    CUBE_SIZES,
    EXPORT,
    IMPORT,
    KINDS,
    check_target,
    enqueue_export_lut,
    enqueue_export_pack,
    enqueue_import,
    import_kind,
    imported_ids,
    validate_export,
    validate_import,
)

__all__ = [
    "CUBE_SIZES",
    "EXPORT",
    "IMPORT",
    "KINDS",
    "check_target",
    "enqueue_export_lut",
    "enqueue_export_pack",
    "enqueue_import",
    "import_kind",
    "imported_ids",
    "validate_export",
    "validate_import",
]
