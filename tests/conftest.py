"""Shared test set-up: offscreen Qt, a temporary data folder per test, an in-memory keyring,
fast retry backoff, and no variable from the developer's environment leaking in."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("STYLESTUDIO_HOME", str(home))
    monkeypatch.setenv("STYLESTUDIO_RETRY_BASE_SECONDS", "0.05")
    # subprocesses get a keyring that stores nothing instead of probing for a daemon
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for name in ("STYLESTUDIO_DATABASE_URL", "STYLESTUDIO_LIBRARY_DIR", "FAL_KEY", "STYLESTUDIO_FAL_QUEUE_URL", "STYLESTUDIO_RESOURCES"):
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def home(isolated_env):
    return isolated_env


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    kr = keyring.get_keyring()
    assert isinstance(kr, MemoryKeyring)
    return kr


# `database_url`: runs a test on SQLite and on PostgreSQL (see tests/pg.py)
from tests.db.support import small_disk  # noqa: E402, F401  (a fixture: a real small disk, tmpfs)
from tests.pg import database_url, postgres_url, pytest_configure  # noqa: E402, F401
