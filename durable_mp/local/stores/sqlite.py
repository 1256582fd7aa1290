"""SQLite store: WAL mode, a versioned schema, one transaction per accepted change.

Every `commit` ends with COMMIT before the service acknowledges the change, so killing the process at
any instant loses no acknowledged checkpoint. `synchronous=NORMAL` (the default here) survives a killed
process; pass `synchronous="FULL"` to also survive a power loss, at the cost of an fsync per commit.

Schema version 1:
  meta(key PRIMARY KEY, value)                      -- schema_version
  executions(arn PRIMARY KEY, body)                 -- JSON of the execution's own fields
  operations(arn, id, body, PRIMARY KEY(arn, id))   -- rowid keeps start order; body is the Operation
  events(arn, event_id, body, PRIMARY KEY(arn, event_id))
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from durable_mp.local.executions import CallbackWatch, Execution, Invocation

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (arn TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS operations (arn TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                                       PRIMARY KEY (arn, id));
CREATE TABLE IF NOT EXISTS events (arn TEXT NOT NULL, event_id INTEGER NOT NULL, body TEXT NOT NULL,
                                   PRIMARY KEY (arn, event_id));
"""
_ROW_FIELDS = ("name", "function_name", "function_arn", "input_payload", "start_ms", "timeout_s", "status",
               "end_ms", "result", "error", "parent_arn", "parent_op_id", "tenant_id", "checkpointed_result",
               "checkpointed_error", "crashes")
_UPSERT_OP = ("INSERT INTO operations (arn, id, body) VALUES (?, ?, ?) "
              "ON CONFLICT (arn, id) DO UPDATE SET body = excluded.body")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class SqliteStore:
    def __init__(self, path: str, *, synchronous: str = "NORMAL") -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise RuntimeError(f"{path} has schema version {row[0]}; this durable-mp reads version {SCHEMA_VERSION}")

    @staticmethod
    def _row(ex: Execution) -> str:
        body: dict[str, Any] = {key: getattr(ex, key) for key in _ROW_FIELDS}
        if ex.inflight is not None:
            body["inflight"] = [ex.inflight.request_id, ex.inflight.start_ms]
        if ex.callbacks:
            body["callbacks"] = {cid: [w.op_id, w.heartbeat_s, w.timeout_at, w.heartbeat_at]
                                 for cid, w in ex.callbacks.items()}
        return _dumps(body)

    def create(self, ex: Execution) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            db.execute("INSERT INTO executions VALUES (?, ?)", (ex.arn, self._row(ex)))
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
                db.execute("UPDATE executions SET body = ? WHERE arn = ?", (self._row(ex), ex.arn))
            self._write(ex, ops, events_from)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _write(self, ex: Execution, ops: Iterable[dict[str, Any]], events_from: int) -> None:
        arn = ex.arn
        for op in ops:
            self._db.execute(_UPSERT_OP, (arn, op["Id"], _dumps(op)))
        events = ex.events
        for index in range(events_from, len(events)):
            self._db.execute("INSERT INTO events VALUES (?, ?, ?)", (arn, index + 1, _dumps(events[index])))

    def load_all(self) -> list[Execution]:
        out: list[Execution] = []
        for arn, body in self._db.execute("SELECT arn, body FROM executions ORDER BY rowid").fetchall():
            fields = json.loads(body)
            inflight = fields.pop("inflight", None)
            callbacks = fields.pop("callbacks", {})
            ex = Execution(arn=arn, **fields)
            ex.callbacks = {cid: CallbackWatch(*watch) for cid, watch in callbacks.items()}
            if inflight is not None:
                ex.inflight = Invocation(request_id=inflight[0], start_ms=inflight[1], token_prefix="")
            for op_id, op_body in self._db.execute(
                    "SELECT id, body FROM operations WHERE arn = ? ORDER BY rowid", (arn,)):
                ex.ops[op_id] = json.loads(op_body)
            ex.events = [json.loads(b) for (b,) in self._db.execute(
                "SELECT body FROM events WHERE arn = ? ORDER BY event_id", (arn,))]
            out.append(ex)
        return out

    def close(self) -> None:
        self._db.close()
