"""The SQLite store keeps payloads: its new files are 0600 and a folder it creates 0700."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from durable_mp.cli.loading import open_store, release_locks
from durable_mp.local import LocalDurableService, SqliteStore
from tests.local.conftest import run
from tests.local.rawhandlers import Script, ok


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_store_file_and_folder_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db = tmp_path / "deep" / "store" / "executions.db"
        with LocalDurableService(store=SqliteStore(str(db))) as service:
            assert run(service, "fn", Script(lambda r: ok('"x"')))["Status"] == "SUCCEEDED"
            files = [p for p in db.parent.iterdir() if p.name.startswith("executions.db")]
            assert {p.name for p in files} >= {"executions.db", "executions.db-wal", "executions.db-shm"}
            assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert _mode(db.parent) == 0o700
    finally:
        os.umask(old)


def test_existing_files_are_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    db.touch(mode=0o640)
    os.chmod(db, 0o640)
    SqliteStore(str(db)).close()
    assert _mode(db) == 0o640


def test_the_cli_store_folder_is_private(tmp_path: Path) -> None:
    db = tmp_path / "cli" / "executions.db"
    try:
        open_store(str(db), create=True, lock=True).close()
    finally:
        release_locks()
    assert _mode(db.parent) & 0o077 == 0 and _mode(db) & 0o077 == 0
