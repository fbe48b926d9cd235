"""How a database server out of reach is told from one that answered, and what is said about
it: host and port, never the password (real sockets on loopback; no PostgreSQL needed)."""

from __future__ import annotations

import argparse
import socket

import pytest
from sqlalchemy.engine import make_url

from desktop.cli.common import error_sentence
from desktop.db.engine import Database
from desktop.db.server import (
    ServerUnreachable,
    probe,
    server_address,
    unreachable_sentence,
    wait_for_server,
)
from desktop.jobs.connections import LibraryUnreachable

SECRET = "Pw-7e1d93"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_address_is_host_and_port_without_user_or_password():
    url = make_url(f"postgresql+psycopg://bob:{SECRET}@db.example:6543/lib")
    assert server_address(url) == "db.example:6543"
    assert server_address(make_url(f"postgresql+psycopg://bob:{SECRET}@db.example/lib")) == "db.example:5432"
    sentence = unreachable_sentence(url, "connection refused", 60)
    assert sentence.startswith("The PostgreSQL server at db.example:6543 could not be reached (connection refused; waited 60 s)")
    assert SECRET not in sentence and "bob" not in sentence


def test_a_probe_tells_nothing_there_from_something_there():
    assert probe("127.0.0.1", _closed_port()) == "connection refused"
    with socket.create_server(("127.0.0.1", 0)) as listener:
        assert probe("127.0.0.1", listener.getsockname()[1]) is None


def test_a_server_out_of_reach_is_waited_for_then_named(monkeypatch):
    port = _closed_port()
    db = Database(f"postgresql+psycopg://bob:{SECRET}@127.0.0.1:{port}/lib")
    told: list[str] = []
    try:
        with pytest.raises(ServerUnreachable) as caught:
            wait_for_server(db.engine, db.url, 0.5, on_waiting=lambda: told.append("waiting"), on_back=lambda: told.append("back"))
    finally:
        db.dispose()
    assert told == ["waiting"]
    assert f"127.0.0.1:{port} could not be reached (connection refused; waited" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_server_lost_in_the_middle_of_a_command_is_named_too(monkeypatch, home):
    port = _closed_port()
    monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", f"postgresql+psycopg://bob:{SECRET}@127.0.0.1:{port}/lib")
    args = argparse.Namespace(home=str(home))
    text = error_sentence(LibraryUnreachable(), args)
    assert text.startswith(f"The PostgreSQL server at 127.0.0.1:{port} could not be reached;")
    assert SECRET not in text
    monkeypatch.delenv("STYLESTUDIO_DATABASE_URL")
    assert error_sentence(LibraryUnreachable(), args) == str(LibraryUnreachable())  # SQLite: the engine's own words
