"""Where things live (platformdirs), the user's settings, and secrets (keyring or environment).

``STYLESTUDIO_HOME`` moves the whole data folder; ``STYLESTUDIO_DATABASE_URL`` points the
library at another database (for example PostgreSQL shared by several machines).
"""

from __future__ import annotations

import json
import logging
import os
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
        return os.environ.get("STYLESTUDIO_DATABASE_URL") or f"sqlite:///{self.db_file}"


def default_home() -> Path:
    override = os.environ.get("STYLESTUDIO_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    return Paths(Path(home).expanduser() if home is not None else default_home())


def ensure_writable(paths: Paths) -> None:
    """Create the data folder and its sub-folders, or say in one sentence why that is impossible."""
    try:
        for folder in (paths.home, paths.logs_dir, paths.uploads_dir, paths.styles_dir, paths.tmp_dir):
            folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=paths.home, prefix=".write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise UserError(
            f"The data folder {paths.home} cannot be written ({reason.lower()}). "
            "Set STYLESTUDIO_HOME to a folder you can write to."
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
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, paths.settings_file)


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
