"""Payloads for display: serdes envelopes (`{"t":"m","v":{...}}`) shown as the value they hold.

Operation results are written by the SDK's serdes: plain JSON for None, str, numbers, bools and lists of
them, otherwise a tagged envelope. `durable-mp history` shows the value (`--raw` keeps the wire form);
a payload that is not a serdes envelope (a custom serdes, a plain JSON input) is shown as it is.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from typing import Any


def _plain(value: Any) -> Any:
    """A decoded value as JSON data: tuples as lists, bytes as base64, dates ISO, the rest as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    to_dict = getattr(value, "to_dict", None)  # a BatchResult
    return _plain(to_dict()) if callable(to_dict) else repr(value)


def decode_value(text: str) -> tuple[bool, Any]:
    """(True, the JSON value) when `text` is a serdes envelope, else (False, None)."""
    try:
        data = json.loads(text)
    except ValueError:
        return False, None
    if not (isinstance(data, dict) and set(data) == {"t", "v"} and isinstance(data["t"], str)):
        return False, None
    from durable_mp.serdes import deserialize

    try:
        return True, _plain(deserialize(None, text, "", ""))
    except Exception:  # noqa: BLE001 - not ours after all: show it as it is
        return False, None


def display(text: str) -> str:
    """A payload string for a table: an envelope as the compact JSON of its value, else unchanged."""
    ok, value = decode_value(text)
    return json.dumps(value, ensure_ascii=False) if ok else text


def decode_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of history events whose envelope `Payload` strings are replaced by their values."""
    return [_decode_tree(event) for event in events]


def _decode_tree(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "Payload" and isinstance(value, str):
                ok, decoded = decode_value(value)
                out[key] = decoded if ok else value
            else:
                out[key] = _decode_tree(value)
        return out
    if isinstance(node, list):
        return [_decode_tree(v) for v in node]
    return node
