"""Where things live (platformdirs), the user's settings, and secrets (keyring or environment).

``STYLESTUDIO_HOME`` moves the whole data folder; ``STYLESTUDIO_DATABASE_URL`` points the
library at another database (for example PostgreSQL shared by several machines).

The **library folder** holds the files the database's rows point at (``styles/``, ``uploads/``
and ``tmp/``, where half-made files wait to be moved into ``styles/``); rows store paths
relative to it, so machines that share one database and reach one shared folder at different
places (``/mnt/studio`` here, ``/Volumes/studio`` there) see the same library. It is the data
folder unless ``STYLESTUDIO_LIBRARY_DIR`` (first) or the ``library_dir`` setting names another.
The database file, the logs and the settings always stay in the data folder (this machine's).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from desktop.errors import UserError

log = logging.getLogger(__name__)

APP_NAME = "StyleStudio"
KEYRING_SERVICE = "Style Studio"
FAL_KEY_NAME = "fal-key"
PROMPT_KEY_NAME = "prompt-endpoint-key"
HOME_VAR = "STYLESTUDIO_HOME"
DATABASE_URL_VAR = "STYLESTUDIO_DATABASE_URL"
LIBRARY_VAR = "STYLESTUDIO_LIBRARY_DIR"
LIBRARY_SETTING = "library_dir"
# Below this much free space, a "disk I/O error" of SQLite is a full disk (it cannot make its
# shared-memory file, for example).
NEARLY_FULL_BYTES = 1 << 20
# How many times a job runs at most (a passing error is retried): the setting's default, the
# engine's and the jobs table's. Here, at the bottom, because all three read it.
DEFAULT_MAX_ATTEMPTS = 3


def _derived() -> Any:
    return field(init=False, repr=False, compare=False)


@dataclass(frozen=True)
class Paths:
    """The data folder (this machine's: database file, logs, settings) and the library folder
    (the files the rows point at, possibly shared with other machines).

    ``library`` is the data folder when none is set; ``library_source`` names where a set one
    came from (STYLESTUDIO_LIBRARY_DIR or the setting), None for the default. A set one is
    checked by ``check_library`` before anything uses it."""

    home: Path
    library: Path = None  # type: ignore[assignment] # the data folder when left out
    library_source: str | None = None
    # made from the two folders (``__post_init__``): in the data folder, this machine's files
    db_file: Path = _derived()  # the SQLite database, library.sqlite3
    logs_dir: Path = _derived()
    log_file: Path = _derived()  # logs/stylestudio.log
    settings_file: Path = _derived()  # settings.json
    # in the library folder, the files the rows point at; half-made files live in ``tmp_dir``
    # until they are moved into place with the commit (in the library folder, so the move into
    # ``styles/`` is a rename on the same disk)
    uploads_dir: Path = _derived()
    styles_dir: Path = _derived()
    tmp_dir: Path = _derived()

    def __post_init__(self) -> None:
        library = self.home if self.library is None else self.library
        derived = {
            "library": library,
            "db_file": self.home / "library.sqlite3",
            "logs_dir": self.home / "logs",
            "log_file": self.home / "logs" / "stylestudio.log",
            "settings_file": self.home / "settings.json",
            "uploads_dir": library / "uploads",
            "styles_dir": library / "styles",
            "tmp_dir": library / "tmp",
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def library_is_home(self) -> bool:
        """The library's files are in the data folder (no library folder of its own)."""
        return os.path.abspath(self.library) == os.path.abspath(self.home)

    def database_url(self) -> str:
        return os.environ.get(DATABASE_URL_VAR) or f"sqlite:///{self.db_file}"


def default_home() -> Path:
    override = os.environ.get(HOME_VAR)
    if override is not None:
        return _folder(override, HOME_VAR)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _folder(text: str | os.PathLike[str], source: str) -> Path:
    if not str(text).strip():
        raise UserError(
            f"The data folder given by {source} is empty; name a folder, or leave {source} out to use the default one."
        )
    return Path(text).expanduser()


def resolve_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    """The data folder: ``home`` (the --home option), else STYLESTUDIO_HOME, else the user data
    folder. An empty name is refused (it would silently mean the current folder).

    The library folder: STYLESTUDIO_LIBRARY_DIR, else the ``library_dir`` setting of this data
    folder, else the data folder. It is not checked here (``check_library`` does, before the
    library is opened), so finding the log file never fails because of it."""
    base = _folder(home, "--home") if home is not None else default_home()
    env = os.environ.get(LIBRARY_VAR)
    if env is not None:
        return Paths(base, Path(env.strip()).expanduser() if env.strip() else Path(""), LIBRARY_VAR)
    setting = _library_setting(base / "settings.json")
    if setting:
        return Paths(base, Path(setting).expanduser(), f"the {LIBRARY_SETTING} setting")
    return Paths(base)


def _library_setting(settings_file: Path) -> str | None:
    """The ``library_dir`` of a settings file, or None (no file, no setting, unreadable)."""
    try:
        value = json.loads(settings_file.read_text(encoding="utf-8")).get(LIBRARY_SETTING)
    except (OSError, ValueError, AttributeError):
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def library_problem(folder: str | os.PathLike[str], source: str) -> str | None:
    """The sentence that says why ``folder`` cannot be the library folder, or None when it can
    (a full path to an existing folder). Nothing is created: a shared drive that is not mounted
    must not become an empty local library."""
    text = str(folder)
    if not text.strip() or text == ".":
        return f"The library folder given by {source} is empty; name a full path like /mnt/studio, or leave it out to keep the library in the data folder."
    if not os.path.isabs(text):
        return f"The library folder '{text}' given by {source} is not a full path; name one like /mnt/studio, or leave it out to keep the library in the data folder."
    if not os.path.exists(text):
        return f"The library folder {text} given by {source} does not exist; mount the shared drive or create the folder, or leave it out to keep the library in the data folder."
    if not os.path.isdir(text):
        return f"The library folder {text} given by {source} is a file, not a folder; name a folder, or leave it out to keep the library in the data folder."
    return None


def is_library_relative(path: str) -> bool:
    """``path`` has the shape of a path stored relative to the library folder: relative, in
    forward slashes, with no empty, ``.`` or ``..`` part."""
    return (
        bool(path)
        and not os.path.isabs(path)
        and "\\" not in path
        and "\x00" not in path
        and all(part not in ("", ".", "..") for part in path.split("/"))
    )


def relative_to_library(path: str | os.PathLike[str], library: Path) -> str:
    """How a row or payload stores ``path``: relative to the library folder when its real path
    lies inside it (so every machine finds it, wherever it maps the folder), else in full."""
    real = os.path.realpath(path)
    root = os.path.realpath(library).rstrip(os.sep) + os.sep
    if real.startswith(root):
        rel = Path(real[len(root) :]).as_posix()
        if is_library_relative(rel):
            return rel
    return str(path)


def from_library(stored: str, library: Path, what: str = "The file") -> Path:
    """The path a row or payload stores, on this machine: a full path as it is, a relative one
    read in this machine's library folder, whose real path (symlinks followed) must stay inside
    it (stored paths are untrusted), else UserError. ``what`` starts the sentence."""
    if os.path.isabs(stored):
        return Path(stored)
    root = os.path.realpath(library)
    real = os.path.realpath(os.path.join(root, stored))
    if not is_library_relative(stored) or not real.startswith(root.rstrip(os.sep) + os.sep):
        raise UserError(f"{what}, {stored[:200]}, leads outside the library folder, so Style Studio did not open it.")
    return Path(real)


def check_library(paths: Paths) -> None:
    """Raise UserError (one sentence) when a library folder was set but cannot be used."""
    if paths.library_source is None:
        return
    problem = library_problem(paths.library, paths.library_source)
    if problem:
        raise UserError(problem)


# --- private files and full disks ------------------------------------------------------------


def make_private(path: Path, mode: int) -> None:
    """Take group and others' access away from one of our files or folders (POSIX only; a
    missing file is left alone). Changes metadata only: works on a full disk."""
    if os.name != "posix":  # pragma: no cover - Windows keeps per-user ACLs on the data folder
        return
    try:
        current = os.stat(path).st_mode & 0o777
        if current & 0o077:
            os.chmod(path, mode)
    except OSError:
        pass


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc`` (or an error it wraps) says the disk or the user's quota is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc)
        ):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def _is_io_error(exc: BaseException | None) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == sqlite3.SQLITE_IOERR:
            return True
        if isinstance(exc, OSError) and exc.errno == errno.EIO:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def disk_full_error(folder: Path | None, exc: BaseException | None) -> UserError | None:
    """The one sentence for a full disk when ``exc`` means one, else None. An I/O error counts
    when the disk holding ``folder`` has (almost) no free space left."""
    if folder is None:
        return DiskFullError("The disk holding the library is full; free some space and try again.") if is_disk_full(exc) else None
    full = is_disk_full(exc)
    if not full and _is_io_error(exc):
        try:
            full = shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
        except OSError:
            full = False
    if not full:
        return None
    return DiskFullError(
        f"The disk holding {folder} is full; free some space (for example delete styles with "
        "'stylestudio styles delete ID') and try again."
    )


