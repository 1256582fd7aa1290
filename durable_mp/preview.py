"""Previews: a small, masked copy of a value's fields, kept inline where the value itself is stored
elsewhere (for example by `FileSystemSerDes`), so the console and the API show the key fields.

    config = PreviewConfig(PreviewMode.EXCLUDE_ALL, include=[PreviewField("order_id")], mask=[PreviewField("card")])
    build_preview({"order_id": 7, "card": "4111", "lines": [...]}, config)   # {"order_id": 7, "card": "***"}

Rules: a field is matched by name at any depth (`FieldMatchMode.ANYWHERE`) or by its dotted path from
the root (`PATH`). An excluded field is never shown (nor anything below it); a masked field is shown as
`mask_string` unless excluded; otherwise INCLUDE_ALL shows every leaf and EXCLUDE_ALL only the included
ones (a leaf is matched by its own path: by name, a leaf below an included object matches too). Lists are walked but not kept: the fields of their
elements merge at the list's path. Keys containing a dot are skipped. Leaves are added in document
order while the preview's JSON stays within `max_preview_bytes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PreviewMode(StrEnum):
    INCLUDE_ALL = "INCLUDE_ALL"
    EXCLUDE_ALL = "EXCLUDE_ALL"


class FieldMatchMode(StrEnum):
    ANYWHERE = "ANYWHERE"
    PATH = "PATH"


@dataclass(frozen=True)
class PreviewField:
    """A field by name (matched at any depth) or by dotted path from the root."""

    name: str
    match: FieldMatchMode = FieldMatchMode.ANYWHERE

    def matches(self, path: str) -> bool:
        if self.match is FieldMatchMode.PATH:
            return path == self.name
        return self.name in path.split(".")


@dataclass(frozen=True)
class PreviewConfig:
    mode: PreviewMode
    include: list[PreviewField] = field(default_factory=list)
    exclude: list[PreviewField] = field(default_factory=list)
    mask: list[PreviewField] = field(default_factory=list)
    mask_string: str = "***"
    max_preview_bytes: int = 4096


def _any(fields: list[PreviewField], path: str) -> bool:
    return any(f.matches(path) for f in fields)


def _leaves(obj: Any, prefix: str, config: PreviewConfig, out: list[tuple[str, Any]]) -> None:
    """Append (path, value) for every visible leaf below `obj`."""
    if isinstance(obj, list):
        for item in obj:
            _leaves(item, prefix, config, out)
        return
    if not isinstance(obj, dict):
        return
    for key, value in obj.items():
        if "." in str(key):
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if _any(config.exclude, path):
            continue
        if _any(config.mask, path):
            out.append((path, config.mask_string))
            continue
        if isinstance(value, (dict, list)):
            _leaves(value, path, config, out)
        elif config.mode is PreviewMode.INCLUDE_ALL or _any(config.include, path):
            out.append((path, value))


def build_preview(value: Any, config: PreviewConfig) -> dict[str, Any] | None:
    """The preview of `value` (a dict) under `config`, or None when nothing is visible."""
    if not isinstance(value, dict):
        return None
    leaves: list[tuple[str, Any]] = []
    _leaves(value, "", config, leaves)
    size = 2  # "{}"
    preview: dict[str, Any] = {}
    for path, leaf in leaves:
        size += len(f'"{path}":{json.dumps(leaf)},'.encode())
        if size > config.max_preview_bytes:
            break
        *parents, last = path.split(".")
        node = preview
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = leaf
    return preview or None


__all__ = ["FieldMatchMode", "PreviewConfig", "PreviewField", "PreviewMode", "build_preview"]
