"""SQLite store: WAL mode, a versioned schema, one transaction per accepted change.

Every `commit` ends with COMMIT before the service acknowledges the change, so killing the process at
any instant loses no acknowledged checkpoint. `synchronous=NORMAL` (the default here) survives a killed
process; pass `synchronous="FULL"` to also survive a power loss, at the cost of an fsync per commit.

Schema version 2:
  meta(key PRIMARY KEY, value)                      -- schema_version
  executions(arn PRIMARY KEY, function_name, name, status, start_ms, end_ms, function_arn, body)
                                                    -- body: JSON of the execution's own fields; the
                                                    -- columns copy what reads select by (indexed) and
                                                    -- what a listing shows
  operations(arn, id, body, PRIMARY KEY(arn, id))   -- rowid keeps start order; body is the Operation
  events(arn, event_id, body, PRIMARY KEY(arn, event_id))
  callbacks(id PRIMARY KEY, arn)                    -- which execution opened each callback
Version 1 had `executions(arn, body)` and no `callbacks`; a version 1 file is upgraded when opened.
Reads select: a service loads the RUNNING executions at start and any other one only when asked.

Permissions: the store holds every payload, so a new file is created 0600 (its -wal and -shm files take
the same mode, as SQLite gives them) and a missing folder 0700 (both further narrowed by the umask).
An existing file or folder is left as it is: its owner chose its mode.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from typing import Any

from durable_mp.local.executions import CallbackWatch, Execution, Invocation, summary

SCHEMA_VERSION = 2
_TABLES = """
CREATE TABLE IF NOT EXISTS executions (arn TEXT PRIMARY KEY, function_name TEXT NOT NULL, name TEXT NOT NULL,
                                       status TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER,
                                       function_arn TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS operations (arn TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                                       PRIMARY KEY (arn, id));
CREATE TABLE IF NOT EXISTS events (arn TEXT NOT NULL, event_id INTEGER NOT NULL, body TEXT NOT NULL,
                                   PRIMARY KEY (arn, event_id));
"""
_INDEXES = (
    "CREATE TABLE IF NOT EXISTS callbacks (id TEXT PRIMARY KEY, arn TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS executions_by_name ON executions (function_name, name)",
    "CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status)",
)
_ROW_FIELDS = (
    "name",
    "function_name",
    "function_arn",
    "input_payload",
    "start_ms",
    "timeout_s",
    "status",
    "end_ms",
    "result",
    "error",
    "parent_arn",
    "parent_op_id",
    "tenant_id",
    "checkpointed_result",
    "checkpointed_error",
    "crashes",
    "real_start",
)
_UPSERT_OP = (
    "INSERT INTO operations (arn, id, body) VALUES (?, ?, ?) "
    "ON CONFLICT (arn, id) DO UPDATE SET body = excluded.body"
)
# columns by name: in a file upgraded from version 1 they are in another order
_INSERT_EXECUTION = (
    "INSERT INTO executions (arn, function_name, name, status, start_ms, end_ms, function_arn, "
    "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_ADD_CALLBACK = "INSERT OR IGNORE INTO callbacks VALUES (?, ?)"
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _create_private(path: str) -> None:
    """Create the database file 0600 (and its folder 0700) unless it exists."""
    if path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


class SqliteStore:
    def __init__(self, path: str, *, synchronous: str = "NORMAL") -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = path
        _create_private(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.executescript(_TABLES + "".join(f"{statement};\n" for statement in _INDEXES))
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) == 1:
            self._upgrade_from_1()
        elif int(row[0]) != SCHEMA_VERSION:
            raise RuntimeError(
                f"{path} has schema version {row[0]}; this durable-mp reads version {SCHEMA_VERSION}"
            )

    def _upgrade_from_1(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for column in (
                "function_name TEXT NOT NULL DEFAULT ''",
                "name TEXT NOT NULL DEFAULT ''",
                "status TEXT NOT NULL DEFAULT ''",
                "start_ms INTEGER NOT NULL DEFAULT 0",
                "end_ms INTEGER",
                "function_arn TEXT NOT NULL DEFAULT ''",
            ):
                db.execute(f"ALTER TABLE executions ADD COLUMN {column}")
            for arn, body in db.execute("SELECT arn, body FROM executions").fetchall():
                f = json.loads(body)
                db.execute(
                    "UPDATE executions SET function_name = ?, name = ?, status = ?, start_ms = ?, "
                    "end_ms = ?, function_arn = ? WHERE arn = ?",
                    (
                        f["function_name"],
                        f["name"],
                        f["status"],
                        f["start_ms"],
                        f["end_ms"],
                        f["function_arn"],
                        arn,
                    ),
                )
            for statement in _INDEXES:
                db.execute(statement)
            for arn, body in db.execute("SELECT arn, body FROM operations").fetchall():
                op = json.loads(body)
                if op["Type"] == "CALLBACK":
                    db.execute(_ADD_CALLBACK, (op["CallbackDetails"]["CallbackId"], arn))
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _row(ex: Execution) -> str:
        body: dict[str, Any] = {key: getattr(ex, key) for key in _ROW_FIELDS}
        if ex.inflight is not None:
            body["inflight"] = [ex.inflight.request_id, ex.inflight.start_ms]
        if ex.callbacks:
            body["callbacks"] = {
                cid: [w.op_id, w.heartbeat_s, w.timeout_at, w.heartbeat_at] for cid, w in ex.callbacks.items()
            }
        if ex.callback_outcomes:
            body["callback_outcomes"] = {cid: list(outcome) for cid, outcome in ex.callback_outcomes.items()}
        if ex.updated_ids:
            body["updated_ids"] = list(ex.updated_ids)
        return _dumps(body)

    def create(self, ex: Execution) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            db.execute(
                _INSERT_EXECUTION,
                (
                    ex.arn,
                    ex.function_name,
                    ex.name,
                    ex.status,
                    ex.start_ms,
                    ex.end_ms,
                    ex.function_arn,
                    self._row(ex),
                ),
            )
            self._write(ex, ex.ops.values(), 0)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def commit(self, ex: Execution, ops: Iterable[dict[str, Any]], events_from: int, execution: bool) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            if execution:
                db.execute(
                    "UPDATE executions SET status = ?, end_ms = ?, body = ? WHERE arn = ?",
                    (ex.status, ex.end_ms, self._row(ex), ex.arn),
                )
            self._write(ex, ops, events_from)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _write(self, ex: Execution, ops: Iterable[dict[str, Any]], events_from: int) -> None:
        arn = ex.arn
        execute = self._db.execute
        for op in ops:
            execute(_UPSERT_OP, (arn, op["Id"], _dumps(op)))
            if op["Type"] == "CALLBACK":
                execute(_ADD_CALLBACK, (op["CallbackDetails"]["CallbackId"], arn))
        events = ex.events
        for index in range(events_from, len(events)):
            execute("INSERT INTO events VALUES (?, ?, ?)", (arn, index + 1, _dumps(events[index])))

    # ------------------------------------------------------------------ reads

    def load_running(self) -> list[Execution]:
        rows = self._db.execute("SELECT arn, body FROM executions WHERE status = 'RUNNING' ORDER BY rowid")
        return [self._full(arn, body) for arn, body in rows.fetchall()]

    def load(self, arn: str) -> Execution | None:
        row = self._db.execute("SELECT body FROM executions WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else self._full(arn, row[0])

    def load_all(self) -> list[Execution]:
        """Every execution in the file, in start order (for tools that read a whole store)."""
        rows = self._db.execute("SELECT arn, body FROM executions ORDER BY rowid")
        return [self._full(arn, body) for arn, body in rows.fetchall()]

    def find(self, function_name: str, name: str) -> str | None:
        row = self._db.execute(
            "SELECT arn FROM executions WHERE function_name = ? AND name = ?", (function_name, name)
        ).fetchone()
        return None if row is None else row[0]

    def find_callback(self, callback_id: str) -> str | None:
        row = self._db.execute("SELECT arn FROM callbacks WHERE id = ?", (callback_id,)).fetchone()
        return None if row is None else row[0]

    def summaries(self, function_name: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT arn, name, function_arn, status, start_ms, end_ms FROM executions "
            "WHERE function_name = ? ORDER BY rowid",
            (function_name,),
        )
        return [summary(*row) for row in rows.fetchall()]

    @staticmethod
    def _header(arn: str, body: str) -> Execution:
        """The execution from its row alone (no operations or history yet)."""
        fields = json.loads(body)
        inflight = fields.pop("inflight", None)
        callbacks = fields.pop("callbacks", {})
        outcomes = fields.pop("callback_outcomes", {})
        updated = fields.pop("updated_ids", [])
        ex = Execution(arn=arn, **fields)
        ex.updated_ids = dict.fromkeys(updated)
        ex.callbacks = {cid: CallbackWatch(*watch) for cid, watch in callbacks.items()}
        ex.callback_outcomes = {
            cid: (op, status, result, error) for cid, (op, status, result, error) in outcomes.items()
        }
        if inflight is not None:
            ex.inflight = Invocation(request_id=inflight[0], start_ms=inflight[1], token_prefix="")
        return ex

    def _full(self, arn: str, body: str) -> Execution:
        ex = self._header(arn, body)
        rows = self._db.execute("SELECT id, body FROM operations WHERE arn = ? ORDER BY rowid", (arn,))
        for op_id, op_body in rows:
            ex.ops[op_id] = json.loads(op_body)
        ex.events = [
            json.loads(b)
            for (b,) in self._db.execute("SELECT body FROM events WHERE arn = ? ORDER BY event_id", (arn,))
        ]
        return ex

    def close(self) -> None:
        self._db.close()