class DiskFullError(UserError):
    """The disk (or quota) holding the library is full."""


def ensure_writable(paths: Paths) -> None:
    """Create the data folder and its sub-folders (private to the user), or say in one sentence
    why that is impossible. Writes no new bytes when they all exist, so a library on a full disk
    can still be opened (to delete styles and free space).

    A library folder of its own (shared with other machines, maybe other users) must exist
    already; its sub-folders are made with the permissions the folder's owner chose (the
    umask), and nothing in it is ever made private."""
    check_library(paths)
    # Folders that already exist are tightened only in a data folder that is clearly ours (a
    # library made before they were private), never in a folder like ~ given by mistake.
    ours = paths.db_file.exists() or paths.settings_file.exists()
    private = [paths.home, paths.logs_dir]
    shared: list[Path] = []
    (private if paths.library_is_home else shared).extend((paths.uploads_dir, paths.styles_dir, paths.tmp_dir))
    try:
        for folder in private:
            if not folder.is_dir():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                make_private(folder, 0o700)
            elif ours:  # a library made before its folders were private
                make_private(folder, 0o700)
        make_private(paths.settings_file, 0o600)
        with tempfile.NamedTemporaryFile(dir=paths.home, prefix=".write-test-"):
            pass
    except OSError as exc:
        there = paths.home.is_dir() and os.access(paths.home, os.W_OK)
        _refuse_unwritable(exc, paths.home, there, "The data folder", f". Set {HOME_VAR} to a folder you can write to.")
    if shared:
        _ensure_library_writable(paths, shared)


