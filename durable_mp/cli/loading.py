"""Turning command-line text into objects: handler specs, JSON arguments, stores. Bad input -> UsageError."""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import json
import os
import re
import sys
from typing import Any

DEFAULT_STORE_DIR = ".durable-mp"
DEFAULT_STORE_FILE = "executions.db"


class UsageError(Exception):
    """Wrong user input: reported as one line on stderr, exit status 2."""


def load_handler(spec: str) -> tuple[Any, str]:
    """`path/to/file.py:attr` or `package.module:attr` (attr defaults to `handler`) -> (handler, name)."""
    target, sep, attr = spec.rpartition(":")
    if not sep:
        target, attr = spec, "handler"
    if not target or not attr:
        raise UsageError(f"{spec!r} is not FILE.py:ATTR or MODULE:ATTR")
    if target.endswith(".py") or os.sep in target or "/" in target:
        module = _load_file(target)
        stem = os.path.splitext(os.path.basename(target))[0]
    else:
        module = _load_module(target)
        stem = target.rsplit(".", 1)[-1]
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{target} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(getattr(obj, "durable_invoke", None)):
        raise UsageError(f"{target}:{attr} is not a durable handler (decorate it with @durable_execution)")
    return obj, function_name(stem)


def function_name(text: str) -> str:
    """A valid Lambda function name made from `text` ([a-zA-Z0-9_-], at most 64 characters)."""
    name = re.sub(r"[^a-zA-Z0-9_-]", "-", text)[:64]
    return name or "handler"


def _load_file(path: str) -> Any:
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    if not path.endswith(".py"):
        raise UsageError(f"{path} is not a Python file (.py)")
    path = os.path.abspath(path)
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier():
        raise UsageError(f"{path}: the file name must be a valid Python module name")
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # sibling imports work, and worker processes can import the module
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:  # pragma: no cover - a .py file always has a spec
        raise UsageError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise UsageError(f"cannot import {path}: SyntaxError: {exc.msg} (line {exc.lineno})") from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed to import: one line, no traceback
        del sys.modules[name]
        raise UsageError(f"cannot import {path}: {type(exc).__name__}: {exc}") from None
    return module


def _load_module(name: str) -> Any:
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise UsageError(f"no module named {name!r}") from None
        raise UsageError(f"cannot import {name}: ModuleNotFoundError: {exc}") from None
    except SyntaxError as exc:
        raise UsageError(
            f"cannot import {name}: SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - importing user code: any error is a usage error
        raise UsageError(f"cannot import {name}: {type(exc).__name__}: {exc}") from None


def parse_json(text: str, option: str) -> str:
    """Check that `text` is JSON; returns it unchanged (the service keeps payloads as strings)."""
    try:
        json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option} is not valid JSON: {exc}") from None
    return text


def store_path(option: str | None) -> str | None:
    """The SQLite file for `--store` (None for `memory`); the default is ./.durable-mp/executions.db."""
    if option == "memory":
        return None
    if option is None:
        return os.path.join(DEFAULT_STORE_DIR, DEFAULT_STORE_FILE)
    if os.path.isdir(option):
        return os.path.join(option, DEFAULT_STORE_FILE)
    return option


def open_store(option: str | None, *, create: bool, lock: bool) -> Any:
    """A store for `--store`: MemoryStore, or SqliteStore (created if `create`, else it must exist).

    With `lock`, the process takes an exclusive lock on `<file>.lock` until `release_locks()` (the end of
    the command), so that two processes never resume the same executions; the kernel drops it if the
    process dies.
    """
    from durable_mp.local.stores import MemoryStore, SqliteStore

    path = store_path(option)
    if path is None:
        return MemoryStore()
    if not os.path.exists(path):
        if not create:
            raise UsageError(f"no store at {path} (run a workflow first, or pass --store PATH)")
        folder = os.path.dirname(path)
        if folder:
            try:
                os.makedirs(folder, mode=0o700, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create the store folder {folder}: {exc.strerror}") from None
    if lock:
        _lock(path)
    try:
        return SqliteStore(path)
    except Exception as exc:  # noqa: BLE001 - not a database, wrong schema version, permissions
        raise UsageError(f"cannot open the store {path}: {exc}") from None


_held_locks: list[Any] = []


def _lock(path: str) -> None:
    handle = open(path + ".lock", "a+")  # noqa: SIM115 - held open until the process exits
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "?"
        handle.close()
        raise UsageError(
            f"the store {path} is in use by another durable-mp process (pid {owner}); "
            "use another --store, or --endpoint to talk to a running `durable-mp serve`"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    _held_locks.append(handle)


def release_locks() -> None:
    """Drop the store locks this process holds (at the end of a command)."""
    while _held_locks:
        _held_locks.pop().close()
