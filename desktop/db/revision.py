"""The schema revision this version of Style Studio reads and writes: the newest migration in
``desktop/db/migrations/versions`` (a test keeps the two in step). A module of its own, with
no import, so a read-only listing can check a library's revision without SQLAlchemy."""

SCHEMA_REVISION = "0008_pg28"