def _ensure_library_writable(paths: Paths, folders: list[Path]) -> None:
    try:
        for folder in folders:
            folder.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=paths.tmp_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        advice = (
            "; check that the shared drive is mounted for writing by this user, "
            f"or change {paths.library_source}."
        )
        _refuse_unwritable(exc, paths.library, all(f.is_dir() for f in folders), "The library folder", advice)


def _refuse_unwritable(exc: OSError, folder: Path, there: bool, what: str, advice: str) -> None:
    """Say in one sentence why ``folder`` cannot be written, after ``exc``. On a full disk,
    return quietly when the folders are ``there``: reading and deleting must still work."""
    full = disk_full_error(folder, exc)
    if full is not None:
        if there:
            return
        raise full from exc
    reason = exc.strerror or exc.__class__.__name__
    raise UserError(f"{what} {folder} cannot be written ({reason.lower()}){advice}") from exc


@dataclass
class Settings:
    """User settings, kept as JSON in the data folder. Secrets are never stored here."""

    generator: str = "local"
    preview_count: int = 4
    preview_size: int = 768
    max_parallel: int = 2
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retention_days: float = 7.0
    fal_queue_url: str = "https://queue.fal.run"
    fal_model_reference: str = "fal-ai/flux-pro/v1.1/redux"
    fal_model_text: str = "fal-ai/flux/dev"
    prompt_base_url: str = ""
    prompt_model: str = "gpt-4o-mini"
    # the shared library folder (read when the library opens: a change applies at the next
    # start); empty: the data folder. STYLESTUDIO_LIBRARY_DIR wins over it.
    library_dir: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Paths) -> Settings:
        try:
            raw = json.loads(paths.settings_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        except (OSError, ValueError):
            log.warning("Settings file %s is unreadable; using defaults", paths.settings_file)
            raw = {}
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in raw.items() if k in known})
        env_url = os.environ.get("STYLESTUDIO_FAL_QUEUE_URL")
        if env_url:
            settings.fal_queue_url = env_url
        return settings

    def save(self, paths: Paths) -> None:
        data = asdict(self)
        tmp = paths.settings_file.with_suffix(".json.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(data, indent=2))
            make_private(tmp, 0o600)  # a leftover .tmp of an older version
            os.replace(tmp, paths.settings_file)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            full = disk_full_error(paths.home, exc)
            if full is not None:
                raise full from exc
            raise


# --- secrets ---------------------------------------------------------------------------------


class SecretStoreUnavailable(UserError):
    """The OS keyring cannot be used here."""


def usable_keyring():
    import keyring  # imported lazily: it probes backends on import
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return None
    return keyring


def get_secret(name: str, env_var: str | None = None) -> str | None:
    """A secret from the environment first, then the OS keyring. Never logged."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    kr = usable_keyring()
    if kr is None:
        return None
    try:
        return kr.get_password(KEYRING_SERVICE, name)
    except Exception:  # a locked or broken keyring must not break the app
        log.warning("The system keyring could not be read", exc_info=True)
        return None


def set_secret(name: str, value: str | None) -> None:
    kr = usable_keyring()
    if kr is None:
        raise SecretStoreUnavailable(
            "No system keyring is available on this computer, so the key cannot be saved; "
            "set the FAL_KEY environment variable instead."
        )
    try:
        if value:
            kr.set_password(KEYRING_SERVICE, name, value)
        else:
            try:
                kr.delete_password(KEYRING_SERVICE, name)
            except Exception:
                pass
    except Exception as exc:
        raise SecretStoreUnavailable(
            "The system keyring refused to store the key; "
            "set the FAL_KEY environment variable instead."
        ) from exc


def keyring_available() -> bool:
    return usable_keyring() is not None


def fal_key() -> str | None:
    return get_secret(FAL_KEY_NAME, "FAL_KEY")
