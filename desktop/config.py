"""Where things live (platformdirs), the user's settings, and secrets (keyring or environment).

``STYLESTUDIO_HOME`` moves the whole data folder; ``STYLESTUDIO_DATABASE_URL`` points the
library at another database (for example PostgreSQL shared by several machines).
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

import platformdirs

from desktop.errors import UserError

log = logging.getLogger(__name__)

APP_NAME = "StyleStudio"
KEYRING_SERVICE = "Style Studio"
FAL_KEY_NAME = "fal-key"
PROMPT_KEY_NAME = "prompt-endpoint-key"
HOME_VAR = "STYLESTUDIO_HOME"
DATABASE_URL_VAR = "STYLESTUDIO_DATABASE_URL"
# Below this much free space, a "disk I/O error" of SQLite is a full disk (it cannot make its
# shared-memory file, for example).
NEARLY_FULL_BYTES = 1 << 20


@dataclass(frozen=True)
class Paths:
    """The data folder and everything kept inside it."""

    home: Path

    @property
    def db_file(self) -> Path:
        return self.home / "library.sqlite3"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs_dir / "stylestudio.log"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def styles_dir(self) -> Path:
        return self.home / "styles"

    @property
    def tmp_dir(self) -> Path:
        """Half-made files live here until they are moved into place with the commit."""
        return self.home / "tmp"

    @property
    def settings_file(self) -> Path:
        return self.home / "settings.json"

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
    folder. An empty name is refused (it would silently mean the current folder)."""
    return Paths(_folder(home, "--home") if home is not None else default_home())


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
    can still be opened (to delete styles and free space)."""
    # Folders that already exist are tightened only in a data folder that is clearly ours (a
    # library made before they were private), never in a folder like ~ given by mistake.
    ours = paths.db_file.exists() or paths.settings_file.exists()
    try:
        for folder in (paths.home, paths.logs_dir, paths.uploads_dir, paths.styles_dir, paths.tmp_dir):
            if not folder.is_dir():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                make_private(folder, 0o700)
            elif ours:  # a library made before its folders were private
                make_private(folder, 0o700)
        make_private(paths.settings_file, 0o600)
        with tempfile.NamedTemporaryFile(dir=paths.home, prefix=".write-test-"):
            pass
    except OSError as exc:
        full = disk_full_error(paths.home, exc)
        if full is not None:
            if paths.home.is_dir() and os.access(paths.home, os.W_OK):
                return  # the folders are there: reading and deleting must still work
            raise full from exc
        reason = exc.strerror or exc.__class__.__name__
        raise UserError(
            f"The data folder {paths.home} cannot be written ({reason.lower()}). "
            f"Set {HOME_VAR} to a folder you can write to."
        ) from exc


@dataclass
class Settings:
    """User settings, kept as JSON in the data folder. Secrets are never stored here."""

    generator: str = "local"
    preview_count: int = 4
    preview_size: int = 768
    max_parallel: int = 2
    max_attempts: int = 3
    retention_days: float = 7.0
    fal_queue_url: str = "https://queue.fal.run"
    fal_model_reference: str = "fal-ai/flux-pro/v1.1/redux"
    fal_model_text: str = "fal-ai/flux/dev"
    prompt_base_url: str = ""
    prompt_model: str = "gpt-4o-mini"
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


def _keyring():
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
    kr = _keyring()
    if kr is None:
        return None
    try:
        return kr.get_password(KEYRING_SERVICE, name)
    except Exception:  # a locked or broken keyring must not break the app
        log.warning("The system keyring could not be read", exc_info=True)
        return None


def set_secret(name: str, value: str | None) -> None:
    kr = _keyring()
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
    return _keyring() is not None


def fal_key() -> str | None:
    return get_secret(FAL_KEY_NAME, "FAL_KEY")
