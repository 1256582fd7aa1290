"""Command-line values that may come from a file or stdin, and functions given as NAME=module:attr."""

from __future__ import annotations

import sys
from typing import Any

from durable_mp.cli.loading import UsageError, function_name, load_handler, parse_json


def read_json_arg(text: str, option: str) -> str:
    """The JSON of `option`: inline text, `@path` (read from a file) or `-` (read from stdin); checked."""
    if text == "-":
        text = sys.stdin.read()
        where = f"{option} - (stdin)"
    elif text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise UsageError(f"{option} @{path}: cannot read the file: {exc.strerror or exc}") from None
        where = f"{option} @{path}"
    else:
        where = option
    return parse_json(text.strip(), where)


def function_specs(specs: list[str], option: str = "--function") -> list[tuple[str, Any]]:
    """(name, durable handler) for each `NAME=module:attr` (module may be path/to/file.py)."""
    out: list[tuple[str, Any]] = []
    for spec in specs:
        name, sep, target = spec.partition("=")
        if not sep or not name or not target:
            raise UsageError(f"{option} {spec!r}: expected NAME=module:attr")
        if function_name(name) != name:
            raise UsageError(
                f"{option} {spec!r}: {name!r} is not a valid function name ([a-zA-Z0-9_-], 1-64)"
            )
        handler, _ = load_handler(target)
        out.append((name, handler))
    return out
