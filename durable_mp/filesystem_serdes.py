"""FileSystemSerDes: keep checkpointed values in files on a shared, durable file system.

For payloads too large for a checkpoint (262,144 bytes), or to keep them out of the execution history:
the checkpoint then holds a small JSON envelope pointing at the file. Mount a file system that every
invocation of the function sees, such as Amazon EFS or Amazon S3 Files, never Lambda's `/tmp` (local to
one execution environment: a replay elsewhere would not find the file).

    serdes = FileSystemSerDes("/mnt/efs", FileSystemSerDesConfig(storage_mode=FileSystemSerDesMode.OVERFLOW))
    context.step(fetch_report, config=StepConfig(serdes=serdes))

Envelopes: `{"data": "<the value serialized>"}` (inline), `{"file": "<path>"}`, and `{"file": ..., "preview":
{...}}` when a `generate_preview` (e.g. a `durable_mp.preview.build_preview` partial) gives one.
Modes: ALWAYS writes every value to a file; OVERFLOW keeps a value inline unless its envelope exceeds the
checkpoint limit less 1 KiB of headroom. Files are `<base>/<function>/<execution name>/<invocation id>/
<operation id>.json` (URI encoding, names percent-encoded) or `<base>/<sha256(arn)>/<sha256(op id)>.json`
(HASH encoding: fixed length, always safe). Values inside are written with `config.serdes` (default: the
extended-types serdes).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote

from durable_mp.constants import CHECKPOINT_SIZE_LIMIT_BYTES
from durable_mp.serdes import EXTENDED_TYPES_SERDES, SerDes, SerDesContext
from durable_mp.types import DurableExecutionArn

_INLINE_LIMIT = CHECKPOINT_SIZE_LIMIT_BYTES - 1024  # headroom for the envelope and checkpoint metadata


class FileSystemSerDesMode(StrEnum):
    ALWAYS = "ALWAYS"
    OVERFLOW = "OVERFLOW"


class FileSystemPathEncoding(StrEnum):
    URI = "URI"
    HASH = "HASH"


class GeneratePreview(Protocol):
    """Makes the inline preview of a value stored in a file (None: no preview)."""

    def __call__(self, value: Any) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class FileSystemSerDesConfig:
    storage_mode: FileSystemSerDesMode = FileSystemSerDesMode.ALWAYS
    path_encoding: FileSystemPathEncoding = FileSystemPathEncoding.URI
    generate_preview: GeneratePreview | None = None
    serdes: SerDes[Any] = EXTENDED_TYPES_SERDES


def _segment(value: str, encoding: FileSystemPathEncoding) -> str:
    if encoding is FileSystemPathEncoding.HASH:
        return hashlib.sha256(value.encode()).hexdigest()
    return quote(value, safe="")


def _directory(base: str, arn: str, encoding: FileSystemPathEncoding) -> str:
    parsed = DurableExecutionArn.from_arn(arn) if encoding is FileSystemPathEncoding.URI else None
    if parsed is not None:
        return os.path.join(base, parsed.function_name, parsed.execution_name, parsed.invocation_id)
    return os.path.join(base, _segment(arn, encoding))


class FileSystemSerDes(SerDes[Any]):
    """A serdes whose values live in files under `base_path` (see the module docstring)."""

    def __init__(self, base_path: str, config: FileSystemSerDesConfig | None = None) -> None:
        self._base_path = base_path
        self._config = config or FileSystemSerDesConfig()

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        config = self._config
        text = config.serdes.serialize(value, serdes_context)
        if config.storage_mode is FileSystemSerDesMode.OVERFLOW:
            inline = json.dumps({"data": text})
            if len(inline.encode("utf-8")) <= _INLINE_LIMIT:
                return inline
        envelope: dict[str, Any] = {"file": self._write(text, serdes_context)}
        preview = config.generate_preview(value) if config.generate_preview else None
        if preview:
            envelope["preview"] = preview
        return json.dumps(envelope)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        envelope: dict[str, Any] = json.loads(data)
        if "file" in envelope:
            with open(envelope["file"], encoding="utf-8") as f:
                return self._config.serdes.deserialize(f.read(), serdes_context)
        return self._config.serdes.deserialize(envelope["data"], serdes_context)

    def _write(self, text: str, context: SerDesContext) -> str:
        encoding = self._config.path_encoding
        directory = _directory(self._base_path, context.durable_execution_arn, encoding)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{_segment(context.operation_id, encoding)}.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path


__all__ = [
    "CHECKPOINT_SIZE_LIMIT_BYTES",
    "FileSystemPathEncoding",
    "FileSystemSerDes",
    "FileSystemSerDesConfig",
    "FileSystemSerDesMode",
    "GeneratePreview",
]
